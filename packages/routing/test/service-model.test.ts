import { describe, expect, it } from 'vitest';
import { ServiceModel, profileLatency } from '../src/service-model.js';

const profile = [
  { batch: 1, latencyMs: 2 },
  { batch: 8, latencyMs: 9 },
  { batch: 32, latencyMs: 33 },
];

describe('profileLatency', () => {
  it('interpolates between points and scales past the largest', () => {
    expect(profileLatency(profile, 8)).toBe(9);
    expect(profileLatency(profile, 4)).toBeCloseTo(2 + (7 * 3) / 7);
    expect(profileLatency(profile, 64)).toBeCloseTo(66);
    expect(profileLatency([], 4)).toBeUndefined();
  });
});

describe('ServiceModel', () => {
  it('uses the profile until a batch size is calibrated, then its own measurements', () => {
    const m = new ServiceModel(profile, { alpha: 0.5, minSamples: 3 });
    expect(m.expectedMs(8)).toBe(9);
    m.learn(8, 18);
    m.learn(8, 18);
    expect(m.isCalibrated(8)).toBe(false);
    m.learn(8, 18);
    expect(m.isCalibrated(8)).toBe(true);
    expect(m.expectedMs(8)).toBeCloseTo(18);
    // Other sizes follow the profile scaled by the calibration measured so far (2x).
    expect(m.expectedMs(32)).toBeCloseTo(66);
  });

  it('without a profile, learns from measurements and scales the nearest batch size', () => {
    const m = new ServiceModel([], { minSamples: 1 });
    expect(m.expectedMs(4)).toBeUndefined();
    m.learn(4, 8);
    expect(m.expectedMs(4)).toBeCloseTo(8);
    expect(m.expectedMs(16)).toBeCloseTo(32);
  });

  it('refuses bad options and profile points', () => {
    expect(() => new ServiceModel(profile, { alpha: 0 })).toThrow(/alpha/);
    expect(() => new ServiceModel([{ batch: 0, latencyMs: 1 }])).toThrow(/profile/);
  });
});
