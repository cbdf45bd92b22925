/**
 * Worst-fit decreasing (Pochelu et al.): members by memory, largest first, each placed (one
 * instance) on the device with the most free memory among those it can run on, which spreads the
 * members out. Then each instance gets its settings: CPU cores split evenly among the CPU instances,
 * and the batch size with the best throughput within the latency budget.
 */
import { TuttiError } from '@tutti/core';
import { splitCores } from './cores.js';
import { bestBatch, settingsFor } from './profiles.js';
import { deviceShares, predict } from './predict.js';
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
  if (runnable.every((d) => settingsFor(input, member, d).length === 0)) {
    return new TuttiError(
      'ALLOCATION_FAILED',
      `member "${member}" has no batch size whose latency meets the budget of ${input.latencyBudgetMs} ms on any device`,
    );
  }
  // Named against the roomiest device it could run on: the one that came closest to taking it.
  let roomiest = runnable[0]!;
  for (const device of runnable) if (free.get(device.id)! > free.get(roomiest.id)!) roomiest = device;
  return new TuttiError(
    'ALLOCATION_FAILED',
    `member "${member}" needs ${formatBytes(memoryOn(input, member, roomiest)!)} but the largest free space is ${formatBytes(free.get(roomiest.id)!)} (on ${roomiest.id})`,
  );
}

/**
 * Threads, then a batch size per instance: the best throughput among the batch sizes whose latency
 * meets the budget once the instance shares its device (cores oversubscribed, a GPU time-shared).
 */
function settle(input: AllocationInput, placed: { member: string; device: Device }[]): Instance[] {
  const threads = splitCores(input, placed);
  const draft = placed.map(({ member, device }, i) => ({ member, device: device.id, batch: 0, threads: threads[i]! }));
  const shares = deviceShares(input, draft);
  return placed.map(({ member, device }, i) => {
    const setting = bestBatch(input, member, device, threads[i]!, shares.get(device.id));
    if (!setting)
      throw new TuttiError('ALLOCATION_FAILED', `member "${member}" has no usable setting on ${device.id} with ${threads[i]} thread(s)`);
    return { member, device: device.id, batch: setting.batch, threads: setting.threads };
  });
}

export function toPlan(input: AllocationInput, strategy: Strategy, instances: Instance[], steps: Plan['steps'] = []): Plan {
  const plan: Plan = {
    version: 1,
    ensemble: '',
    strategy,
    devices: input.devices,
    members: input.members,
    instances,
    predicted: predict(input, instances),
    steps,
  };
  if (input.latencyBudgetMs !== undefined) plan.latencyBudgetMs = input.latencyBudgetMs;
  if (input.reach && Object.values(input.reach).some((r) => r < 1)) plan.reach = { ...input.reach };
  return plan;
}

export function worstFit(input: AllocationInput): Plan {
  checkInput(input);
  return toPlan(input, 'worst-fit', settle(input, placeWorstFit(input)));
}

/**
 * The paper's baseline: one instance per member where worst-fit puts it, each at its best batch
 * size, nothing else tuned. That is exactly the worst-fit plan, named for the comparison.
 */
export function baseline(input: AllocationInput): Plan {
  return { ...worstFit(input), strategy: 'baseline' };
}
