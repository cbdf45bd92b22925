import { describe, expect, it } from 'vitest';
import { greedy, predict, worstFit, type AllocationInput, type Plan } from '../src/index.js';
import { expectHonestPrediction, expectWithinBudget, expectWithinCapacity } from './expectations.js';
import { TWELVE_HEAVY, cpu, gpus, input, randomProblem, seeded } from './support.js';

/** Every step gains, steps chain, and the end is no worse than the start. */
function expectNeverLower(start: Plan, plan: Plan): void {
  let throughput = start.predicted.throughput;
  for (const step of plan.steps) {
    expect(step.throughputBefore).toBe(throughput);
    expect(step.throughputAfter).toBeGreaterThanOrEqual(step.throughputBefore);
    throughput = step.throughputAfter;
  }
  expect(plan.predicted.throughput).toBe(throughput);
  expect(plan.predicted.throughput).toBeGreaterThanOrEqual(start.predicted.throughput);
}

describe('greedy', () => {
  it('spreads one DNN over sixteen GPUs: sixteen instances, one per GPU', () => {
    const problem = input(gpus(16), [{ name: 'big', memoryGB: 10, gmacs: 5 }]);
    const plan = greedy(problem);
    expect(plan.instances).toHaveLength(16);
    expect(new Set(plan.instances.map((i) => i.device)).size).toBe(16);
    expectWithinCapacity(plan);
    const single = worstFit(input(gpus(1), [{ name: 'big', memoryGB: 10, gmacs: 5 }])).predicted.throughput;
    expect(plan.predicted.throughput).toBeCloseTo(16 * single, 6);
    expect(plan.steps.every((s) => /^add big on gpu\d+ \(b\d+, 1 thread\)$/.test(s.move))).toBe(true);
  });

  it('breaks ties between bottleneck members: one move lifts one, the next lifts the ensemble', () => {
    const twins = input(gpus(4), [
      { name: 'a', memoryGB: 10, gmacs: 5 },
      { name: 'b', memoryGB: 10, gmacs: 5 },
    ]);
    const start = worstFit(twins);
    const plan = greedy(twins);
    expect(plan.steps.map((s) => s.move)).toEqual([expect.stringMatching(/^add a on gpu2/), expect.stringMatching(/^add b on gpu3/)]);
    expect(plan.steps[0]!.throughputAfter).toBe(start.predicted.throughput);
    expect(plan.predicted.throughput).toBeCloseTo(2 * start.predicted.throughput, 6);
  });

  it('stops at maxInstancesPerMember', () => {
    const plan = greedy(input(gpus(16), [{ name: 'big', memoryGB: 10, gmacs: 5 }], { maxInstancesPerMember: 4 }));
    expect(plan.instances).toHaveLength(4);
  });

  it('improves on worst-fit for twelve heavy DNNs on four GPUs, within memory', () => {
    const problem = input(gpus(4), TWELVE_HEAVY);
    const start = worstFit(problem);
    const plan = greedy(problem);
    // Three members per time-shared GPU: more instances cannot add GPU time, so greedy may keep the start.
    expect(plan.predicted.throughput).toBeGreaterThanOrEqual(start.predicted.throughput);
    expectNeverLower(start, plan);
    expectWithinCapacity(plan);
    expectHonestPrediction(problem, plan);
  });

  it('never lowers predicted throughput and keeps every plan feasible, on many seeded inputs', () => {
    const random = seeded(42);
    for (let trial = 0; trial < 60; trial++) {
      const problem = randomProblem(random, trial % 3 === 0 ? { latencyBudgetMs: 50 + random() * 200 } : {});
      let start: Plan;
      try {
        start = worstFit(problem);
      } catch {
        continue; // too tight a budget or too little memory: nothing to tune
      }
      const plan = greedy(problem);
      expectNeverLower(start, plan);
      // Tie-breaking steps after the last step that gained over 1% are kept only if together they gain over 1%.
      const tiesFrom = plan.steps.findLastIndex((s) => s.throughputAfter > s.throughputBefore * 1.01) + 1;
      if (tiesFrom < plan.steps.length) expect(plan.predicted.throughput).toBeGreaterThan(plan.steps[tiesFrom]!.throughputBefore * 1.01);
      expectHonestPrediction(problem, plan);
      if (problem.latencyBudgetMs !== undefined) expectWithinBudget(problem, plan);
      // Memory always fits; cores too, unless worst-fit already had more CPU instances than cores:
      // then only the steps that say they oversubscribe add threads, one each.
      const oversubscribing = plan.steps.filter((step) => step.move.includes('(oversubscribing the cores)')).length;
      plan.predicted.devices.forEach((usage, k) => {
        expect(usage.memoryBytes).toBeLessThanOrEqual(usage.memoryCapacity);
        if (usage.cores !== undefined)
          expect(usage.cores).toBeLessThanOrEqual(Math.max(usage.coresCapacity!, start.predicted.devices[k]!.cores! + oversubscribing));
      });
    }
  });

  it('gives a heavy member held back by its single instance a second one on an oversubscribed CPU, and no more', () => {
    // Three light members and one six times heavier on 2 cores: worst-fit puts 4 threads on them. The
    // heavy member's own instance caps the ensemble below what the cores could do, so it gets a second.
    const members = [0.5, 0.5, 0.5, 3].map((gmacs, i) => ({ name: `m${i}`, memoryGB: 0.3, gmacs }));
    const problem = input([cpu(2)], members);
    const start = worstFit(problem);
    expect(start.predicted.limitedBy).toBeUndefined();
    const plan = greedy(problem);
    expect(plan.instances.filter((i) => i.member === 'm3')).toHaveLength(2);
    expect(plan.steps.some((s) => s.move.startsWith('add m3 on cpu') && s.move.endsWith('(oversubscribing the cores)'))).toBe(true);
    // Once the cores are what limits, nothing more is added.
    expect(plan.predicted.limitedBy).toBe('cpu');
    expect(plan.predicted.devices[0]!.cores).toBe(5);
    expectHonestPrediction(problem, plan);
  });

  it('on a 2-core host with 4 members, stays at one thread each and predicts the shared cores', () => {
    const problem = input(
      [cpu(2)],
      ['a', 'b', 'c', 'd'].map((name, i) => ({ name, memoryGB: 0.3, gmacs: 0.5 + i })),
    );
    const plan = greedy(problem);
    expect(plan.instances).toHaveLength(4);
    expect(plan.predicted.devices[0]).toMatchObject({ cores: 4, coresCapacity: 2 });
    expectHonestPrediction(problem, plan);
    const spare = greedy(input([cpu(2)], [{ name: 'a', memoryGB: 0.3, gmacs: 1 }]));
    expectWithinCapacity(spare);
  });

  it('is deterministic: the same input gives the same plan', () => {
    const problem = input([cpu(4, 64), ...gpus(1, 16)], TWELVE_HEAVY.slice(0, 6));
    const first = JSON.stringify(greedy(problem));
    expect(JSON.stringify(greedy(problem))).toBe(first);
    expect(JSON.stringify(greedy(structuredClone(problem)))).toBe(first);
  });

  it('never uses a batch whose latency exceeds the budget, nor lets sharing push a batch over it', () => {
    const problem = input(
      [cpu(2), ...gpus(1, 8)],
      [
        { name: 'a', memoryGB: 1, gmacs: 1 },
        { name: 'b', memoryGB: 1, gmacs: 0.2 },
      ],
      { latencyBudgetMs: 20 },
    );
    const plan = greedy(problem);
    expectWithinBudget(problem, plan);
    for (const m of plan.predicted.members) expect(m.batchLatencyMs).toBeLessThanOrEqual(20);
    const unbounded = greedy({ ...problem, latencyBudgetMs: undefined });
    expect(Math.max(...unbounded.predicted.members.map((m) => m.batchLatencyMs))).toBeGreaterThan(20);
  });

  it('starts from a given plan, and refuses one that does not fit the input', () => {
    const problem = input(gpus(2), [{ name: 'a', memoryGB: 1, gmacs: 1 }]);
    const start = worstFit(problem);
    expect(greedy(problem, start).instances).toHaveLength(2);
    const stranger: Plan = { ...start, instances: [{ member: 'zz', device: 'gpu9', batch: 1, threads: 1 }] };
    expect(() => greedy(problem, stranger)).toThrow(/greedy start plan does not fit the input: unknown member "zz"; no instance of "a"/);
  });

  it('stops sooner with a larger minimum gain', () => {
    // On 16 GPUs the second instance gains 100%, the third 50%, the fourth 33%...
    const problem: AllocationInput = input(gpus(16), [{ name: 'big', memoryGB: 10, gmacs: 5 }]);
    expect(greedy({ ...problem, minGain: 0.5 }).instances).toHaveLength(2);
    expect(greedy({ ...problem, minGain: 0.3 }).instances).toHaveLength(4);
  });

  it("gives a cascade's later member fewer instances: it needs only its share of the ensemble's rate", () => {
    const twins = [
      { name: 'first', memoryGB: 10, gmacs: 5 },
      { name: 'later', memoryGB: 10, gmacs: 5 },
    ];
    const all = greedy(input(gpus(8), twins));
    const cascade = greedy(input(gpus(8), twins, { reach: { later: 0.25 } }));
    const count = (plan: typeof all, member: string) => plan.instances.filter((i) => i.member === member).length;
    expect(count(all, 'later')).toBe(count(all, 'first'));
    expect(count(cascade, 'later')).toBeLessThan(count(cascade, 'first'));
    expect(cascade.predicted.throughput).toBeGreaterThan(all.predicted.throughput);
    expect(cascade.reach).toEqual({ later: 0.25 });
    // Its bound on the ensemble is its throughput over its share.
    const later = cascade.predicted.members.find((m) => m.member === 'later')!;
    expect(later.throughput / 0.25).toBeGreaterThanOrEqual(cascade.predicted.throughput * (1 - 1e-9));
    expect(() => greedy(input(gpus(2), twins, { reach: { later: 0 } }))).toThrow(/reach of "later" must be above 0 and at most 1/);
  });
});
