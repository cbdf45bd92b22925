/**
 * One answer per request across a batcher restart, as pure logic (no sockets, no clocks: callers
 * pass `now`).
 *
 * When the batcher dies, the batches it had formed live on: workers still compute them and their
 * plans are here, so the combiner still answers their clients directly. Those clients also re-send
 * what they have no answer for (see PROTOCOL.md, retries) to the new batcher, so one request can sit
 * in two batches: an orphan (formed by a batcher of an older epoch, see firstBatchOf) and a new one.
 * The guard lets the first answer through and refuses the second, whichever comes first.
 *
 * Within one epoch it records nothing and costs nothing. Orphans' answers are remembered for
 * `lingerMs` (the client's re-send may be answered that much later); new batches' answers only
 * while an orphan is open.
 *
 * After a combiner restart it also holds what the dead combiner journaled as answered directly
 * (answer-journal.ts): the batcher plans those batches again (`replanned`), not knowing, and their
 * answers to journaled requests are held back as `unsure` (the batcher then decides, see
 * resend-ledger.ts), once each, within `lingerMs`.
 */
import { batchEpoch, invalidOption } from '@tutti/protocol';

/** What to do with an answer: send it, drop it (answered from elsewhere), or hold it back as maybe answered already. */
export type Verdict = 'send' | 'refuse' | 'unsure';

export interface ReplyGuardOptions {
  /** How long an orphan's answer keeps a re-sent copy of its request from being answered again. */
  lingerMs: number;
}

export class ReplyGuard {
  #lingerMs: number;
  #epoch = -1;
  #orphans = new Set<number>();
  /** Requests an orphan answered, with when: a later answer to them is refused. */
  #answeredByOrphans = new Map<string, number>();
  /** Requests new batches answered while orphans are open: an orphan's answer to them is refused. */
  #answeredByNew = new Set<string>();
  /** Requests the dead combiner journaled as answered directly, with when this combiner learnt it. */
  #journaled = new Map<string, number>();
  /** Open batches planned again after a combiner restart. */
  #replanned = new Set<number>();

  constructor(options: ReplyGuardOptions) {
    if (!(options.lingerMs > 0)) invalidOption('lingerMs', options.lingerMs, 'a positive number of ms');
    this.#lingerMs = options.lingerMs;
  }

  /**
   * A plan arrived. A plan of a newer epoch makes every batch still open an orphan (their batcher is
   * dead); returns the batches that just became orphans. A plan of an older epoch is an orphan itself.
   */
  planned(batch: number, open: Iterable<number>, replanned = false): number[] {
    if (replanned) this.#replanned.add(batch);
    const epoch = batchEpoch(batch);
    if (epoch < this.#epoch) {
      this.#orphans.add(batch);
      return [batch];
    }
    if (epoch === this.#epoch) return [];
    const first = this.#epoch === -1;
    this.#epoch = epoch;
    if (first) return [];
    const orphaned = [...open].filter((b) => b !== batch && batchEpoch(b) < epoch);
    for (const b of orphaned) this.#orphans.add(b);
    return orphaned;
  }

  /** Nothing to guard: one epoch of batches open and no orphan's answer remembered (admit lets all through). */
  get idle(): boolean {
    return this.#orphans.size === 0 && this.#answeredByOrphans.size === 0 && this.#journaled.size === 0;
  }

  /** What the combiner before this one journaled as answered directly. */
  journaled(keys: Iterable<string>, now: number): void {
    for (const key of keys) this.#journaled.set(key, now);
  }

  isOrphan(batch: number): boolean {
    return this.#orphans.has(batch);
  }

  get orphans(): number {
    return this.#orphans.size;
  }

  /** The batch is closed (answered, or dropped): it answers nothing more. */
  closed(batch: number): void {
    this.#replanned.delete(batch);
    if (this.#orphans.delete(batch) && this.#orphans.size === 0) this.#answeredByNew.clear();
  }

  /**
   * What to do with the answer to request `key` from `batch`. An answer let through from a new
   * batch is recorded here; one from an orphan only once `delivered` says it reached the client (an
   * orphan's answer that cannot go straight to the client is dropped, not answered).
   */
  admit(key: string, batch: number, now: number): Verdict {
    if (this.idle) return 'send';
    this.#expire(this.#answeredByOrphans, now);
    this.#expire(this.#journaled, now);
    if (this.#replanned.has(batch) && this.#journaled.delete(key)) return 'unsure';
    if (this.#orphans.has(batch)) return this.#answeredByNew.has(key) ? 'refuse' : 'send';
    if (this.#answeredByOrphans.delete(key)) return 'refuse';
    if (this.#orphans.size > 0) this.#answeredByNew.add(key);
    return 'send';
  }

  /** An orphan's answer reached its client. */
  delivered(key: string, now: number): void {
    this.#answeredByOrphans.set(key, now);
  }

  #expire(entries: Map<string, number>, now: number): void {
    for (const [key, at] of entries) {
      // Insertion order is time order: stop at the first one still young.
      if (now - at < this.#lingerMs) break;
      entries.delete(key);
    }
  }
}
