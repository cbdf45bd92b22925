/**
 * The batcher's view of the prediction workers, as pure logic: which instances of each member are
 * alive (heard from within the heartbeat timeout), how many batches each holds against its credits,
 * and which batches a dead instance took with it so they can be sent again. No sockets, no clocks:
 * callers pass `now`.
 */
import { invalidOption } from '@tutti/protocol';

export interface InstanceInfo {
  member: string;
  instance: number;
  device: string;
  /** Batches the instance accepts at once (one computing, the rest queued in front of it). */
  credits: number;
}

interface Live extends InstanceInfo {
  id: string;
  lastSeen: number;
  outstanding: Set<number>;
}

export interface PoolOptions {
  heartbeatTimeoutMs: number;
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

  constructor(members: readonly string[], options: PoolOptions) {
    if (!(options.heartbeatTimeoutMs > 0)) invalidOption('heartbeatTimeoutMs', options.heartbeatTimeoutMs, 'a positive number of ms');
    this.#members = members;
    this.#timeoutMs = options.heartbeatTimeoutMs;
  }

  /** A worker introduced itself (again, after a restart: its old batches are then lost). */
  hello(id: string, info: InstanceInfo, now: number): Lost | undefined {
    if (!this.#members.includes(info.member)) return undefined;
    const previous = this.#instances.get(id);
    this.#instances.set(id, { ...info, id, lastSeen: now, outstanding: new Set() });
    if (previous && previous.outstanding.size > 0) return { id, member: previous.member, batches: [...previous.outstanding] };
    return undefined;
  }

  isKnown(id: string): boolean {
    return this.#instances.has(id);
  }

  seen(id: string, now: number): void {
    const live = this.#instances.get(id);
    if (live) live.lastSeen = now;
  }

  /** The instance finished a batch: its credit comes back. */
  completed(id: string, batch: number, now: number): void {
    const live = this.#instances.get(id);
    if (!live) return;
    live.outstanding.delete(batch);
    live.lastSeen = now;
  }

  /** The live instance of `member` with a free credit and the fewest batches outstanding (ties: first to join). */
  pick(member: string): string | undefined {
    let best: Live | undefined;
    for (const live of this.#instances.values()) {
      if (live.member !== member || live.outstanding.size >= live.credits) continue;
      if (!best || live.outstanding.size < best.outstanding.size) best = live;
    }
    return best?.id;
  }

  assign(id: string, batch: number): void {
    this.#instances.get(id)?.outstanding.add(batch);
  }

  /** Whether every member has an instance with a free credit: a new batch can go out. */
  canDispatch(): boolean {
    return this.#members.every((member) => this.pick(member) !== undefined);
  }

  /** Members with no live instance (empty when the ensemble is ready). */
  missingMembers(): string[] {
    return this.#members.filter((member) => ![...this.#instances.values()].some((live) => live.member === member));
  }

  /** Removes instances not heard from within the timeout, returning the batches they held. */
  expire(now: number): Lost[] {
    const lost: Lost[] = [];
    for (const [id, live] of this.#instances) {
      if (now - live.lastSeen <= this.#timeoutMs) continue;
      this.#instances.delete(id);
      lost.push({ id, member: live.member, batches: [...live.outstanding] });
    }
    return lost;
  }

  /** Removes an instance known to be dead (its process exited), returning the batches it held. */
  drop(id: string): Lost | undefined {
    const live = this.#instances.get(id);
    if (!live) return undefined;
    this.#instances.delete(id);
    return { id, member: live.member, batches: [...live.outstanding] };
  }

  /** Forgets a batch everywhere (answered, or abandoned). */
  forget(batch: number): void {
    for (const live of this.#instances.values()) live.outstanding.delete(batch);
  }

  instances(member?: string): InstanceInfo[] {
    return [...this.#instances.values()].filter((l) => member === undefined || l.member === member).map(({ member: m, instance, device, credits }) => ({ member: m, instance, device, credits }));
  }
}
