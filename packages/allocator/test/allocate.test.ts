import { describe, expect, it } from 'vitest';
import { TuttiError } from '@tutti/protocol';
import { allocate, baseline, greedy, predict, worstFit, type Plan } from '../src/index.js';
import { GB, cpu, gpu, input, seeded } from './support.js';

function expectWithinCapacity(plan: Plan): void {
  for (const usage of plan.predicted.devices) {
    expect(usage.memoryBytes).toBeLessThanOrEqual(usage.memoryCapacity);
    if (usage.cores !== undefined) expect(usage.cores).toBeLessThanOrEqual(usage.coresCapacity!);
  }
}

const twelveHeavy = Array.from({ length: 12 }, (_, i) => ({ name: `dnn${i}`, memoryGB: 4 + (i % 5) * 1.5, msPerRow: 2 + i }));

describe('worst-fit', () => {
  it('places twelve heavy DNNs on four 32 GB GPUs, every one, no device over its memory, spread out', () => {
    const plan = worstFit(input([0, 1, 2, 3].map((i) => gpu(`gpu${i}`)), twelveHeavy));
    expect(new Set(plan.instances.map((i) => i.member)).size).toBe(12);
    expectWithinCapacity(plan);
    const perDevice = [0, 1, 2, 3].map((i) => plan.instances.filter((x) => x.device === `gpu${i}`).length);
    expect(perDevice.every((n) => n === 3)).toBe(true);
  });

  it('names the member that fits nowhere, its need and the largest free space', () => {
    const run = () => worstFit(input([gpu('gpu0', 16), gpu('gpu1', 16)], [{ name: 'small', memoryGB: 2, msPerRow: 1 }, { name: 'giant', memoryGB: 40, msPerRow: 9 }]));
    expect(run).toThrow(TuttiError);
    expect(run).toThrow(/member "giant" needs 40\.0 GB but the largest free space is 16\.0 GB \(on gpu[01]\)/);
  });

  it('splits the cores of a CPU-only host among the members and predicts the oversubscription', () => {
    const members = ['a', 'b', 'c', 'd'].map((name, i) => ({ name, memoryGB: 0.2, msPerRow: 1 + i }));
    const host = input([cpu(2)], members);
    const plan = worstFit(host);
    expect(plan.instances.map((i) => i.threads)).toEqual([1, 1, 1, 1]);
    // 4 threads on 2 cores: each instance gets half its own speed.
    const alone = (32 * 1000) / (1 + 32 * 1);
    expect(plan.predicted.members[0]!.throughput).toBeCloseTo(alone / 2, 6);
  });

  it('gives two members on two cores one core each, and one member both', () => {
    expect(worstFit(input([cpu(2)], [{ name: 'a', memoryGB: 1, msPerRow: 1 }, { name: 'b', memoryGB: 1, msPerRow: 1 }])).instances.map((i) => i.threads)).toEqual([1, 1]);
    expect(worstFit(input([cpu(2)], [{ name: 'a', memoryGB: 1, msPerRow: 1 }])).instances[0]!.threads).toBe(2);
  });
});

describe('greedy', () => {
  it('spreads one DNN over sixteen GPUs: sixteen instances, one per GPU', () => {
    const plan = greedy(input(Array.from({ length: 16 }, (_, i) => gpu(`gpu${i}`)), [{ name: 'big', memoryGB: 10, msPerRow: 5 }]));
    expect(plan.instances).toHaveLength(16);
    expect(new Set(plan.instances.map((i) => i.device)).size).toBe(16);
    expectWithinCapacity(plan);
    expect(plan.predicted.throughput).toBeCloseTo(16 * worstFit(input([gpu('gpu0')], [{ name: 'big', memoryGB: 10, msPerRow: 5 }])).predicted.throughput, 6);
  });

  it('never lowers predicted throughput, step by step, on many seeded inputs', () => {
    const random = seeded(42);
    for (let trial = 0; trial < 40; trial++) {
      const devices = [cpu(1 + Math.floor(random() * 8)), ...Array.from({ length: Math.floor(random() * 4) }, (_, i) => gpu(`gpu${i}`, 8 + Math.floor(random() * 24)))];
      const members = Array.from({ length: 1 + Math.floor(random() * 8) }, (_, i) => ({ name: `m${i}`, memoryGB: 0.5 + random() * 6, msPerRow: 0.5 + random() * 20 }));
      const problem = input(devices, members);
      const start = worstFit(problem);
      const plan = greedy(problem);
      expect(plan.predicted.throughput).toBeGreaterThanOrEqual(start.predicted.throughput);
      for (const step of plan.steps) expect(step.throughputAfter).toBeGreaterThanOrEqual(step.throughputBefore);
      // Memory always fits; cores too, unless worst-fit already had more CPU members than cores (greedy never adds to that).
      predict(problem, plan.instances).devices.forEach((usage, k) => {
        expect(usage.memoryBytes).toBeLessThanOrEqual(usage.memoryCapacity);
        if (usage.cores !== undefined) expect(usage.cores).toBeLessThanOrEqual(Math.max(usage.coresCapacity!, start.predicted.devices[k]!.cores!));
      });
    }
  });

  it('improves the twelve-DNN case by adding instances where memory allows', () => {
    const problem = input([0, 1, 2, 3].map((i) => gpu(`gpu${i}`)), twelveHeavy);
    const plan = greedy(problem);
    expect(plan.predicted.throughput).toBeGreaterThan(worstFit(problem).predicted.throughput * 1.01);
    expectWithinCapacity(plan);
  });

  it('is deterministic', () => {
    const problem = input([cpu(4), gpu('gpu0', 12)], twelveHeavy.slice(0, 5));
    expect(JSON.stringify(greedy(problem))).toBe(JSON.stringify(greedy(problem)));
  });

  it('never uses a setting whose batch latency breaks the latency budget', () => {
    const problem = input([cpu(2)], [{ name: 'a', memoryGB: 1, msPerRow: 4 }, { name: 'b', memoryGB: 1, msPerRow: 1 }], { latencyBudgetMs: 20 });
    for (const plan of [baseline(problem), worstFit(problem), greedy(problem)]) {
      for (const m of plan.predicted.members) expect(m.batchLatencyMs).toBeLessThanOrEqual(20 * 2 /* shared cores */);
      for (const i of plan.instances) {
        const latency = problem.profiles[i.member]!.cpu!.points.find((p) => p.batch === i.batch && p.threads === i.threads)!.latencyMs;
        expect(latency).toBeLessThanOrEqual(20);
      }
    }
    expect(() => worstFit(input([cpu(1)], [{ name: 'slow', memoryGB: 1, msPerRow: 50 }], { latencyBudgetMs: 10 }))).toThrow(/no batch size whose latency meets the budget of 10 ms/);
  });
});

describe('allocate', () => {
  it('dispatches on the strategy and checks its input', () => {
    const problem = input([cpu(2)], [{ name: 'a', memoryGB: 1, msPerRow: 1 }]);
    expect(allocate(problem, 'baseline').strategy).toBe('baseline');
    expect(() => allocate({ ...problem, devices: [] })).toThrow(/no devices/);
    expect(() => allocate({ ...problem, profiles: {} })).toThrow(/member "a" has no profile/);
    expect(() => allocate({ ...problem, devices: [cpu(2), cpu(2)] })).toThrow(/duplicate device ids: cpu/);
    expect(GB).toBe(1e9);
  });
});
