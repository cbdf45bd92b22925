/**
 * The ensemble manifest (manifest.yaml) as a zod schema: the one definition of what a manifest may
 * say. Everything that can be decided from the text alone is decided here (types, ranges, unknown
 * keys, unique names, FP32 outputs); checks that need the file system live in files.ts and models.ts.
 */
import { z } from 'zod';
import { DATATYPE_NAMES } from '@tutti/core';
import { fields, positiveInt, range, uniquelyNamed } from './builders.js';
import { expected, listOf, show, unlessMissing } from './messages.js';
import { zooSpecSchema } from './zoo-spec.js';

export const BUILTIN_RULES = ['mean', 'weighted-mean', 'vote', 'max'] as const;
export type BuiltinRule = (typeof BUILTIN_RULES)[number];

export const DEFAULT_ENDPOINT = 'tcp://127.0.0.1:5555';
export const MANIFEST_FILE = 'manifest.yaml';

const tensorName = z.string().min(1).describe('Tensor name, as in the ONNX models of the members.');

// The first axis is the batch: the server stacks requests along it, so it must be dynamic.
const shape = z
  .tuple([z.literal(-1, { error: expected('-1 (the batch axis comes first and is dynamic)') })], positiveInt())
  .describe('Dimensions: -1 first (the batch), then positive integers, e.g. [-1, 64].');

const datatype = z
  .enum(DATATYPE_NAMES, {
    error: unlessMissing('a datatype', (input) => `unknown datatype ${show(input)}; expected one of ${DATATYPE_NAMES.join(', ')}`),
  })
  .describe('KServe v2 datatype name.');

export const inputSchema = fields({ name: tensorName, datatype, shape });

// Member outputs are combined by float arithmetic (means, weighted sums, argmax of sums), so only
// FP32 can be combined; saying why saves a trip to the docs.
export const outputSchema = fields({
  name: tensorName,
  datatype: z.literal('FP32', {
    error: unlessMissing(
      'FP32',
      (input) => `combined outputs must be FP32, got ${show(input)}: the combination rules do float arithmetic on the members' outputs`,
    ),
  }),
  shape,
});

export const memberSchema = fields({
  name: z.string().min(1).describe('Member name, unique in the ensemble; used in logs and metrics.'),
  path: z.string().min(1).describe('ONNX model file, relative to the ensemble folder.'),
  weight: z.number().positive().default(1).describe('Weight in weighted-mean (default 1).'),
  generate: zooSpecSchema.optional().describe('Zoo model to generate at `path` on first use when the file is missing.'),
});

const RULE_HINT = `${listOf([...BUILTIN_RULES, '{ module: path }'])}`;

export const ruleSchema = z
  .union(
    [
      z.enum(BUILTIN_RULES, { error: unlessMissing(RULE_HINT, (input) => `unknown rule ${show(input)}; expected ${RULE_HINT}`) }),
      fields({ module: z.string().min(1).describe('JavaScript module inside the ensemble folder.') }),
    ],
    { error: expected(RULE_HINT) },
  )
  .describe('How member outputs are combined: a built-in rule or a custom module.');

/** 256 MiB: the count bound alone let 4,096 requests of 8 images of 224x224x3 (~19.7 GB) queue. */
export const DEFAULT_MAX_QUEUE_BYTES = 256 * 2 ** 20;

export const batchingSchema = fields({
  maxBatchSize: range(1, 65536, 'integer').describe('Largest batch sent to a member.'),
  maxQueueDelayMs: range(0, 10000, 'number').describe('Longest a request waits for a batch to fill, in ms.'),
  maxQueue: range(1, 1_000_000, 'integer')
    .default(4096)
    .describe('Most requests waiting for a batch; past it new requests get RESOURCE_EXHAUSTED at once.'),
  maxQueueBytes: range(1024, 2 ** 40, 'integer')
    .default(DEFAULT_MAX_QUEUE_BYTES)
    .describe('Most bytes of input tensors waiting for a batch (default 256 MiB); past it new requests get RESOURCE_EXHAUSTED at once.'),
});

