/**
 * Issue 16: the served cascade (ensembles/digits-cascade, calibrated on the calibration half of the
 * held-out digits) answers each request of the other half exactly as the offline simulation does
 * (@tutti/rules: simulateCascade over the members' outputs computed here with onnxruntime): the
 * same exit stage, the same probabilities. Requests go concurrently, so stage batches mix requests
 * at different stages. Also: `cascade: false` runs every member; a target above the ensemble's
 * calibrated accuracy is refused, naming it, and the server keeps serving. Both with one process per
 * member and with one process hosting them all.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '@tutti/manifest';
import { TuttiClient } from '@tutti/client';
import { Server } from '@tutti/server';
import { cascadeSpecOf, simulateCascade, exitThresholds, type Calibration, type CascadeSpec } from '@tutti/rules';
import { calibrationSplit, readDigits } from '../ensembles/digits/data.js';
import { runMembers } from './support/reference.js';
import { ROOT } from '../packages/cli/test/run-tutti.js';

const DIR = join(ROOT, 'ensembles/digits-cascade');

// One process per member, and one process hosting every member (a stage's batch then computes only its members there).
describe.each(['per-instance', 'grouped'] as const)('a served cascade, %s', (layout) => {
  let server: Server;
  let client: TuttiClient;
  const digits = readDigits();
  const rows = calibrationSplit(1).evaluation;
  const pixels = new Float32Array(rows.length * 64);
  rows.forEach((row, k) => pixels.set(digits.pixels[row]!, k * 64));
  let spec: CascadeSpec;
  let calibration: Calibration;
  let outputs: Map<string, Float32Array>;

  beforeAll(async () => {
    const ensemble = await loadManifest(DIR);
    calibration = JSON.parse(readFileSync(ensemble.cascade!.calibrationPath, 'utf8')) as Calibration;
    spec = cascadeSpecOf(ensemble)!;
    const computed = await runMembers(
      ensemble.members.map((m) => m.path),
      pixels,
      rows.length,
    );
    outputs = new Map(spec.members.map((m, k) => [m, computed[k]!]));
    const groups = layout === 'grouped' ? [{ device: 'cpu', members: spec.members, processes: 1 }] : [];
    server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', log: () => {}, groups });
    expect(server.processes.filter((p) => p.role === 'worker')).toHaveLength(layout === 'grouped' ? 1 : 5);
    client = new TuttiClient(server.endpoint, { timeoutMs: 20_000 });
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await server?.stop();
  });

  const input = (k: number) => ({ pixels: { data: pixels.subarray(k * 64, (k + 1) * 64), shape: [1, 64] } });

  it('answers each request from the stage the offline simulation exits at, with its probabilities', { timeout: 120_000 }, async () => {
    const target = 0.97;
    const simulated = simulateCascade(spec, outputs, exitThresholds(calibration, target));
    const replies = new Array<Awaited<ReturnType<TuttiClient['infer']>>>(rows.length);
    // Eight lanes: stage batches hold requests that reached a stage together.
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < rows.length) {
          const k = next++;
          replies[k] = await client.infer(input(k), { accuracyTarget: target });
        }
      }),
    );
    const stages = replies.map((r) => r.cascade?.exitStage);
    expect(stages).toEqual(Array.from(simulated.stage));
    for (const [k, reply] of replies.entries()) {
      const expected = simulated.answers.subarray(k * 10, (k + 1) * 10);
      const served = reply.outputs.probabilities!.data as Float32Array;
      expect(Math.max(...Array.from(served, (v, c) => Math.abs(v - expected[c]!))), `row ${k}`).toBeLessThan(1e-6);
      expect(reply.membersUsed).toEqual(spec.stages.slice(0, simulated.stage[k]! + 1).flat());
    }
    // Most rows exit early: fewer member calls than the whole ensemble's five.
    const calls = simulated.calls.reduce((a, b) => a + b, 0) / rows.length;
    expect(calls).toBeLessThan(spec.members.length);
    expect(new Set(stages).size).toBeGreaterThan(1);
  });

  it('uses the manifest default target, and runs every member when a request says cascade: false', { timeout: 60_000 }, async () => {
    const byDefault = simulateCascade(spec, outputs, exitThresholds(calibration, 0.97));
    const reply = await client.infer(input(0));
    expect(reply.cascade?.exitStage).toBe(byDefault.stage[0]);
    const full = await client.infer(input(0), { cascade: false });
    expect(full.cascade).toBeUndefined();
    const mean = Array.from({ length: 10 }, (_, c) => spec.members.reduce((s, m) => s + outputs.get(m)![c]!, 0) / spec.members.length);
    const served = full.outputs.probabilities!.data as Float32Array;
    expect(Math.max(...mean.map((v, c) => Math.abs(v - served[c]!)))).toBeLessThan(1e-6);
  });

  it('refuses a target above what the ensemble reaches, naming it, and goes on serving', { timeout: 60_000 }, async () => {
    await expect(client.infer(input(1), { accuracyTarget: 0.999 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(
        `above what the whole ensemble reaches on its calibration rows (${calibration.ensembleAccuracy.toFixed(4)})`,
      ),
    });
    const after = await client.infer(input(1), { accuracyTarget: 0.9 });
    expect(after.cascade?.exitStage).toBeGreaterThanOrEqual(0);
  });
});
