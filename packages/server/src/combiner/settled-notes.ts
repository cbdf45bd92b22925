/**
 * What the combiner tells the batcher about requests it answered straight to their clients, told a
 * few milliseconds late and many batches at once (one SETTLED message).
 *
 * Why late: the batcher only uses it to forget batches it kept for a resend (a dead worker, a dead
 * combiner); no client and no batch waits on it, since the batcher decides whether its members are
 * idle from their credits. Told at once, it cost one more message, and one more wake-up of the
 * batcher and of two ZeroMQ I/O threads, for every batch: at low load, a third of the batcher's.
 * A combiner killed before telling loses nothing: its journal has the answers (answer-journal.ts),
 * and its successor tells the batcher they were sent.
 *
 * Answers that the batcher must forward itself do not wait (REPLY): the notes pending are sent just
 * before such a message, so the batcher hears of one batch's answers in the order they were given.
 */
import { SETTLED, encodeHeader, type SettledBatch } from '@tutti/protocol';

export interface SettledNotesOptions {
  /** Longest a note waits for others to join it. */
  delayMs: number;
  /** Parts past which the notes go at once, whatever the delay (bounds the message). */
  maxParts: number;
}

export class SettledNotes {
  #send: (frames: Buffer[]) => void;
  #options: SettledNotesOptions;
  #pending = new Map<number, SettledBatch>();
  #parts = 0;
  #timer: NodeJS.Timeout | undefined;

  /** `send` takes one encoded SETTLED message. */
  constructor(send: (frames: Buffer[]) => void, options: SettledNotesOptions) {
    if (!(options.delayMs >= 0)) throw new RangeError(`delayMs must be a number of ms >= 0, got ${options.delayMs}`);
    if (!(options.maxParts >= 1)) throw new RangeError(`maxParts must be >= 1, got ${options.maxParts}`);
    this.#send = send;
    this.#options = options;
  }

  /** How many batches have notes waiting. */
  get pending(): number {
    return this.#pending.size;
  }

  /** `parts` of `batch` were settled; `last`: the batch is fully answered. */
  add(batch: number, parts: readonly number[], last: boolean): void {
    const entry = this.#pending.get(batch);
    if (entry) {
      entry.parts.push(...parts);
      entry.last ||= last;
    } else this.#pending.set(batch, { batch, parts: [...parts], last });
    this.#parts += parts.length;
    if (this.#parts >= this.#options.maxParts) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#options.delayMs);
  }

  /** Sends every pending note now, in one message. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const batches = [...this.#pending.values()];
    this.#pending.clear();
    this.#parts = 0;
    this.#send([encodeHeader({ kind: SETTLED, batches })]);
  }
}
