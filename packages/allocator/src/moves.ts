/**
 * The greedy search's neighbourhood: every plan one move away from the current one. Moves are those
 * of Pochelu et al.'s tuning: another instance of the bottleneck member (on a free core, or on a
 * thread taken from another CPU instance), another batch size, threads moved between CPU instances
 * or given a free core, an instance moved to another device.
 */
import { bestBatch, settingsFor, usableThreads } from './profiles.js';
import type { AllocationInput, Device, Instance } from './types.js';

export interface Move {
  move: string;
  instances: Instance[];
}

const describe = (i: Instance) => `b${i.batch}, ${i.threads} thread${i.threads === 1 ? '' : 's'}`;

function freeCores(device: Device, instances: readonly Instance[]): number {
  return (device.cores ?? 1) - instances.filter((i) => i.device === device.id).reduce((sum, i) => sum + i.threads, 0);
}

/** The instance with new threads, keeping its batch if that setting exists, else the best batch. */
function withThreads(input: AllocationInput, instance: Instance, device: Device, threads: number): Instance | undefined {
  const settings = settingsFor(input, instance.member, device).filter((s) => s.threads === threads);
  if (settings.some((s) => s.batch === instance.batch)) return { ...instance, threads };
  const best = bestBatch(input, instance.member, device, threads);
  return best && { ...instance, threads, batch: best.batch };
}

function replace(instances: readonly Instance[], index: number, instance: Instance): Instance[] {
  return instances.map((old, i) => (i === index ? instance : old));
}

function addInstance(input: AllocationInput, instances: readonly Instance[], member: string): Move[] {
  const moves: Move[] = [];
  const count = instances.filter((i) => i.member === member).length;
  if (count >= (input.maxInstancesPerMember ?? 64)) return moves;
  for (const device of input.devices) {
    if (device.kind !== 'cpu') {
      const best = bestBatch(input, member, device, 1);
      if (best) moves.push({ move: `add ${member} on ${device.id} (${describe({ member, device: device.id, batch: best.batch, threads: 1 })})`, instances: [...instances, { member, device: device.id, batch: best.batch, threads: 1 }] });
      continue;
    }
    const free = freeCores(device, instances);
    for (let wanted = 1; wanted <= Math.max(1, free); wanted++) {
      const threads = usableThreads(input, member, device, wanted);
      const best = threads && bestBatch(input, member, device, threads);
      if (!best) continue;
      const added = { member, device: device.id, batch: best.batch, threads: best.threads };
      if (free >= best.threads) moves.push({ move: `add ${member} on ${device.id} (${describe(added)})`, instances: [...instances, added] });
    }
    // No free core: take one thread from an instance that has several.
    if (free < 1) {
      instances.forEach((donor, index) => {
        if (donor.device !== device.id || donor.threads < 2) return;
        const smaller = withThreads(input, donor, device, usableThreads(input, donor.member, device, donor.threads - 1) ?? 0);
        const best = bestBatch(input, member, device, usableThreads(input, member, device, 1) ?? 1);
        if (!smaller || smaller.threads >= donor.threads || !best) return;
        const added = { member, device: device.id, batch: best.batch, threads: best.threads };
        moves.push({ move: `add ${member} on ${device.id} (${describe(added)}) with a thread from ${donor.member}`, instances: [...replace(instances, index, smaller), added] });
      });
    }
  }
  return moves;
}

function changeBatch(input: AllocationInput, instances: readonly Instance[]): Move[] {
  const moves: Move[] = [];
  instances.forEach((instance, index) => {
    const device = input.devices.find((d) => d.id === instance.device)!;
    for (const setting of settingsFor(input, instance.member, device)) {
      if (setting.threads !== instance.threads || setting.batch === instance.batch) continue;
      moves.push({ move: `batch of ${instance.member} on ${device.id}: ${instance.batch} -> ${setting.batch}`, instances: replace(instances, index, { ...instance, batch: setting.batch }) });
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
      if (free >= extra) moves.push({ move: `give ${to.member} on ${device.id} ${extra} free core(s)`, instances: replace(instances, j, grown) });
      instances.forEach((from, i) => {
        if (i === j || from.device !== device.id || from.threads <= extra) return;
        const shrunk = withThreads(input, from, device, usableThreads(input, from.member, device, from.threads - extra) ?? 0);
        if (!shrunk || from.threads - shrunk.threads < extra) return;
        moves.push({ move: `move ${extra} thread(s) on ${device.id} from ${from.member} to ${to.member}`, instances: replace(replace(instances, i, shrunk), j, grown) });
      });
    });
  }
  return moves;
}

function moveDevice(input: AllocationInput, instances: readonly Instance[]): Move[] {
  const moves: Move[] = [];
  instances.forEach((instance, index) => {
    for (const device of input.devices) {
      if (device.id === instance.device) continue;
      const threads = device.kind === 'cpu' ? usableThreads(input, instance.member, device, Math.max(1, freeCores(device, instances))) : 1;
      const best = threads && bestBatch(input, instance.member, device, threads);
      if (!best) continue;
      const moved = { ...instance, device: device.id, batch: best.batch, threads: best.threads };
      moves.push({ move: `move ${instance.member} from ${instance.device} to ${device.id} (${describe(moved)})`, instances: replace(instances, index, moved) });
    }
  });
  return moves;
}

export function neighbours(input: AllocationInput, instances: readonly Instance[], bottleneck: string): Move[] {
  return [...addInstance(input, instances, bottleneck), ...changeBatch(input, instances), ...moveThreads(input, instances), ...moveDevice(input, instances)];
}
