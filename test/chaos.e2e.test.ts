/**
 * Chaos: under load from clients on direct replies and on one plain socket, a random process of the
 * server (a worker, the combiner or the batcher, each role a third of the time) is killed with SIGKILL every 2 s for 30 s. Every
 * request of the retrying TypeScript clients must end with its correct answer: none wrong, none
 * failed or timed out, no second reply to any request; and the server must answer correctly after
 * the last kill. The kills are seeded (TUTTI_CHAOS_SEED) so a failing run can be replayed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { Server } from '@tutti/server';
import { isAlive, rememberPids, stopAndExpectAllGone } from './support/processes.js';
import { digitsLoad, seeded, sleep, type DigitsLoad } from './support/digits-load.js';
import { waitFor } from './support/wait.js';

const CHAOS_MS = Number(process.env.TUTTI_CHAOS_MS ?? 30_000);
const KILL_EVERY_MS = 2_000;
const SEED = Number(process.env.TUTTI_CHAOS_SEED ?? 20261129);

let digits: DigitsLoad;
let server: Server;
const everyPid = new Set<number>();

beforeAll(async () => {
  digits = await digitsLoad();
  // One worker process per member (no plan): seven processes, any of which may be killed.
  server = await Server.start(digits.ensemble, { endpoint: 'tcp://127.0.0.1:0', log: () => {} });
  rememberPids(server, everyPid);
});

afterAll(async () => {
  await stopAndExpectAllGone(server, everyPid);
});

describe('chaos', () => {
  it(
    `kills a random process every ${KILL_EVERY_MS} ms for ${CHAOS_MS / 1000} s under load: every request answered once, correctly`,
    async () => {
      const clients = [0, 1, 2, 3, 4, 5].map((k) => new TuttiClient(server.endpoint, { timeoutMs: 30_000, directReplies: k < 4 }));
      const outcome = { correct: 0, wrong: 0, failed: {} as Record<string, number>, correctAfterChaos: 0 };
      let chaosOver = false;
      let running = true;
      const lane = async (client: TuttiClient, lane: number) => {
        for (let n = lane; running; n += 24) {
          const row = n % digits.rows;
          try {
            const result = await client.infer({ pixels: { data: digits.pixelsOf(row), shape: [1, 64] } });
            if (digits.isCorrect(row, result.outputs.probabilities!.data as Float32Array)) {
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
        await waitFor('200 correct answers before the chaos', () => outcome.correct >= 200, { timeoutMs: 60_000 });
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
        await waitFor('500 correct answers after the chaos', () => outcome.correctAfterChaos >= 500, {
          timeoutMs: 60_000,
          detail: () => JSON.stringify(outcome),
        });
        const back = performance.now() - over;
        running = false;
        await load;
        rememberPids(server, everyPid);
        const counts = clients.map((c) => c.replyCounts);
        console.log(
          `chaos (seed ${SEED}): kills ${JSON.stringify(kills)}; ${JSON.stringify(outcome)}; 500 correct answers ${back.toFixed(0)} ms after the last kill's period; ` +
            `restarts ${JSON.stringify(server.restarts)}; client counts ${JSON.stringify(counts)}`,
        );
        expect(outcome.failed).toEqual({});
        expect(outcome.wrong).toBe(0);
        for (const c of counts)
          expect({ duplicates: c.duplicates, late: c.late, unknown: c.unknown }).toEqual({ duplicates: 0, late: 0, unknown: 0 });
      } finally {
        running = false;
        await load;
        for (const client of clients) client.close();
      }
    },
    CHAOS_MS + 120_000,
  );
});
