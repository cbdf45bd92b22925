/** Plan files (written by `tutti allocate`, read by `tutti serve`), checked on the way in. */
import { z } from 'zod';
import { TuttiError } from '@tutti/protocol';
import type { Plan } from './types.js';

const speed = z.strictObject({ gmacsPerSecond: z.number().positive(), memoryGBps: z.number().positive().optional(), overheadMs: z.number().nonnegative().optional() });
const device = z.strictObject({
  id: z.string().min(1),
  kind: z.enum(['cpu', 'gpu']),
  name: z.string(),
  memoryBytes: z.number().positive(),
  cores: z.number().int().positive().optional(),
  origin: z.enum(['detected', 'declared']),
  emulated: z.boolean().optional(),
  speed: speed.optional(),
  pricePerHour: z.number().nonnegative().optional(),
});
const instance = z.strictObject({ member: z.string(), device: z.string(), batch: z.number().int().positive(), threads: z.number().int().positive() });
const planSchema = z.object({
  version: z.literal(1),
  ensemble: z.string(),
  strategy: z.enum(['baseline', 'worst-fit', 'greedy']),
  devices: z.array(device).min(1),
  members: z.array(z.string()).min(1),
  instances: z.array(instance).min(1),
  predicted: z.any(),
  steps: z.array(z.object({ move: z.string(), throughputBefore: z.number(), throughputAfter: z.number() })),
});

export function planToJson(plan: Plan): string {
  return JSON.stringify(plan, null, 2);
}

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
  const plan = result.data as Plan;
  const unknown = plan.instances.filter((i) => !plan.devices.some((d) => d.id === i.device));
  if (unknown.length > 0) throw new TuttiError('INVALID_OPTION', `invalid plan: instances on undeclared devices ${unknown.map((i) => i.device).join(', ')}`);
  return plan;
}
