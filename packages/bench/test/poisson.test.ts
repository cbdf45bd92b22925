import { describe, expect, it } from 'vitest';
import { poissonSchedule } from '../src/poisson.js';

describe('poissonSchedule', () => {
  it('sends about rate x seconds requests, in order, within the window, reproducibly', () => {
    const times = poissonSchedule(1000, 20, 7);
    // Poisson count over 20 s at 1000/s: mean 20000, sd ~141; 5 sd either way.
    expect(times.length).toBeGreaterThan(20000 - 710);
    expect(times.length).toBeLessThan(20000 + 710);
    expect(times.every((t, i) => t >= 0 && t < 20000 && (i === 0 || t >= times[i - 1]!))).toBe(true);
    expect(poissonSchedule(1000, 20, 7)).toEqual(times);
    expect(poissonSchedule(1000, 20, 8)).not.toEqual(times);
  });

  it('has exponential gaps: mean 1/rate and coefficient of variation near 1', () => {
    const times = poissonSchedule(500, 100, 3);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(mean).toBeGreaterThan(1.9);
    expect(mean).toBeLessThan(2.1);
    expect(sd / mean).toBeGreaterThan(0.95);
    expect(sd / mean).toBeLessThan(1.05);
  });

  it('refuses a rate or duration that is not positive', () => {
    expect(() => poissonSchedule(0, 1, 1)).toThrow(/positive/);
  });
});
