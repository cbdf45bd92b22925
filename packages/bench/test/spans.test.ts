import { describe, expect, it } from 'vitest';
import { parseMarks, stepsOf, summariseSteps, type Mark } from '../src/spans.js';

/** One request through a batcher (pid 1), two workers (pids 2, 3) and a combiner (pid 4), sent at 100 ms. */
function oneRequest(offset: number): Mark[] {
  const m = (t: number, step: string, pid: number): Mark => ({ t: offset + t, step, pid });
  return [
    m(100.2, 'batcher.received', 1),
    m(100.3, 'batcher.dispatched', 1),
    m(100.5, 'worker.received', 2),
    m(100.9, 'worker.received', 3),
    m(101.0, 'worker.computed', 2), // worker 2 computes 0.5 ms
    m(101.1, 'worker.computed', 3), // worker 3 computes 0.2 ms
    m(101.05, 'worker.sent', 2),
    m(101.15, 'worker.sent', 3),
    m(101.1, 'combiner.result', 4),
    m(101.3, 'combiner.result', 4),
    m(101.4, 'combiner.replied', 4),
  ];
}

describe('idle request spans', () => {
  it("parses a process's marks", () => {
    expect(parseMarks('1795448481962.159 batcher.received 0\n1795448481966.745 batcher.dispatched 7\n', 42)).toEqual([
      { t: 1795448481962.159, step: 'batcher.received', pid: 42 },
      { t: 1795448481966.745, step: 'batcher.dispatched', pid: 42 },
    ]);
  });

  it("splits one request into the steps of the path, pairing each worker's marks by process", () => {
    const steps = stepsOf(100, 101.6, oneRequest(0), 2)!;
    expect(steps['client -> batcher']).toBeCloseTo(0.2, 9);
    expect(steps['in the batcher']).toBeCloseTo(0.1, 9);
    expect(steps['batcher -> first worker']).toBeCloseTo(0.2, 9);
    expect(steps['all workers started']).toBeCloseTo(0.4, 9);
    expect(steps['compute (slowest worker)']).toBeCloseTo(0.5, 9);
    expect(steps['last result -> combiner']).toBeCloseTo(0.15, 9);
    expect(steps['in the combiner']).toBeCloseTo(0.1, 9);
    expect(steps['combiner -> client']).toBeCloseTo(0.2, 9);
    expect(steps.total).toBeCloseTo(1.6, 9);
  });

  it('skips a request whose window lacks a mark, and uses only the marks inside its window', () => {
    const marks = [...oneRequest(0), ...oneRequest(10)];
    expect(stepsOf(100, 101.6, marks, 3)).toBeUndefined(); // 3 workers expected, 2 marked
    expect(stepsOf(110, 111.6, marks, 2)!.total).toBeCloseTo(1.6, 9);
  });

  it('summarises p50 and p90 per step', () => {
    const requests = [0, 10, 20].map((k) => stepsOf(100 + k, 101.6 + k, oneRequest(k), 2)!);
    const summary = summariseSteps(requests);
    expect(summary.total.p50).toBeCloseTo(1.6, 2);
    expect(summary['compute (slowest worker)'].p90).toBeCloseTo(0.5, 2);
  });
});
