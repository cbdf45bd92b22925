import { describe, expect, it } from 'vitest';
import { fits, instanceThroughput, predict, type Instance } from '../src/index.js';
import { GB, cpu, gpu, input } from './support.js';

const problem = input(
  [cpu(4), gpu('gpu0', 16)],
  [
    { name: 'fast', memoryGB: 2, gmacs: 0.5 },
    { name: 'slow', memoryGB: 6, gmacs: 4 },
  ],
);
const alone = (member: string, device: string, batch: number, threads: number) =>
  instanceThroughput(problem.profiles[member]![device]!, batch, threads)!;

describe('predict', () => {
  it('gives the ensemble the throughput of its slowest member, each member the sum of its instances', () => {
    const instances: Instance[] = [
      { member: 'fast', device: 'cpu', batch: 8, threads: 2 },
      { member: 'slow', device: 'cpu', batch: 8, threads: 2 },
      { member: 'slow', device: 'gpu0', batch: 32, threads: 1 },
    ];
    const prediction = predict(problem, instances);
    const slowCapacity = alone('slow', 'cpu', 8, 2) + alone('slow', 'gpu0', 32, 1);
    const fastCapacity = alone('fast', 'cpu', 8, 2);
    // The 4-core CPU bounds the rate to cores / sum(threads / member capacity).
    const cpuBound = 4 / (2 / fastCapacity + 2 / slowCapacity);
    const gpuBound = slowCapacity; // one instance on gpu0: X / slowCapacity <= 1
    const fast = Math.min(fastCapacity, cpuBound);
    const slow = Math.min(slowCapacity, cpuBound, gpuBound);
    expect(prediction.members[0]!.throughput).toBeCloseTo(fast, 9);
    expect(prediction.members[1]!.throughput).toBeCloseTo(slow, 9);
    expect(prediction.throughput).toBeCloseTo(Math.min(fast, slow), 9);
    expect(prediction.members[1]!.instances).toBe(2);
  });

  it('counts memory per device from the profiles and CPU cores from the threads', () => {
    const prediction = predict(problem, [
      { member: 'fast', device: 'cpu', batch: 1, threads: 3 },
      { member: 'slow', device: 'gpu0', batch: 1, threads: 1 },
      { member: 'fast', device: 'gpu0', batch: 1, threads: 1 },
    ]);
    expect(prediction.devices).toEqual([
      { device: 'cpu', memoryBytes: 2 * GB, memoryCapacity: 24 * GB, cores: 3, coresCapacity: 4 },
      { device: 'gpu0', memoryBytes: 8 * GB, memoryCapacity: 16 * GB },
    ]);
    expect(fits(prediction.devices)).toBe(true);
  });

  it('scales CPU instances by cores / threads when the threads oversubscribe the cores', () => {
    const two = input(
      [cpu(2)],
      [
        { name: 'a', memoryGB: 1, gmacs: 1 },
        { name: 'b', memoryGB: 1, gmacs: 1 },
        { name: 'c', memoryGB: 1, gmacs: 1 },
      ],
    );
    const prediction = predict(
      two,
      ['a', 'b', 'c'].map((member) => ({ member, device: 'cpu', batch: 4, threads: 1 })),
    );
    const single = instanceThroughput(two.profiles.a!.cpu!, 4, 1)!;
    expect(prediction.throughput).toBeCloseTo((single * 2) / 3, 9);
    expect(prediction.members[0]!.batchLatencyMs).toBeCloseTo((4000 / single) * 1.5, 9);
    expect(prediction.devices[0]!.cores).toBe(3);
    expect(fits(prediction.devices)).toBe(false);
  });

  it('time-shares a GPU among its instances', () => {
    const shared = predict(problem, [
      { member: 'fast', device: 'gpu0', batch: 32, threads: 1 },
      { member: 'slow', device: 'gpu0', batch: 32, threads: 1 },
    ]);
    // The GPU's time is the limit for both: X (1/c_fast + 1/c_slow) = 1.
    const both = 1 / (1 / alone('fast', 'gpu0', 32, 1) + 1 / alone('slow', 'gpu0', 32, 1));
    expect(shared.throughput).toBeCloseTo(both, 9);
    expect(shared.limitedBy).toBe('gpu0');
    // Two instances of one member on one GPU are worth one.
    const twice = predict(problem, [
      { member: 'fast', device: 'gpu0', batch: 32, threads: 1 },
      { member: 'fast', device: 'gpu0', batch: 32, threads: 1 },
      { member: 'slow', device: 'gpu1', batch: 32, threads: 1 },
    ]);
    expect(twice.members[0]!.throughput).toBeCloseTo(alone('fast', 'gpu0', 32, 1), 9);
    expect(twice.throughput).toBeLessThanOrEqual(alone('fast', 'gpu0', 32, 1) * (1 + 1e-9));
  });

  it('flags memory over capacity', () => {
    const prediction = predict(problem, [
      { member: 'slow', device: 'gpu0', batch: 1, threads: 1 },
      { member: 'slow', device: 'gpu0', batch: 1, threads: 1 },
      { member: 'slow', device: 'gpu0', batch: 1, threads: 1 },
      { member: 'fast', device: 'cpu', batch: 1, threads: 1 },
    ]);
    expect(prediction.devices[1]!.memoryBytes).toBe(18 * GB);
    expect(fits(prediction.devices)).toBe(false);
  });

  it('names a member without instances as the bottleneck at zero', () => {
    const prediction = predict(problem, [{ member: 'fast', device: 'cpu', batch: 1, threads: 1 }]);
    expect(prediction).toMatchObject({ throughput: 0, bottleneck: 'slow' });
  });
});
