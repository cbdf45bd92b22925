import { describe, expect, it } from 'vitest';
import { summaryLines } from '../src/report.js';
import type { Summary } from '../src/figures.js';

const one = (v: number) => ({ median: v, min: v, max: v });

const summary: Summary = {
  rounds: 2,
  systems: {
    tutti: {
      peak: { median: 5000, min: 4000, max: 6000 },
      closed: { 1: { requestsPerSecond: one(250), p50: one(3), p99: one(12) } },
      idleP50: one(3),
      openP99: one(30),
      openServed: one(2400),
      openFellBehindRounds: 0,
      cpuAtPeakUs: { total: one(200), perProcess: { batcher: one(90), combiner: one(70) }, busiest: 'batcher' },
    },
    paper: { peak: one(3000), closed: {}, openFellBehindRounds: 1 },
  },
  ratios: { 'tutti/paper': { median: 1.8, min: 0.9, max: 2.8 } },
};

describe('summaryLines', () => {
  const text = summaryLines(summary, 2500).join('\n');

  it('gives the median with the range when rounds differ', () => {
    expect(text).toContain('peak 5000 (4000-6000) req/s');
    expect(text).toContain('tutti/paper peak: 1.80 (0.90-2.80)x');
  });

  it('flags an open loop that fell behind, and only that one', () => {
    expect(text).toMatch(/paper .*FELL BEHIND in 1 round/);
    expect(text).not.toMatch(/tutti .*FELL BEHIND/);
  });

  it('says when CPU was not measured, and names the busiest process when it was', () => {
    expect(text).toMatch(/paper\s+not measured/);
    expect(text).toContain('total 200; busiest batcher; batcher 90, combiner 70');
  });
});
