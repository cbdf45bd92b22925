/**
 * Wire protocol v1 between clients and the server (docs/PROTOCOL.md): one frame per message holding a
 * standard MessagePack map, tensor bytes as MessagePack bin. No msgpackr records or extensions, so
 * any MessagePack library in any language can speak it.
 */
import { Packr, Unpackr } from 'msgpackr';
import { DATATYPE_NAMES, datatypeInfo, isDatatype, viewAs } from '@tutti/core';
import { TuttiError, isRequestErrorCode, type RequestErrorCode } from '@tutti/core';
import type { TensorSpec, WireTensor } from '@tutti/core';

export const PROTOCOL_VERSION = 1;

/**
 * Direct replies (PROTOCOL.md): a client opts in by giving both its sockets a routing id that starts
 * with this, followed by something random; replies to other ids always go back on the request socket.
 */
export const DIRECT_REPLY_ID_PREFIX = 'tutti-';

export type RequestId = string | number;
export type Op = 'infer' | 'metadata' | 'health';

export interface InferParameters {
  timeout_ms?: number;
  members?: boolean;
  /** At the timeout, answer from the members that have answered so far (at least one) instead of failing. */
  partial?: boolean;
  /** With a cascade: exit at the first stage whose calibrated accuracy meets this (0 < target <= 1). */
  accuracy_target?: number;
  /** With a cascade: false computes every member (no early exit). */
  cascade?: boolean;
}

export interface InferRequest {
  id: RequestId;
  op: 'infer';
  inputs: WireTensor[];
  parameters: InferParameters;
}

export interface ControlRequest {
  id: RequestId;
  op: 'metadata' | 'health';
}

export type Request = InferRequest | ControlRequest;

export interface InferReply {
  id: RequestId;
  model_name: string;
  outputs: WireTensor[];
  members?: Record<string, WireTensor[]>;
  /**
   * Which server batch answered the request, and how many rows that batch had in all; for a partial
   * answer, or one from a cascade's stage, the members it combines; from a cascade, the stage that
   * answered (0-based) and its exit score (the lowest of the request's rows).
   */
  parameters?: {
    batch_id: number;
    batch_size: number;
    partial?: boolean;
    members_used?: string[];
    exit_stage?: number;
    confidence?: number;
  };
}

export interface MetadataReply {
  id: RequestId;
  name: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  members: string[];
  rule: string;
  /** The wire protocol's version (PROTOCOL_VERSION): a client can refuse a server it does not speak. */
  protocol: number;
  /**
   * Where the server sends replies straight to clients that connect a second DEALER there with the
   * same routing id as the first (see PROTOCOL.md, direct replies). Absent: every reply comes back on
   * the request socket.
   */
  replies?: string;
}

export interface HealthReply {
  id: RequestId;
  live: true;
  ready: boolean;
}

export interface ErrorReply {
  id: RequestId | null;
  error: { code: RequestErrorCode; message: string };
}

export type Reply = InferReply | MetadataReply | HealthReply | ErrorReply;

// Standard MessagePack only: plain maps, no record extension, bins for bytes.
const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

export function encodeMessage(message: object): Buffer {
  return packr.pack(message);
}

/** Decodes one MessagePack frame, as INVALID_ARGUMENT when it is not MessagePack. */
export function decodeMessage(frame: Uint8Array): unknown {
  try {
    return unpackr.unpack(frame);
  } catch (error) {
    throw invalid(`message is not valid MessagePack (${(error as Error).message})`);
  }
}

const OPS: readonly Op[] = ['infer', 'metadata', 'health'];
const MAX_ID_LENGTH = 256;
const MAX_RANK = 16;

