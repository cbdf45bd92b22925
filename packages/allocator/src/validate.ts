/** Checks an allocation input and names every problem, before any placement is tried. */
import { TuttiError } from '@tutti/protocol';
import type { AllocationInput } from './types.js';

export function checkInput(input: AllocationInput): void {
  const problems: string[] = [];
  if (input.devices.length === 0) problems.push('no devices to place members on');
  const ids = input.devices.map((d) => d.id);
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (duplicates.length > 0) problems.push(`duplicate device ids: ${[...new Set(duplicates)].join(', ')}`);
  for (const device of input.devices) {
    if (!(device.memoryBytes > 0)) problems.push(`device ${device.id}: memory must be positive`);
    if (device.kind === 'cpu' && !(Number.isInteger(device.cores) && device.cores! >= 1)) problems.push(`device ${device.id}: a CPU needs cores >= 1`);
  }
  if (input.members.length === 0) problems.push('no members');
  if (input.batchSizes.length === 0 || input.batchSizes.some((b) => !Number.isInteger(b) || b < 1)) {
    problems.push(`batch sizes must be integers >= 1, got ${JSON.stringify(input.batchSizes)}`);
  }
  for (const member of input.members) {
    const profiles = input.profiles[member] ?? {};
    const usable = Object.keys(profiles).filter((id) => ids.includes(id));
    if (usable.length === 0) problems.push(`member "${member}" has no profile on any device (${ids.join(', ')})`);
  }
  if (input.latencyBudgetMs !== undefined && !(input.latencyBudgetMs > 0)) {
    problems.push(`latency budget must be positive, got ${input.latencyBudgetMs} ms (is the queue delay larger than the p99 target?)`);
  }
  if (problems.length > 0) throw new TuttiError('INVALID_OPTION', `cannot allocate: ${problems.join('; ')}`);
}
