import { describe, expect, it } from 'vitest';
import { TuttiError } from '@tutti/core';
import { costModelProfile, latencyOf, RUNTIME_OVERHEAD_BYTES, threadSpeedup } from '../src/index.js';
import { cpu, gpu } from './support.js';

const resnet50 = { macs: 4.1e9, parameterBytes: 102e6 };

describe('costModelProfile', () => {
  it('models a GPU batch as overhead plus the larger of compute and reading the weights, at one thread', () => {
    const profile = costModelProfile('r50', resnet50, gpu('gpu0'), [1, 64], [1, 2, 4]);
    expect(profile.source).toBe('cost-model');
    expect(profile.deviceName).toBe('V100-32GB');
    expect(new Set(profile.points.map((p) => p.threads))).toEqual(new Set([1]));
    // batch 1: compute 4.1e9 / 4e12 = 1.025 ms, weights 102e6 / 900e9 = 0.113 ms.
    expect(latencyOf(profile, 1, 1)).toBeCloseTo(1 + 1.025, 6);
    expect(latencyOf(profile, 64, 1)).toBeCloseTo(1 + 64 * 1.025, 6);
  });

  it('is bandwidth-bound for small batches of a large, cheap model', () => {
    const profile = costModelProfile('wide', { macs: 1e6, parameterBytes: 9e9 }, gpu('gpu0'), [1, 2], [1]);
    expect(latencyOf(profile, 1, 1)).toBeCloseTo(1 + 10, 6);
    expect(latencyOf(profile, 2, 1)).toBeCloseTo(1 + 10, 6);
  });

  it('divides CPU compute over threads with near-linear scaling, only for thread counts within the cores', () => {
    const profile = costModelProfile('r50', resnet50, cpu(4), [1, 8], [1, 2, 4, 8]);
    expect([...new Set(profile.points.map((p) => p.threads))]).toEqual([1, 2, 4]);
    const one = latencyOf(profile, 8, 1)! - 0.5;
    expect(one).toBeCloseTo((8 * 4.1e9 * 1000) / 40e9, 6);
    expect(one / (latencyOf(profile, 8, 2)! - 0.5)).toBeCloseTo(1.9, 6);
    expect(one / (latencyOf(profile, 8, 4)! - 0.5)).toBeCloseTo(3.61, 6);
    expect(threadSpeedup(1)).toBe(1);
    for (let t = 1; t < 128; t++) expect(threadSpeedup(t + 1)).toBeGreaterThan(threadSpeedup(t));
  });

  it('estimates memory as twice the weights plus a runtime overhead, unless given', () => {
    expect(costModelProfile('r50', resnet50, cpu(2), [1], [1]).memoryBytes).toBe(2 * 102e6 + RUNTIME_OVERHEAD_BYTES.cpu);
    expect(costModelProfile('r50', resnet50, gpu('gpu0'), [1], [1]).memoryBytes).toBe(2 * 102e6 + RUNTIME_OVERHEAD_BYTES.gpu);
    expect(costModelProfile('r50', { ...resnet50, memoryBytes: 5e8, modelSha256: 'abc' }, gpu('gpu0'), [1], [1])).toMatchObject({
      memoryBytes: 5e8,
      modelSha256: 'abc',
    });
  });

  it('refuses a device without a speed, bad batch sizes, or no thread count that fits', () => {
    const { speed: _, ...slowless } = gpu('gpu0');
    expect(() => costModelProfile('r50', resnet50, slowless, [1], [1])).toThrow(TuttiError);
    expect(() => costModelProfile('r50', resnet50, slowless, [1], [1])).toThrow(/gpu0 declares no speed/);
    expect(() => costModelProfile('r50', resnet50, gpu('gpu0'), [0], [1])).toThrow(/batch sizes/);
    expect(() => costModelProfile('r50', resnet50, cpu(2), [1], [4])).toThrow(/no thread count/);
  });
});
