import { describe, expect, it } from 'vitest';
import { bytesOf, datatypeInfo, datatypeOfOrt, isDatatype, viewAs } from '../src/index.js';

describe('datatypes', () => {
  it('knows the v2 names and their sizes', () => {
    expect(isDatatype('FP32')).toBe(true);
    expect(isDatatype('FLOAT32')).toBe(false);
    expect(isDatatype('toString')).toBe(false);
    expect(datatypeInfo('INT64').bytes).toBe(8);
    expect(datatypeOfOrt('float32')).toBe('FP32');
  });

  it('views aligned bytes without copying and copies unaligned ones', () => {
    const floats = new Float32Array([1.5, -2, 3.25]);
    const aligned = bytesOf(floats);
    const view = viewAs('FP32', aligned) as Float32Array;
    expect(view.buffer).toBe(floats.buffer);
    const unaligned = Buffer.alloc(13);
    aligned.copy(unaligned, 1);
    const copied = viewAs('FP32', unaligned.subarray(1)) as Float32Array;
    expect([...copied]).toEqual([1.5, -2, 3.25]);
  });
});
