/**
 * Which instance of a member takes a batch. Three policies, so each can be measured against the others:
 * - 'fcfs': first come, first served: the first instance (in order of joining) with a free credit;
 * - 'least-loaded': the instance with a free credit holding the fewest rows;
 * - 'fastest-finish' (KAIROS): the instance predicted to finish the batch soonest, counting the work
 *   already queued on it and its calibrated speed. When that instance has no free credit the batch
 *   waits for it (`wait`), since sending it to a slower free instance would finish later.
 * With re-balancing on (ODIN), an instance found interfered with is predicted at its measured
 * slowdown, so work shifts away from it until the slowdown ends; an interfered instance that has
 * had no batch for `probeMs` gets the next one it can take, so the end of the slowdown is noticed.
 */
import { invalidOption } from '@tutti/protocol';
import { InstanceState, type InstanceDescription } from './instance-state.js';
import type { DetectorEvent, DetectorOptions } from './interference.js';

export const ROUTING_POLICIES = ['fcfs', 'least-loaded', 'fastest-finish'] as const;
export type RoutingPolicy = (typeof ROUTING_POLICIES)[number];

export interface RouterOptions {
  policy?: RoutingPolicy;
  /** Shift work away from instances found interfered with (default true). */
  rebalance?: boolean;
  detector?: DetectorOptions;
  /** How long an interfered instance may go without a batch before it gets one to re-measure (default 1000 ms). */
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

  /** The instance of `member` to send a batch of `rows` to now; `wait` to hold it; undefined if none can take it. */
  route(member: string, rows: number, now: number): Route {
    const candidates = this.instances(member);
    const free = candidates.filter((s) => s.hasCredit);
    if (free.length === 0) return candidates.length > 0 ? { wait: true } : undefined;
    if (this.policy === 'fcfs') return { id: minBy(free, (s) => s.joined).id };
    if (this.policy === 'least-loaded') return { id: minBy(free, (s) => s.heldRows * 1e6 + s.joined).id };
    const probe = this.rebalance ? free.find((s) => s.detector.interfered && now - s.lastSentAt >= this.#probeMs) : undefined;
    if (probe) return { id: probe.id };
    const best = minBy(candidates, (s) => s.predictedFinishMs(rows, now, this.#slowdownOf(s)) + s.joined * 1e-9);
    return best.hasCredit ? { id: best.id } : { wait: true };
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
