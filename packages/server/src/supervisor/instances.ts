/**
 * Which worker processes to start: from an allocation plan (instances per member and device, with
 * their batch size and threads), or, without one, one instance per member on this host's CPU with
 * the cores shared evenly. Pure: checks the plan against the ensemble and says what is wrong.
 */
import type { MemberProfile, Plan, ProcessGroup } from '@tutti/allocator';
import type { Ensemble } from '@tutti/manifest';
import { TuttiError, invalidOption, shardKey } from '@tutti/protocol';
import type { SessionSettings } from '@tutti/runtime';

export interface InstanceLaunch {
  member: string;
  /** Index among the member's instances. */
  instance: number;
  /** The device id of the plan ('cpu', 'gpu0', ...). */
  device: string;
  settings: Partial<SessionSettings>;
  /** The instance's batch size: batches larger than this run in chunks. */
  batchSize: number;
  /** Set for a declared device served in emulation: its profile gives the time each batch is held. */
  emulation?: MemberProfile;
  /** The instance's profiled batch latencies at its settings, when known: the router starts from them. */
  profile?: { batch: number; latencyMs: number }[];
}

/** A profile's points at one thread count, as the router wants them. */
function pointsAt(profile: MemberProfile | undefined, threads: number): { batch: number; latencyMs: number }[] | undefined {
  const points = profile?.points.filter((p) => p.threads === threads).map(({ batch, latencyMs }) => ({ batch, latencyMs }));
  return points && points.length > 0 ? points : undefined;
}

export function defaultInstances(ensemble: Ensemble, cores: number, threadsPerWorker?: number): InstanceLaunch[] {
  const threads = threadsPerWorker ?? Math.max(1, Math.floor(cores / ensemble.members.length));
  if (!Number.isInteger(threads) || threads < 1) invalidOption('threadsPerWorker', threads, 'an integer >= 1');
  return ensemble.members.map((member) => ({
    member: member.name,
    instance: 0,
    device: 'cpu',
    settings: { intraOpThreads: threads },
    batchSize: ensemble.batching.maxBatchSize,
  }));
}

function planError(message: string): TuttiError {
  return new TuttiError('INVALID_OPTION', `plan cannot be served: ${message}`);
}

/**
 * `profiles[member][deviceId]` must hold the profile of every member placed on an emulated device:
 * it sets how long the emulated device holds each batch.
 */
export function instancesFromPlan(
  ensemble: Ensemble,
  plan: Plan,
  profiles: Record<string, Record<string, MemberProfile>> = {},
  /** One host's share of a plan across hosts: members it does not run are elsewhere. */
  { share = false }: { share?: boolean } = {},
): InstanceLaunch[] {
  const names = ensemble.members.map((m) => m.name);
  const unknown = plan.instances.map((i) => i.member).filter((name) => !names.includes(name));
  if (unknown.length > 0) throw planError(`it places members the ensemble does not have: ${[...new Set(unknown)].join(', ')}`);
  const missing = names.filter((name) => !plan.instances.some((i) => i.member === name));
  if (missing.length > 0 && !share) throw planError(`members without any instance: ${missing.join(', ')}`);
  const counts = new Map<string, number>();
  return plan.instances.map((placed) => {
    const device = plan.devices.find((d) => d.id === placed.device);
    if (!device) throw planError(`instance of ${placed.member} is on device "${placed.device}", which the plan does not declare`);
    const instance = counts.get(placed.member) ?? 0;
    counts.set(placed.member, instance + 1);
    const profile = profiles[placed.member]?.[device.id];
    const points = pointsAt(profile, device.kind === 'cpu' ? placed.threads : 1);
    const launch: InstanceLaunch = {
      member: placed.member,
      instance,
      device: device.id,
      batchSize: placed.batch,
      settings: {},
      ...(points && { profile: points }),
    };
    if (device.emulated) {
      if (!profile) throw planError(`no profile of ${placed.member} on emulated device ${device.id} (${device.name})`);
      // The real answer is computed on this host's CPU with one thread; the profile sets the time.
      return { ...launch, settings: { intraOpThreads: 1 }, emulation: profile };
    }
    if (device.host !== undefined && !share) {
      throw planError(
        `device ${device.id} is on host ${device.host}: serve with --agents and start \`tutti agent --join\` there; the head places each agent on its own devices when it joins`,
      );
    }
    if (device.origin !== 'detected') {
      throw planError(
        `device ${device.id} (${device.name}) is declared, not on this host; declare it with emulate: true to serve it in emulation`,
      );
    }
    if (device.kind === 'cpu') return { ...launch, settings: { intraOpThreads: placed.threads } };
    const index = Number(/(\d+)$/.exec(device.id)?.[1] ?? Number.NaN);
    if (!Number.isInteger(index)) throw planError(`cannot tell the CUDA index of GPU "${device.id}"`);
    return { ...launch, settings: { device: { kind: 'gpu', index }, intraOpThreads: 1 } };
  });
}

