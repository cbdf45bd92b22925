/**
 * Devices files: YAML declaring hardware that is not (or not only) on this host, for planning and
 * for emulation. Every problem in a file is reported at once, each named by its field.
 *
 *   devices:
 *     - { kind: gpu, name: V100-SXM2-32GB, count: 4, memory: 32GB, speed: { gmacsPerSecond: 14000 }, emulate: true }
 *     - { kind: cpu, name: host, cores: 2, memory: 24GB }
 *     - { detected: cpu }      # this host's CPU, as detected (also `detected: gpus`)
 *     - { kind: cpu, name: EPYC, cores: 8, memory: 32GB, host: box-2 }   # a device on another host
 *
 * Ids: an entry with `count: n` becomes devices `<prefix>-0` .. `<prefix>-(n-1)`, where the prefix is
 * the entry's `id`, or else its name in lower case with every run of other characters turned into
 * '-' (V100-SXM2-32GB -> v100-sxm2-32gb-0). A count of 1 still gets `-0`, so adding a second device
 * later renames nothing. Detected devices keep their own ids ('cpu', 'gpu0', ...). A device on
 * another host (`host:`, for planning across hosts) is `host/id`: box-2/epyc-0.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { Device } from '@tutti/allocator';
import { TuttiError } from '@tutti/protocol';
import { detectCpu, detectGpus } from './detect.js';
import { parseMemorySize } from './memory-size.js';

export const memory = z.unknown().transform((value, context) => {
  const bytes = parseMemorySize(value);
  if (bytes === undefined) {
    context.issues.push({
      code: 'custom',
      input: value,
      message: `expected a size like 32GB, 512MB, 1.5GiB or a number of bytes, got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return bytes;
});

export const speed = z.strictObject({
  gmacsPerSecond: z.number().positive(),
  memoryGBps: z.number().positive().optional(),
  overheadMs: z.number().nonnegative().optional(),
});

const declaredFields = {
  name: z.string().trim().min(1),
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'expected letters, digits, ".", "_" or "-"')
    .optional(),
  count: z.number().int().positive().default(1),
  memory,
  speed: speed.optional(),
  emulate: z.boolean().optional(),
  pricePerHour: z.number().nonnegative().optional(),
  host: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'expected a host name: letters, digits, ".", "_" or "-"')
    .optional(),
};

const declaredEntry = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('cpu'), cores: z.number().int().positive(), ...declaredFields }),
  z.strictObject({ kind: z.literal('gpu'), ...declaredFields }),
]);

const detectedEntry = z.strictObject({
  detected: z.enum(['cpu', 'gpus']),
  pricePerHour: z.number().nonnegative().optional(),
});

const fileSchema = z.strictObject({ devices: z.array(z.unknown()).min(1, 'expected at least one device') });

type DeclaredEntry = z.infer<typeof declaredEntry>;
type DetectedEntry = z.infer<typeof detectedEntry>;

/** Lower case, runs of anything but letters and digits as one '-': 'V100-SXM2 32GB' -> 'v100-sxm2-32gb'. */
export function deviceIdPrefix(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'device'
  );
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('');
}

/** `prefix.field: message` per problem, in words a person editing the file acts on. */
export function issuesOf(error: z.ZodError, prefix: string): string[] {
  const at = (path: readonly PropertyKey[]) => {
    const field = formatPath(path);
    if (!prefix) return field || '(file)';
    return field ? `${prefix}${field.startsWith('[') ? '' : '.'}${field}` : prefix;
  };
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${at([...issue.path, key])}: unknown field`);
    const missing = issue.code === 'invalid_type' && /received undefined$/.test(issue.message);
    return [`${at(issue.path)}: ${missing ? `required (${issue.expected})` : issue.message}`];
  });
}

function expandDeclared(entry: DeclaredEntry): Device[] {
  const prefix = entry.id ?? deviceIdPrefix(entry.name);
  return Array.from({ length: entry.count }, (_, index) => ({
    id: `${entry.host ? `${entry.host}/` : ''}${prefix}-${index}`,
    ...(entry.host && { host: entry.host }),
    kind: entry.kind,
    name: entry.name,
    memoryBytes: entry.memory,
    ...(entry.kind === 'cpu' && { cores: entry.cores }),
    origin: 'declared' as const,
    ...(entry.emulate !== undefined && { emulated: entry.emulate }),
    ...(entry.speed && { speed: entry.speed }),
    ...(entry.pricePerHour !== undefined && { pricePerHour: entry.pricePerHour }),
  }));
}

function expandDetected(entry: DetectedEntry): Device[] {
  const devices = entry.detected === 'cpu' ? [detectCpu()] : detectGpus();
  return devices.map((device) => (entry.pricePerHour === undefined ? device : { ...device, pricePerHour: entry.pricePerHour }));
}

/** One entry's devices, or its problems (each prefixed with `devices[i]` and the entry's name when it has one). */
function parseEntry(raw: unknown, index: number): { devices: Device[]; problems: string[] } {
  const named = typeof raw === 'object' && raw !== null && typeof (raw as { name?: unknown }).name === 'string';
  const prefix = `devices[${index}]${named ? ` (${(raw as { name: string }).name})` : ''}`;
  const isDetected = typeof raw === 'object' && raw !== null && 'detected' in raw;
  if (isDetected) {
    const result = detectedEntry.safeParse(raw);
    return result.success
      ? { devices: expandDetected(result.data), problems: [] }
      : { devices: [], problems: issuesOf(result.error, prefix) };
  }
  const result = declaredEntry.safeParse(raw);
  return result.success
    ? { devices: expandDeclared(result.data), problems: [] }
    : { devices: [], problems: issuesOf(result.error, prefix) };
}

function duplicateIds(devices: Device[]): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const device of devices) {
    if (seen.has(device.id)) problems.push(`devices: id "${device.id}" is used twice (give one entry an \`id:\` prefix)`);
    seen.add(device.id);
  }
  return problems;
}

export function invalidFile(source: string, problems: string[]): TuttiError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new TuttiError('INVALID_OPTION', `${source}: ${count}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/** The devices a devices file's text declares; throws INVALID_OPTION listing every problem. */
export function parseDevicesFile(text: string, source = 'devices file'): Device[] {
  const document = parseDocument(text);
  if (document.errors.length > 0)
    throw invalidFile(
      source,
      document.errors.map((error) => `YAML: ${error.message.split('\n')[0]!.replace(/:$/, '')}`),
    );
  const file = fileSchema.safeParse(document.toJS());
  if (!file.success) throw invalidFile(source, issuesOf(file.error, ''));
  const devices: Device[] = [];
  const problems: string[] = [];
  file.data.devices.forEach((raw, index) => {
    const entry = parseEntry(raw, index);
    devices.push(...entry.devices);
    problems.push(...entry.problems);
  });
  problems.push(...duplicateIds(devices));
  if (problems.length > 0) throw invalidFile(source, problems);
  return devices;
}

/** Reads and checks a devices file (see the module comment for its format). */
export function loadDevicesFile(path: string): Device[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TuttiError('INVALID_OPTION', `cannot read devices file ${path}: ${(error as Error).message}`);
  }
  return parseDevicesFile(text, path);
}
