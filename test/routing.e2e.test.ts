/**
 * Routing through real processes: one member of digits on two emulated devices, a fast one (2 ms a
 * batch) and a slow one (40 ms). Fastest-finish learns the speeds from the profiles the workers
 * announce and the service times they report, and sends every batch to the fast one; least-loaded,
 * which counts queued rows and not speed, also sends some to the slow one. Answers are
 * the member computed directly with onnxruntime either way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import type { RoutingPolicy } from '@tutti/routing';
import { readDigits, testSplit } from '../ensembles/digits/data.js';
import { oneMemberEnsemble, type OneMember } from '../bench/lib/emulated-pool.js';
import { routedBatches } from '../bench/lib/metrics-scrape.js';
import { expectAllGone } from './support/processes.js';
import { emulatedDevice, fixedLatencyProfile, planOf } from './support/plans.js';
import { maxAbsDiff, runMembers } from './support/reference.js';

const digits = readDigits();
const split = testSplit().slice(0, 96);
const pixels = new Float32Array(split.length * 64);
split.forEach((index, row) => pixels.set(digits.pixels[index]!, row * 64));

let pool: OneMember | undefined;
let server: Server | undefined;

afterEach(async () => {
  const pids = server?.processes.map((p) => p.pid) ?? [];
  await server?.stop();
  server = undefined;
  pool?.remove();
  pool = undefined;
  expectAllGone(pids);
});

async function serveAndLoad(policy: RoutingPolicy): Promise<{ onSlow: number; worst: number }> {
  // A 30 ms target: the slow device (40 ms a batch) can never meet it, so fastest-finish has no
  // reason ever to use it. Probing is off, so that no batch goes there to re-measure it either.
  pool = oneMemberEnsemble({ maxBatchSize: 8, maxQueueDelayMs: 1, p99Ms: 30 });
  const ensemble = await loadManifest(pool.dir);
  const member = pool.member;
  // The slow device joins first, so a policy blind to speed cannot favour the fast one by join order.
  const slow = emulatedDevice('slow0', 'EMULATED-SLOW');
  const fast = emulatedDevice('fast0', 'EMULATED-FAST');
  const plan = planOf(
    ensemble,
    [slow, fast],
    [
      { member, device: 'slow0', batch: 8, threads: 1 },
      { member, device: 'fast0', batch: 8, threads: 1 },
    ],
  );
  const profiles = { [member]: { slow0: fixedLatencyProfile(member, slow, 40), fast0: fixedLatencyProfile(member, fast, 2) } };
  server = await Server.start(ensemble, {
    endpoint: 'tcp://127.0.0.1:0',
    plan,
    profiles,
    routing: { policy, probeMs: 1e9 },
    metricsPort: 0,
    log: () => {},
  });
  const [reference] = await runMembers([ensemble.members[0]!.path], pixels, split.length);
  const client = new TuttiClient(server.endpoint, { timeoutMs: 20_000 });
  let worst = 0;
  try {
    // Four lanes of one-row requests, one after another in each lane: the pool is never saturated.
    await Promise.all(
      [0, 1, 2, 3].map(async (lane) => {
        for (let row = lane; row < split.length; row += 4) {
          const result = await client.infer({ pixels: { data: pixels.subarray(row * 64, (row + 1) * 64), shape: [1, 64] } });
          worst = Math.max(
            worst,
            maxAbsDiff(result.outputs.probabilities!.data as Float32Array, reference!.subarray(row * 10, (row + 1) * 10)),
          );
        }
      }),
    );
  } finally {
    client.close();
  }
  const counts = await routedBatches(server.metricsUrl!);
  const onFast = counts.get(`${member}#1`) ?? 0;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return { onSlow: total - onFast, worst };
}

describe('routing across instances of different speed', () => {
  it('fastest-finish sends every batch to the fast instance', async () => {
    const { onSlow, worst } = await serveAndLoad('fastest-finish');
    expect(worst).toBeLessThan(1e-5);
    expect(onSlow).toBe(0);
  });

  it('least-loaded, blind to speed, sends batches to the slow instance too', async () => {
    const { onSlow, worst } = await serveAndLoad('least-loaded');
    expect(worst).toBeLessThan(1e-5);
    expect(onSlow).toBeGreaterThan(0);
  });
});
