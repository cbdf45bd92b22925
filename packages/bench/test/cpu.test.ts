import { describe, expect, it } from 'vitest';
import { cpuPerRequest, readCpu, ticksOfStat } from '../src/cpu.js';

// A real /proc/1/stat line: utime 59 (field 14), stime 190 (field 15).
const STAT = '1 (process_api) S 0 0 0 0 -1 4194560 17001 636169 0 145 59 190 1761 1491 10 -10 13 0 20 39669760 2438';

describe('ticksOfStat', () => {
  it('adds utime and stime', () => {
    expect(ticksOfStat(STAT)).toBe(249);
  });

  it('counts fields from the last parenthesis, so a command name with spaces and ")" does not shift them', () => {
    expect(ticksOfStat(STAT.replace('(process_api)', '(node ) worker 1)'))).toBe(249);
  });

  it('refuses text that is not a stat line', () => {
    expect(() => ticksOfStat('hello')).toThrow(/stat/);
  });
});

describe('readCpu', () => {
  it('reads this process and leaves out a pid that does not exist', () => {
    const readings = readCpu([
      { name: 'me', pid: process.pid },
      { name: 'gone', pid: 2 ** 22 + 1 },
    ]);
    expect(readings.map((r) => r.name)).toEqual(['me']);
    expect(readings[0]!.ticks).toBeGreaterThanOrEqual(0);
  });
});

describe('cpuPerRequest', () => {
  const before = [
    { name: 'batcher', pid: 10, ticks: 100 },
    { name: 'worker', pid: 11, ticks: 50 },
  ];

  it('converts ticks to microseconds per request, per process and in total, and names the busiest', () => {
    // batcher: 20 ticks at 100 Hz = 0.2 s over 1000 requests = 200 us; worker: 50 ticks = 500 us.
    const after = [
      { name: 'batcher', pid: 10, ticks: 120 },
      { name: 'worker', pid: 11, ticks: 100 },
    ];
    const cpu = cpuPerRequest(before, after, 1000, 100)!;
    expect(cpu.perProcessUs).toEqual({ batcher: 200, worker: 500 });
    expect(cpu.totalUs).toBe(700);
    expect(cpu.busiest).toBe('worker');
    expect(cpu.skipped).toEqual([]);
  });

  it('uses the clock rate it is given', () => {
    const after = [{ name: 'batcher', pid: 10, ticks: 120 }];
    expect(cpuPerRequest(before.slice(0, 1), after, 1000, 1000)!.perProcessUs.batcher).toBe(20);
  });

  it('skips a process restarted (new pid) or gone between the readings', () => {
    const after = [{ name: 'batcher', pid: 99, ticks: 5 }];
    const cpu = cpuPerRequest(before, after, 10, 100)!;
    expect(cpu.perProcessUs).toEqual({});
    expect(cpu.skipped.sort()).toEqual(['batcher', 'worker']);
    expect(cpu.busiest).toBe('');
  });

  it('gives nothing when no request was answered', () => {
    expect(cpuPerRequest(before, before, 0, 100)).toBeUndefined();
  });
});
