/**
 * Worst-fit's split of each CPU's cores among the instances placed on it: as evenly as possible,
 * at least one thread each, and never fewer than the instance needs to meet the latency budget at
 * some batch size (a large model may need two threads where a small one is fine with one).
 */
import { settingsFor, usableThreads } from './profiles.js';
import type { AllocationInput, Device } from './types.js';

/** The fewest threads at which the member has a setting within the budget on the device (1 if none). */
function fewestThreads(input: AllocationInput, member: string, device: Device): number {
  const threads = settingsFor(input, member, device).map((s) => s.threads);
  return threads.length === 0 ? 1 : Math.min(...threads);
}

/** Wanted threads per instance on one CPU: each its minimum, then the spare cores one at a time to whoever has fewest. */
function fillCores(minimum: readonly number[], cores: number): number[] {
  const wanted = [...minimum];
  let spare = cores - minimum.reduce((sum, t) => sum + t, 0);
  while (spare > 0 && wanted.length > 0) {
    let fewest = 0;
    for (let k = 1; k < wanted.length; k++) if (wanted[k]! < wanted[fewest]!) fewest = k;
    wanted[fewest]!++;
    spare--;
  }
  return wanted;
}

/** Threads of each placed instance, in the order given: 1 on a GPU. */
export function splitCores(input: AllocationInput, placed: readonly { member: string; device: Device }[]): number[] {
  const threads = placed.map(() => 1);
  for (const device of input.devices) {
    if (device.kind !== 'cpu') continue;
    const here = placed.map((p, i) => (p.device.id === device.id ? i : -1)).filter((i) => i >= 0);
    const minimum = here.map((index) => fewestThreads(input, placed[index]!.member, device));
    const wanted = fillCores(minimum, device.cores ?? 1);
    here.forEach((index, k) => {
      // Profiles may skip thread counts (1, 2, 4...): round down to one that was profiled.
      threads[index] = Math.max(minimum[k]!, usableThreads(input, placed[index]!.member, device, wanted[k]!) ?? 1);
    });
  }
  return threads;
}
