/** The shape of a MemberProfile, checked wherever profiles come in from disk (cache, profile files). */
import { z } from 'zod';

export const profilePointSchema = z.strictObject({
  batch: z.number().int().positive(),
  threads: z.number().int().positive(),
  latencyMs: z.number().positive(),
});

export const memberProfileSchema = z.strictObject({
  member: z.string().min(1),
  modelSha256: z.string().regex(/^([0-9a-f]{64})?$/, 'expected a sha256 in hex (or empty)'),
  deviceName: z.string().min(1),
  source: z.enum(['measured', 'cost-model', 'file']),
  memoryBytes: z.number().nonnegative(),
  points: z.array(profilePointSchema).min(1, 'expected at least one point'),
});
