import { describe, expect, it } from 'vitest';
import { instanceThroughput, latencyOf, type MemberProfile } from '../src/index.js';

const profile: MemberProfile = {
  member: 'm',
  modelSha256: 'x',
  deviceName: 'host',
  source: 'measured',
  memoryBytes: 1,
  points: [
    { batch: 1, threads: 1, latencyMs: 2 },
    { batch: 8, threads: 1, latencyMs: 9 },
    { batch: 1, threads: 2, latencyMs: 1 },
  ],
};

describe('profiles', () => {
  it('reads measured points and interpolates linearly between batch sizes at the same threads', () => {
    expect(latencyOf(profile, 1, 1)).toBe(2);
    expect(latencyOf(profile, 4, 1)).toBeCloseTo(2 + (7 * 3) / 7);
    expect(latencyOf(profile, 16, 1)).toBeUndefined();
    expect(latencyOf(profile, 4, 2)).toBeUndefined();
    expect(latencyOf(profile, 1, 3)).toBeUndefined();
  });

  it('turns latency into rows per second', () => {
    expect(instanceThroughput(profile, 8, 1)).toBeCloseTo(8000 / 9);
  });
});
