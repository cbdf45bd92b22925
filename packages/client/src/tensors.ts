/** Conversions between what a caller holds (typed arrays) and wire tensors. */
import { TuttiError, bytesOf, isDatatype, viewAs, type Datatype, type TypedArray, type WireTensor } from '@tutti/protocol';

/** An input as a caller gives it: a typed array and its shape; the datatype follows from the array unless given. */
export interface TensorInput {
  data: TypedArray;
  shape: number[];
  datatype?: Datatype;
}

export interface TensorOutput {
  datatype: Datatype;
  shape: number[];
  /** Typed array of the datatype (Uint8Array of raw bytes for FP16). */
  data: TypedArray;
}

const DATATYPE_OF_ARRAY: [new (...args: never[]) => TypedArray, Datatype][] = [
  [Float32Array, 'FP32'],
  [Float64Array, 'FP64'],
  [Int8Array, 'INT8'],
  [Int16Array, 'INT16'],
  [Int32Array, 'INT32'],
  [BigInt64Array, 'INT64'],
  [Uint8Array, 'UINT8'],
  [Uint16Array, 'UINT16'],
  [Uint32Array, 'UINT32'],
  [BigUint64Array, 'UINT64'],
];

export function datatypeOfArray(array: TypedArray): Datatype {
  for (const [type, datatype] of DATATYPE_OF_ARRAY) if (array instanceof type) return datatype;
  throw new TuttiError('INVALID_ARGUMENT', `cannot tell the datatype of a ${array?.constructor?.name}; pass datatype`);
}

export function toWire(name: string, input: TensorInput): WireTensor {
  const datatype = input.datatype ?? datatypeOfArray(input.data);
  if (!isDatatype(datatype)) throw new TuttiError('INVALID_ARGUMENT', `input "${name}": unknown datatype ${JSON.stringify(datatype)}`);
  return { name, datatype, shape: input.shape, data: bytesOf(input.data) };
}

export function fromWire(tensor: WireTensor): TensorOutput {
  return { datatype: tensor.datatype, shape: tensor.shape, data: viewAs(tensor.datatype, tensor.data) };
}

export function fromWireList(tensors: readonly WireTensor[]): Record<string, TensorOutput> {
  return Object.fromEntries(tensors.map((tensor) => [tensor.name, fromWire(tensor)]));
}
