/**
 * The batcher's view of the prediction workers, as pure logic: which instances of each member are
 * alive (heard from within the heartbeat timeout), which batches each holds against its credits
 * (kept by the router, which also decides where the next batch goes), and which batches a dead
 * instance took with it so they can be sent again. No sockets, no clocks: callers pass `now`.
 */
import { invalidOption } from '@tutti/protocol';
import { Router, type InterferenceChange, type LatencyPoint, type Route, type RouterOptions } from '@tutti/routing';

export interface InstanceInfo {
  member: string;
  instance: number;
  device: string;
  /** Batches the instance accepts at once (one computing, the rest queued in front of it). */
  credits: number;
  /** The instance's profiled batch latencies, when known: the router's starting point. */
  profile?: LatencyPoint[];
}

interface Live extends InstanceInfo {
  id: string;
  lastSeen: number;
}

export interface PoolOptions {
  heartbeatTimeoutMs: number;
  routing?: RouterOptions;
}

export interface Lost {
  id: string;
  member: string;
  batches: number[];
}

export class WorkerPool {
  #members: readonly string[];
  #timeoutMs: number;
  #instances = new Map<string, Live>();
  #router: Router;

  constructor(members: readonly string[], options: PoolOptions) {
    if (!(options.heartbeatTimeoutMs > 0)) invalidOption('heartbeatTimeoutMs', options.heartbeatTimeoutMs, 'a positive number of ms');
    this.#members = members;
    this.#timeoutMs = options.heartbeatTimeoutMs;
    this.#router = new Router(options.routing);
  }

  get router(): Router {
    return this.#router;
  }

  /** A worker introduced itself (again, after a restart: its old batches are then lost). */
  hello(id: string, info: InstanceInfo, now: number): Lost | undefined {
    if (!this.#members.includes(info.member)) return undefined;
    const previous = this.#remove(id);
    this.#instances.set(id, { ...info, id, lastSeen: now });
    this.#router.add({ id, member: info.member, credits: info.credits, ...(info.profile && { profile: info.profile }) });
    return previous && previous.batches.length > 0 ? previous : undefined;
  }

  isKnown(id: string): boolean {
    return this.#instances.has(id);
  }

  seen(id: string, now: number): void {
    const live = this.#instances.get(id);
    if (live) live.lastSeen = now;
  }

  /** The instance finished a batch in `serviceMs`: its credit comes back. Returns an interference change, if any. */
  completed(id: string, batch: number, now: number, serviceMs?: number): InterferenceChange | undefined {
    const live = this.#instances.get(id);
    if (!live) return undefined;
    live.lastSeen = now;
    return this.#router.done(id, batch, now, serviceMs);
  }

  /** Where a batch of `rows` for `member` goes now, with `slackMs` left before its latency target (see Router.route). */
  route(member: string, rows: number, now: number, slackMs?: number): Route {
    return this.#router.route(member, rows, now, slackMs);
  }

  /** The most rows a batch formed now should have (see Router.batchLimit), over every member. */
  batchLimit(members: readonly string[], maxRows: number, now: number, slackMs?: number): number {
    return Math.min(...members.map((member) => this.#router.batchLimit(member, maxRows, now, slackMs)));
  }

  assign(id: string, batch: number, rows: number, now: number): void {
    this.#router.sent(id, batch, rows, now);
  }

  /** Whether every member has an instance with a free credit: a new batch can go out. */
  canDispatch(): boolean {
    return this.#members.every((member) => this.#router.instances(member).some((s) => s.hasCredit));
  }

  /** Members with no live instance (empty when the ensemble is ready). */
  missingMembers(): string[] {
    return this.#members.filter((member) => ![...this.#instances.values()].some((live) => live.member === member));
  }

  /** Removes instances not heard from within the timeout, returning the batches they held. */
  expire(now: number): Lost[] {
    const lost: Lost[] = [];
    for (const [id, live] of this.#instances) {
      if (now - live.lastSeen > this.#timeoutMs) lost.push(this.#remove(id)!);
    }
    return lost;
  }

  /** Removes an instance known to be dead (its process exited), returning the batches it held. */
  drop(id: string): Lost | undefined {
    return this.#remove(id);
  }

  /** Lets interference detectors close their windows; returns the changes. */
  tick(now: number): InterferenceChange[] {
    return this.#router.tick(now);
  }

  /** Forgets a batch everywhere (answered, or abandoned). */
  forget(batch: number): void {
    this.#router.forget(batch);
  }

  instances(member?: string): InstanceInfo[] {
    return [...this.#instances.values()]
      .filter((l) => member === undefined || l.member === member)
      .map(({ member: m, instance, device, credits }) => ({ member: m, instance, device, credits }));
  }

  #remove(id: string): Lost | undefined {
    const live = this.#instances.get(id);
    if (!live) return undefined;
    this.#instances.delete(id);
    const state = this.#router.remove(id);
    return { id, member: live.member, batches: state?.heldBatches() ?? [] };
  }
}
