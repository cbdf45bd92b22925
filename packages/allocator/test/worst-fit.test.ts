import { describe, expect, it } from 'vitest';
import { TuttiError } from '@tutti/core';
import { baseline, instanceThroughput, settingsFor, worstFit } from '../src/index.js';
import { expectHonestPrediction, expectWithinBudget, expectWithinCapacity } from './expectations.js';
import { GB, TWELVE_HEAVY, cpu, gpu, gpus, input } from './support.js';

describe('worst-fit placement', () => {
  it('places twelve heavy DNNs on four 32 GB GPUs: every one, once, no device over its memory', () => {
    const problem = input(gpus(4), TWELVE_HEAVY);
    const plan = worstFit(problem);
    expect(plan.instances.map((i) => i.member)).toEqual(TWELVE_HEAVY.map((m) => m.name));
    expectWithinCapacity(plan);
    expectHonestPrediction(problem, plan);
    for (const usage of plan.predicted.devices) expect(usage.memoryBytes).toBeGreaterThan(20 * GB);
  });

  it('takes members largest first, each to the device with the most free memory, ties to the first device', () => {
    const problem = input(gpus(2, 16), [
      { name: 'small', memoryGB: 2, gmacs: 1 },
      { name: 'large', memoryGB: 8, gmacs: 1 },
      { name: 'medium', memoryGB: 5, gmacs: 1 },
    ]);
    // large -> gpu0 (tie), medium -> gpu1 (16 free), small -> gpu1 (11 free against 8).
    expect(worstFit(problem).instances.map((i) => `${i.member}@${i.device}`)).toEqual(['small@gpu1', 'large@gpu0', 'medium@gpu1']);
  });

  it('only uses devices a member has a profile for', () => {
    const problem = input([cpu(4, 64), gpu('gpu0', 16)], [{ name: 'a', memoryGB: 1, gmacs: 1 }]);
    delete problem.profiles.a!.cpu;
    expect(worstFit(problem).instances[0]!.device).toBe('gpu0');
  });

  it('names the member that fits nowhere, its need and the largest free space, in readable units', () => {
    const run = () =>
      worstFit(
        input(gpus(2, 16), [
          { name: 'small', memoryGB: 2, gmacs: 1 },
          { name: 'giant', memoryGB: 40, gmacs: 9 },
        ]),
      );
    expect(run).toThrow(TuttiError);
    expect(run).toThrow('member "giant" needs 40.0 GB but the largest free space is 16.0 GB (on gpu0)');
    try {
      worstFit(
        input(
          [gpu('gpu2', 2)],
          [
            { name: 'x', memoryGB: 1.2, gmacs: 1 },
            { name: 'y', memoryGB: 1.2, gmacs: 1 },
          ],
        ),
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: 'ALLOCATION_FAILED',
        message: 'member "y" needs 1.2 GB but the largest free space is 800 MB (on gpu2)',
      });
    }
  });
});

describe('worst-fit settings', () => {
  it('gives every CPU instance a thread on a 2-core host with 4 members, and predicts the oversubscription', () => {
    const members = ['a', 'b', 'c', 'd'].map((name, i) => ({ name, memoryGB: 0.2, gmacs: 0.5 + i }));
    const problem = input([cpu(2)], members);
    const plan = worstFit(problem);
    expect(plan.instances.map((i) => i.threads)).toEqual([1, 1, 1, 1]);
    expect(plan.predicted.devices[0]).toMatchObject({ cores: 4, coresCapacity: 2 });
    // 4 one-thread instances on 2 cores, work-conserving: X * sum(1 / c_i) = 2 cores.
    const capacities = plan.instances.map((i) => instanceThroughput(problem.profiles[i.member]!.cpu!, i.batch, 1)!);
    expect(plan.predicted.throughput).toBeCloseTo(2 / capacities.reduce((sum, c) => sum + 1 / c, 0), 9);
    expect(plan.predicted.limitedBy).toBe('cpu');
  });

  it('splits the cores as evenly as possible among the CPU instances', () => {
    const three = ['a', 'b', 'c'].map((name) => ({ name, memoryGB: 1, gmacs: 1 }));
    expect(worstFit(input([cpu(8)], three)).instances.map((i) => i.threads)).toEqual([3, 3, 2]);
    expect(worstFit(input([cpu(2)], three.slice(0, 1))).instances[0]!.threads).toBe(2);
    expect(worstFit(input([cpu(2)], three.slice(0, 2))).instances.map((i) => i.threads)).toEqual([1, 1]);
  });

  it('gives each instance the batch size with the best throughput', () => {
    const problem = input([gpu('gpu0')], [{ name: 'a', memoryGB: 1, gmacs: 0.2 }]);
    const settings = settingsFor(problem, 'a', problem.devices[0]!);
    const best = settings.reduce((a, b) => (b.throughput >= a.throughput ? b : a));
    expect(worstFit(problem).instances[0]!.batch).toBe(best.batch);
  });

  it('keeps to the latency budget, counting the device share, and says when a member cannot meet it', () => {
    const problem = input(
      [gpu('gpu0')],
      [
        { name: 'a', memoryGB: 1, gmacs: 1 },
        { name: 'b', memoryGB: 1, gmacs: 1 },
      ],
      { latencyBudgetMs: 10 },
    );
    // Alone, batch 32 takes 9 ms; time-shared by two it takes 18, so each gets batch 16 (5 ms, 10 shared).
    const plan = worstFit(problem);
    expectWithinBudget(problem, plan);
    expect(plan.instances.map((i) => i.batch)).toEqual([16, 16]);
    for (const m of plan.predicted.members) expect(m.batchLatencyMs).toBeLessThanOrEqual(10);
    expect(plan.latencyBudgetMs).toBe(10);
    expect(() => worstFit(input([cpu(1)], [{ name: 'slow', memoryGB: 1, gmacs: 5 }], { latencyBudgetMs: 10 }))).toThrow(
      /member "slow" has no batch size whose latency meets the budget of 10 ms/,
    );
  });
});

describe('baseline', () => {
  it('is the worst-fit plan: one instance per member at its best batch size', () => {
    const problem = input([cpu(4), ...gpus(2, 16)], TWELVE_HEAVY.slice(0, 5));
    const plan = baseline(problem);
    expect(plan.strategy).toBe('baseline');
    expect(plan.instances).toEqual(worstFit(problem).instances);
    expect(plan.steps).toEqual([]);
  });
});
