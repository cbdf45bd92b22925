/**
 * Serving an allocation plan: several instances of a member, batch sizes smaller than the batches
 * the batcher forms (run in chunks), and a member on an emulated GPU (real answers, held back to its
 * profile's time). Every answer is still the ensemble computed directly with onnxruntime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { readDigits, testSplit } from '../ensembles/digits/data.js';
import { DIGITS_DIR } from './support/ensembles.js';
import { expectAllGone } from './support/processes.js';
import { HOST_CPU, emulatedDevice, fixedLatencyProfile, planOf } from './support/plans.js';
import { combineReference, maxAbsDiff, runMembers } from './support/reference.js';

const EMULATED_MS = 25;
const digits = readDigits();
const split = testSplit().slice(0, 64);
const pixels = new Float32Array(split.length * 64);
split.forEach((index, row) => pixels.set(digits.pixels[index]!, row * 64));

const gpu = emulatedDevice('gpu0', 'EMULATED-GPU');

let ensemble: Ensemble;
let server: Server;
let reference: Float64Array;

beforeAll(async () => {
  ensemble = await loadManifest(DIGITS_DIR);
  const [first, second, ...rest] = ensemble.members.map((m) => m.name);
  const plan = planOf(
    ensemble,
    [HOST_CPU, gpu],
    [
      { member: first!, device: 'cpu', batch: 4, threads: 1 },
      { member: first!, device: 'cpu', batch: 4, threads: 1 },
      { member: second!, device: 'gpu0', batch: 64, threads: 1 },
      ...rest.map((member) => ({ member, device: 'cpu', batch: 3, threads: 1 })),
    ],
  );
  const gpuProfile = fixedLatencyProfile(second!, gpu, EMULATED_MS);
  const members = await runMembers(
    ensemble.members.map((m) => m.path),
    pixels,
    split.length,
  );
  reference = combineReference(
    'mean',
    members,
    ensemble.members.map(() => 1),
    10,
  );
  server = await Server.start(ensemble, {
    endpoint: 'tcp://127.0.0.1:0',
    plan,
    profiles: { [second!]: { gpu0: gpuProfile } },
    metricsPort: 0,
    log: () => {},
  });
});

afterAll(async () => {
  const pids = server?.processes.map((p) => p.pid) ?? [];
  await server?.stop();
  expectAllGone(pids);
});

describe('serving a plan', () => {
  it('starts one worker per planned instance, naming its device and emulation', () => {
    const workers = server.processes.filter((p) => p.role === 'worker').map((p) => p.name);
    expect(workers).toHaveLength(ensemble.members.length + 1);
    expect(workers).toContain(`worker ${ensemble.members[0]!.name}#1 (cpu)`);
    expect(workers).toContain(`worker ${ensemble.members[1]!.name}#0 (gpu0, emulated)`);
  });

  it('answers exactly the directly computed ensemble, with chunked batches and two instances of a member', async () => {
    const client = new TuttiClient(server.endpoint, { timeoutMs: 20_000 });
    try {
      const results = await Promise.all(
        split.map((_, row) => client.infer({ pixels: { data: pixels.subarray(row * 64, (row + 1) * 64), shape: [1, 64] } })),
      );
      const worst = Math.max(
        ...results.map((r, row) => maxAbsDiff(r.outputs.probabilities!.data as Float32Array, reference.subarray(row * 10, (row + 1) * 10))),
      );
      expect(worst).toBeLessThan(1e-5);
      expect(Math.max(...results.map((r) => r.batch!.size))).toBeGreaterThan(4); // batches larger than the instances' batch sizes
    } finally {
      client.close();
    }
  });

  it('holds each batch on the emulated device for its profiled time', async () => {
    const client = new TuttiClient(server.endpoint, { timeoutMs: 20_000 });
    try {
      for (let i = 0; i < 3; i++) {
        const sent = performance.now();
        await client.infer({ pixels: { data: pixels.subarray(0, 64), shape: [1, 64] } });
        expect(performance.now() - sent).toBeGreaterThanOrEqual(EMULATED_MS);
      }
      // Each batch's lag behind the emulated time is reported (an MLP computes far inside 25 ms: no lag).
      const metrics = await (await fetch(`${server.metricsUrl}/metrics`)).text();
      const second = ensemble.members[1]!.name;
      const count = Number(new RegExp(`tutti_emulation_lag_seconds_count\\{member="${second}"\\} (\\d+)`).exec(metrics)?.[1]);
      const sum = Number(new RegExp(`tutti_emulation_lag_seconds_sum\\{member="${second}"\\} ([\\d.e-]+)`).exec(metrics)?.[1]);
      expect(count).toBeGreaterThanOrEqual(3);
      expect(sum).toBe(0);
    } finally {
      client.close();
    }
  });
});
