/**
 * Supervision under load: several clients keep requests flowing while a prediction worker and then
 * the combination process are killed with SIGKILL. Every request must get its correct answer or an
 * explicit error from the server; none may go unanswered; the ensemble is ready again in seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { readDigits, testSplit } from '../ensembles/digits/data.js';
import { DIGITS_DIR } from './support/ensembles.js';
import { expectAllGone } from './support/processes.js';
import { combineReference, maxAbsDiff, runMembers } from './support/reference.js';

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
  server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', log: () => {} });
});

afterAll(async () => {
  for (const p of server?.processes ?? []) everyPid.add(p.pid);
  await server?.stop();
  expectAllGone([...everyPid]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Time until the killed process has been restarted and the ensemble reports ready again. */
async function readyWithin(client: TuttiClient, name: string, ms: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    try {
      if (server.restarts[name] === 1 && (await client.health()).ready) return performance.now() - start;
    } catch {
      /* the batcher answers health even while members restart */
    }
    await sleep(50);
  }
  throw new Error(`not ready after ${ms} ms`);
}

describe('supervision under load', () => {
  it('answers every request, correctly or with an explicit error, through kill -9 of a worker and of the combiner', async () => {
    const clients = Array.from({ length: 4 }, () => new TuttiClient(server.endpoint, { timeoutMs: 15_000 }));
    const outcome = { correct: 0, wrong: 0, unanswered: 0, errors: {} as Record<string, number> };
    let running = true;
    const lane = async (client: TuttiClient, lane: number) => {
      for (let n = lane; running; n += 16) {
        const row = n % split.length;
        try {
          const result = await client.infer({ pixels: { data: pixels.subarray(row * 64, (row + 1) * 64), shape: [1, 64] } });
          const diff = maxAbsDiff(result.outputs.probabilities!.data as Float32Array, reference.subarray(row * 10, (row + 1) * 10));
          if (diff < 1e-5) outcome.correct++;
          else outcome.wrong++;
        } catch (error) {
          // The client's own timer firing means the server never answered: the one outcome not allowed.
          if (/no reply from/.test((error as Error).message)) outcome.unanswered++;
          else {
            const code = (error as { code: string }).code;
            outcome.errors[code] = (outcome.errors[code] ?? 0) + 1;
          }
        }
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, (_, i) => lane(clients[i % 4]!, i)));
    try {
      await sleep(1_000);
      const worker = server.processes.find((p) => p.role === 'worker')!;
      everyPid.add(worker.pid);
      process.kill(worker.pid, 'SIGKILL');
      const workerBack = await readyWithin(clients[0]!, worker.name, 15_000);
      await sleep(1_000);
      const combiner = server.processes.find((p) => p.role === 'combiner')!;
      everyPid.add(combiner.pid);
      process.kill(combiner.pid, 'SIGKILL');
      const combinerBack = await readyWithin(clients[0]!, 'combiner', 15_000);
      await sleep(1_500);
      running = false;
      await load;
      console.log(`supervision: ${JSON.stringify(outcome)}; ready again ${workerBack.toFixed(0)} ms after the worker kill, ${combinerBack.toFixed(0)} ms after the combiner's; restarts ${JSON.stringify(server.restarts)}`);
      expect(outcome.unanswered).toBe(0);
      expect(outcome.wrong).toBe(0);
      expect(outcome.correct).toBeGreaterThan(100);
      expect(server.restarts[worker.name]).toBe(1);
      expect(server.restarts.combiner).toBe(1);
    } finally {
      running = false;
      await load;
      for (const client of clients) client.close();
    }
  });
});
