import { describe, expect, it } from 'vitest';
import { shares } from '../src/run-load.js';

describe('shares of a load among client processes', () => {
  it('splits concurrency into whole shares that add up', () => {
    expect(shares(10, 3, true)).toEqual([4, 3, 3]);
    expect(shares(1, 3, true)).toEqual([1]);
  });
  it('splits a rate evenly (a sum of Poisson processes is Poisson)', () => {
    expect(shares(900, 3, false)).toEqual([300, 300, 300]);
  });
});
