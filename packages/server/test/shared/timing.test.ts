import { describe, expect, it } from 'vitest';
import { TIMING, timingViolations } from '../../src/shared/timing.js';

describe('timing constants', () => {
  it('keep every ordering the processes rely on', () => {
    expect(timingViolations(TIMING)).toEqual([]);
  });

  it('name the rule a change would break', () => {
    expect(timingViolations({ ...TIMING, heartbeatTimeoutMs: 1_000 })).toEqual([
      'a worker is expired only after missing at least 3 heartbeats',
    ]);
    expect(timingViolations({ ...TIMING, killAfterMs: 3_000 })).toEqual([
      'the supervisor SIGKILLs a child only after it had time to exit by itself',
    ]);
    expect(timingViolations({ ...TIMING, drainGraceMs: 3_500 })).toEqual([
      "a stopping child's drain grace and socket linger fit before it gives up on close()",
    ]);
  });
});
