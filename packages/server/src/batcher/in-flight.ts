/**
 * The batches the batcher has sent and the combiner has not fully answered, as pure logic: which
 * members still owe each batch their result (their instance has not returned the credit), which of
 * its requests are answered already. The batcher keeps a batch here until its last answer, so a
 * batch held by a dead worker can be sent again, and after a combiner restart only the unanswered
 * requests are planned again: every request is answered exactly once.
 */
import type { PlanHeader, PlanPart } from '@tutti/protocol';

export interface InFlight {
  readonly plan: PlanHeader;
  /** The encoded batch: the same frames go to one instance of every member. */
  readonly frames: Buffer[];
  /** When the batch's oldest request arrived (performance.now()), for its slack against the latency target. */
  readonly oldestArrivalMono: number;
}

interface Entry extends InFlight {
  /** The shards the batch is for: all, or a cascade's stage's. */
  shards: readonly string[];
  /** Members whose result is not yet in. */
  pending: Set<string>;
  /** Parts (requests) answered, by index. */
  answered: Set<number>;
}

export class InFlightBatches {
  #members: readonly string[];
  #batches = new Map<number, Entry>();

  constructor(members: readonly string[]) {
    this.#members = members;
  }

  get size(): number {
    return this.#batches.size;
  }

  /** A batch sent to `shards` (default: every one). */
  add(batch: InFlight, shards: readonly string[] = this.#members): void {
    this.#batches.set(batch.plan.batch, { ...batch, shards, pending: new Set(shards), answered: new Set() });
  }

  /** The shards `batch` is for. */
  shardsOf(batch: number): readonly string[] {
    return this.#batches.get(batch)?.shards ?? [];
  }

  get(batch: number): InFlight | undefined {
    return this.#batches.get(batch);
  }

  /** Whether `member` still owes `batch` its result. */
  needs(batch: number, member: string): boolean {
    return this.#batches.get(batch)?.pending.has(member) ?? false;
  }

  /** `member`'s instance returned its credit for `batch`: its result is with the combiner. */
  memberDone(batch: number, member: string): void {
    this.#batches.get(batch)?.pending.delete(member);
  }

  /**
   * Marks a request answered; false when it already was (answered before a combiner restart, so
   * the copy computed again must not reach the client twice). Unknown batches answer true: the
   * combiner is the authority on what it answers.
   */
  answer(batch: number, part: number): boolean {
    const entry = this.#batches.get(batch);
    if (!entry) return true;
    if (entry.answered.has(part)) return false;
    entry.answered.add(part);
    return true;
  }

  /**
   * Marks answered, and returns, the unanswered requests whose deadline (ms since epoch) has passed,
   * with whether that left their batch fully answered. For when no combiner is there to do it.
   */
  takeExpired(now: number): { batch: number; part: PlanPart; batchDone: boolean }[] {
    const expired: { batch: number; part: PlanPart; batchDone: boolean }[] = [];
    for (const entry of this.#batches.values()) {
      for (const part of entry.plan.parts) {
        if (entry.answered.has(part.index) || !part.deadline || part.deadline > now) continue;
        entry.answered.add(part.index);
        expired.push({ batch: entry.plan.batch, part, batchDone: entry.answered.size === entry.plan.parts.length });
      }
    }
    return expired;
  }

  /** The batch's last request is answered: it is forgotten. */
  finish(batch: number): void {
    this.#batches.delete(batch);
  }

  /**
   * A new combiner knows nothing: every batch is owed again by every member, and its plan is cut to
   * the requests not answered yet. Returns those plans, to send to the new combiner.
   */
  restartAll(): PlanHeader[] {
    return [...this.#batches.values()].map((entry) => {
      entry.pending = new Set(entry.shards);
      return { ...entry.plan, parts: entry.plan.parts.filter((part) => !entry.answered.has(part.index)) };
    });
  }
}