function invalid(message: string): TuttiError {
  return new TuttiError('INVALID_ARGUMENT', message);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** The id of a request-shaped value if it has a usable one, so even a rejected request is answered by id. */
export function requestIdOf(value: unknown): RequestId | null {
  if (!isPlainObject(value)) return null;
  const id = value.id;
  if (typeof id === 'string' && id.length <= MAX_ID_LENGTH) return id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
  return null;
}

/**
 * Checks a decoded message is a well-formed request. Structure only: whether the inputs suit the
 * ensemble is `checkInferInputs`'s job.
 */
export function parseRequest(value: unknown): Request {
  if (!isPlainObject(value)) throw invalid('request must be a MessagePack map');
  const id = requestIdOf(value);
  if (id === null) throw invalid(`"id" must be a string (at most ${MAX_ID_LENGTH} chars) or an integer`);
  const op = value.op ?? 'infer';
  if (typeof op !== 'string' || !OPS.includes(op as Op)) {
    throw invalid(`unknown op ${JSON.stringify(op)}; expected one of ${OPS.join(', ')}`);
  }
  if (op !== 'infer') return { id, op: op as 'metadata' | 'health' };
  return { id, op: 'infer', inputs: parseInputs(value.inputs), parameters: parseParameters(value.parameters) };
}

export function decodeRequest(frame: Uint8Array): Request {
  return parseRequest(decodeMessage(frame));
}

function parseParameters(value: unknown): InferParameters {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw invalid('"parameters" must be a map');
  const parameters: InferParameters = {};
  if (value.timeout_ms !== undefined) {
    const timeout = value.timeout_ms;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw invalid(`parameters.timeout_ms must be a positive number of milliseconds, got ${JSON.stringify(timeout)}`);
    }
    parameters.timeout_ms = timeout;
  }
  if (value.accuracy_target !== undefined) {
    const target = value.accuracy_target;
    if (typeof target !== 'number' || !(target > 0 && target <= 1)) {
      throw invalid(`parameters.accuracy_target must be a number above 0 and at most 1, got ${JSON.stringify(target)}`);
    }
    parameters.accuracy_target = target;
  }
  for (const flag of ['members', 'partial', 'cascade'] as const) {
    if (value[flag] === undefined) continue;
    if (typeof value[flag] !== 'boolean') throw invalid(`parameters.${flag} must be true or false`);
    parameters[flag] = value[flag];
  }
  if (parameters.partial && parameters.timeout_ms === undefined)
    throw invalid('parameters.partial needs parameters.timeout_ms: the answer is partial at that deadline');
  return parameters;
}

function parseInputs(value: unknown): WireTensor[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid('"inputs" must be a non-empty array of tensors');
  return value.map((tensor, index) => parseTensor(tensor, `inputs[${index}]`));
}

function parseTensor(value: unknown, where: string): WireTensor {
  if (!isPlainObject(value)) throw invalid(`${where} must be a map with name, datatype, shape and data`);
  const { name, datatype, shape, data } = value;
  if (typeof name !== 'string' || name.length === 0) throw invalid(`${where}.name must be a non-empty string`);
  const at = `${where} ("${name}")`;
  if (!isDatatype(datatype)) {
    throw invalid(`${at}: unknown datatype ${JSON.stringify(datatype)}; expected one of ${DATATYPE_NAMES.join(', ')}`);
  }
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > MAX_RANK) {
    throw invalid(`${at}: shape must be an array of 1 to ${MAX_RANK} integers, the first being the batch size`);
  }
  for (const dim of shape) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      throw invalid(`${at}: shape ${JSON.stringify(shape)} must hold non-negative integers`);
    }
  }
  if (!(data instanceof Uint8Array)) {
    throw invalid(`${at}: data must be a MessagePack bin of little-endian element bytes`);
  }
  return { name, datatype, shape: shape as number[], data };
}

export interface CheckedInputs {
  /** The request's tensors in the order of the ensemble's inputs. */
  tensors: WireTensor[];
  batchSize: number;
}

/**
 * Checks an infer request's tensors against the ensemble's inputs: every input present once, no
 * unknown ones, datatype and shape as declared, and a byte length that agrees with the shape. All
 * arithmetic is checked before anything proportional to the claimed size is allocated.
 */
