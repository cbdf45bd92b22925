import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from '../src/latency.js';

describe('LatencyRecorder', () => {
  it('gives percentiles of what it recorded, within the histogram precision', () => {
    const recorder = new LatencyRecorder();
    for (let ms = 1; ms <= 1000; ms++) recorder.record(ms);
    const s = recorder.summary();
    expect(s.count).toBe(1000);
    expect(s.p50).toBeCloseTo(500, -1);
    expect(s.p90).toBeCloseTo(900, -1);
    expect(s.p99).toBeCloseTo(990, -1);
    expect(s.max).toBeCloseTo(1000, -1);
  });

  it('merges histograms encoded in other processes exactly', () => {
    const a = new LatencyRecorder();
    const b = new LatencyRecorder();
    for (let i = 0; i < 100; i++) a.record(1);
    for (let i = 0; i < 100; i++) b.record(100);
    const merged = LatencyRecorder.decode(a.encode());
    merged.merge(LatencyRecorder.decode(b.encode()));
    const s = merged.summary();
    expect(s.count).toBe(200);
    expect(s.p50).toBeCloseTo(1, 1);
    expect(s.p99).toBeCloseTo(100, 0);
  });
});
