/**
 * One plan across hosts (issue 15). Devices carry their host and an id unique across hosts
 * (`host/cpu`). When a host joins, the same greedy search places instances on it, but may change
 * nothing on the devices that already serve (their workers run: moving them would cost answers).
 * When a host leaves, its instances go with it; a member left without any is placed again on the
 * hosts that remain. Pure: the agent hub calls these.
 */
import { TuttiError } from '@tutti/core';
import { greedy } from './greedy.js';
import { bestBatch } from './profiles.js';
import type { AllocationInput, Device, Instance, MemberProfile, Plan, ProcessGroup } from './types.js';
import { toPlan, worstFit } from './worst-fit.js';

/** A host's devices under ids unique across hosts: `host/cpu`, `host/gpu0`. */
export function onHost(host: string, devices: readonly Device[]): Device[] {
  return devices.map((device) => ({ ...device, id: `${host}/${device.id}`, host }));
}

/** Profiles keyed by a host's local device ids, re-keyed by the ids `onHost` gives. */
export function profilesOnHost(
  host: string,
  profiles: Record<string, Record<string, MemberProfile>>,
): Record<string, Record<string, MemberProfile>> {
  return Object.fromEntries(
    Object.entries(profiles).map(([member, byDevice]) => [
      member,
      Object.fromEntries(Object.entries(byDevice).map(([id, profile]) => [`${host}/${id}`, profile])),
    ]),
  );
}

/**
 * The plan after a host joins with the devices `onto`: as on a fresh host, worst-fit puts one
 * instance of each member that can run there on them, then the greedy search tunes with moves on
 * those devices only. (Starting from the running plan alone, the search would add only the
 * bottleneck's instances and stall on members tied by a shared device.) Instances elsewhere stay.
 */
export function joinHost(input: AllocationInput, running: readonly Instance[], onto: readonly string[]): Plan {
  return placeOnto(input, running, onto, input.members);
}

/**
 * The plan after a host left (its devices already out of `input`): a member left without any
 * instance is put worst-fit on the devices `onto` (the remaining hosts'), then the greedy search
 * tunes there. Instances elsewhere stay. A member no device there can run stays out of the plan.
 */
export function repairPlan(input: AllocationInput, running: readonly Instance[], onto: readonly string[]): Plan {
  const kept = running.filter((i) => input.devices.some((d) => d.id === i.device));
  return placeOnto(
    input,
    kept,
    onto,
    input.members.filter((m) => !kept.some((i) => i.member === m)),
  );
}

function placeOnto(input: AllocationInput, running: readonly Instance[], onto: readonly string[], seed: readonly string[]): Plan {
  const movable = new Set(onto);
  const unknown = onto.filter((id) => !input.devices.some((d) => d.id === id));
  if (unknown.length > 0) throw new TuttiError('INVALID_OPTION', `cannot place instances on unknown device(s) ${unknown.join(', ')}`);
  let start = [...running];
  if (seed.length > 0 && onto.length === 0)
    throw new TuttiError('ALLOCATION_FAILED', `no device to place ${seed.join(', ')} on: they have no instance left`);
  const runnable = seed.filter((m) => onto.some((id) => input.profiles[m]?.[id]));
  if (runnable.length > 0) {
    const room = { ...input, devices: input.devices.filter((d) => movable.has(d.id)), members: runnable };
    start = [...start, ...worstFit(room).instances];
  }
  // Members no device here can run yet (a head without workers, a host for some members only) wait
  // for a host that can: the plan is of the others.
  const placed = { ...input, members: input.members.filter((m) => start.some((i) => i.member === m)) };
  if (placed.members.length === 0) throw new TuttiError('ALLOCATION_FAILED', `no member can run on ${onto.join(', ')}`);
  return greedy(placed, toPlan(placed, 'greedy', start), { onlyOn: movable });
}

/**
 * Worker process groups for instances on `devices`, following the shards the head serves: a member
 * of a head group is served, on every device, by processes hosting the whole group (the batcher
 * routes each shard as one). So on each of those devices that has an instance of a group's member,
 * the group gets as many processes as its most-placed member has instances there, and a member of
 * the group placed nowhere there is given an instance at the group's threads. Members in no group
 * keep a process per instance. Returns the instances (with those additions) and the groups.
 */
export function groupsOnDevices(
  input: AllocationInput,
  instances: readonly Instance[],
  headGroups: readonly ProcessGroup[],
  devices: readonly string[],
): { instances: Instance[]; groups: ProcessGroup[] } {
  const out = [...instances];
  const groups: ProcessGroup[] = [];
  const shards = uniqueShards(headGroups);
  for (const id of devices) {
    const device = input.devices.find((d) => d.id === id);
    if (!device) throw new TuttiError('INVALID_OPTION', `unknown device ${id}`);
    for (const members of shards) {
      const here = out.filter((i) => i.device === id && members.includes(i.member));
      if (here.length === 0) continue;
      const processes = Math.max(...members.map((m) => here.filter((i) => i.member === m).length));
      const threads = Math.max(...here.map((i) => i.threads));
      for (const member of members) {
        if (here.some((i) => i.member === member)) continue;
        const setting = input.profiles[member]?.[id] && bestBatch(input, member, device, threads);
        if (!setting)
          throw new TuttiError(
            'ALLOCATION_FAILED',
            `${member} cannot run on ${id}, but it shares worker processes with ${members.join(', ')}`,
          );
        out.push({ member, device: id, batch: setting.batch, threads: setting.threads });
      }
      groups.push({ device: id, members: [...members], processes, threads });
    }
  }
  return { instances: out, groups };
}

/** The member sets of the head's groups, once each (the same group on several devices is one shard). */
function uniqueShards(groups: readonly ProcessGroup[]): string[][] {
  const seen = new Map<string, string[]>();
  for (const g of groups) seen.set([...g.members].sort().join('+'), g.members);
  return [...seen.values()];
}
