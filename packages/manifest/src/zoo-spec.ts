/**
 * Schema of a member's `generate` field: the zoo model to build when the file is missing.
 * PROVISIONAL until @tutti/zoo lands: to be checked against its ZooSpec type.
 */
import { z } from 'zod';
import { fields, positiveInt } from './builders.js';

export const zooSpecSchema = z.discriminatedUnion('kind', [
  fields({
    kind: z.literal('mlp'),
    inputs: positiveInt(),
    hidden: z.array(positiveInt()),
    classes: positiveInt(),
    seed: z.int().default(1),
  }),
  fields({
    kind: z.literal('resnet'),
    inputSize: positiveInt(),
    channels: positiveInt(),
    width: positiveInt(),
    stages: z.array(positiveInt()).min(1),
    classes: positiveInt(),
    seed: z.int().default(1),
  }),
]);
