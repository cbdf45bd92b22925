/**
 * Supervision under load: several clients keep requests flowing while a prediction worker and then
 * the combination process are killed with SIGKILL, and a worker is frozen. Every request must get
 * its correct answer: no error, none unanswered; and correct answers must come again after each
 * restart, not only before the fault.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { Server } from '@tutti/server';
import { rememberPids, stopAndExpectAllGone } from './support/processes.js';
import { digitsLoad, sleep, type DigitsLoad } from './support/digits-load.js';

let digits: DigitsLoad;
let server: Server;
const everyPid = new Set<number>();

beforeAll(async () => {
  digits = await digitsLoad();
  server = await Server.start(digits.ensemble, { endpoint: 'tcp://127.0.0.1:0', log: () => {} });
});

afterAll(async () => {
  await stopAndExpectAllGone(server, everyPid);
});

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

/** Closed-loop load from 4 clients x 4 in flight, checking every answer; returns a stop function with the outcome. */
interface Outcome {
  correct: number;
  wrong: number;
  unanswered: number;
  errors: Record<string, number>;
}

/** Waits until `more` further correct answers came in (bounded), proving the service is back. */
async function answersAgain(outcome: Outcome, more: number): Promise<void> {
  const target = outcome.correct + more;
  for (let waited = 0; outcome.correct < target; waited += 20) {
    if (waited > 20_000) throw new Error(`no ${more} correct answers within 20 s after the restart: ${JSON.stringify(outcome)}`);
    await sleep(20);
  }
}

function steadyLoad(): { outcome: Outcome; stop: () => Promise<Outcome> } {
  const clients = Array.from({ length: 4 }, () => new TuttiClient(server.endpoint, { timeoutMs: 15_000 }));
  const outcome: Outcome = { correct: 0, wrong: 0, unanswered: 0, errors: {} };
  let running = true;
  const lane = async (client: TuttiClient, lane: number) => {
    for (let n = lane; running; n += 16) {
      const row = n % digits.rows;
      try {
        const result = await client.infer({ pixels: { data: digits.pixelsOf(row), shape: [1, 64] } });
        if (digits.isCorrect(row, result.outputs.probabilities!.data as Float32Array)) outcome.correct++;
        else outcome.wrong++;
      } catch (error) {
        if (/no reply from/.test((error as Error).message)) outcome.unanswered++;
        else {
          const code = (error as { code: string }).code;
          outcome.errors[code] = (outcome.errors[code] ?? 0) + 1;
        }
      }
    }
  };
  const load = Promise.all(Array.from({ length: 16 }, (_, i) => lane(clients[i % 4]!, i)));
  return {
    outcome,
    stop: async () => {
      running = false;
      await load;
      for (const client of clients) client.close();
      return outcome;
    },
  };
}

describe('supervision under load', () => {
  it('answers every request, correctly or with an explicit error, through kill -9 of a worker and of the combiner', async () => {
    const { outcome: live, stop } = steadyLoad();
    const probe = new TuttiClient(server.endpoint, { timeoutMs: 10_000 });
    try {
      await answersAgain(live, 200);
      const worker = server.processes.find((p) => p.role === 'worker')!;
      everyPid.add(worker.pid);
      process.kill(worker.pid, 'SIGKILL');
      const workerBack = await readyWithin(probe, worker.name, 15_000);
      await answersAgain(live, 200);
      const combiner = server.processes.find((p) => p.role === 'combiner')!;
      everyPid.add(combiner.pid);
      process.kill(combiner.pid, 'SIGKILL');
      const combinerBack = await readyWithin(probe, 'combiner', 15_000);
      await answersAgain(live, 200);
      const outcome = await stop();
      console.log(
        `supervision: ${JSON.stringify(outcome)}; ready again ${workerBack.toFixed(0)} ms after the worker kill, ${combinerBack.toFixed(0)} ms after the combiner's; restarts ${JSON.stringify(server.restarts)}`,
      );
      expect(outcome.unanswered).toBe(0);
      expect(outcome.wrong).toBe(0);
      expect(outcome.errors).toEqual({});
      expect(server.restarts[worker.name]).toBe(1);
      expect(server.restarts.combiner).toBe(1);
    } finally {
      probe.close();
      await stop();
    }
  });

  it('finds a frozen worker (SIGSTOP) by its missing heartbeats, replaces it, and loses no request', async () => {
    const { outcome: live, stop } = steadyLoad();
    const worker = server.processes.filter((p) => p.role === 'worker')[1]!;
    everyPid.add(worker.pid);
    await answersAgain(live, 100);
    process.kill(worker.pid, 'SIGSTOP');
    const probe = new TuttiClient(server.endpoint, { timeoutMs: 10_000 });
    try {
      const back = await readyWithin(probe, worker.name, 20_000);
      await answersAgain(live, 200);
      const outcome = await stop();
      console.log(`frozen worker: ${JSON.stringify(outcome)}; replaced and ready ${back.toFixed(0)} ms after SIGSTOP`);
      expect(outcome.unanswered).toBe(0);
      expect(outcome.wrong).toBe(0);
      expect(outcome.errors).toEqual({});
    } finally {
      probe.close();
      await stop();
    }
  });
});
