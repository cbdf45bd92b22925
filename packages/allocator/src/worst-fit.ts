/**
 * Worst-fit decreasing (Pochelu et al.): members by memory, largest first, each placed (one
 * instance) on the device with the most free memory among those it can run on, which spreads the
 * members out. Then each instance gets its settings: CPU cores split evenly among the CPU instances,
 * and a batch size. `baseline` is the paper's comparison point: the same one instance per member,
 * each at its own best batch size; plain `worst-fit` leaves the batch size at the largest allowed,
 * for the greedy search to tune.
 */
import { TuttiError } from '@tutti/protocol';
import { bestBatch, settingsFor, usableThreads } from './profiles.js';
import { predict } from './predict.js';
import { formatBytes } from './units.js';
import type { AllocationInput, Device, Instance, Plan, Strategy } from './types.js';
import { checkInput } from './validate.js';

function memoryOn(input: AllocationInput, member: string, device: Device): number | undefined {
  return input.profiles[member]?.[device.id]?.memoryBytes;
}

/** The largest memory a member needs on any device it can run on: what "largest first" sorts by. */
function memoryNeed(input: AllocationInput, member: string): number {
  return Math.max(...input.devices.map((d) => memoryOn(input, member, d) ?? 0));
}

export function placeWorstFit(input: AllocationInput): { member: string; device: Device }[] {
  const free = new Map(input.devices.map((d) => [d.id, d.memoryBytes]));
  const order = input.members.map((member, index) => ({ member, index, need: memoryNeed(input, member) }));
  order.sort((a, b) => b.need - a.need || a.index - b.index);
  const placed: { member: string; device: Device }[] = [];
  for (const { member } of order) {
    let chosen: Device | undefined;
    for (const device of input.devices) {
      const need = memoryOn(input, member, device);
      if (need === undefined || need > free.get(device.id)! || settingsFor(input, member, device).length === 0) continue;
      if (!chosen || free.get(device.id)! > free.get(chosen.id)!) chosen = device;
    }
    if (!chosen) throw fitsNowhere(input, member, free);
    free.set(chosen.id, free.get(chosen.id)! - memoryOn(input, member, chosen)!);
    placed.push({ member, device: chosen });
  }
  // Back to manifest order, so plans read the same way as the manifest.
  return input.members.map((member) => placed.find((p) => p.member === member)!);
}

function fitsNowhere(input: AllocationInput, member: string, free: Map<string, number>): TuttiError {
  const runnable = input.devices.filter((d) => memoryOn(input, member, d) !== undefined);
  if (runnable.length > 0 && runnable.every((d) => settingsFor(input, member, d).length === 0)) {
    return new TuttiError('ALLOCATION_FAILED', `member "${member}" has no batch size whose latency meets the budget of ${input.latencyBudgetMs} ms on any device`);
  }
  let largest: Device | undefined;
  for (const device of input.devices) if (!largest || free.get(device.id)! > free.get(largest.id)!) largest = device;
  const need = Math.min(...runnable.map((d) => memoryOn(input, member, d)!));
  return new TuttiError(
    'ALLOCATION_FAILED',
    `member "${member}" needs ${formatBytes(need)} but the largest free space is ${formatBytes(free.get(largest!.id)!)} (on ${largest!.id})`,
  );
}

/** Splits each CPU's cores evenly among its instances (at least one thread each), as profiled. */
export function splitCores(input: AllocationInput, placed: readonly { member: string; device: Device }[]): number[] {
  const threads = placed.map(() => 1);
  for (const device of input.devices) {
    if (device.kind !== 'cpu') continue;
    const here = placed.map((p, i) => (p.device.id === device.id ? i : -1)).filter((i) => i >= 0);
    const cores = device.cores ?? 1;
    here.forEach((index, k) => {
      const wanted = Math.floor(cores / here.length) + (k < cores % here.length ? 1 : 0);
      threads[index] = usableThreads(input, placed[index]!.member, device, wanted) ?? 1;
    });
  }
  return threads;
}

function settle(input: AllocationInput, placed: { member: string; device: Device }[], pick: 'best' | 'largest'): Instance[] {
  const threads = splitCores(input, placed);
  return placed.map(({ member, device }, i) => {
    const options = settingsFor(input, member, device).filter((s) => s.threads === threads[i]);
    const setting = pick === 'best' ? bestBatch(input, member, device, threads[i]!) : options.reduce((a, b) => (b.batch > a.batch ? b : a), options[0]!);
    if (!setting) throw new TuttiError('ALLOCATION_FAILED', `member "${member}" has no usable setting on ${device.id} with ${threads[i]} thread(s)`);
    return { member, device: device.id, batch: setting.batch, threads: setting.threads };
  });
}

export function toPlan(input: AllocationInput, strategy: Strategy, instances: Instance[], steps: Plan['steps'] = []): Plan {
  return { version: 1, ensemble: '', strategy, devices: input.devices, members: input.members, instances, predicted: predict(input, instances), steps };
}

export function worstFit(input: AllocationInput): Plan {
  checkInput(input);
  return toPlan(input, 'worst-fit', settle(input, placeWorstFit(input), 'largest'));
}

export function baseline(input: AllocationInput): Plan {
  checkInput(input);
  return toPlan(input, 'baseline', settle(input, placeWorstFit(input), 'best'));
}
