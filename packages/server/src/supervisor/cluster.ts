/**
 * The plan across hosts as the head keeps it (issue 15): its own devices and the instances running
 * on them, and each agent's devices, profiles and instances, with whether it is present. Pure: the
 * agent hub feeds it joins and departures and sends what it returns.
 *
 * A host that joins is placed by the allocator (joinHost: moves on its devices only). One that
 * leaves keeps its placement here, so that when it comes back it runs the same workers; while it
 * is away its instances do not count, and members left without any instance are placed again on
 * the hosts present (repairPlan). Those repairs stay when it comes back: more instances, not fewer.
 */
import {
  groupsOnDevices,
  instancesKey,
  joinHost,
  onHost,
  predict,
  profilesOnHost,
  repairPlan,
  type AllocationInput,
  type Device,
  type Instance,
  type MemberProfile,
  type Plan,
  type ProcessGroup,
} from '@tutti/allocator';
import type { Ensemble } from '@tutti/manifest';
import { TuttiError } from '@tutti/protocol';
import type { WorkerConfig } from '../shared/config.js';
import { instancesFromPlan, workerLaunches, type WorkerLaunch } from './instances.js';

type Profiles = Record<string, Record<string, MemberProfile>>;

export interface ClusterOptions {
  /** The head's plan: its devices, and its layout's groups (which set the shards every host follows). */
  plan: Plan;
  /** The members' profiles on the head's devices. */
  profiles: Profiles;
  batchSizes: number[];
  latencyBudgetMs?: number;
  /** False when the head runs no workers of its own (`--no-local-workers`): its plan's instances do not run. */
  headRuns: boolean;
}

/** What one host runs: its instances, and the groups of them that share worker processes. */
export interface HostPlacement {
  instances: Instance[];
  groups: ProcessGroup[];
}

interface Host extends HostPlacement {
  devices: Device[];
  profiles: Profiles;
  present: boolean;
}

export class Cluster {
  #options: ClusterOptions;
  #hosts = new Map<string, Host>();

  constructor(options: ClusterOptions) {
    if (!(options.batchSizes.length > 0)) throw new TuttiError('INVALID_OPTION', 'a cluster plan needs batch sizes');
    this.#options = options;
  }

  /** The host's placement, when it has one (it joined before). */
  placementOf(host: string): HostPlacement | undefined {
    const known = this.#hosts.get(host);
    return known && { instances: known.instances, groups: known.groups };
  }

  /** A host seen before comes back with the same devices: its placement again (else undefined: profile and join it). */
  rejoin(host: string, devices: readonly Device[]): HostPlacement | undefined {
    const known = this.#hosts.get(host);
    if (!known || !sameDevices(known.devices, onHost(host, devices))) return undefined;
    known.present = true;
    return { instances: known.instances, groups: known.groups };
  }