export function checkInferInputs(inputs: WireTensor[], specs: readonly TensorSpec[], maxBatchSize: number): CheckedInputs {
  const byName = new Map<string, WireTensor>();
  for (const tensor of inputs) {
    if (byName.has(tensor.name)) throw invalid(`input "${tensor.name}" is given more than once`);
    if (!specs.some((spec) => spec.name === tensor.name)) {
      throw invalid(`unknown input "${tensor.name}"; this ensemble takes ${specs.map((s) => `"${s.name}"`).join(', ')}`);
    }
    byName.set(tensor.name, tensor);
  }
  let batchSize = -1;
  const tensors = specs.map((spec) => {
    const tensor = byName.get(spec.name);
    if (!tensor) throw invalid(`missing input "${spec.name}" (${spec.datatype} ${formatShape(spec.shape)})`);
    if (tensor.datatype !== spec.datatype) {
      throw invalid(`input "${spec.name}" must be ${spec.datatype}, got ${tensor.datatype}`);
    }
    const size = checkShape(tensor, spec);
    if (batchSize === -1) batchSize = size;
    else if (size !== batchSize) {
      throw invalid(`input "${spec.name}" has batch size ${size} but the other inputs have ${batchSize}`);
    }
    return tensor;
  });
  if (batchSize < 1) throw invalid('batch size (first dimension) must be at least 1');
  for (const tensor of tensors) checkFinite(tensor);
  if (batchSize > maxBatchSize) {
    throw invalid(`batch size ${batchSize} exceeds this ensemble's maximum batch size ${maxBatchSize}; split the request`);
  }
  return { tensors, batchSize };
}

function checkShape(tensor: WireTensor, spec: TensorSpec): number {
  const { shape } = tensor;
  if (shape.length !== spec.shape.length) {
    throw invalid(`input "${spec.name}" must have shape ${formatShape(spec.shape)}, got ${formatShape(shape)}`);
  }
  for (let axis = 1; axis < shape.length; axis++) {
    const want = spec.shape[axis]!;
    if (want !== -1 && shape[axis] !== want) {
      throw invalid(`input "${spec.name}" must have shape ${formatShape(spec.shape)}, got ${formatShape(shape)}`);
    }
  }
  // The element count is bounded by the bytes actually received, so no shape can make us allocate.
  const bytesPerElement = datatypeInfo(spec.datatype).bytes;
  let expected = bytesPerElement;
  for (const dim of shape) {
    expected *= dim;
    if (expected > tensor.data.byteLength) break;
  }
  if (expected !== tensor.data.byteLength) {
    const claimed = shape.reduce((product, dim) => product * dim, bytesPerElement);
    throw invalid(
      `input "${spec.name}": shape ${formatShape(shape)} of ${spec.datatype} needs ${claimed} bytes, data has ${tensor.data.byteLength}`,
    );
  }
  return shape[0]!;
}

/**
 * NaN or infinity in a float input would flow silently through every member into the combined
 * answer (and a vote over NaN is meaningless): refuse it, naming the input and the first bad element.
 */
function checkFinite(tensor: WireTensor): void {
  if (tensor.datatype !== 'FP32' && tensor.datatype !== 'FP64') return;
  const values = viewAs(tensor.datatype, tensor.data) as Float32Array | Float64Array;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) throw invalid(`input "${tensor.name}": element ${i} is ${values[i]}; inputs must be finite numbers`);
  }
}

/** Bytes of the largest well-formed request an ensemble can receive: its inputs at the maximum batch size. */
export function maxRequestBytes(specs: readonly TensorSpec[], maxBatchSize: number): number {
  const rows = specs.reduce(
    (sum, spec) => sum + spec.shape.slice(1).reduce((n, d) => n * Math.max(1, d), datatypeInfo(spec.datatype).bytes),
    0,
  );
  return rows * maxBatchSize;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function encodeError(id: RequestId | null, code: RequestErrorCode, message: string): Buffer {
  return encodeMessage({ id, error: { code, message } } satisfies ErrorReply);
}

export function encodeErrorOf(id: RequestId | null, error: unknown): Buffer {
  if (error instanceof TuttiError && isRequestErrorCode(error.code)) return encodeError(id, error.code, error.message);
  return encodeError(id, 'INTERNAL', `internal error: ${(error as Error)?.message ?? String(error)}`);
}

/** Decodes a reply on the client side; the caller tells replies apart by their keys. */
export function decodeReply(frame: Uint8Array): Reply {
  const value = decodeMessage(frame);
  if (!isPlainObject(value) || !('id' in value)) throw new TuttiError('INTERNAL', 'reply is not a map with an id');
  return value as unknown as Reply;
}

export function isErrorReply(reply: Reply): reply is ErrorReply {
  return 'error' in reply;
}
