/** Checks an allocation input and names every problem, before any placement is tried. */
import { TuttiError } from '@tutti/core';
import { latencyOf } from './profiles.js';
import type { AllocationInput, Device, MemberProfile } from './types.js';

function duplicatesOf(values: readonly string[]): string[] {
  return [...new Set(values.filter((value, i) => values.indexOf(value) !== i))];
}

function deviceProblems(devices: readonly Device[]): string[] {
  const problems: string[] = [];
  if (devices.length === 0) problems.push('no devices to place members on');
  const duplicates = duplicatesOf(devices.map((d) => d.id));
  if (duplicates.length > 0) problems.push(`duplicate device ids: ${duplicates.join(', ')}`);
  for (const device of devices) {
    if (!(device.memoryBytes > 0)) problems.push(`device ${device.id}: memory must be positive`);
    if (device.kind === 'cpu' && !(Number.isInteger(device.cores) && device.cores! >= 1))
      problems.push(`device ${device.id}: a CPU needs cores >= 1`);
  }
  return problems;
}

/** A profile's points must be sane, and cover every allowed batch size at some thread count. */
function profileProblems(member: string, device: Device, profile: MemberProfile, batchSizes: readonly number[]): string[] {
  const where = `profile of "${member}" on ${device.id}`;
  if (!(profile.memoryBytes >= 0)) return [`${where}: memory must be >= 0`];
  if (profile.points.length === 0) return [`${where} has no points`];
  const bad = profile.points.find(
    (p) => !(Number.isInteger(p.batch) && p.batch >= 1 && Number.isInteger(p.threads) && p.threads >= 1 && p.latencyMs > 0),
  );
  if (bad) return [`${where}: bad point ${JSON.stringify(bad)} (batch and threads integers >= 1, latency > 0)`];
  const threads = [...new Set(profile.points.map((p) => p.threads))];
  const uncovered = batchSizes.filter((batch) => threads.every((t) => latencyOf(profile, batch, t) === undefined));
  if (uncovered.length > 0)
    return [
      `${where} does not cover batch size(s) ${uncovered.join(', ')} (measured: ${[...new Set(profile.points.map((p) => p.batch))].sort((a, b) => a - b).join(', ')})`,
    ];
  return [];
}

function memberProblems(input: AllocationInput): string[] {
  const problems: string[] = [];
  if (input.members.length === 0) problems.push('no members');
  const duplicates = duplicatesOf(input.members);
  if (duplicates.length > 0) problems.push(`duplicate members: ${duplicates.join(', ')}`);
  for (const member of input.members) {
    const profiles = input.profiles[member] ?? {};
    const usable = input.devices.filter((d) => profiles[d.id] !== undefined);
    if (usable.length === 0)
      problems.push(`member "${member}" has no profile on any device (${input.devices.map((d) => d.id).join(', ')})`);
    for (const device of usable) problems.push(...profileProblems(member, device, profiles[device.id]!, input.batchSizes));
  }
  return problems;
}

function settingProblems(input: AllocationInput): string[] {
  const problems: string[] = [];
  if (input.batchSizes.length === 0 || input.batchSizes.some((b) => !Number.isInteger(b) || b < 1)) {
    problems.push(`batch sizes must be integers >= 1, got ${JSON.stringify(input.batchSizes)}`);
  }
  if (input.latencyBudgetMs !== undefined && !(input.latencyBudgetMs > 0)) {
    problems.push(`latency budget must be positive, got ${input.latencyBudgetMs} ms (is the queue delay larger than the p99 target?)`);
  }
  const cap = input.maxInstancesPerMember;
  if (cap !== undefined && !(Number.isInteger(cap) && cap >= 1)) problems.push(`maxInstancesPerMember must be an integer >= 1, got ${cap}`);
  if (input.minGain !== undefined && !(input.minGain >= 0)) problems.push(`minGain must be >= 0, got ${input.minGain}`);
  for (const [member, share] of Object.entries(input.reach ?? {})) {
    if (!input.members.includes(member)) problems.push(`reach names "${member}", which is not a member`);
    else if (!(share > 0 && share <= 1)) problems.push(`reach of "${member}" must be above 0 and at most 1, got ${share}`);
  }
  return problems;
}

export function checkInput(input: AllocationInput): void {
  const problems = [...deviceProblems(input.devices), ...settingProblems(input), ...memberProblems(input)];
  if (problems.length > 0) throw new TuttiError('INVALID_OPTION', `cannot allocate: ${problems.join('; ')}`);
}
