import { describe, expect, it } from 'vitest';
import { instanceThroughput, latencyOf, pickSetting, settingsFor, type MemberProfile, type Setting } from '../src/index.js';
import { cpu, input } from './support.js';

const measured: MemberProfile = {
  member: 'm',
  modelSha256: 'x',
  deviceName: 'host',
  source: 'measured',
  memoryBytes: 1,
  points: [
    { batch: 1, threads: 1, latencyMs: 2 },
    { batch: 8, threads: 1, latencyMs: 9 },
    { batch: 1, threads: 2, latencyMs: 1 },
  ],
};

describe('latencyOf', () => {
  it('reads measured points and interpolates linearly between batch sizes at the same threads', () => {
    expect(latencyOf(measured, 1, 1)).toBe(2);
    expect(latencyOf(measured, 8, 1)).toBe(9);
    expect(latencyOf(measured, 4, 1)).toBeCloseTo(2 + (7 * 3) / 7);
    expect(latencyOf(measured, 2, 1)).toBeCloseTo(3);
  });

  it('is undefined outside the measured range and for unmeasured threads', () => {
    expect(latencyOf(measured, 16, 1)).toBeUndefined();
    expect(latencyOf(measured, 4, 2)).toBeUndefined();
    expect(latencyOf(measured, 1, 3)).toBeUndefined();
  });
});

describe('instanceThroughput', () => {
  it('turns batch latency into rows per second', () => {
    expect(instanceThroughput(measured, 8, 1)).toBeCloseTo(8000 / 9);
    expect(instanceThroughput(measured, 4, 1)).toBeCloseTo(4000 / 5);
    expect(instanceThroughput(measured, 64, 1)).toBeUndefined();
  });
});

describe('settings', () => {
  const setting = (batch: number, latencyMs: number): Setting => ({ batch, threads: 1, latencyMs, throughput: (batch * 1000) / latencyMs });

  it('picks the best throughput within the latency, the larger batch on a tie', () => {
    const settings = [setting(1, 1), setting(2, 2), setting(4, 3), setting(8, 10)];
    expect(pickSetting(settings)!.batch).toBe(4);
    expect(pickSetting([setting(1, 1), setting(2, 2)])!.batch).toBe(2);
    expect(pickSetting(settings, 2.5)!.batch).toBe(2);
  });

  it('counts the share of a shared device against the latency, and falls back to the quickest setting', () => {
    const settings = [setting(1, 1), setting(2, 2), setting(4, 3)];
    expect(pickSetting(settings, 4, 0.5)!.batch).toBe(2);
    expect(pickSetting(settings, 1, 0.25)!.batch).toBe(1);
    expect(pickSetting([], 1)).toBeUndefined();
  });

  it('leaves out settings whose batch latency is over the budget', () => {
    const problem = input([cpu(2)], [{ name: 'a', memoryGB: 1, gmacs: 0.4 }], { latencyBudgetMs: 50 });
    const settings = settingsFor(problem, 'a', problem.devices[0]!);
    expect(settings.length).toBeGreaterThan(0);
    expect(settings.every((s) => s.latencyMs <= 50)).toBe(true);
    expect(settings.some((s) => s.batch === 32)).toBe(false);
  });
});
