import { describe, expect, it } from 'vitest';
import { greedy, parsePlan, planToJson, formatPlan } from '../src/index.js';
import { cpu, gpu, input } from './support.js';

const problem = input([cpu(2), gpu('gpu0', 8)], [
  { name: 'heavy', memoryGB: 6, msPerRow: 20 },
  { name: 'light', memoryGB: 1, msPerRow: 1 },
]);

describe('plan report and file', () => {
  const plan = { ...greedy(problem), ensemble: 'demo' };

  it('prints the matrix with a cell per device and member, usage, predictions and steps', () => {
    const text = formatPlan(plan);
    expect(text).toMatch(/^Plan for demo \(greedy\): predicted [\d.]+ rows\/s, bottleneck \w+/);
    expect(text).toMatch(/gpu0 gpu V100-32GB \(declared, EMULATED here\)/);
    const gpuRow = text.split('\n').find((line) => line.startsWith('gpu0'))!;
    const gpuInstances = plan.instances.filter((i) => i.device === 'gpu0');
    expect(gpuRow).toContain(`${gpuInstances.filter((i) => i.member === 'heavy').length} x b`);
    expect(text).toMatch(/memory [\d.]+ GB \/ 8\.0 GB/);
    expect(text).toMatch(/cores \d \/ 2/);
    if (plan.steps.length > 0) expect(text).toContain(`Greedy steps (${plan.steps.length}):`);
  });

  it('round-trips through JSON and refuses a broken plan with the field named', () => {
    expect(parsePlan(planToJson(plan))).toEqual(plan);
    expect(() => parsePlan('{')).toThrow(/plan is not JSON/);
    const broken = JSON.parse(planToJson(plan));
    broken.instances[0].batch = 0;
    expect(() => parsePlan(JSON.stringify(broken))).toThrow(/instances\.0\.batch/);
    broken.instances[0].batch = 1;
    broken.instances[0].device = 'tpu9';
    expect(() => parsePlan(JSON.stringify(broken))).toThrow(/undeclared devices tpu9/);
  });
});
