import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_LIMITS, median, randomInputs } from '../src/index.js';
import { firstRows } from '../src/measure/random-inputs.js';
import { roundLimits, timeRuns } from '../src/measure/timing.js';

describe('timing', () => {
  it('takes the median of odd and even counts', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it("splits a point's limits over its rounds", () => {
    expect(roundLimits(DEFAULT_RUN_LIMITS)).toEqual({ minRuns: 2, minMs: 100, maxRuns: 6667, maxMs: 10_000 / 3, rounds: 1 });
  });

  it('runs at least minRuns and at most maxRuns times', async () => {
    let runs = 0;
    const timed = await timeRuns(async () => runs++, { minRuns: 4, minMs: 0, maxRuns: 10, maxMs: 1000, rounds: 1 }, { warmUp: false });
    expect(timed.runs).toBe(4);
    expect(runs).toBe(4);
    const capped = await timeRuns(async () => {}, { minRuns: 1, minMs: 60_000, maxRuns: 7, maxMs: 60_000, rounds: 1 }, { warmUp: false });
    expect(capped.runs).toBe(7);
  });
});

describe('random inputs', () => {
  it('fills each datatype with the batch on the first axis, and views the first rows', () => {
    const inputs = randomInputs(
      [
        { name: 'x', datatype: 'FP32', shape: [-1, 3] },
        { name: 'ids', datatype: 'INT64', shape: [-1, 2] },
        { name: 'h', datatype: 'FP16', shape: [-1, 1] },
      ],
      4,
    );
    expect(inputs.map((t) => [t.name, t.shape, t.data.byteLength])).toEqual([
      ['x', [4, 3], 48],
      ['ids', [4, 2], 64],
      ['h', [4, 1], 8],
    ]);
    const halves = new Uint16Array(inputs[2]!.data.buffer, inputs[2]!.data.byteOffset, 4);
    for (const half of halves) expect(half).toBeLessThan(0x3c00); // below 1.0, never NaN or infinite
    const two = firstRows(inputs, 2);
    expect(two[0]!.shape).toEqual([2, 3]);
    expect(two[0]!.data).toEqual(inputs[0]!.data.subarray(0, 24));
  });

  it('refuses a dynamic axis other than the batch', () => {
    expect(() => randomInputs([{ name: 'x', datatype: 'FP32', shape: [-1, -1] }], 1)).toThrow(
      /only the first \(batch\) axis may be dynamic/,
    );
  });
});
