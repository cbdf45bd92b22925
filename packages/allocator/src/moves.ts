/**
 * The greedy search's neighbourhood: every plan one move away from the current one. Moves are those
 * of Pochelu et al.'s tuning: another instance of the bottleneck member (on a free core, or on a
 * thread taken from another CPU instance), another batch size, threads moved between CPU instances
 * or given a free core, an instance moved to another device, and an instance of a member with
 * throughput to spare removed (alone, or to make room for the bottleneck). Feasibility (memory,
 * cores, latency) is the caller's to check: moves only respect what the profiles allow.
 */
import { deviceShares } from './predict.js';
import { bestBatch, latencyOf, settingsFor, usableThreads } from './profiles.js';
import type { AllocationInput, Device, Instance } from './types.js';

export interface Move {
  move: string;
  instances: Instance[];
}

const describe = (i: Instance) => `b${i.batch}, ${i.threads} thread${i.threads === 1 ? '' : 's'}`;

function deviceById(input: AllocationInput, id: string): Device {
  return input.devices.find((d) => d.id === id)!;
}

function freeCores(device: Device, instances: readonly Instance[]): number {
  return (device.cores ?? 1) - instances.filter((i) => i.device === device.id).reduce((sum, i) => sum + i.threads, 0);
}

function replace(instances: readonly Instance[], index: number, instance: Instance): Instance[] {
  return instances.map((old, i) => (i === index ? instance : old));
}

/**
 * The instances with the one at `index` given the best batch for its threads and for the share of
 * the device it gets among them. A newcomer also shrinks everyone's share there: those whose batch
 * would now take longer than the latency budget drop to a batch that meets it, in the same move.
 */
function withBestBatch(input: AllocationInput, instances: Instance[], index: number): Instance[] | undefined {
  const device = deviceById(input, instances[index]!.device);
  const share = deviceShares(input, instances).get(device.id) ?? 1;
  const budget = input.latencyBudgetMs ?? Infinity;
  const fitted: Instance[] = [];
  for (const [k, instance] of instances.entries()) {
    if (instance.device !== device.id) {
      fitted.push(instance);
      continue;
    }
    // Only instances on this device have a profile on it (a member may run on some devices only).
    const latency = k === index ? Infinity : latencyOf(input.profiles[instance.member]![device.id]!, instance.batch, instance.threads)!;
    if (k !== index && latency / share <= budget) {
      fitted.push(instance);
      continue;
    }
    const best = bestBatch(input, instance.member, device, instance.threads, share);
    if (!best) return undefined;
    fitted.push({ ...instance, batch: best.batch });
  }
  return fitted;
}

/** The instance with new threads, keeping its batch if that setting exists, else the best batch. */
function withThreads(input: AllocationInput, instance: Instance, device: Device, threads: number): Instance | undefined {
  const settings = settingsFor(input, instance.member, device).filter((s) => s.threads === threads);
  if (settings.some((s) => s.batch === instance.batch)) return { ...instance, threads };
  const best = bestBatch(input, instance.member, device, threads);
  return best && { ...instance, threads, batch: best.batch };
}

function added(
  input: AllocationInput,
  instances: readonly Instance[],
  member: string,
  device: Device,
  threads: number,
  how = '',
): Move | undefined {
  const after = withBestBatch(input, [...instances, { member, device: device.id, batch: 0, threads }], instances.length);
  return after && { move: `add ${member} on ${device.id} (${describe(after.at(-1)!)})${how}`, instances: after };
}

function addOnDevice(input: AllocationInput, instances: readonly Instance[], member: string, device: Device): Move[] {
  if (!input.profiles[member]?.[device.id]) return [];
  if (device.kind !== 'cpu') return [added(input, instances, member, device, 1)].filter((m) => m !== undefined);
  const moves: (Move | undefined)[] = [];
  const free = freeCores(device, instances);
  const threadCounts = new Set<number>();
  for (let wanted = 1; wanted <= free; wanted++) threadCounts.add(usableThreads(input, member, device, wanted) ?? 0);
  for (const threads of threadCounts) if (threads >= 1) moves.push(added(input, instances, member, device, threads));
  // No free core: take one thread from an instance that has several, or (for the greedy search to
  // accept only while the member's own instances, not the cores, hold it back) oversubscribe.
  const one = usableThreads(input, member, device, 1);
  if (free < 1 && one !== undefined) moves.push(added(input, instances, member, device, one, ' (oversubscribing the cores)'));
  if (free < 1 && one !== undefined) {
    instances.forEach((donor, index) => {
      if (donor.device !== device.id || donor.threads < 2) return;
      const smaller = withThreads(input, donor, device, usableThreads(input, donor.member, device, donor.threads - 1) ?? 0);
      if (smaller && smaller.threads < donor.threads)
        moves.push(added(input, replace(instances, index, smaller), member, device, one, ` with a thread from ${donor.member}`));
    });
  }
  return moves.filter((m) => m !== undefined);
}

