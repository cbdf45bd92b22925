import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { loadManifest } from '@tutti/manifest';
import type { Calibration } from '@tutti/rules';
import { ROOT, runTutti } from './run-tutti.js';

const dir = mkdtempSync(join(tmpdir(), 'tutti-calibrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ENSEMBLE = join(ROOT, 'ensembles/digits-cascade');
const DATA = join(ROOT, 'ensembles/digits/data/digits.csv.gz');

describe('tutti calibrate', () => {
  it("writes each stage's calibration, the whole ensemble's accuracy equal to onnxruntime's mean of the members", async () => {
    const rows = Array.from({ length: 60 }, (_, i) => i * 7);
    writeFileSync(join(dir, 'rows.json'), JSON.stringify(rows));
    const out = join(dir, 'calibration.json');
    const run = await runTutti(['calibrate', ENSEMBLE, '--data', DATA, '--rows', join(dir, 'rows.json'), '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('calibrate: logreg (1/5) on 60 rows');
    const calibration = JSON.parse(readFileSync(out, 'utf8')) as Calibration;
    const ensemble = await loadManifest(ENSEMBLE);
    expect(calibration.rows).toBe(60);
    expect(calibration.stages.map((s) => s.members)).toEqual(ensemble.cascade!.stages);
    for (const member of ensemble.members)
      expect(calibration.models[member.name]).toBe(createHash('sha256').update(readFileSync(member.path)).digest('hex'));
    // The reference: every member run here, averaged, argmax against the labels.
    const { gunzipSync } = await import('node:zlib');
    const lines = gunzipSync(readFileSync(DATA)).toString('utf8').trim().split('\n');
    const picked = rows.map((r) => lines[r]!.split(',').map(Number));
    const input = new ort.Tensor('float32', Float32Array.from(picked.flatMap((v) => v.slice(0, 64))), [rows.length, 64]);
    const sums = new Float64Array(rows.length * 10);
    for (const member of ensemble.members) {
      const session = await ort.InferenceSession.create(member.path);
      const out = (await session.run({ [session.inputNames[0]!]: input }))[session.outputNames[0]!]!.data as Float32Array;
      out.forEach((v, i) => (sums[i] = sums[i]! + v));
      await session.release();
    }
    const right = picked.filter((v, r) => {
      const row = sums.subarray(r * 10, r * 10 + 10);
      return row.indexOf(Math.max(...row)) === v[64];
    }).length;
    expect(calibration.ensembleAccuracy).toBeCloseTo(right / rows.length, 10);
    expect(run.stdout).toMatch(/calibrated on 60 rows/);
  });

  it('says what is missing: a cascade section, or well-formed data', async () => {
    const none = await runTutti(['calibrate', join(ROOT, 'ensembles/digits'), '--data', DATA]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('has no cascade section');
    writeFileSync(join(dir, 'bad.csv'), `${Array(64).fill(1).join(',')},3\n1,2,3\n`);
    const bad = await runTutti(['calibrate', ENSEMBLE, '--data', join(dir, 'bad.csv'), '--out', join(dir, 'x.json')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('bad.csv:2: expected 64 values and a label, got 3 fields');
  });
});
