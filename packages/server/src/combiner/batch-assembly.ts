/**
 * Gathers, per batch, the plan from the batcher and one result per member. Members finish in any
 * order and the plan may arrive after them; a batch is complete when the plan and every member are
 * in. Pure: no sockets, no clocks.
 */
import type { PlanHeader, WireTensor } from '@tutti/protocol';

export interface MemberResult {
  member: string;
  outputs: WireTensor[];
  error?: string;
  computeMs: number;
}

export interface CompleteBatch {
  plan: PlanHeader;
  /** In the ensemble's member order. */
  results: MemberResult[];
}

interface Pending {
  plan?: PlanHeader;
  results: Map<string, MemberResult>;
}

/** Batches remembered as done, so a late duplicate (a batch computed twice after a restart) is dropped. */
const REMEMBERED = 4096;
/**
 * Batches waiting at most: results whose plan never comes (their batcher died before sending it, or
 * they are garbage) are dropped oldest first past this, so they cannot grow the combiner forever.
 */
const MAX_PENDING = 16_384;

export class BatchAssembler {
  #members: readonly string[];
  #pending = new Map<number, Pending>();
  #done = new Set<number>();

  constructor(members: readonly string[]) {
    this.#members = members;
  }

  get pendingBatches(): number {
    return this.#pending.size;
  }

  addPlan(plan: PlanHeader): CompleteBatch | undefined {
    if (this.#done.has(plan.batch)) return undefined;
    const entry = this.#entry(plan.batch);
    entry.plan = plan;
    return this.#completed(plan.batch, entry);
  }

  addResult(batch: number, result: MemberResult): CompleteBatch | undefined {
    if (!this.#members.includes(result.member) || this.#done.has(batch)) return undefined;
    const entry = this.#entry(batch);
    entry.results.set(result.member, result);
    return this.#completed(batch, entry);
  }

  /** Whether `batch` is neither done nor planned yet: a plan passed on with a result is news. */
  needsPlan(batch: number): boolean {
    return !this.#done.has(batch) && this.#pending.get(batch)?.plan === undefined;
  }

  /** The results in so far of a batch still pending, in member order (for partial answers). */
  resultsSoFar(batch: number): MemberResult[] {
    const entry = this.#pending.get(batch);
    if (!entry) return [];
    return this.#members.flatMap((name) => {
      const result = entry.results.get(name);
      return result && result.error === undefined ? [result] : [];
    });
  }

  /** Drops a batch whose requests were all answered otherwise (by their deadline): late results are ignored. */
  forget(batch: number): void {
    this.#pending.delete(batch);
    this.#markDone(batch);
  }

  #markDone(batch: number): void {
    this.#done.add(batch);
    if (this.#done.size > REMEMBERED) this.#done.delete(this.#done.values().next().value!);
  }

  #entry(batch: number): Pending {
    let entry = this.#pending.get(batch);
    if (!entry) {
      if (this.#pending.size >= MAX_PENDING) this.#dropOldestWithoutPlan();
      entry = { results: new Map() };
      this.#pending.set(batch, entry);
    }
    return entry;
  }

  #dropOldestWithoutPlan(): void {
    for (const [batch, entry] of this.#pending) {
      if (entry.plan) continue;
      this.#pending.delete(batch);
      return;
    }
  }

  #completed(batch: number, entry: Pending): CompleteBatch | undefined {
    if (!entry.plan) return undefined;
    // A cascade's stage batch is complete with its stage's members; any other with every member.
    const expected = entry.plan.members ? this.#members.filter((m) => entry.plan!.members!.includes(m)) : this.#members;
    if (expected.some((name) => !entry.results.has(name))) return undefined;
    this.#pending.delete(batch);
    this.#markDone(batch);
    return { plan: entry.plan, results: expected.map((name) => entry.results.get(name)!) };
  }
}
