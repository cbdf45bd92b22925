/**
 * Which instance of a member takes a batch. Three policies, so each can be measured against the others:
 * - 'fcfs': first come, first served: the first instance (in order of joining) with a free credit;
 * - 'least-loaded': the instance with a free credit holding the fewest rows;
 * - 'fastest-finish' (KAIROS): the instance predicted to finish the batch soonest, counting the work
 *   already queued on it and its calibrated speed. When that instance has no free credit, a free one
 *   takes the batch if it still meets the latency target; if none does, the batch waits for the fast
 *   one (`wait`), as KAIROS lets a query wait for a faster busy instance.
 * With re-balancing on (ODIN), an instance found interfered with is predicted at its measured
 * slowdown and holds one batch at a time, so work shifts away from it until the slowdown ends. Any
 * instance that has had no batch for `probeMs` gets the next one it can take, so the end of a
 * slowdown (or a stale calibration) is noticed.
 */
import { invalidOption } from '@tutti/core';
import { InstanceState, type InstanceDescription } from './instance-state.js';
import type { DetectorEvent, DetectorOptions } from './interference.js';

export const ROUTING_POLICIES = ['fcfs', 'least-loaded', 'fastest-finish'] as const;
export type RoutingPolicy = (typeof ROUTING_POLICIES)[number];

export interface RouterOptions {
  policy?: RoutingPolicy;
  /** Shift work away from instances found interfered with (default true). */
  rebalance?: boolean;
  detector?: DetectorOptions;
  /** How long an instance may go without a batch before it gets one to re-measure its speed (default 1000 ms). */
  probeMs?: number;
}

export type Route = { id: string } | { wait: true } | undefined;

export type InterferenceChange = DetectorEvent & { id: string; member: string };

export class Router {
  readonly policy: RoutingPolicy;
  readonly rebalance: boolean;
  #detector: DetectorOptions;
  #probeMs: number;
  #instances = new Map<string, InstanceState>();
  #joined = 0;

