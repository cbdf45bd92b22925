/**
 * Catalogue files: the device TYPES a hardware search may buy, with their prices (tutti allocate
 * --budget / --demand). Each entry reads like a devices-file entry, with a required price, an
 * optional power draw and an optional max count instead of a count:
 *
 *   types:
 *     - { detected: cpu, pricePerHour: 0.10, max: 4 }       # this host's CPU, as a rented instance
 *     - { kind: gpu, name: T4-16GB, id: t4, memory: 16GB, speed: { gmacsPerSecond: 4000 }, emulate: true, pricePerHour: 0.53, watts: 70 }
 *
 * A type's id (the entry's `id`, else its name in lower case with every run of other characters as
 * '-'; 'cpu' for the detected CPU) names its devices in a plan: `<id>-0` .. `<id>-(n-1)`. Every
 * problem in a file is reported at once, each named by its field.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { DeviceType } from '@tutti/allocator';
import { TuttiError } from '@tutti/protocol';
import { DETECTED_CPU_ID, detectCpu } from './detect.js';
import { deviceIdPrefix, invalidFile, issuesOf, memory, speed } from './devices-file.js';

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'expected letters, digits, ".", "_" or "-"');

const buying = {
  id: id.optional(),
  pricePerHour: z.number().nonnegative(),
  watts: z.number().positive().optional(),
  max: z.number().int().positive().optional(),
};

const declaredFields = {
  name: z.string().trim().min(1),
  memory,
  speed: speed.optional(),
  emulate: z.boolean().optional(),
  ...buying,
};

const declaredEntry = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('cpu'), cores: z.number().int().positive(), ...declaredFields }),
  z.strictObject({ kind: z.literal('gpu'), ...declaredFields }),
]);

const detectedEntry = z.strictObject({ detected: z.literal('cpu'), ...buying });

const fileSchema = z.strictObject({ types: z.array(z.unknown()).min(1, 'expected at least one device type') });

type DeclaredEntry = z.infer<typeof declaredEntry>;
type DetectedEntry = z.infer<typeof detectedEntry>;

function buyingOf(entry: {
  pricePerHour: number;
  watts?: number | undefined;
  max?: number | undefined;
}): Pick<DeviceType, 'pricePerHour' | 'watts' | 'max'> {
  return {
    pricePerHour: entry.pricePerHour,
    ...(entry.watts !== undefined && { watts: entry.watts }),
    ...(entry.max !== undefined && { max: entry.max }),
  };
}

function declaredType(entry: DeclaredEntry): DeviceType {
  const device: DeviceType['device'] = {
    kind: entry.kind,
    name: entry.name,
    memoryBytes: entry.memory,
    ...(entry.kind === 'cpu' && { cores: entry.cores }),
    origin: 'declared',
    ...(entry.emulate !== undefined && { emulated: entry.emulate }),
    ...(entry.speed && { speed: entry.speed }),
  };
  return { id: entry.id ?? deviceIdPrefix(entry.name), device, ...buyingOf(entry) };
}

function detectedType(entry: DetectedEntry): DeviceType {
  const { id: _id, ...device } = detectCpu();
  const typeId = entry.id ?? DETECTED_CPU_ID;
  // Called by its id ("4x cpu"): the detected model name is long and says little about the instance bought.
  return { id: typeId, label: typeId, device, ...buyingOf(entry) };
}

function parseEntry(raw: unknown, index: number): { type?: DeviceType; problems: string[] } {
  const object = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : undefined;
  const prefix = `types[${index}]${typeof object?.name === 'string' ? ` (${object.name})` : ''}`;
  if (object && 'detected' in object) {
    const result = detectedEntry.safeParse(raw);
    return result.success ? { type: detectedType(result.data), problems: [] } : { problems: issuesOf(result.error, prefix) };
  }
  const result = declaredEntry.safeParse(raw);
  return result.success ? { type: declaredType(result.data), problems: [] } : { problems: issuesOf(result.error, prefix) };
}

/** The device types a catalogue file's text declares; throws INVALID_OPTION listing every problem. */
export function parseCatalogFile(text: string, source = 'catalogue file'): DeviceType[] {
  const document = parseDocument(text);
  if (document.errors.length > 0)
    throw invalidFile(
      source,
      document.errors.map((error) => `YAML: ${error.message.split('\n')[0]!.replace(/:$/, '')}`),
    );
  const file = fileSchema.safeParse(document.toJS());
  if (!file.success) throw invalidFile(source, issuesOf(file.error, ''));
  const types: DeviceType[] = [];
  const problems: string[] = [];
  file.data.types.forEach((raw, index) => {
    const entry = parseEntry(raw, index);
    if (entry.type) types.push(entry.type);
    problems.push(...entry.problems);
  });
  const seen = new Set<string>();
  for (const type of types) {
    if (seen.has(type.id)) problems.push(`types: id "${type.id}" is used twice (give one entry an \`id:\`)`);
    seen.add(type.id);
  }
  if (problems.length > 0) throw invalidFile(source, problems);
  return types;
}

/** Reads and checks a catalogue file (see the module comment for its format). */
export function loadCatalogFile(path: string): DeviceType[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TuttiError('INVALID_OPTION', `cannot read catalogue file ${path}: ${(error as Error).message}`);
  }
  return parseCatalogFile(text, path);
}
