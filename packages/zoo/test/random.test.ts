import { describe, expect, it } from 'vitest';

import { SeededRandom } from '../src/index.js';

describe('SeededRandom', () => {
  it('repeats itself for a seed and differs between nearby seeds', () => {
    const a = new SeededRandom(7).normals(100, 1);
    expect(new SeededRandom(7).normals(100, 1)).toEqual(a);
    expect(new SeededRandom(8).normals(100, 1)).not.toEqual(a);
  });

  it('draws uniforms in [0, 1) and standard normals', () => {
    const random = new SeededRandom(1);
    const uniforms = Array.from({ length: 20_000 }, () => random.uniform());
    expect(Math.min(...uniforms)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniforms)).toBeLessThan(1);
    expect(uniforms.reduce((a, b) => a + b) / uniforms.length).toBeCloseTo(0.5, 1);
    const normals = new SeededRandom(2).normals(20_000, 3);
    const mean = normals.reduce((a, b) => a + b) / normals.length;
    const std = Math.sqrt(normals.reduce((a, b) => a + (b - mean) ** 2, 0) / normals.length);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(std).toBeGreaterThan(2.9);
    expect(std).toBeLessThan(3.1);
  });
});
