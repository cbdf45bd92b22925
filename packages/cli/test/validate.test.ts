/** `tutti validate`, run as a real process the way a user runs it. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT, runTutti } from './run-tutti.js';

const tutti = (...args: string[]) => runTutti(args);

const BAD_MANIFEST = `
name: broken
inputs:
  - { name: pixels, datatype: FLOAT32, shape: [-1, 64] }
outputs:
  - { name: probabilities, datatype: FP32, shape: [-1, 10] }
members:
  - { name: logreg, path: models/missing.onnx, weight: -1 }
  - { name: mlp, path: models/also-missing.onnx }
rule: median
batching: { maxBatchSize: 64, maxQueueDelayMs: 1 }
`;

let bad: string;
beforeAll(async () => {
  bad = await mkdtemp(path.join(tmpdir(), 'tutti-cli-validate-'));
  await writeFile(path.join(bad, 'manifest.yaml'), BAD_MANIFEST);
});
afterAll(() => rm(bad, { recursive: true, force: true }));

describe('tutti validate', () => {
  it('prints a summary of the digits ensemble and exits 0', async () => {
    const run = await tutti('validate', 'ensembles/digits');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^✓ digits is valid/);
    for (const part of ['inputs     pixels FP32 [-1, 64]', 'members', 'rule', 'batching   up to', 'endpoint   tcp://']) {
      expect(run.stdout).toContain(part);
    }
  });

  it('prints the resolved ensemble as JSON with --json', async () => {
    const run = await tutti('validate', 'ensembles/digits/manifest.yaml', '--json');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { ok: boolean; ensemble: { name: string; dir: string; members: { path: string }[] } };
    expect(result.ok).toBe(true);
    expect(result.ensemble.name).toBe('digits');
    expect(result.ensemble.dir).toBe(path.join(ROOT, 'ensembles/digits'));
    expect(result.ensemble.members.every((member) => path.isAbsolute(member.path))).toBe(true);
  });

  it('lists every problem of a bad manifest, each with its field, and exits 1', async () => {
    const run = await tutti('validate', bad);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`invalid manifest ${path.join(bad, 'manifest.yaml')} (5 problems):`);
    expect(lines.slice(1).map((line) => /^ {2}- ([^:]+):/.exec(line)?.[1])).toEqual([
      'inputs[0].datatype',
      'members[0] (logreg)',
      'members[0].weight',
      'members[1] (mlp)',
      'rule',
    ]);
    expect(run.stderr).toContain('members[0].weight: expected a positive number, got -1 (line 8, column');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('prints the problems as JSON with --json', async () => {
    const run = await tutti('validate', bad, '--json');
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as { ok: boolean; issues: { path: string; message: string }[] };
    expect(result.ok).toBe(false);
    expect(result.issues).toContainEqual(
      expect.objectContaining({ path: 'rule', message: expect.stringContaining('unknown rule "median"') }),
    );
  });

  it('says so when there is no manifest', async () => {
    const run = await tutti('validate', 'no/such/ensemble');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`no such file or folder: ${path.join(ROOT, 'no/such/ensemble')}`);
  });

  it('explains itself in --help, with an example', async () => {
    const run = await tutti('validate', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: tutti validate [options] <ensemble>');
    expect(run.stdout).toContain('tutti validate ensembles/digits');
  });
});