function addInstance(input: AllocationInput, instances: readonly Instance[], member: string): Move[] {
  if (instances.filter((i) => i.member === member).length >= (input.maxInstancesPerMember ?? 64)) return [];
  return input.devices.flatMap((device) => addOnDevice(input, instances, member, device));
}

function changeBatch(input: AllocationInput, instances: readonly Instance[]): Move[] {
  const moves: Move[] = [];
  instances.forEach((instance, index) => {
    const device = deviceById(input, instance.device);
    for (const setting of settingsFor(input, instance.member, device)) {
      if (setting.threads !== instance.threads || setting.batch === instance.batch) continue;
      moves.push({
        move: `batch of ${instance.member} on ${device.id}: ${instance.batch} -> ${setting.batch}`,
        instances: replace(instances, index, { ...instance, batch: setting.batch }),
      });
    }
  });
  return moves;
}

function moveThreads(input: AllocationInput, instances: readonly Instance[]): Move[] {
  const moves: Move[] = [];
  for (const device of input.devices) {
    if (device.kind !== 'cpu') continue;
    const free = freeCores(device, instances);
    instances.forEach((to, j) => {
      if (to.device !== device.id) return;
      const more = usableThreads(input, to.member, device, to.threads + 1);
      const grown = more && more > to.threads ? withThreads(input, to, device, more) : undefined;
      if (!grown) return;
      const extra = grown.threads - to.threads;
      if (free >= extra)
        moves.push({ move: `give ${to.member} on ${device.id} ${extra} free core(s)`, instances: replace(instances, j, grown) });
      instances.forEach((from, i) => {
        if (i === j || from.device !== device.id || from.threads <= extra) return;
        const shrunk = withThreads(input, from, device, usableThreads(input, from.member, device, from.threads - extra) ?? 0);
        if (!shrunk || from.threads - shrunk.threads < extra) return;
        moves.push({
          move: `move ${extra} thread(s) on ${device.id} from ${from.member} to ${to.member}`,
          instances: replace(replace(instances, i, shrunk), j, grown),
        });
      });
    });
  }
  return moves;
}

function moveDevice(input: AllocationInput, instances: readonly Instance[]): Move[] {
  const moves: Move[] = [];
  instances.forEach((instance, index) => {
    const others = instances.filter((_, i) => i !== index);
    for (const device of input.devices) {
      if (device.id === instance.device || !input.profiles[instance.member]?.[device.id]) continue;
      const threads = device.kind === 'cpu' ? usableThreads(input, instance.member, device, Math.max(1, freeCores(device, others))) : 1;
      if (threads === undefined) continue;
      const after = withBestBatch(input, replace(instances, index, { ...instance, device: device.id, threads }), index);
      if (after)
        moves.push({
          move: `move ${instance.member} from ${instance.device} to ${device.id} (${describe(after[index]!)})`,
          instances: after,
        });
    }
  });
  return moves;
}

/** Remove an instance of a member that is not the bottleneck and has others, alone or to put the bottleneck there. */
function removeInstance(input: AllocationInput, instances: readonly Instance[], bottleneck: string): Move[] {
  const moves: Move[] = [];
  instances.forEach((instance, index) => {
    if (instance.member === bottleneck || instances.filter((i) => i.member === instance.member).length < 2) return;
    const without = instances.filter((_, i) => i !== index);
    const removal = `remove ${instance.member} from ${instance.device} (${describe(instance)})`;
    moves.push({ move: removal, instances: without });
    for (const add of addInstance(input, without, bottleneck).filter((m) => m.instances.at(-1)!.device === instance.device)) {
      moves.push({ move: `${removal}, ${add.move}`, instances: add.instances });
    }
  });
  return moves;
}

export function neighbours(input: AllocationInput, instances: readonly Instance[], bottleneck: string): Move[] {
  return [
    ...addInstance(input, instances, bottleneck),
    ...changeBatch(input, instances),
    ...moveThreads(input, instances),
    ...moveDevice(input, instances),
    ...removeInstance(input, instances, bottleneck),
  ];
}
