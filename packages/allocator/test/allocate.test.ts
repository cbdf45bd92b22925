import { describe, expect, it } from 'vitest';
import { TuttiError } from '@tutti/core';
import { allocate, baseline, greedy, worstFit, type AllocationInput } from '../src/index.js';
import { cpu, gpu, gpus, input } from './support.js';

const problem = input(
  [cpu(2), ...gpus(1, 8)],
  [
    { name: 'a', memoryGB: 1, gmacs: 1 },
    { name: 'b', memoryGB: 2, gmacs: 0.2 },
  ],
);

function problemOf(change: (copy: AllocationInput) => void): AllocationInput {
  const copy = structuredClone(problem);
  change(copy);
  return copy;
}

describe('allocate', () => {
  it('dispatches on the strategy, greedy by default', () => {
    expect(allocate(problem, 'baseline')).toEqual(baseline(problem));
    expect(allocate(problem, 'worst-fit')).toEqual(worstFit(problem));
    expect(allocate(problem, 'greedy')).toEqual(greedy(problem));
    expect(allocate(problem).strategy).toBe('greedy');
  });

  it.each([
    ['no devices', (p: AllocationInput) => (p.devices = []), /no devices/],
    ['duplicate device ids', (p: AllocationInput) => p.devices.push(cpu(2)), /duplicate device ids: cpu/],
    ['a CPU without cores', (p: AllocationInput) => (p.devices[0]!.cores = 0), /device cpu: a CPU needs cores >= 1/],
    ['a device without memory', (p: AllocationInput) => (p.devices[1]!.memoryBytes = 0), /device gpu0: memory must be positive/],
    ['no members', (p: AllocationInput) => (p.members = []), /no members/],
    ['duplicate members', (p: AllocationInput) => p.members.push('a'), /duplicate members: a/],
    [
      'a member without any profile',
      (p: AllocationInput) => (p.profiles = { b: p.profiles.b! }),
      /member "a" has no profile on any device \(cpu, gpu0\)/,
    ],
    [
      'a profile only for an unknown device',
      (p: AllocationInput) => (p.profiles.a = { tpu: p.profiles.a!.gpu0! }),
      /member "a" has no profile on any device/,
    ],
    [
      'batch sizes not covered by a profile',
      (p: AllocationInput) => (p.batchSizes = [1, 64]),
      /profile of "a" on cpu does not cover batch size\(s\) 64 \(measured: 1, 2, 4, 8, 16, 32\)/,
    ],
    ['bad batch sizes', (p: AllocationInput) => (p.batchSizes = [0]), /batch sizes must be integers >= 1/],
    ['a profile with no points', (p: AllocationInput) => (p.profiles.b!.gpu0!.points = []), /profile of "b" on gpu0 has no points/],
    [
      'a point with zero latency',
      (p: AllocationInput) => (p.profiles.b!.gpu0!.points[0]!.latencyMs = 0),
      /profile of "b" on gpu0: bad point/,
    ],
    ['a non-positive latency budget', (p: AllocationInput) => (p.latencyBudgetMs = -5), /latency budget must be positive, got -5 ms/],
    ['a bad instance cap', (p: AllocationInput) => (p.maxInstancesPerMember = 0), /maxInstancesPerMember must be an integer >= 1/],
    ['a negative minimum gain', (p: AllocationInput) => (p.minGain = -1), /minGain must be >= 0/],
  ])('refuses %s with INVALID_OPTION naming it', (_, change, message) => {
    const bad = problemOf(change);
    for (const strategy of ['baseline', 'worst-fit', 'greedy'] as const) {
      expect(() => allocate(bad, strategy)).toThrow(message);
      expect(() => allocate(bad, strategy)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    }
  });

  it('names several problems at once', () => {
    const bad = problemOf((p) => {
      p.devices = [];
      p.members.push('a');
    });
    expect(() => allocate(bad)).toThrow(/no devices to place members on; .*duplicate members: a/);
  });

  it('accepts interpolated batch sizes between measured ones', () => {
    const between = problemOf((p) => (p.batchSizes = [3, 24]));
    expect(allocate(between).instances.every((i) => [3, 24].includes(i.batch))).toBe(true);
  });

  it('fails with ALLOCATION_FAILED, not INVALID_OPTION, when a valid input does not fit', () => {
    const tooBig = input([gpu('gpu0', 4)], [{ name: 'huge', memoryGB: 6, gmacs: 1 }]);
    expect(() => allocate(tooBig)).toThrow(TuttiError);
    expect(() => allocate(tooBig)).toThrow(expect.objectContaining({ code: 'ALLOCATION_FAILED' }));
  });
});
