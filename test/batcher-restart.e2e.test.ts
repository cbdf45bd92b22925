/**
 * The batcher is no single point of failure: under load from clients on direct replies and on one
 * plain socket, it is killed with SIGKILL twice. The supervisor restarts it on the same endpoints,
 * the workers re-announce themselves, the combiner still answers what the dead batcher had sent out,
 * and the clients re-send what it held. Every request must end with its correct answer: no error,
 * no timeout, no second reply to one request; and the answers after each restart come from batches
 * of the new batcher.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { TuttiClient } from '@tutti/client';
import { decodeReply, encodeMessage, firstBatchOf } from '@tutti/protocol';
import { Server } from '@tutti/server';
import { rememberPids, stopAndExpectAllGone } from './support/processes.js';
import { digitsLoad, sleep, type DigitsLoad } from './support/digits-load.js';

let digits: DigitsLoad;
let server: Server;
const everyPid = new Set<number>();

beforeAll(async () => {
  digits = await digitsLoad();
  server = await Server.start(digits.ensemble, { endpoint: 'tcp://127.0.0.1:0', log: () => {} });
  rememberPids(server, everyPid);
});

afterAll(async () => {
  await stopAndExpectAllGone(server, everyPid);
});

interface Outcome {
  correct: number;
  wrong: number;
  failed: Record<string, number>;
  /** Correct answers from batches of the batcher of each epoch (0 = the first one). */
  byEpoch: number[];
}

/** Closed-loop load: 3 clients on direct replies, 2 on their request socket only, 4 in flight each. */
function steadyLoad(): { outcome: Outcome; clients: TuttiClient[]; stop: () => Promise<void> } {
  const clients = [0, 1, 2, 3, 4].map((k) => new TuttiClient(server.endpoint, { timeoutMs: 15_000, directReplies: k < 3 }));
  const outcome: Outcome = { correct: 0, wrong: 0, failed: {}, byEpoch: [0, 0, 0] };
  let running = true;
  const lane = async (client: TuttiClient, lane: number) => {
    for (let n = lane; running; n += 20) {
      const row = n % digits.rows;
      try {
        const result = await client.infer({ pixels: { data: digits.pixelsOf(row), shape: [1, 64] } });
        if (digits.isCorrect(row, result.outputs.probabilities!.data as Float32Array)) {
          outcome.correct++;
          const epoch = [2, 1, 0].find((e) => result.batch!.id >= firstBatchOf(e))!;
          outcome.byEpoch[epoch]!++;
        } else outcome.wrong++;
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'THROWN';
        outcome.failed[code] = (outcome.failed[code] ?? 0) + 1;
      }
    }
  };
  const load = Promise.all(Array.from({ length: 20 }, (_, i) => lane(clients[i % 5]!, i)));
  return {
    outcome,
    clients,
    stop: async () => {
      running = false;
      await load;
    },
  };
}

/** Kills the batcher; resolves with the ms until a new batcher's batch answered and until health says ready. */
async function killBatcher(outcome: Outcome, probe: TuttiClient, epoch: number): Promise<{ answering: number; ready: number }> {
  const batcher = server.processes.find((p) => p.role === 'batcher')!;
  everyPid.add(batcher.pid);
  const killed = performance.now();
  process.kill(batcher.pid, 'SIGKILL');
  let answering: number | undefined;
  let ready: number | undefined;
  while (answering === undefined || ready === undefined) {
    if (performance.now() - killed > 20_000) throw new Error(`after 20 s: answering ${answering}, ready ${ready}`);
    if (answering === undefined && outcome.byEpoch[epoch]! > 0) answering = performance.now() - killed;
    if (ready === undefined && server.restarts.batcher === epoch && (await probe.health().catch(() => ({ ready: false }))).ready)
      ready = performance.now() - killed;
    await sleep(20);
  }
  rememberPids(server, everyPid);
  return { answering, ready };
}

describe('batcher restart', () => {
  it('comes back on the same endpoints within seconds of kill -9, twice, and retrying clients see no failed request and no duplicate', async () => {
    const load = steadyLoad();
    const probe = new TuttiClient(server.endpoint, { timeoutMs: 2_000 });
    try {
      while (load.outcome.correct < 200) await sleep(20);
      const first = await killBatcher(load.outcome, probe, 1);
      const afterFirst = load.outcome.correct;
      while (load.outcome.correct < afterFirst + 500) await sleep(20);
      const second = await killBatcher(load.outcome, probe, 2);
      const afterSecond = load.outcome.correct;
      while (load.outcome.correct < afterSecond + 500) await sleep(20);
      await load.stop();
      const counts = load.clients.map((c) => c.replyCounts);
      console.log(
        `batcher restart: ${JSON.stringify(load.outcome)}; new batcher answering ${first.answering.toFixed(0)} / ${second.answering.toFixed(0)} ms ` +
          `and ready ${first.ready.toFixed(0)} / ${second.ready.toFixed(0)} ms after each kill; client counts ${JSON.stringify(counts)}`,
      );
      expect(load.outcome.failed).toEqual({});
      expect(load.outcome.wrong).toBe(0);
      // Answers after each restart come from the new batcher's batches, all correct.
      expect(load.outcome.byEpoch[1]).toBeGreaterThan(0);
      expect(load.outcome.byEpoch[2]).toBeGreaterThan(400);
      for (const c of counts) {
        expect(c.duplicates).toBe(0);
        expect(c.unknown).toBe(0);
        expect(c.late).toBe(0);
      }
      expect(server.restarts.batcher).toBe(2);
    } finally {
      probe.close();
      await load.stop();
      for (const client of load.clients) client.close();
    }
  });

  it('computes and answers a re-sent request once while the first copy is in flight (a client with a tutti- routing id)', async () => {
    const socket = new Dealer({ linger: 0, routingId: `tutti-resend-${process.pid}`, receiveTimeout: 10_000 });
    socket.connect(server.endpoint);
    const request = (id: number) =>
      encodeMessage({
        id,
        inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data: Buffer.from(digits.pixelsOf(0).slice().buffer) }],
      });
    try {
      await socket.send(request(1));
      await socket.send(request(1));
      const first = decodeReply((await socket.receive())[0]!);
      // Sent only after the first reply: a second reply to id 1, had its copy been computed, comes before this one's.
      await socket.send(request(2));
      const second = decodeReply((await socket.receive())[0]!);
      expect([first.id, second.id]).toEqual([1, 2]);
    } finally {
      socket.close();
    }
  });
});
