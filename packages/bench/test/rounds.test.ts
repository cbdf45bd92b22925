import { describe, expect, it } from 'vitest';
import { formatSpread, roundOrder, spread } from '../src/rounds.js';

describe('roundOrder', () => {
  it('alternates the order, so no system always runs first', () => {
    const systems = ['tutti', 'naive', 'paper'];
    expect(roundOrder(systems, 1)).toEqual(['tutti', 'naive', 'paper']);
    expect(roundOrder(systems, 2)).toEqual(['paper', 'naive', 'tutti']);
    expect(roundOrder(systems, 3)).toEqual(['tutti', 'naive', 'paper']);
    expect(systems).toEqual(['tutti', 'naive', 'paper']);
  });
});

describe('spread', () => {
  it('gives the median and range of an odd count', () => {
    expect(spread([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30 });
  });

  it('takes the mean of the middle two for an even count', () => {
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
  });

  it('ignores values that are not finite, and gives nothing for none', () => {
    expect(spread([Infinity, 5, NaN])).toEqual({ median: 5, min: 5, max: 5 });
    expect(spread([])).toBeUndefined();
  });
});

describe('formatSpread', () => {
  it('shows the range only when the rounds differ', () => {
    expect(formatSpread({ median: 2.5, min: 1, max: 4 }, 1)).toBe('2.5 (1.0-4.0)');
    expect(formatSpread({ median: 2, min: 2, max: 2 }, 0)).toBe('2');
    expect(formatSpread(undefined, 0)).toBe('-');
  });
});
