/**
 * Chaos: under load from clients on direct replies and on one plain socket, a random process of the
 * server (a worker, the combiner or the batcher, each role a third of the time) is killed with SIGKILL every 2 s for 30 s. Every
 * request of the retrying TypeScript clients must end with its correct answer: none wrong, none
 * failed or timed out, no second reply to any request; and the server must answer correctly after
 * the last kill. The kills are seeded (TUTTI_CHAOS_SEED) so a failing run can be replayed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { readDigits, testSplit } from '../ensembles/digits/data.js';
import { DIGITS_DIR } from './support/ensembles.js';
import { expectAllGone, isAlive } from './support/processes.js';
import { combineReference, maxAbsDiff, runMembers } from './support/reference.js';

const CHAOS_MS = Number(process.env.TUTTI_CHAOS_MS ?? 30_000);
const KILL_EVERY_MS = 2_000;
const SEED = Number(process.env.TUTTI_CHAOS_SEED ?? 20261129);

const digits = readDigits();
const split = testSplit().slice(0, 100);
const pixels = new Float32Array(split.length * 64);
split.forEach((index, row) => pixels.set(digits.pixels[index]!, row * 64));

let ensemble: Ensemble;
let server: Server;
let reference: Float64Array;
const everyPid = new Set<number>();

beforeAll(async () => {
  ensemble = await loadManifest(DIGITS_DIR);
  const members = await runMembers(ensemble.members.map((m) => m.path), pixels, split.length);
  reference = combineReference('mean', members, ensemble.members.map(() => 1), 10);
  // One worker process per member (no plan): seven processes, any of which may be killed.
  server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', log: () => {} });
  for (const p of server.processes) everyPid.add(p.pid);
});

afterAll(async () => {
  for (const p of server?.processes ?? []) everyPid.add(p.pid);
  await server?.stop();
  expectAllGone([...everyPid]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('chaos', () => {
  it(`kills a random process every ${KILL_EVERY_MS} ms for ${CHAOS_MS / 1000} s under load: every request answered once, correctly`, async () => {
    const clients = [0, 1, 2, 3, 4, 5].map((k) => new TuttiClient(server.endpoint, { timeoutMs: 30_000, directReplies: k < 4 }));
    const outcome = { correct: 0, wrong: 0, failed: {} as Record<string, number>, correctAfterChaos: 0 };
    let chaosOver = false;
    let running = true;
    const lane = async (client: TuttiClient, lane: number) => {
      for (let n = lane; running; n += 24) {
        const row = n % split.length;
        try {
          const result = await client.infer({ pixels: { data: pixels.subarray(row * 64, (row + 1) * 64), shape: [1, 64] } });
          if (maxAbsDiff(result.outputs.probabilities!.data as Float32Array, reference.subarray(row * 10, (row + 1) * 10)) < 1e-5) {
            outcome.correct++;
            if (chaosOver) outcome.correctAfterChaos++;
          } else outcome.wrong++;
        } catch (error) {
          const code = (error as { code?: string }).code ?? 'THROWN';
          outcome.failed[code] = (outcome.failed[code] ?? 0) + 1;
        }
      }
    };
    const load = Promise.all(Array.from({ length: 24 }, (_, i) => lane(clients[i % 6]!, i)));
    const random = seeded(SEED);
    const kills: Record<string, number> = {};
    try {
      while (outcome.correct < 200) await sleep(20);
      const start = performance.now();
      while (performance.now() - start < CHAOS_MS) {
        // A role first, then one of its processes: the combiner and the batcher die as often as the workers.
        const role = (['worker', 'combiner', 'batcher'] as const)[Math.floor(random() * 3)];
        const alive = server.processes.filter((p) => p.role === role && isAlive(p.pid));
        const victim = alive[Math.floor(random() * alive.length)];
        if (victim) {
          everyPid.add(victim.pid);
          process.kill(victim.pid, 'SIGKILL');
          kills[victim.role] = (kills[victim.role] ?? 0) + 1;
        }
        await sleep(KILL_EVERY_MS);
      }
      chaosOver = true;
      const over = performance.now();
      while (outcome.correctAfterChaos < 500) {
        if (performance.now() - over > 60_000) throw new Error(`not answering after the chaos: ${JSON.stringify(outcome)}`);
        await sleep(20);
      }
      const back = performance.now() - over;
      running = false;
      await load;
      for (const p of server.processes) everyPid.add(p.pid);
      const counts = clients.map((c) => c.replyCounts);
      console.log(
        `chaos (seed ${SEED}): kills ${JSON.stringify(kills)}; ${JSON.stringify(outcome)}; 500 correct answers ${back.toFixed(0)} ms after the last kill's period; ` +
          `restarts ${JSON.stringify(server.restarts)}; client counts ${JSON.stringify(counts)}`,
      );
      expect(outcome.failed).toEqual({});
      expect(outcome.wrong).toBe(0);
      for (const c of counts) expect({ duplicates: c.duplicates, late: c.late, unknown: c.unknown }).toEqual({ duplicates: 0, late: 0, unknown: 0 });
    } finally {
      running = false;
      await load;
      for (const client of clients) client.close();
    }
  }, CHAOS_MS + 120_000);
});
