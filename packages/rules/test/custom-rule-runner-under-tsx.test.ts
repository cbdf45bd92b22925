import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/run-under-tsx.ts', import.meta.url));

describe('CustomRuleRunner in a process started with node --import tsx', () => {
  it('loads TS and JS rules on worker threads and answers', async () => {
    // vitest transforms TS in-process, so only a real `node --import tsx` child shows what the combiner sees.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { cwd: packageDir });
    const report = JSON.parse(stdout) as { execArgv: string[]; mainThreadId: number; trimmedMean: number[]; whoami: number[] };
    expect(report.execArgv).toEqual(['--import', 'tsx']);
    // Same hand-computed trimmed means as in custom-rule-runner.test.ts.
    expect(report.trimmedMean).toEqual([2.5, 15, 55]);
    expect(report.whoami[0]).not.toBe(report.mainThreadId);
    expect(report.whoami[1]).toBe(0);
  });
});
