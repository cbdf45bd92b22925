import { describe, expect, it } from 'vitest';
import { runTutti } from './run-tutti.js';

describe('tutti bench options', () => {
  it('refuses --pids that are not process ids, naming the bad one, before measuring anything', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await runTutti(['bench', 'ensembles/digits', '--endpoint', 'tcp://127.0.0.1:9', '--pids', '12,x']);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/INVALID_OPTION.*--pids takes process ids separated by commas, got "x"/);
    expect(stdout).not.toMatch(/round 1/);
  });

  it('refuses --pids and --label without --endpoint: they describe a server started by hand', { timeout: 60_000 }, async () => {
    const pids = await runTutti(['bench', 'ensembles/digits', '--pids', '12']);
    expect(pids.code).not.toBe(0);
    expect(pids.stderr).toMatch(/--pids is for a server given by --endpoint/);
    const label = await runTutti(['bench', 'ensembles/digits', '--label', 'mine']);
    expect(label.code).not.toBe(0);
    expect(label.stderr).toMatch(/--label names a server given by --endpoint/);
  });
});
