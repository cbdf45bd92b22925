import { describe, expect, it } from 'vitest';
import { allowableThroughput, type OfferedStep } from '../src/allowable.js';

const step = (offered: number, p99: number, options: { fellBehind?: boolean; errors?: Record<string, number> } = {}): OfferedStep => ({
  offered,
  latency: { count: 1, p50: p99 / 2, p90: p99, p99, max: p99, mean: p99 / 2 },
  errors: options.errors ?? {},
  fellBehind: options.fellBehind ?? false,
});

describe('allowableThroughput', () => {
  it('is the highest offered rate with p99 under the target, no errors, and kept up with', () => {
    expect(allowableThroughput([step(100, 20), step(200, 40), step(300, 200)], 50)).toBe(200);
  });

  it('refuses a step that fell behind even though its p99 is under the target', () => {
    expect(allowableThroughput([step(100, 20), step(200, 40, { fellBehind: true })], 50)).toBe(100);
  });

  it('refuses a step with errors', () => {
    expect(allowableThroughput([step(100, 20), step(200, 40, { errors: { NO_REPLY: 1 } })], 50)).toBe(100);
  });

  it('refuses a step that does not say whether it kept up (a closed-loop step)', () => {
    expect(allowableThroughput([{ ...step(100, 20), fellBehind: undefined }], 50)).toBe(0);
  });

  it('is 0 when nothing was sustained', () => {
    expect(allowableThroughput([step(100, 90)], 50)).toBe(0);
  });
});
