import { describe, expect, it } from 'vitest';
import { inputsFromJson, outputToJson, tensorFromJson } from '../src/json-tensors.js';

const pixels = { name: 'pixels', datatype: 'FP32' as const, shape: [-1, 4] };

describe('JSON tensors for tutti predict', () => {
  it('infers the shape of nested arrays', () => {
    const tensor = tensorFromJson(pixels, [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    expect(tensor.shape).toEqual([2, 4]);
    expect([...(tensor.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('adds the batch dimension to a single sample', () => {
    expect(tensorFromJson(pixels, [1, 2, 3, 4]).shape).toEqual([1, 4]);
  });

  it('takes an explicit shape with flat data, and makes INT64 from numbers', () => {
    const tensor = tensorFromJson({ name: 'ids', datatype: 'INT64', shape: [-1, 2] }, { shape: [1, 2], data: [7, 9] });
    expect([...(tensor.data as BigInt64Array)]).toEqual([7n, 9n]);
  });

  it('names what is wrong', () => {
    expect(() => tensorFromJson(pixels, [[1, 2], [3]])).toThrow(/ragged/);
    expect(() => tensorFromJson(pixels, { shape: [1, 4], data: [1, 2] })).toThrow(/needs 4 values, got 2/);
    expect(() => inputsFromJson([pixels], { image: [1, 2, 3, 4] })).toThrow(/unknown input "image"/);
  });

  it('nests output rows back', () => {
    const out = outputToJson({ datatype: 'FP32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) });
    expect(out.data).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});