/**
 * One worker process: the member instances it hosts, all on one device. In the per-instance layout
 * (Pochelu et al.) each hosts one; in a grouped layout one process hosts an instance of each member
 * of its group, computed one after another, so a batch costs one message and one wake-up, not one
 * per member (what dominates for tiny models).
 */
export interface WorkerLaunch {
  /** The shard key (HelloHeader.shard): the hosted members' names joined by '+'. */
  shard: string;
  /** Index among the shard's processes. */
  instance: number;
  device: string;
  members: InstanceLaunch[];
}

/** Groups of members served together, on one device, by `processes` identical worker processes. */
export type LaunchGroup = Pick<ProcessGroup, 'device' | 'members' | 'processes'> & Partial<Pick<ProcessGroup, 'threads' | 'batches'>>;

/**
 * Worker processes for a layout: the members of each group are hosted together by its processes
 * (process k takes each member's k-th instance on that device, wrapping round when a member has
 * fewer); every other instance gets a process of its own. Pure.
 */
export function workerLaunches(instances: readonly InstanceLaunch[], groups: readonly LaunchGroup[] = []): WorkerLaunch[] {
  const grouped = new Set(groups.flatMap((g) => g.members.map((m) => `${m}@${g.device}`)));
  const launches: WorkerLaunch[] = [];
  for (const group of groups) {
    const byMember = group.members.map((member) => {
      const own = instances.filter((i) => i.member === member && i.device === group.device && !i.emulation);
      if (own.length === 0)
        throw planError(`group ${group.members.join('+')} on ${group.device}: ${member} has no instance there that can be grouped`);
      return own;
    });
    if (!Number.isInteger(group.processes) || group.processes < 1) invalidOption('processes', group.processes, 'an integer >= 1');
    const shard = shardKey(group.members);
    for (let k = 0; k < group.processes; k++) {
      const members = byMember.map((own) => {
        const launch = { ...own[k % own.length]!, instance: k };
        const batchSize = group.batches?.[launch.member] ?? launch.batchSize;
        return group.threads === undefined
          ? { ...launch, batchSize }
          : { ...launch, batchSize, settings: { ...launch.settings, intraOpThreads: group.threads } };
      });
      launches.push({ shard, instance: k, device: group.device, members });
    }
  }
  for (const launch of instances) {
    if (grouped.has(`${launch.member}@${launch.device}`) && !launch.emulation) continue;
    launches.push({ shard: launch.member, instance: launch.instance, device: launch.device, members: [launch] });
  }
  return launches;
}

/** The shards the batcher routes to, from the worker processes: each member in exactly one. */
export function shardsOf(launches: readonly WorkerLaunch[]): string[][] {
  const shards = new Map<string, string[]>();
  for (const launch of launches)
    shards.set(
      launch.shard,
      launch.members.map((m) => m.member),
    );
  const seen = new Map<string, string>();
  for (const [shard, members] of shards) {
    for (const member of members) {
      const other = seen.get(member);
      if (other !== undefined && other !== shard)
        throw planError(`member ${member} is in two worker groups (${other} and ${shard}); a member belongs to one`);
      seen.set(member, shard);
    }
  }
  return [...shards.values()];
}
