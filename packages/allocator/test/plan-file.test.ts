import { describe, expect, it } from 'vitest';
import { greedy, parsePlan, planToJson } from '../src/index.js';
import { cpu, gpu, input } from './support.js';

const plan = {
  ...greedy(
    input(
      [cpu(2), gpu('gpu0', 8)],
      [
        { name: 'heavy', memoryGB: 6, gmacs: 4 },
        { name: 'light', memoryGB: 1, gmacs: 0.1 },
      ],
      { latencyBudgetMs: 500 },
    ),
  ),
  ensemble: 'demo',
};

function broken(change: (json: any) => void): string {
  const json = JSON.parse(planToJson(plan));
  change(json);
  return JSON.stringify(json);
}

describe('plan files', () => {
  it('round-trip through JSON', () => {
    expect(parsePlan(planToJson(plan))).toEqual(plan);
  });

  it('refuse text that is not JSON', () => {
    expect(() => parsePlan('{')).toThrow(/plan is not JSON/);
  });

  it.each([
    ['a zero batch', (j: any) => (j.instances[0].batch = 0), /instances\.0\.batch/],
    ['a wrong version', (j: any) => (j.version = 2), /version/],
    ['an unknown strategy', (j: any) => (j.strategy = 'magic'), /strategy/],
    ['a missing prediction', (j: any) => delete j.predicted, /predicted/],
    ['a broken prediction', (j: any) => (j.predicted.members[0].throughput = 'fast'), /predicted\.members\.0\.throughput/],
    ['an unknown field', (j: any) => (j.instances[0].gpu = true), /instances\.0: Unrecognized key/],
    ['an instance on an undeclared device', (j: any) => (j.instances[0].device = 'tpu9'), /undeclared devices tpu9/],
    ['an instance of an unknown member', (j: any) => (j.instances[0].member = 'ghost'), /unknown members ghost/],
    ['a member without instances', (j: any) => j.members.push('lonely'), /members without an instance: lonely/],
    ['duplicate devices', (j: any) => j.devices.push(j.devices[0]), /duplicate device ids cpu/],
  ])('refuse a plan with %s, naming the field', (_, change, message) => {
    expect(() => parsePlan(broken(change))).toThrow(message);
    expect(() => parsePlan(broken(change))).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
