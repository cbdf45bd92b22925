/**
 * Tensor datatypes, named as in the KServe v2 / Open Inference Protocol, with what each one is in
 * bytes, in JavaScript typed arrays and in onnxruntime. The one table every package consults.
 */

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

type TypedArrayConstructor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  new (length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

export interface DatatypeInfo {
  /** KServe v2 name. */
  readonly name: Datatype;
  /** Bytes per element on the wire (little-endian). */
  readonly bytes: number;
  /** onnxruntime-node tensor type name. */
  readonly ort: string;
  /** Typed array that holds it in JavaScript, or undefined where none exists (FP16 is carried as raw bytes). */
  readonly array: TypedArrayConstructor | undefined;
}

export const DATATYPE_NAMES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
] as const;

export type Datatype = (typeof DATATYPE_NAMES)[number];

const TABLE: Record<Datatype, DatatypeInfo> = {
  BOOL: { name: 'BOOL', bytes: 1, ort: 'bool', array: Uint8Array },
  UINT8: { name: 'UINT8', bytes: 1, ort: 'uint8', array: Uint8Array },
  UINT16: { name: 'UINT16', bytes: 2, ort: 'uint16', array: Uint16Array },
  UINT32: { name: 'UINT32', bytes: 4, ort: 'uint32', array: Uint32Array },
  UINT64: { name: 'UINT64', bytes: 8, ort: 'uint64', array: BigUint64Array },
  INT8: { name: 'INT8', bytes: 1, ort: 'int8', array: Int8Array },
  INT16: { name: 'INT16', bytes: 2, ort: 'int16', array: Int16Array },
  INT32: { name: 'INT32', bytes: 4, ort: 'int32', array: Int32Array },
  INT64: { name: 'INT64', bytes: 8, ort: 'int64', array: BigInt64Array },
  FP16: { name: 'FP16', bytes: 2, ort: 'float16', array: undefined },
  FP32: { name: 'FP32', bytes: 4, ort: 'float32', array: Float32Array },
  FP64: { name: 'FP64', bytes: 8, ort: 'float64', array: Float64Array },
};

const BY_ORT = new Map(Object.values(TABLE).map((info) => [info.ort, info]));

export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && Object.hasOwn(TABLE, value);
}

export function datatypeInfo(datatype: Datatype): DatatypeInfo {
  return TABLE[datatype];
}

/** The v2 datatype of an onnxruntime tensor type ('float32' -> 'FP32'), or undefined if v2 has none. */
export function datatypeOfOrt(ortType: string): Datatype | undefined {
  return BY_ORT.get(ortType)?.name;
}

/** Number of elements in a fully known shape. */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

/**
 * A typed-array view over little-endian tensor bytes. Copies only when the bytes are not aligned to
 * the element size (a typed array cannot start at an unaligned offset).
 */
export function viewAs(datatype: Datatype, bytes: Uint8Array): TypedArray {
  const info = TABLE[datatype];
  if (!info.array) return bytes;
  const length = bytes.byteLength / info.bytes;
  if (bytes.byteOffset % info.bytes === 0) return new info.array(bytes.buffer, bytes.byteOffset, length);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new info.array(copy.buffer, 0, length);
}

/** The bytes of a typed array as a Buffer view (no copy): what msgpack packs as a standard bin. */
export function bytesOf(array: ArrayBufferView): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}
