/**
 * Dynamic batching, as pure logic: requests wait in arrival order; a batch is due when the waiting
 * rows fill the maximum batch size, or when the oldest request has waited the maximum queue delay.
 * A batch takes whole requests, first come first served, while they fit. No I/O, no timers: the
 * batcher asks `dueAt()` and sets its own.
 */
import { invalidOption } from '@tutti/protocol';

export interface BatchingOptions {
  maxBatchSize: number;
  maxQueueDelayMs: number;
}

export interface Queued {
  /** Rows this request contributes (its own batch dimension). */
  rows: number;
  /** Bytes it holds while it waits (its input tensors), for the queue's byte bound; 0 if not given. */
  bytes?: number;
  /** When it arrived, in ms (any monotonic clock, the same for every call). */
  arrivedMono: number;
}

export class BatchingPolicy<T extends Queued> {
  readonly maxBatchSize: number;
  readonly maxQueueDelayMs: number;
  #queue: T[] = [];
  #head = 0;
  #rows = 0;
  #bytes = 0;

  constructor(options: BatchingOptions) {
    const { maxBatchSize, maxQueueDelayMs } = options;
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) invalidOption('maxBatchSize', maxBatchSize, 'an integer >= 1');
    if (!(maxQueueDelayMs >= 0) || !Number.isFinite(maxQueueDelayMs)) {
      invalidOption('maxQueueDelayMs', maxQueueDelayMs, 'a finite number >= 0');
    }
    this.maxBatchSize = maxBatchSize;
    this.maxQueueDelayMs = maxQueueDelayMs;
  }

  get pendingRequests(): number {
    return this.#queue.length - this.#head;
  }

  get pendingRows(): number {
    return this.#rows;
  }

  get pendingBytes(): number {
    return this.#bytes;
  }

  push(item: T): void {
    if (!(item.rows >= 1 && item.rows <= this.maxBatchSize)) {
      invalidOption('rows', item.rows, `between 1 and maxBatchSize ${this.maxBatchSize}`);
    }
    this.#queue.push(item);
    this.#rows += item.rows;
    this.#bytes += item.bytes ?? 0;
  }

  /** When the next batch is due: now or earlier if full, else the oldest arrival plus the delay; undefined if empty. */
  dueAt(): number | undefined {
    const oldest = this.#queue[this.#head];
    if (!oldest) return undefined;
    if (this.#rows >= this.maxBatchSize) return -Infinity;
    return oldest.arrivedMono + this.maxQueueDelayMs;
  }

  isDue(now: number): boolean {
    const due = this.dueAt();
    return due !== undefined && due <= now;
  }

  /** When the oldest waiting request arrived; undefined if none waits. */
  get oldestArrivedMono(): number | undefined {
    return this.#queue[this.#head]?.arrivedMono;
  }

  /** Queues a request ahead of the others (a cascade's request going on to its next stage: it waited already). */
  pushFront(item: T): void {
    if (!(item.rows >= 1 && item.rows <= this.maxBatchSize)) {
      invalidOption('rows', item.rows, `between 1 and maxBatchSize ${this.maxBatchSize}`);
    }
    if (this.#head > 0) this.#queue[--this.#head] = item;
    else this.#queue.unshift(item);
    this.#rows += item.rows;
    this.#bytes += item.bytes ?? 0;
  }

  /**
   * Takes the next batch's requests, oldest first, as many as fit in `maxRows` (default and at most
   * maxBatchSize) rows; always at least the oldest request, since requests are never split. With
   * `compatible`, only requests that may share a batch with the oldest are taken (a cascade's
   * stage); the others keep their place.
   */
  take(maxRows = this.maxBatchSize, compatible?: (first: T, item: T) => boolean): T[] {
    if (compatible) return this.#takeCompatible(Math.min(maxRows, this.maxBatchSize), compatible);
    const limit = Math.min(maxRows, this.maxBatchSize);
    const batch: T[] = [];
    let rows = 0;
    while (this.#head < this.#queue.length) {
      const next = this.#queue[this.#head]!;
      if (rows + next.rows > limit && batch.length > 0) break;
      batch.push(next);
      rows += next.rows;
      this.#bytes -= next.bytes ?? 0;
      this.#head++;
    }
    this.#rows -= rows;
    this.#compact();
    return batch;
  }

  #takeCompatible(limit: number, compatible: (first: T, item: T) => boolean): T[] {
    const first = this.#queue[this.#head];
    if (!first) return [];
    // Usually every request that fits is compatible (most of a cascade's requests are at its first
    // stage): then this is the plain take, without rebuilding the queue.
    let rows = 0;
    for (let i = this.#head; i < this.#queue.length; i++) {
      const item = this.#queue[i]!;
      if (rows + item.rows > limit && rows > 0) return this.take(limit);
      if (!compatible(first, item)) break;
      rows += item.rows;
      if (i === this.#queue.length - 1) return this.take(limit);
    }
    rows = 0;
    let full = false;
    const taken = this.removeWhere((item) => {
      if (full || !compatible(first, item)) return false;
      if (rows + item.rows > limit && rows > 0) {
        full = true;
        return false;
      }
      rows += item.rows;
      return true;
    });
    return taken;
  }

  /** Removes and returns the requests for which `predicate` holds (e.g. past their deadline). */
  removeWhere(predicate: (item: T) => boolean): T[] {
    const kept: T[] = [];
    const removed: T[] = [];
    for (let i = this.#head; i < this.#queue.length; i++) {
      const item = this.#queue[i]!;
      (predicate(item) ? removed : kept).push(item);
    }
    this.#queue = kept;
    this.#head = 0;
    for (const item of removed) {
      this.#rows -= item.rows;
      this.#bytes -= item.bytes ?? 0;
    }
    return removed;
  }

  // Array.shift is O(n); move a head index and drop the taken prefix once it dominates.
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
