/** Plan files (written by `tutti allocate`, read by `tutti serve`), checked on the way in. */
import { z } from 'zod';
import { TuttiError } from '@tutti/core';
import type { Plan } from './types.js';

const count = z.number().int().positive();
const rate = z.number().nonnegative();

const speed = z.strictObject({
  gmacsPerSecond: z.number().positive(),
  memoryGBps: z.number().positive().optional(),
  overheadMs: z.number().nonnegative().optional(),
});
const device = z.strictObject({
  id: z.string().min(1),
  kind: z.enum(['cpu', 'gpu']),
  name: z.string(),
  memoryBytes: z.number().positive(),
  cores: count.optional(),
  origin: z.enum(['detected', 'declared']),
  emulated: z.boolean().optional(),
  speed: speed.optional(),
  pricePerHour: z.number().nonnegative().optional(),
  host: z.string().min(1).optional(),
});
const instance = z.strictObject({ member: z.string().min(1), device: z.string().min(1), batch: count, threads: count });
const prediction = z.strictObject({
  throughput: rate,
  bottleneck: z.string(),
  limitedBy: z.string().optional(),
  members: z.array(
    z.strictObject({ member: z.string(), throughput: rate, batchLatencyMs: rate, instances: z.number().int().nonnegative() }),
  ),
  devices: z.array(
    z.strictObject({
      device: z.string(),
      memoryBytes: rate,
      memoryCapacity: rate,
      cores: z.number().int().nonnegative().optional(),
      coresCapacity: count.optional(),
    }),
  ),
});
const layout = z.strictObject({
  kind: z.enum(['per-instance', 'grouped']),
  groups: z.array(
    z.strictObject({
      device: z.string().min(1),
      members: z.array(z.string().min(1)).min(1),
      processes: count,
      threads: count,
      batches: z.record(z.string(), count).optional(),
    }),
  ),
  messageCostMs: z.number().nonnegative(),
  predicted: z.strictObject({ 'per-instance': rate, grouped: rate }),
  idleMs: z.strictObject({ 'per-instance': rate, grouped: rate }).optional(),
  decidedBy: z.enum(['chosen', 'forced']),
});
const planSchema = z.strictObject({
  version: z.literal(1),
  ensemble: z.string(),
  strategy: z.enum(['baseline', 'worst-fit', 'greedy']),
  devices: z.array(device).min(1),
  members: z.array(z.string().min(1)).min(1),
  instances: z.array(instance).min(1),
  predicted: prediction,
  steps: z.array(z.strictObject({ move: z.string(), throughputBefore: rate, throughputAfter: rate })),
  latencyBudgetMs: z.number().positive().optional(),
  layout: layout.optional(),
  reach: z.record(z.string(), z.number().positive().max(1)).optional(),
});

export function planToJson(plan: Plan): string {
  return JSON.stringify(plan, null, 2);
}

/** What the schema cannot say: ids unique, every instance on a listed device and of a listed member, every member served. */
function consistencyProblems(plan: Plan): string[] {
  const problems: string[] = [];
  const ids = plan.devices.map((d) => d.id);
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (repeated.length > 0) problems.push(`duplicate device ids ${[...new Set(repeated)].join(', ')}`);
  const repeatedMembers = plan.members.filter((m, i) => plan.members.indexOf(m) !== i);
  if (repeatedMembers.length > 0) problems.push(`duplicate members ${[...new Set(repeatedMembers)].join(', ')}`);
  const undeclared = plan.instances.filter((i) => !ids.includes(i.device)).map((i) => i.device);
  if (undeclared.length > 0) problems.push(`instances on undeclared devices ${[...new Set(undeclared)].join(', ')}`);
  const strangers = plan.instances.filter((i) => !plan.members.includes(i.member)).map((i) => i.member);
  if (strangers.length > 0) problems.push(`instances of unknown members ${[...new Set(strangers)].join(', ')}`);
  const unserved = plan.members.filter((m) => !plan.instances.some((i) => i.member === m));
  if (unserved.length > 0) problems.push(`members without an instance: ${unserved.join(', ')}`);
  return problems;
}

/** Parses and checks a plan file's text; INVALID_OPTION names every problem with its field. */
export function parsePlan(text: string): Plan {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TuttiError('INVALID_OPTION', `plan is not JSON: ${(error as Error).message}`);
  }
  const result = planSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(plan)'}: ${issue.message}`);
    throw new TuttiError('INVALID_OPTION', `invalid plan: ${problems.join('; ')}`);
  }
  const plan: Plan = result.data;
  const problems = consistencyProblems(plan);
  if (problems.length > 0) throw new TuttiError('INVALID_OPTION', `invalid plan: ${problems.join('; ')}`);
  return plan;
}
