/**
 * tutti's own sockets get garbage too: a process that connects to the batcher's ROUTER for workers
 * and to the combiner's PULL sends random frames, truncated headers and well-framed headers with
 * nonsense in them. No process may die or restart, every dropped message is counted, and a
 * well-behaved client keeps getting correct answers throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer, Push } from 'zeromq';
import { TuttiClient } from '@tutti/client';
import { BATCH, CREDIT, HEARTBEAT, HELLO, PLAN, REPLY, RESULT, encodeHeader, type InternalHeader } from '@tutti/protocol';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { DIGITS_DIR } from './support/ensembles.js';
import { expectAllGone, isAlive } from './support/processes.js';
import { combineReference, maxAbsDiff, runMembers } from './support/reference.js';
import { seeded } from './support/digits-load.js';

const MESSAGES = Number(process.env.TUTTI_INTERNAL_FUZZ ?? 4_000);
let server: Server;

beforeAll(async () => {
  server = await Server.start(await loadManifest(DIGITS_DIR), { endpoint: 'tcp://127.0.0.1:0', metricsPort: 0, log: () => {} });
});

afterAll(async () => {
  const pids = server?.processes.map((p) => p.pid) ?? [];
  await server?.stop();
  expectAllGone(pids);
});

/** Headers that decode but make no sense: wrong types, unknown batches, missing fields, other kinds. */
function nonsense(random: () => number): InternalHeader {
  const batch = [Math.floor(random() * 1e6), -1, 2 ** 60, Number.NaN][Math.floor(random() * 4)]!;
  const pick = [
    { kind: CREDIT, batch },
    {
      kind: RESULT,
      batch,
      shard: 'logreg',
      instance: 0,
      results: [{ member: 'logreg', outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 10] }], computeMs: 1 }],
    },
    { kind: RESULT, batch, shard: 'nobody', instance: 3, results: 'not a list' },
    { kind: PLAN, batch, size: 3, parts: [{ index: 0 }] },
    { kind: PLAN, batch, size: -1, parts: 'none' },
    { kind: REPLY, batch, parts: [0, 1], frames: [5], last: true },
    { kind: BATCH, batch, inputs: [] },
    { kind: HEARTBEAT, hello: { kind: HELLO, shard: 'no-such-member', members: [], instance: 0, device: 'cpu', credits: 2 } },
    { kind: HELLO, shard: 42, members: null, instance: 'x', device: 0, credits: -5 },
    { kind: 99, batch },
  ];
  return pick[Math.floor(random() * pick.length)] as unknown as InternalHeader;
}

function fuzzMessage(n: number): Buffer[] {
  const random = seeded(7_000_003 + n);
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
  switch (n % 4) {
    case 0:
      return [bytes(Math.floor(random() * 300))];
    case 1: {
      const header = encodeHeader(nonsense(random));
      return [header.subarray(0, Math.floor(random() * header.length))];
    }
    case 2:
      return [encodeHeader(nonsense(random)), bytes(Math.floor(random() * 64))];
    default:
      return [encodeHeader(nonsense(random))];
  }
}

async function dropped(): Promise<number> {
  const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
  return [...text.matchAll(/^tutti_internal_messages_dropped_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('internal sockets under garbage', () => {
  it(`survive ${MESSAGES} malformed messages to the batcher and the combiner while a client keeps getting correct answers`, async () => {
    const ensemble = await loadManifest(DIGITS_DIR);
    const good = new Float32Array(64).map((_, i) => (i * 3) % 17);
    const expected = combineReference(
      'mean',
      await runMembers(
        ensemble.members.map((m) => m.path),
        good,
        1,
      ),
      ensemble.members.map(() => 1),
      10,
    );
    const pids = server.processes.map((p) => p.pid);
    const { workers, combinerInput } = server.internalEndpoints;
    const toBatcher = new Dealer({ linger: 0, routingId: 'intruder#0' });
    const toCombiner = new Push({ linger: 0 });
    toBatcher.connect(workers);
    toCombiner.connect(combinerInput);
    const client = new TuttiClient(server.endpoint, { timeoutMs: 30_000 });
    const checked = { correct: 0, wrong: 0 };
    let fuzzing = true;
    const wellBehaved = (async () => {
      while (fuzzing) {
        const result = await client.infer({ pixels: { data: good, shape: [1, 64] } });
        if (maxAbsDiff(result.outputs.probabilities!.data as Float32Array, expected) < 1e-5) checked.correct++;
        else checked.wrong++;
      }
    })();
    let clientError: string | undefined;
    try {
      for (let n = 0; n < MESSAGES; n++) {
        await toBatcher.send(fuzzMessage(n));
        await toCombiner.send(fuzzMessage(n + MESSAGES));
      }
      // Every message reached its process and was dropped there (or, for the decodable ones, ignored).
      for (let waited = 0; (await dropped()) < MESSAGES && waited < 30_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
      const before = checked.correct;
      for (let waited = 0; checked.correct < before + 100 && waited < 30_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    } finally {
      fuzzing = false;
      clientError = await wellBehaved.then(
        () => undefined,
        (error: Error) => error.message,
      );
      toBatcher.close();
      toCombiner.close();
      client.close();
    }
    const count = await dropped();
    console.log(`internal fuzz: ${2 * MESSAGES} messages, ${count} counted as dropped; well-behaved client ${JSON.stringify(checked)}`);
    expect(clientError).toBeUndefined();
    expect(checked.wrong).toBe(0);
    expect(checked.correct).toBeGreaterThan(100);
    expect(count).toBeGreaterThanOrEqual(MESSAGES);
    expect(pids.filter((pid) => !isAlive(pid))).toEqual([]);
    expect(Object.values(server.restarts).every((n) => n === 0)).toBe(true);
  });
});