  constructor(options: RouterOptions = {}) {
    this.policy = options.policy ?? 'fastest-finish';
    this.rebalance = options.rebalance ?? true;
    this.#probeMs = options.probeMs ?? 1_000;
    if (!ROUTING_POLICIES.includes(this.policy)) invalidOption('policy', this.policy, `one of ${ROUTING_POLICIES.join(', ')}`);
    if (!(this.#probeMs > 0)) invalidOption('probeMs', this.#probeMs, 'a positive number of ms');
    this.#detector = options.detector ?? {};
    // Built once here so that bad detector options fail when the router is made, not on the first instance.
    void new InstanceState({ id: '', member: '', credits: 1 }, 0, this.#detector);
  }

  add(description: InstanceDescription): InstanceState {
    const state = new InstanceState(description, this.#joined++, this.#detector);
    this.#instances.set(description.id, state);
    return state;
  }

  remove(id: string): InstanceState | undefined {
    const state = this.#instances.get(id);
    this.#instances.delete(id);
    return state;
  }

  get(id: string): InstanceState | undefined {
    return this.#instances.get(id);
  }

  instances(member?: string): InstanceState[] {
    return [...this.#instances.values()].filter((s) => member === undefined || s.member === member);
  }

  /**
   * The instance of `member` to send a batch of `rows` to now; `wait` to hold it; undefined if none
   * can take it. `slackMs`: how long the batch may still take and meet its latency target, if any.
   */
  route(member: string, rows: number, now: number, slackMs?: number): Route {
    const candidates = this.instances(member);
    const free = candidates.filter((s) => this.#hasRoom(s));
    if (free.length === 0) return candidates.length > 0 ? { wait: true } : undefined;
    if (this.policy === 'fcfs') return { id: minBy(free, (s) => s.joined).id };
    if (this.policy === 'least-loaded') return { id: minBy(free, (s) => s.heldRows * 1e6 + s.joined).id };
    // An instance that has had no batch for a while is sent one: its speed may have changed (the end
    // of an interference, or a calibration learned in a busy moment), and only a batch can tell.
    const probe = free.find((s) => now - s.lastSentAt >= this.#probeMs && s.lastSentAt > -Infinity);
    if (probe) return { id: probe.id };
    const finish = (s: InstanceState) => s.predictedFinishMs(rows, now, this.#slowdownOf(s)) + s.joined * 1e-9;
    const best = minBy(candidates, finish);
    if (this.#hasRoom(best)) return { id: best.id };
    // The fastest is busy. Without a deadline, never idle a free instance. With one, a free instance
    // that still meets it takes the batch (throughput), and only when none can does it wait.
    const soonestFree = minBy(free, finish);
    if (slackMs === undefined || finish(soonestFree) <= slackMs) return { id: soonestFree.id };
    return { wait: true };
  }

  /**
   * The most rows a batch of `member` formed now should have. With a latency target, when the
   * instance that would finish a full batch soonest is busy, the batch is cut to what a free
   * instance can still finish within `slackMs`, so slower instances take work they can serve in
   * time (KAIROS sends a slow instance only the queries it can meet the target on) instead of
   * every full batch queueing for the fast one.
   */
  batchLimit(member: string, maxRows: number, now: number, slackMs?: number): number {
    if (this.policy !== 'fastest-finish' || slackMs === undefined) return maxRows;
    const candidates = this.instances(member);
    const free = candidates.filter((s) => this.#hasRoom(s));
    if (free.length === 0) return maxRows;
    const finish = (s: InstanceState, rows: number) => s.predictedFinishMs(rows, now, this.#slowdownOf(s));
    if (this.#hasRoom(minBy(candidates, (s) => finish(s, maxRows)))) return maxRows;
    let fits = 0;
    for (const s of free) {
      // Finish time grows with rows: bisect for the largest batch this instance finishes within the slack.
      let lo = 0;
      let hi = maxRows;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (finish(s, mid) <= slackMs) lo = mid;
        else hi = mid - 1;
      }
      fits = Math.max(fits, lo);
    }
    return fits > 0 ? fits : maxRows;
  }

  sent(id: string, batch: number, rows: number, now: number): void {
    this.#instances.get(id)?.sent(batch, rows, now);
  }

  /** A batch came back; returns an interference change when the instance's state flipped. */
  done(id: string, batch: number, now: number, serviceMs?: number): InterferenceChange | undefined {
    const state = this.#instances.get(id);
    const event = state?.done(batch, now, serviceMs);
    return event && { ...event, id, member: state!.member };
  }

  /** Lets the detectors of instances that got no batch close their windows. */
  tick(now: number): InterferenceChange[] {
    const changes: InterferenceChange[] = [];
    for (const state of this.#instances.values()) {
      const event = state.detector.tick(now);
      if (event) changes.push({ ...event, id: state.id, member: state.member });
    }
    return changes;
  }

  forget(batch: number): void {
    for (const state of this.#instances.values()) state.forget(batch);
  }

  /**
   * Whether the instance may take another batch: a free credit, and with re-balancing, at most one
   * batch at a time while it is interfered with (a batch queued behind a slowed one waits for both).
   */
  #hasRoom(state: InstanceState): boolean {
    if (this.rebalance && this.policy === 'fastest-finish' && state.detector.interfered) return state.outstanding === 0;
    return state.hasCredit;
  }

  #slowdownOf(state: InstanceState): number {
    return this.rebalance ? state.detector.slowdown : 1;
  }
}

function minBy<T>(items: readonly T[], key: (item: T) => number): T {
  let best = items[0] as T;
  let bestKey = key(best);
  for (const item of items.slice(1)) {
    const k = key(item);
    if (k < bestKey) {
      best = item;
      bestKey = k;
    }
  }
  return best;
}
