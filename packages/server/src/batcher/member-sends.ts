/**
 * The copies of batches still to be sent to an instance of each member (each shard: members hosted
 * together count as one, see HelloHeader.shard), and the routing decisions
 * that send them. A copy waits while its member has no instance with room, or while the router
 * holds it for a faster instance; copies of one member leave in order, so a later batch never
 * overtakes an earlier one. Pure apart from the `send` callback.
 */
import type { Ensemble } from '@tutti/manifest';
import type { WorkerPool } from './worker-pool.js';

/** Share of a batch's remaining latency budget its compute may use; the rest covers combining and replying. */
const SLACK_SHARE = 0.9;

export interface Sendable {
  /** Rows in the batch. */
  rows: number;
  /** performance.now() arrival of the batch's oldest request. */
  oldestArrivalMono: number;
  /** Whether `member` still needs this batch (it may have been answered, or computed by a dead instance's replacement). */
  needs(member: string): boolean;
}

export class MemberSends {
  #ensemble: Ensemble;
  /** What a batch is sent to: shards (a member, or members hosted together; see HelloHeader.shard). */
  #shards: readonly string[];
  #pool: WorkerPool;
  #waiting: { batch: number; member: string }[] = [];

  constructor(ensemble: Ensemble, shards: readonly string[], pool: WorkerPool) {
    this.#ensemble = ensemble;
    this.#shards = shards;
    this.#pool = pool;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** The copies of a new batch: one per shard it is for (default: every one). */
  addBatch(batch: number, shards: readonly string[] = this.#shards): void {
    for (const shard of shards) this.#waiting.push({ batch, member: shard });
  }

  add(batch: number, member: string): void {
    this.#waiting.push({ batch, member });
  }

  /** A copy a dead instance held: it goes before the others. */
  addFirst(batch: number, member: string): void {
    this.#waiting.unshift({ batch, member });
  }

  clear(): void {
    this.#waiting = [];
  }

  /** Sends every waiting copy the router places now, through `send(instanceId, batch)`. */
  flush(lookup: (batch: number) => Sendable | undefined, send: (id: string, batch: number) => void, now: number): void {
    const blocked = new Set<string>();
    this.#waiting = this.#waiting.filter(({ batch, member }) => {
      const sendable = lookup(batch);
      if (!sendable || !sendable.needs(member)) return false;
      if (blocked.has(member)) return true;
      const route = this.#pool.route(member, sendable.rows, now, this.slackOf(sendable.oldestArrivalMono, now));
      if (!route || !('id' in route)) {
        blocked.add(member);
        return true;
      }
      this.#pool.assign(route.id, batch, sendable.rows, now);
      send(route.id, batch);
      return false;
    });
  }

  /** What is left of the latency target for a request that arrived at `arrivedMono`, less a margin for combining and replying. */
  slackOf(arrivedMono: number, now: number): number | undefined {
    const target = this.#ensemble.latencyTarget?.p99Ms;
    return target === undefined ? undefined : (target - (now - arrivedMono)) * SLACK_SHARE;
  }

  /** The most rows the next batch should have, its oldest request having arrived at `oldestArrivalMono`. */
  batchLimit(oldestArrivalMono: number, now: number): number {
    return this.#pool.batchLimit(this.#shards, this.#ensemble.batching.maxBatchSize, now, this.slackOf(oldestArrivalMono, now));
  }
}
