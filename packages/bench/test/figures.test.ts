import { describe, expect, it } from 'vitest';
import { figuresOf, peakRatios, summarise, type RoundResult, type SystemResult } from '../src/figures.js';
import type { StepResult } from '../src/run-load.js';

function step(
  mode: 'closed' | 'open',
  load: number,
  requestsPerSecond: number,
  p50: number,
  p99: number,
  fellBehind?: boolean,
): StepResult {
  return {
    mode,
    load,
    requests: requestsPerSecond,
    rows: requestsPerSecond,
    requestsPerSecond,
    rowsPerSecond: requestsPerSecond,
    sent: requestsPerSecond,
    backlog: { start: 0, end: 0 },
    answeredAll: requestsPerSecond,
    latency: { count: requestsPerSecond, p50, p90: p99, p99, max: p99, mean: p50 },
    errors: {},
    ...(fellBehind !== undefined && { fellBehind }),
  };
}

const cpu = (batcher: number, worker: number) => ({
  requests: 1,
  perProcessUs: { batcher, worker },
  totalUs: batcher + worker,
  busiest: batcher > worker ? 'batcher' : 'worker',
  skipped: [],
});

function system(
  name: string,
  peak: number,
  p50AtOne: number,
  options: { cpuAtPeak?: ReturnType<typeof cpu>; fellBehind?: boolean } = {},
): SystemResult {
  return {
    name,
    closed: [
      step('closed', 1, peak / 4, p50AtOne, p50AtOne * 2),
      step('closed', 64, peak, 10, 20),
      step('closed', 256, peak * 0.9, 40, 80),
    ],
    open: step('open', 100, 100, 1, 5, options.fellBehind ?? false),
    ...(options.cpuAtPeak && { cpu: { 1: cpu(999, 999), 64: options.cpuAtPeak } }),
  };
}

describe('figuresOf', () => {
  it('takes the peak, the idle p50, the open-loop p99 and the CPU at the peak step', () => {
    const f = figuresOf(system('tutti', 1000, 0.5, { cpuAtPeak: cpu(100, 300) }));
    expect(f.peak).toBe(1000);
    expect(f.peakLoad).toBe(64);
    expect(f.idleP50).toBe(0.5);
    expect(f.openP99).toBe(5);
    expect(f.closed[256]).toEqual({ requestsPerSecond: 900, p50: 40, p99: 80 });
    expect(f.cpuAtPeak?.totalUs).toBe(400);
  });
});

describe('peakRatios', () => {
  it('divides the reference peak by each other system within the round', () => {
    expect(peakRatios([system('tutti', 1000, 1), system('paper', 500, 1), system('naive', 250, 1)], 'tutti')).toEqual({
      'tutti/paper': 2,
      'tutti/naive': 4,
    });
  });
});

describe('summarise', () => {
  const round = (n: number, tutti: number, paper: number, cpuTotal: [number, number], fellBehind = false): RoundResult => {
    const results = [system('tutti', tutti, n, { cpuAtPeak: cpu(...cpuTotal) }), system('paper', paper, 2 * n, { fellBehind })];
    return { round: n, order: results.map((r) => r.name), results, ratios: peakRatios(results, 'tutti') };
  };

  it('gives medians and ranges over rounds, with ratios computed per round, not as a ratio of medians', () => {
    // Round ratios 2, 1.375, 4: median 2, where the ratio of the median peaks would be 1100 / 500 = 2.2.
    const s = summarise([round(1, 1000, 500, [100, 300]), round(2, 1100, 800, [200, 100]), round(3, 1200, 300, [150, 200], true)]);
    expect(s.rounds).toBe(3);
    expect(s.systems.tutti!.peak).toEqual({ median: 1100, min: 1000, max: 1200 });
    expect(s.systems.paper!.peak).toEqual({ median: 500, min: 300, max: 800 });
    expect(s.ratios['tutti/paper']).toEqual({ median: 2, min: 1.375, max: 4 });
    expect(s.systems.tutti!.idleP50).toEqual({ median: 2, min: 1, max: 3 });
    expect(s.systems.tutti!.closed[64]!.p99).toEqual({ median: 20, min: 20, max: 20 });
    expect(s.systems.paper!.openFellBehindRounds).toBe(1);
    expect(s.systems.tutti!.cpuAtPeakUs!.total).toEqual({ median: 350, min: 300, max: 400 });
    expect(s.systems.tutti!.cpuAtPeakUs!.perProcess.worker).toEqual({ median: 200, min: 100, max: 300 });
    expect(s.systems.tutti!.cpuAtPeakUs!.busiest).toBe('worker');
    expect(s.systems.paper!.cpuAtPeakUs).toBeUndefined();
  });
});
