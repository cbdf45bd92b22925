import { describe, expect, it } from 'vitest';
import { mcnemarExact } from '../src/index.js';

describe('mcnemarExact', () => {
  it('gives the exact two-sided p-value of the discordant rows', () => {
    const first = [true, ...Array<boolean>(9).fill(false), true, true];
    const second = [false, ...Array<boolean>(9).fill(true), true, false];
    const result = mcnemarExact(first, second);
    expect(result).toMatchObject({ onlyFirst: 2, onlySecond: 9 });
    // 2 against 9: 2 * P(X <= 2), X ~ Bin(11, 1/2) = 2 * (1 + 11 + 55) / 2048.
    expect(result.p).toBeCloseTo((2 * 67) / 2048, 10);
  });

  it('is 1 when the two never differ, and refuses lists of different lengths', () => {
    expect(mcnemarExact([true, false], [true, false]).p).toBe(1);
    expect(() => mcnemarExact([true], [true, false])).toThrow(/differ in length/);
  });
});
