/**
 * The grouped layout: small members hosted together in shared worker processes (one batch message
 * and one result message per group), next to members in processes of their own. Every answer, and
 * every member's own output, is the one computed directly with onnxruntime; a group process killed
 * under load is restarted and the server answers correctly again with no error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { readDigits, testSplit } from '../ensembles/digits/data.js';
import { DIGITS_DIR } from './support/ensembles.js';
import { expectAllGone } from './support/processes.js';
import { HOST_CPU, planOf } from './support/plans.js';
import { combineReference, maxAbsDiff, runMembers } from './support/reference.js';

const digits = readDigits();
const split = testSplit().slice(0, 48);
const pixels = new Float32Array(split.length * 64);
split.forEach((index, row) => pixels.set(digits.pixels[index]!, row * 64));
const rowOf = (row: number) => ({ pixels: { data: pixels.subarray(row * 64, (row + 1) * 64), shape: [1, 64] } });

let ensemble: Ensemble;
let server: Server;
let reference: Float64Array;
let memberOutputs: Float32Array[];
let grouped: string[];

beforeAll(async () => {
  ensemble = await loadManifest(DIGITS_DIR);
  const names = ensemble.members.map((m) => m.name);
  grouped = names.slice(0, 3);
  const plan = planOf(
    ensemble,
    [HOST_CPU],
    names.map((member) => ({ member, device: 'cpu', batch: 8, threads: 1 })),
  );
  plan.layout = {
    kind: 'grouped',
    groups: [{ device: 'cpu', members: grouped, processes: 2, threads: 1 }],
    messageCostMs: 0.1,
    predicted: { 'per-instance': 1, grouped: 2 },
    decidedBy: 'forced',
  };
  memberOutputs = await runMembers(
    ensemble.members.map((m) => m.path),
    pixels,
    split.length,
  );
  reference = combineReference(
    'mean',
    memberOutputs,
    ensemble.members.map(() => 1),
    10,
  );
  server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', plan, log: () => {} });
});

afterAll(async () => {
  const pids = server?.processes.map((p) => p.pid) ?? [];
  await server?.stop({ drainMs: 0 });
  expectAllGone(pids);
});

async function answersAll(client: TuttiClient): Promise<number> {
  const results = await Promise.all(split.map((_, row) => client.infer(rowOf(row), { members: true })));
  let worst = 0;
  results.forEach((result, row) => {
    worst = Math.max(worst, maxAbsDiff(result.outputs.probabilities!.data as Float32Array, reference.subarray(row * 10, (row + 1) * 10)));
    ensemble.members.forEach((member, k) => {
      const own = result.members![member.name]!.probabilities!.data as Float32Array;
      worst = Math.max(worst, maxAbsDiff(own, memberOutputs[k]!.subarray(row * 10, (row + 1) * 10)));
    });
  });
  return worst;
}

describe('grouped layout', () => {
  it('starts two processes for the group and one for each other member', () => {
    const workers = server.processes.filter((p) => p.role === 'worker').map((p) => p.name);
    expect(workers.filter((name) => name.startsWith('worker group#'))).toHaveLength(2);
    expect(workers).toHaveLength(2 + ensemble.members.length - grouped.length);
    expect(workers).toContain(`worker ${ensemble.members[4]!.name}#0 (cpu)`);
  });

  it('answers the directly computed ensemble, and each member its own outputs', async () => {
    const client = new TuttiClient(server.endpoint, { timeoutMs: 20_000 });
    try {
      expect(await answersAll(client)).toBeLessThan(1e-5);
    } finally {
      client.close();
    }
  });

  it('comes back after kill -9 of a group process: correct answers, no error', async () => {
    const client = new TuttiClient(server.endpoint, { timeoutMs: 20_000 });
    try {
      const group = server.processes.find((p) => p.name.startsWith('worker group#0'))!;
      const load = answersAll(client);
      process.kill(group.pid, 'SIGKILL');
      expect(await load).toBeLessThan(1e-5);
      // Wait for the restart (a condition, not a fixed sleep), then every answer is right again.
      while (server.restarts[group.name] !== 1 || !(await client.health()).ready) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(server.processes.find((p) => p.name === group.name)!.pid).not.toBe(group.pid);
      expect(await answersAll(client)).toBeLessThan(1e-5);
    } finally {
      client.close();
    }
  });
});
