/**
 * The batcher's ledger of client requests by their identity across re-sends (requestKey), as pure
 * logic: what to do with a request that comes again under the same client and id. No sockets, no
 * clocks: callers pass `now`.
 *
 * - While the first copy waits or computes, a re-send is not computed again; the latest copy is
 *   parked, in case the first one's answer turns out lost (`unsure`: the combiner died after
 *   journaling it, see answer-journal.ts), and then computed after all.
 * - Once answered, a request is forgotten at once, except during a recovery window (a combiner
 *   restart, when clients re-send what was in flight as their direct-reply connection comes back):
 *   then an answered request stays known for the window, so that a re-send crossing its answer on
 *   the way is not computed and answered a second time.
 */
export type Admission = 'new' | 'parked' | 'answered';

export class ResendLedger<T> {
  /** Requests held, with the latest re-sent copy parked (undefined: none). */
  #held = new Map<string, T | undefined>();
  /** Answered requests remembered during a recovery window, with when. */
  #answered = new Map<string, number>();
  #recoveringUntil = -Infinity;
  #windowMs: number;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  get held(): number {
    return this.#held.size;
  }

  /** A request came in: new (hold it and compute it), or a re-send (parked, or dropped as answered). */
  accept(key: string, item: T, now: number): Admission {
    if (this.#held.has(key)) {
      this.#held.set(key, item);
      return 'parked';
    }
    this.#expire(now);
    if (this.#answered.has(key)) return 'answered';
    this.#held.set(key, undefined);
    return 'new';
  }

  /** The request was answered (straight to its client, forwarded, or with an error). */
  answered(key: string, now: number): void {
    if (!this.#held.delete(key)) return;
    if (now < this.#recoveringUntil) this.#answered.set(key, now);
  }

  /**
   * The request's answer may be lost: returns its parked re-send, to compute (it is held again),
   * or undefined when its client has not re-sent it, which means it had the answer.
   */
  unsure(key: string): T | undefined {
    const parked = this.#held.get(key);
    if (parked === undefined) {
      this.#held.delete(key);
      return undefined;
    }
    this.#held.set(key, undefined);
    return parked;
  }

  /** A recovery window starts (or is extended) now. */
  recover(now: number): void {
    this.#recoveringUntil = now + this.#windowMs;
  }

  #expire(now: number): void {
    for (const [key, at] of this.#answered) {
      if (now - at < this.#windowMs) break;
      this.#answered.delete(key);
    }
  }
}
