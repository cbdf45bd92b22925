import { describe, expect, it } from 'vitest';
import { datatypeOfArray, fromWire, toWire } from '../src/tensors.js';

describe('client tensors', () => {
  it('takes the datatype from the typed array and sends its bytes without copying', () => {
    const data = new Float32Array([1, 2, 3]);
    const wire = toWire('x', { data, shape: [1, 3] });
    expect(wire.datatype).toBe('FP32');
    expect(wire.data.buffer).toBe(data.buffer);
    expect(datatypeOfArray(new BigInt64Array(1))).toBe('INT64');
  });

  it('round-trips through wire bytes', () => {
    const wire = toWire('x', { data: new Int32Array([-1, 5]), shape: [2] });
    const back = fromWire({ ...wire, data: Buffer.from(wire.data) });
    expect([...(back.data as Int32Array)]).toEqual([-1, 5]);
    expect(back.datatype).toBe('INT32');
  });
});