const ENDPOINT_HINT = 'tcp://host:port or ipc://path';
const TCP_ENDPOINT = /^tcp:\/\/(\*|[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

function isEndpoint(endpoint: string): boolean {
  if (/^ipc:\/\/.+$/.test(endpoint)) return true;
  const port = TCP_ENDPOINT.exec(endpoint)?.[2];
  return port !== undefined && Number(port) >= 1 && Number(port) <= 65535;
}

export const CASCADE_SCORES = ['max-probability', 'margin', 'agreement'] as const;
export type CascadeScore = (typeof CASCADE_SCORES)[number];

/**
 * Early exit across members (issue 16): members in ordered stages, cheap first. After each stage
 * the combiner combines the members answered so far with the ensemble's rule and scores the result;
 * a request whose score reaches the threshold its accuracy target calls for (from the calibration
 * file `tutti calibrate` writes) is answered there, the others go on to the next stage.
 */
export const cascadeSchema = fields({
  stages: z
    .array(z.array(z.string().min(1)).min(1, { error: expected('a list of member names') }), { error: expected('a list of stages') })
    .min(2, { error: expected('at least two stages (one stage is the whole ensemble: no cascade)') })
    .describe('Member names in ordered stages, cheapest first; every member in exactly one stage.'),
  score: z
    .enum(CASCADE_SCORES, { error: expected(listOf([...CASCADE_SCORES])) })
    .default('max-probability')
    .describe(
      "What decides an exit: the combination's largest probability (default), its margin over the second, or the share of members so far voting for its class.",
    ),
  output: z.string().min(1).optional().describe('The output scored (default: the first); it must hold class scores, one row per request.'),
  calibration: z
    .string()
    .min(1)
    .default('calibration.json')
    .describe('Calibration file (tutti calibrate), relative to the ensemble folder.'),
  accuracyTarget: z
    .number({ error: expected('a number above 0, at most 1') })
    .gt(0, { error: expected('a number above 0, at most 1') })
    .max(1, { error: expected('a number above 0, at most 1') })
    .optional()
    .describe(
      'Default accuracy target of a request that sets none (parameters.accuracy_target); absent: requests exit early only when they ask.',
    ),
});

export const manifestSchema = fields({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-_.]*$/, {
      error: expected('lowercase letters, digits, "-", "_" or ".", starting with a letter or digit'),
    })
    .describe('Ensemble name, as clients address it.'),
  description: z.string().optional(),
  inputs: uniquelyNamed(inputSchema, 'input').min(1).describe('Tensors a request carries.'),
  outputs: uniquelyNamed(outputSchema, 'output')
    .min(1)
    .describe('Tensors the ensemble answers with: every member produces them and the rule combines them.'),
  members: uniquelyNamed(memberSchema, 'member').min(1).describe('The models of the ensemble.'),
  rule: ruleSchema,
  batching: batchingSchema,
  endpoint: z
    .string()
    .refine(isEndpoint, { error: expected(ENDPOINT_HINT) })
    .default(DEFAULT_ENDPOINT)
    .describe(`ZeroMQ endpoint the server binds: ${ENDPOINT_HINT} (default ${DEFAULT_ENDPOINT}).`),
  requestTimeoutMs: range(1, 86_400_000, 'integer')
    .optional()
    .describe('Deadline of a request that gives no timeout_ms, in ms (default 60000).'),
  latencyTarget: fields({ p99Ms: z.number().positive().describe('Target 99th percentile latency of one request, in ms.') }).optional(),
  cascade: cascadeSchema.optional(),
}).superRefine((manifest, ctx) => {
  if (manifest.cascade) cascadeIssues(manifest, ctx);
});

/** What the cascade says about the rest of the manifest: its stages name every member once, a built-in rule, an output that exists. */
function cascadeIssues(
  manifest: {
    members: { name: string }[];
    outputs: { name: string }[];
    rule: unknown;
    cascade?: { stages: string[][]; score: string; output?: string | undefined };
  },
  ctx: z.RefinementCtx,
): void {
  const { stages, output } = manifest.cascade!;
  const names = manifest.members.map((m) => m.name);
  const seen = new Map<string, number>();
  stages.forEach((stage, s) =>
    stage.forEach((member, k) => {
      const path = ['cascade', 'stages', s, k];
      if (!names.includes(member))
        ctx.addIssue({ code: 'custom', path, input: member, message: `no member is named ${show(member)}; expected ${listOf(names)}` });
      else if (seen.has(member))
        ctx.addIssue({
          code: 'custom',
          path,
          input: member,
          message: `member ${show(member)} is in stage ${seen.get(member)! + 1} already; a member belongs to one stage`,
        });
      else seen.set(member, s);
    }),
  );
  const missing = names.filter((n) => !seen.has(n));
  if (missing.length > 0)
    ctx.addIssue({
      code: 'custom',
      path: ['cascade', 'stages'],
      input: stages,
      message: `every member must be in a stage; missing ${listOf(missing)}`,
    });
  if (typeof manifest.rule !== 'string')
    ctx.addIssue({
      code: 'custom',
      path: ['rule'],
      input: manifest.rule,
      message: 'a cascade combines members with a built-in rule (mean, weighted-mean, vote or max), not a module',
    });
  if (manifest.rule === 'vote' && manifest.cascade!.score !== 'agreement')
    ctx.addIssue({
      code: 'custom',
      path: ['cascade', 'score'],
      input: manifest.cascade!.score,
      message: 'with the vote rule the combination is one-hot (its largest value is always 1): use score: agreement',
    });
  if (output !== undefined && !manifest.outputs.some((o) => o.name === output))
    ctx.addIssue({
      code: 'custom',
      path: ['cascade', 'output'],
      input: output,
      message: `no output is named ${show(output)}; expected ${listOf(manifest.outputs.map((o) => o.name))}`,
    });
}

/** A manifest as the schema returns it: checked, defaults filled, paths still as written. */
export type ManifestDocument = z.output<typeof manifestSchema>;

/** JSON Schema of manifest.yaml, for editors (e.g. `# yaml-language-server: $schema=...`). */
export function manifestJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(manifestSchema, { io: 'input', target: 'draft-07' }),
    title: 'tutti ensemble manifest',
  };
}
