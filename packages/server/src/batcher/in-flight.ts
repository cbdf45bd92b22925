/**
 * The batches the batcher has sent and the combiner has not fully answered, as pure logic: which
 * members still owe each batch their result (their instance has not returned the credit), which of
 * its requests are answered already, and whether the combiner must be sent the plan on its own. The
 * batcher keeps a batch here until its last answer, so a batch held by a dead worker can be sent
 * again, and after a combiner restart only the unanswered requests are planned again: every request
 * is answered exactly once.
 */
import type { PlanHeader, PlanPart } from '@tutti/protocol';

export interface InFlight {
  readonly plan: PlanHeader;
  /** The encoded batch, its plan last: the same frames go to one instance of every member. */
  readonly frames: Buffer[];
  /** When the batch's oldest request arrived (performance.now()), for its slack against the latency target. */
  readonly oldestArrivalMono: number;
  /** Each part's identity across re-sends (requestKey), by part index, when its client has one. */
  readonly keys: readonly (string | undefined)[];
}

/** A request past its deadline, handed over once (see takeExpired). */
export interface Expired {
  batch: number;
  part: PlanPart;
  /** Its identity across re-sends, as the batch keeps it (see InFlight.keys). */
  key: string | undefined;
  /** Whether that left its batch fully answered. */
  batchDone: boolean;
}

interface Entry extends InFlight {
  frames: Buffer[];
  /** The shards the batch is for: all, or a cascade's stage's. */
  shards: readonly string[];
  /** Members whose result is not yet in. */
  pending: Set<string>;
  /** Parts (requests) answered, by index. */
  answered: Set<number>;
  /**
   * When (ms since epoch) the combiner must have the plan on its own, whatever the workers do: its
   * earliest deadline less `planLeadMs`. Infinity once sent, or for a batch without deadlines.
   */
  planDueAt: number;
}

export class InFlightBatches {
  #members: readonly string[];
  #planLeadMs: number;
  #batches = new Map<number, Entry>();

  /** `planLeadMs`: how long before a batch's earliest deadline the combiner must have its plan. */
  constructor(members: readonly string[], planLeadMs: number) {
    this.#members = members;
    this.#planLeadMs = planLeadMs;
  }

  get size(): number {
    return this.#batches.size;
  }

  /** A batch sent to `shards` (default: every one). */
  add(batch: InFlight, shards: readonly string[] = this.#members): void {
    const deadlines = batch.plan.parts.flatMap((part) => (part.deadline ? [part.deadline] : []));
    const planDueAt = deadlines.length > 0 ? Math.min(...deadlines) - this.#planLeadMs : Infinity;
    this.#batches.set(batch.plan.batch, { ...batch, shards, pending: new Set(shards), answered: new Set(), planDueAt });
  }

  /**
   * The batches whose plan the combiner must be sent on its own by `now` (ms since epoch): a deadline
   * is near, and no result may bring the plan in time. Each is returned once.
   */
  takePlansDue(now: number): InFlight[] {
    const due: InFlight[] = [];
    for (const entry of this.#batches.values()) {
      if (entry.planDueAt > now) continue;
      entry.planDueAt = Infinity;
      due.push(entry);
    }
    return due;
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
  takeExpired(now: number): Expired[] {
    const expired: Expired[] = [];
    for (const entry of this.#batches.values()) {
      for (const part of entry.plan.parts) {
        if (entry.answered.has(part.index) || !part.deadline || part.deadline > now) continue;
        entry.answered.add(part.index);
        const batchDone = entry.answered.size === entry.plan.parts.length;
        expired.push({ batch: entry.plan.batch, part, key: entry.keys[part.index], batchDone });
      }
    }
    return expired;
  }

  /** The batch's last request is answered: it is forgotten. */
  finish(batch: number): void {
    this.#batches.delete(batch);
  }

  /**
   * A new combiner (of `generation`) knows nothing: every batch is owed again by every member, and
   * its plan is cut to the requests not answered yet. `encode` encodes such a plan: it replaces the
   * plan riding in the batch's frames, for the copies sent again. Returns the batches with their
   * plan's frame, to send to the new combiner on its own.
   */
  restartAll(generation: number, encode: (plan: PlanHeader) => Buffer): { batch: number; planFrame: Buffer }[] {
    return [...this.#batches.values()].map((entry) => {
      entry.pending = new Set(entry.shards);
      entry.planDueAt = Infinity;
      const parts = entry.plan.parts.filter((part) => !entry.answered.has(part.index));
      const frame = encode({ ...entry.plan, parts, generation, replanned: true });
      entry.frames = [...entry.frames.slice(0, -1), frame];
      return { batch: entry.plan.batch, planFrame: frame };
    });
  }
}
