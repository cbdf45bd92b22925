/**
 * The README's first command, as a newcomer runs it: `tutti demo` (from the built command) serves
 * ensembles/digits, queries it with the held-out digits, reports accuracy and speed, and stops
 * every process it started.
 */
import { describe, expect, it } from 'vitest';
import { runTutti } from '../packages/cli/test/run-tutti.js';

describe('tutti demo', () => {
  it('serves digits, answers every held-out digit with the accuracy of the ensemble, and stops', { timeout: 180_000 }, async () => {
    const { code, stdout, stderr } = await runTutti(['demo', '--passes', '1', '--clients', '2']);
    expect(code, stderr).toBe(0);
    const accuracy = /ensemble \(combined\)\s+([\d.]+)%/.exec(stdout);
    expect(accuracy, stdout).not.toBeNull();
    expect(Number(accuracy![1])).toBeGreaterThan(90);
    expect(stdout).toMatch(/errors\s+none/);
    expect(stdout).toMatch(/stopped all \d+ processes/);
  });
});
