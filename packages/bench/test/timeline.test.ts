import { describe, expect, it } from 'vitest';
import { mergeTraces } from '../src/run-load.js';
import { timeline } from '../src/timeline.js';

describe('timeline of a per-request trace', () => {
  it('counts successes per bucket by scheduled time and converts them to a rate', () => {
    // 250 ms buckets over 1 s: 3, 0, 5, 1 requests.
    const trace = [10, 20, 249.9, 500, 510, 600, 700, 740, 999].map((t) => ({ t, latencyMs: 5 }));
    const buckets = timeline(trace, 250, 1);
    expect(buckets.map((b) => b.t0)).toEqual([0, 0.25, 0.5, 0.75]);
    expect(buckets.map((b) => b.completed)).toEqual([12, 0, 20, 4]);
  });

  it('gives the rate of a shorter last bucket over its own length', () => {
    const trace = Array.from({ length: 30 }, (_, i) => ({ t: 2000 + i * 10, latencyMs: 1 }));
    const buckets = timeline(trace, 1000, 2.5);
    expect(buckets).toHaveLength(3);
    expect(buckets[2]!.completed).toBe(60);
  });

  it('counts errors apart from completed requests and out of the percentiles', () => {
    const trace = [
      { t: 100, latencyMs: 10 },
      { t: 200, latencyMs: -1 },
      { t: 300, latencyMs: -1 },
      { t: 1100, latencyMs: -1 },
    ];
    const [first, second] = timeline(trace, 1000, 2);
    expect(first).toMatchObject({ completed: 1, errors: 2 });
    expect(first!.p99).toBeCloseTo(10, 1);
    // Only an error: nothing completed, so no latency to report.
    expect(second).toEqual({ t0: 1, completed: 0, errors: 1, p50: null, p99: null });
  });

  it('gives HDR percentiles of known data, per bucket', () => {
    const trace = [];
    for (let ms = 1; ms <= 1000; ms++) trace.push({ t: 500 + ms / 10, latencyMs: ms });
    for (let i = 0; i < 100; i++) trace.push({ t: 1500, latencyMs: 3 });
    const [a, b] = timeline(trace, 1000, 2);
    // 3 significant digits: within 0.1 %.
    expect(Math.abs(a!.p50! - 500) / 500).toBeLessThan(1e-3);
    expect(Math.abs(a!.p99! - 990) / 990).toBeLessThan(1e-3);
    expect(b!.p99).toBeCloseTo(3, 2);
    expect(b!.p50).toBeCloseTo(3, 2);
  });

  it('gives empty buckets no percentiles and ignores points outside the window', () => {
    const buckets = timeline(
      [
        { t: -5, latencyMs: 1 },
        { t: 3000, latencyMs: 1 },
      ],
      500,
      3,
    );
    expect(buckets).toHaveLength(6);
    expect(buckets.every((b) => b.completed === 0 && b.errors === 0 && b.p50 === null && b.p99 === null)).toBe(true);
    expect(() => timeline([], 0, 1)).toThrow(RangeError);
  });
});

describe('merging the traces of the client processes', () => {
  it('aligns each process on the earliest start and sorts by time', () => {
    const { trace, traceStart } = mergeTraces([
      { trace: [0, 5, 100, -1], traceStart: 1_000_010 },
      { trace: [5, 7, 50, 8], traceStart: 1_000_000 },
    ]);
    expect(traceStart).toBe(1_000_000);
    expect(trace).toEqual([
      { t: 5, latencyMs: 7 },
      { t: 10, latencyMs: 5 },
      { t: 50, latencyMs: 8 },
      { t: 110, latencyMs: -1 },
    ]);
  });
});
