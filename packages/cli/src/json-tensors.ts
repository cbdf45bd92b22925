/**
 * Tensors written as JSON for `tutti predict`: either nested arrays (`[[0, 1, ...], ...]`, shape
 * inferred) or `{ "shape": [...], "data": [flat numbers] }`. A single sample without its batch
 * dimension gets one added.
 */
import { TuttiError, datatypeInfo, elementCount, formatShape, type TensorSpec, type TypedArray } from '@tutti/protocol';
import type { TensorInput, TensorOutput } from '@tutti/client';

function shapeOf(value: unknown, where: string): number[] {
  if (!Array.isArray(value)) return [];
  const inner = value.length > 0 ? shapeOf(value[0], where) : [];
  for (const item of value) {
    if (JSON.stringify(shapeOf(item, where)) !== JSON.stringify(inner))
      throw new TuttiError('INVALID_ARGUMENT', `${where}: nested arrays are ragged`);
  }
  return [value.length, ...inner];
}

function typedArray(spec: TensorSpec, values: number[]): TypedArray {
  const info = datatypeInfo(spec.datatype);
  if (!info.array) throw new TuttiError('INVALID_ARGUMENT', `input "${spec.name}": ${spec.datatype} cannot be given as JSON`);
  const big = spec.datatype === 'INT64' || spec.datatype === 'UINT64';
  const array = new info.array(values.length);
  values.forEach((v, i) => {
    if (typeof v !== 'number') throw new TuttiError('INVALID_ARGUMENT', `input "${spec.name}": element ${i} is not a number`);
    (array as unknown as (number | bigint)[])[i] = big ? BigInt(Math.trunc(v)) : v;
  });
  return array;
}

export function tensorFromJson(spec: TensorSpec, value: unknown): TensorInput {
  let shape: number[];
  let flat: number[];
  if (value && typeof value === 'object' && !Array.isArray(value) && 'data' in value) {
    const given = value as { shape?: number[]; data: unknown };
    flat = (Array.isArray(given.data) ? given.data.flat(Infinity) : []) as number[];
    shape = given.shape ?? [flat.length];
  } else {
    shape = shapeOf(value, `input "${spec.name}"`);
    flat = (Array.isArray(value) ? value.flat(Infinity) : [value]) as number[];
  }
  if (shape.length === spec.shape.length - 1) shape = [1, ...shape];
  if (elementCount(shape) !== flat.length) {
    throw new TuttiError(
      'INVALID_ARGUMENT',
      `input "${spec.name}": shape ${formatShape(shape)} needs ${elementCount(shape)} values, got ${flat.length}`,
    );
  }
  return { data: typedArray(spec, flat), shape, datatype: spec.datatype };
}

export function inputsFromJson(specs: readonly TensorSpec[], json: unknown): Record<string, TensorInput> {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    if (specs.length === 1) return { [specs[0]!.name]: tensorFromJson(specs[0]!, json) };
    throw new TuttiError('INVALID_ARGUMENT', `give an object with the inputs ${specs.map((s) => s.name).join(', ')}`);
  }
  const object = json as Record<string, unknown>;
  const known = new Set(specs.map((s) => s.name));
  for (const name of Object.keys(object)) {
    if (!known.has(name)) throw new TuttiError('INVALID_ARGUMENT', `unknown input "${name}"; the ensemble takes ${[...known].join(', ')}`);
  }
  return Object.fromEntries(
    specs.map((spec) => {
      if (!(spec.name in object)) throw new TuttiError('INVALID_ARGUMENT', `missing input "${spec.name}"`);
      return [spec.name, tensorFromJson(spec, object[spec.name])];
    }),
  );
}

/** Rows of a [batch, ...] tensor as nested number arrays, for printing. */
export function outputToJson(tensor: TensorOutput): { shape: number[]; data: unknown } {
  const flat = Array.from(tensor.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? Number(v) : v));
  const nest = (values: number[], shape: number[]): unknown =>
    shape.length <= 1
      ? values
      : Array.from({ length: shape[0]! }, (_, i) => {
          const size = values.length / shape[0]!;
          return nest(values.slice(i * size, (i + 1) * size), shape.slice(1));
        });
  return { shape: tensor.shape, data: nest(flat, tensor.shape) };
}
