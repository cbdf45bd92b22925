import { describe, expect, it } from 'vitest';
import { Unpackr, pack } from 'msgpackr';
import {
  TuttiError,
  bytesOf,
  checkInferInputs,
  decodeRequest,
  encodeError,
  encodeMessage,
  maxRequestBytes,
  type TensorSpec,
} from '../src/index.js';

const specs: TensorSpec[] = [{ name: 'pixels', datatype: 'FP32', shape: [-1, 4] }];

function request(overrides: Record<string, unknown> = {}) {
  return {
    id: 7,
    op: 'infer',
    inputs: [{ name: 'pixels', datatype: 'FP32', shape: [2, 4], data: bytesOf(new Float32Array(8)) }],
    ...overrides,
  };
}

function rejection(run: () => unknown): TuttiError {
  try {
    run();
  } catch (error) {
    return error as TuttiError;
  }
  throw new Error('expected a rejection');
}

describe('decodeRequest', () => {
  it('reads a standard MessagePack request, defaulting op to infer', () => {
    const { op, ...rest } = request();
    void op;
    const decoded = decodeRequest(encodeMessage(rest));
    expect(decoded.op).toBe('infer');
    expect(decoded.id).toBe(7);
    if (decoded.op !== 'infer') throw new Error('not infer');
    expect(decoded.inputs[0]!.shape).toEqual([2, 4]);
    expect(decoded.inputs[0]!.data.byteLength).toBe(32);
  });

  it('writes maps any MessagePack library reads: no msgpackr records (0xd4/0xc7 ext) in a reply', () => {
    const frame = encodeMessage({ id: 1, outputs: [{ name: 'a', data: Buffer.alloc(4) }] });
    expect(frame[0]! & 0xf0).toBe(0x80); // fixmap
    expect([...frame]).not.toContain(0xd4);
  });

  it.each([
    ['not MessagePack', Buffer.from('hello world'), /not valid MessagePack/],
    ['a non-map', encodeMessage([1, 2]), /must be a MessagePack map/],
    ['a missing id', encodeMessage({ op: 'health' }), /"id" must be/],
    ['an unknown op', encodeMessage({ id: 1, op: 'explode' }), /unknown op "explode"/],
    ['no inputs', encodeMessage({ id: 1 }), /"inputs" must be a non-empty array/],
    [
      'a bad datatype',
      encodeMessage(request({ inputs: [{ name: 'pixels', datatype: 'FLOAT', shape: [1, 4], data: Buffer.alloc(16) }] })),
      /unknown datatype "FLOAT"/,
    ],
    [
      'a negative dim',
      encodeMessage(request({ inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, -4], data: Buffer.alloc(16) }] })),
      /non-negative integers/,
    ],
    [
      'data as numbers',
      encodeMessage(request({ inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] })),
      /MessagePack bin/,
    ],
    ['a bad timeout', encodeMessage(request({ parameters: { timeout_ms: -5 } })), /timeout_ms must be a positive/],
    [
      'an accuracy target above 1',
      encodeMessage(request({ parameters: { accuracy_target: 1.2 } })),
      /accuracy_target must be a number above 0/,
    ],
    [
      'a cascade flag that is no boolean',
      encodeMessage(request({ parameters: { cascade: 'no' } })),
      /parameters.cascade must be true or false/,
    ],
  ])('rejects %s with INVALID_ARGUMENT', (_what, frame, message) => {
    const error = rejection(() => decodeRequest(frame));
    expect(error).toBeInstanceOf(TuttiError);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
  });

  it('reads metadata and health requests with string ids', () => {
    expect(decodeRequest(pack({ id: 'abc', op: 'metadata' }))).toEqual({ id: 'abc', op: 'metadata' });
  });
});

describe('checkInferInputs', () => {
  const tensor = (shape: number[], bytes: number, extra: Record<string, unknown> = {}) => ({
    name: 'pixels',
    datatype: 'FP32' as const,
    shape,
    data: new Uint8Array(bytes),
    ...extra,
  });

  it('accepts matching tensors and reports the batch size', () => {
    expect(checkInferInputs([tensor([3, 4], 48)], specs, 8).batchSize).toBe(3);
  });

  it.each([
    ['missing input', [], /missing input "pixels"/],
    ['unknown input', [tensor([1, 4], 16), tensor([1, 4], 16, { name: 'extra' })], /unknown input "extra"/],
    ['duplicate input', [tensor([1, 4], 16), tensor([1, 4], 16)], /given more than once/],
    ['wrong datatype', [tensor([1, 4], 16, { datatype: 'FP64' })], /must be FP32, got FP64/],
    ['wrong shape', [tensor([1, 5], 20)], /must have shape \[-1, 4\], got \[1, 5\]/],
    ['wrong rank', [tensor([4], 16)], /must have shape/],
    ['byte length mismatch', [tensor([2, 4], 16)], /needs 32 bytes, data has 16/],
    ['empty batch', [tensor([0, 4], 0)], /at least 1/],
    ['batch over the maximum', [tensor([9, 4], 144)], /exceeds this ensemble's maximum batch size 8/],
    ['an overflowing shape', [tensor([2 ** 52, 4], 16)], /needs .* bytes, data has 16/],
    [
      'a NaN element',
      [{ ...tensor([1, 4], 16), data: bytesOf(new Float32Array([0, 1, Number.NaN, 3])) }],
      /element 2 is NaN; inputs must be finite/,
    ],
    [
      'an infinite element',
      [{ ...tensor([1, 4], 16), data: bytesOf(new Float32Array([Number.POSITIVE_INFINITY, 1, 2, 3])) }],
      /element 0 is Infinity/,
    ],
  ])('rejects a %s', (_what, inputs, message) => {
    const error = rejection(() => checkInferInputs(inputs, specs, 8));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
  });
});

describe('maxRequestBytes', () => {
  it('is the inputs of one row times the maximum batch size', () => {
    expect(
      maxRequestBytes(
        [
          { name: 'x', datatype: 'FP32', shape: [-1, 3, 4] },
          { name: 'y', datatype: 'INT64', shape: [-1, 2] },
        ],
        8,
      ),
    ).toBe((48 + 16) * 8);
  });
});

describe('encodeError', () => {
  it('encodes code and message under error', () => {
    const frame = encodeError(3, 'NOT_FOUND', 'no such thing');
    expect(JSON.stringify(new Unpackr({ mapsAsObjects: true }).unpack(frame))).toBe(
      JSON.stringify({ id: 3, error: { code: 'NOT_FOUND', message: 'no such thing' } }),
    );
  });
});
