/** Checks a hardware search's catalogue and options when the search is built, naming every bad field. */
import { TuttiError } from '@tutti/core';
import type { CatalogueInput, DeviceType, HardwareSearchOptions } from './budget-types.js';
import type { AllocationInput } from './types.js';
import { checkInput } from './validate.js';

const ID = /^[a-z0-9][a-z0-9._-]*$/i;

const positiveNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const positiveInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** The devices of a mix: `<type id>-0` .. for each type, in catalogue order, priced. */
export function instantiate(types: readonly DeviceType[], counts: Record<string, number>): AllocationInput['devices'] {
  return types.flatMap((type) =>
    Array.from({ length: counts[type.id] ?? 0 }, (_, k) => ({ ...type.device, id: `${type.id}-${k}`, pricePerHour: type.pricePerHour })),
  );
}

/** The allocator's input for a mix: its devices, each with its type's profiles. */
export function allocationInput(input: CatalogueInput, counts: Record<string, number>): AllocationInput {
  const devices = instantiate(input.types, counts);
  const typeOf = new Map<string, string>(
    input.types.flatMap((t) => Array.from({ length: counts[t.id] ?? 0 }, (_, k) => [`${t.id}-${k}`, t.id] as const)),
  );
  const profiles = Object.fromEntries(
    input.members.map((member) => {
      const byType = input.profiles[member] ?? {};
      return [member, Object.fromEntries(devices.filter((d) => byType[typeOf.get(d.id)!]).map((d) => [d.id, byType[typeOf.get(d.id)!]!]))];
    }),
  );
  const result: AllocationInput = { devices, members: input.members, profiles, batchSizes: input.batchSizes };
  if (input.latencyBudgetMs !== undefined) result.latencyBudgetMs = input.latencyBudgetMs;
  if (input.maxInstancesPerMember !== undefined) result.maxInstancesPerMember = input.maxInstancesPerMember;
  if (input.minGain !== undefined) result.minGain = input.minGain;
  return result;
}

function typeProblems(types: readonly DeviceType[], budgeted: boolean): string[] {
  const problems: string[] = [];
  if (types.length === 0) problems.push('types: the catalogue has no device types');
  const seen = new Set<string>();
  types.forEach((type, i) => {
    const at = `types[${i}]${typeof type.id === 'string' ? ` (${type.id})` : ''}`;
    if (typeof type.id !== 'string' || !ID.test(type.id))
      problems.push(`${at}.id must be letters, digits, ".", "_" or "-", got ${JSON.stringify(type.id)}`);
    else if (seen.has(type.id)) problems.push(`${at}.id is used twice`);
    seen.add(type.id);
    if (!(typeof type.pricePerHour === 'number' && Number.isFinite(type.pricePerHour) && type.pricePerHour >= 0)) {
      problems.push(`${at}.pricePerHour must be a number of dollars >= 0, got ${JSON.stringify(type.pricePerHour)}`);
    }
    if (type.watts !== undefined && !positiveNumber(type.watts))
      problems.push(`${at}.watts must be a number > 0, got ${JSON.stringify(type.watts)}`);
    if (type.max !== undefined && !positiveInteger(type.max))
      problems.push(`${at}.max must be an integer >= 1, got ${JSON.stringify(type.max)}`);
    // Without a max, only the budget limits how many: a free type, or no budget at all, leaves no limit.
    if (type.max === undefined && !budgeted) problems.push(`${at}.max is required when no budgetPerHour limits the mixes`);
    else if (type.max === undefined && type.pricePerHour === 0)
      problems.push(`${at}.max is required for a free type (pricePerHour 0): the budget does not limit it`);
  });
  return problems;
}

function optionProblems(options: HardwareSearchOptions, types: readonly DeviceType[]): string[] {
  const problems: string[] = [];
  const { budgetPerHour, demand, minimise } = options;
  if (budgetPerHour !== undefined && !positiveNumber(budgetPerHour))
    problems.push(`budgetPerHour must be dollars per hour > 0, got ${JSON.stringify(budgetPerHour)}`);
  if (demand !== undefined && !positiveNumber(demand)) problems.push(`demand must be rows per second > 0, got ${JSON.stringify(demand)}`);
  if (budgetPerHour === undefined && demand === undefined)
    problems.push('budgetPerHour is required to maximise throughput (or give demand to minimise cost)');
  if (minimise !== undefined && minimise !== 'cost' && minimise !== 'power')
    problems.push(`minimise must be 'cost' or 'power', got ${JSON.stringify(minimise)}`);
  if (minimise !== undefined && demand === undefined) problems.push('minimise needs demand: the rows per second to serve at least cost');
  if (minimise === 'power') {
    const unknown = types.filter((t) => t.watts === undefined).map((t) => t.id);
    if (unknown.length > 0) problems.push(`minimise 'power' needs watts on every type; missing on ${unknown.join(', ')}`);
  }
  for (const field of ['candidates', 'maxMixes', 'maxAllocations'] as const) {
    const value = options[field];
    if (value !== undefined && !positiveInteger(value)) problems.push(`${field} must be an integer >= 1, got ${JSON.stringify(value)}`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') problems.push('onProgress must be a function');
  return problems;
}

/** Throws INVALID_OPTION listing every problem of the catalogue's types and the options (before any profiling). */
export function checkCatalogue(types: readonly DeviceType[], options: HardwareSearchOptions): void {
  const list = Array.isArray(types) ? types : [];
  const problems = [...typeProblems(list, options.budgetPerHour !== undefined), ...optionProblems(options, list)];
  if (problems.length > 0) throw new TuttiError('INVALID_OPTION', `cannot search for hardware: ${problems.join('; ')}`);
}

/** checkCatalogue, then the profiles, devices and members as the allocator will check them. */
export function checkSearch(input: CatalogueInput, options: HardwareSearchOptions): void {
  checkCatalogue(input.types, options);
  const types = input.types;
  // One device of every type: the allocator's own checks of devices, members and profiles.
  checkInput(allocationInput(input, Object.fromEntries(types.map((t) => [t.id, 1]))));
}