  /** A host joins with its devices and the members' profiles on them (keyed by its own device ids): it is placed now. */
  join(host: string, devices: readonly Device[], profiles: Profiles): HostPlacement {
    const ids = onHost(host, devices);
    const entry: Host = { devices: ids, profiles: profilesOnHost(host, profiles), present: true, instances: [], groups: [] };
    this.#hosts.set(host, entry);
    const input = this.input();
    const running = this.#running().filter((i) => !ids.some((d) => d.id === i.device));
    const plan = joinHost(
      input,
      running,
      ids.map((d) => d.id),
    );
    Object.assign(entry, this.#grouped(input, plan.instances, ids));
    return { instances: entry.instances, groups: entry.groups };
  }

  /**
   * A host is gone (cut off, or stopped): its instances stop counting. Returns the placements of
   * the hosts present that changed to give members left without an instance one again.
   */
  leave(host: string): Map<string, HostPlacement> {
    const gone = this.#hosts.get(host);
    const changed = new Map<string, HostPlacement>();
    if (!gone?.present) return changed;
    gone.present = false;
    if (this.missing().length === 0) return changed;
    const present = [...this.#hosts].filter(([, h]) => h.present);
    if (present.length === 0) return changed;
    const input = this.input();
    const plan = repairPlan(
      input,
      this.#running(),
      present.flatMap(([, h]) => h.devices.map((d) => d.id)),
    );
    for (const [name, entry] of present) {
      const placed = this.#grouped(input, plan.instances, entry.devices);
      if (instancesKey(placed.instances) === instancesKey(entry.instances)) continue;
      Object.assign(entry, placed);
      changed.set(name, placed);
    }
    return changed;
  }

  /** Members with no instance on the head (when it runs workers) or a present host. */
  missing(): string[] {
    const running = this.#running();
    return this.#options.plan.members.filter((m) => !running.some((i) => i.member === m));
  }

  /** The plan across the head and the present hosts, for the log and the dry-run's view. */
  plan(): Plan {
    const input = this.input();
    const instances = this.#running();
    const groups = [
      ...(this.#options.headRuns ? (this.#options.plan.layout?.groups ?? []) : []),
      ...[...this.#hosts.values()].filter((h) => h.present).flatMap((h) => h.groups),
    ];
    const { layout } = this.#options.plan;
    return {
      ...this.#options.plan,
      devices: input.devices,
      instances,
      predicted: instances.length > 0 ? predict(input, instances) : this.#options.plan.predicted,
      steps: [],
      ...(layout && { layout: { ...layout, groups } }),
    };
  }

  /** The allocator's input over the head's devices and the present hosts'. */
  input(): AllocationInput {
    const present = [...this.#hosts.values()].filter((h) => h.present);
    const members = this.#options.plan.members;
    const profiles = Object.fromEntries(
      members.map((m) => [
        m,
        Object.assign({}, this.#options.profiles[m], ...present.map((h) => h.profiles[m] ?? {})) as Record<string, MemberProfile>,
      ]),
    );
    return {
      devices: [...this.#options.plan.devices, ...present.flatMap((h) => h.devices)],
      members,
      profiles,
      batchSizes: this.#options.batchSizes,
      ...(this.#options.latencyBudgetMs !== undefined && { latencyBudgetMs: this.#options.latencyBudgetMs }),
    };
  }

  #running(): Instance[] {
    return [
      ...(this.#options.headRuns ? this.#options.plan.instances : []),
      ...[...this.#hosts.values()].filter((h) => h.present).flatMap((h) => h.instances),
    ];
  }

  /** A host's share of a plan, in the head's shards (its groups' members share processes there too). */
  #grouped(input: AllocationInput, instances: readonly Instance[], devices: readonly Device[]): HostPlacement {
    const ids = devices.map((d) => d.id);
    const own = instances.filter((i) => ids.includes(i.device));
    return groupsOnDevices(input, own, this.#options.plan.layout?.groups ?? [], ids);
  }
}

function sameDevices(a: readonly Device[], b: readonly Device[]): boolean {
  const describe = (d: Device) => `${d.id}:${d.kind}:${d.name}:${d.cores ?? ''}:${d.memoryBytes}`;
  return a.map(describe).sort().join() === b.map(describe).sort().join();
}

/**
 * The agent hub's planning, when the head serves a plan and knows the batch sizes it was made with:
 * the cluster, and how a host's placement becomes worker processes (as the head's own would be).
 */
export function clusterPlanning(
  ensemble: Ensemble,
  options: { plan?: Plan; profiles?: Profiles; localWorkers?: boolean; agents?: { batchSizes?: number[] } },
  workerConfig: (launch: WorkerLaunch) => WorkerConfig,
): { cluster: Cluster; batchSizes: number[]; configsFor(placement: HostPlacement, input: AllocationInput): WorkerConfig[] } | undefined {
  const { plan } = options;
  const batchSizes = options.agents?.batchSizes;
  if (!plan || !batchSizes) return undefined;
  const cluster = new Cluster({
    plan,
    profiles: options.profiles ?? {},
    batchSizes,
    ...(plan.latencyBudgetMs !== undefined && { latencyBudgetMs: plan.latencyBudgetMs }),
    headRuns: options.localWorkers !== false,
  });
  return {
    cluster,
    batchSizes,
    configsFor: (placement, input) => {
      const share: Plan = { ...plan, devices: input.devices, instances: placement.instances };
      const launches = workerLaunches(instancesFromPlan(ensemble, share, input.profiles, { share: true }), placement.groups);
      return launches.map(workerConfig);
    },
  };
}
