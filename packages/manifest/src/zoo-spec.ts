/**
 * Schema of a member's `generate` field: the @tutti/zoo model to build when the file is missing.
 * It mirrors the zoo's own checks (normalizeZooSpec) so that a bad spec is reported with the rest of
 * the manifest, at its field path, rather than failing later at generation. Defaults are left to the
 * zoo, which normalizes specs before hashing them.
 */
import { z } from 'zod';
import type { ZooSpec } from '@tutti/zoo';
import { fields, range } from './builders.js';
import { show } from './messages.js';

// The zoo's limits (packages/zoo/src/spec-checks.ts).
const count = (max = 1 << 20) => range(1, max, 'integer');
const counts = (minLength: number) => z.array(count()).min(minLength);
const seed = z.int().optional().describe('Seed of the random weights (default 1).');
const tensorName = z.string().min(1).optional();

const mlpSpec = fields({
  kind: z.literal('mlp'),
  inputSize: count(),
  hidden: counts(0).default([]).describe('Hidden layer sizes (default none: softmax regression).'),
  outputs: count(),
  activation: z.enum(['relu', 'tanh', 'sigmoid']).optional(),
  seed,
  inputName: tensorName.describe('Default "input".'),
  outputName: tensorName.describe('Default "probabilities".'),
});

const resnetSpec = fields({
  kind: z.literal('resnet'),
  inputSize: count(4096),
  channels: count(64),
  width: count(1024),
  stages: counts(1).describe('Residual blocks per stage, e.g. [2, 2, 2, 2].'),
  classes: count(),
  seed,
  stemKernel: z.union([z.literal(7), z.literal(3)]).optional(),
  inputName: tensorName.describe('Default "image".'),
  outputName: tensorName.describe('Default "probabilities".'),
});

export const zooSpecSchema = z.discriminatedUnion('kind', [mlpSpec, resnetSpec], {
  error: (issue) => {
    if (issue.code !== 'invalid_union') return undefined;
    // The issue is about the `kind` field, but carries the whole spec as its input.
    const kind = (issue.input as { kind?: unknown } | undefined)?.kind;
    return kind === undefined ? 'required: mlp or resnet' : `unknown zoo model kind ${show(kind)}; expected mlp or resnet`;
  },
});

// Compile-time guard: what the schema accepts is what ensureZooModel takes.
const acceptedIsZooSpec = (spec: z.output<typeof zooSpecSchema>): ZooSpec => spec;
void acceptedIsZooSpec;
