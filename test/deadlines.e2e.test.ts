/**
 * Deadlines while a batch computes: one member runs on an emulated device that takes 3 s per
 * batch; a request with timeout_ms 50 gets DEADLINE_EXCEEDED when its deadline passes, not when the
 * batch ends, and the late results are not sent a second time. Requests with room enough are served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { TuttiClient } from '@tutti/client';
import { decodeReply, encodeMessage } from '@tutti/protocol';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { DIGITS_DIR } from './support/ensembles.js';
import { expectAllGone } from './support/processes.js';
import { HOST_CPU, emulatedDevice, fixedLatencyProfile, planOf } from './support/plans.js';
import { combineReference, maxAbsDiff, runMembers } from './support/reference.js';

const SLOW_MS = 3_000;
let server: Server;
let memberPaths: { name: string; path: string }[];

beforeAll(async () => {
  const ensemble = await loadManifest(DIGITS_DIR);
  memberPaths = ensemble.members.map(({ name, path }) => ({ name, path }));
  const slow = emulatedDevice('slow0', 'SLOW-EMULATED');
  const [first, ...rest] = ensemble.members.map((m) => m.name);
  const plan = planOf(
    ensemble,
    [HOST_CPU, slow],
    [
      { member: first!, device: 'slow0', batch: 64, threads: 1 },
      ...rest.map((member) => ({ member, device: 'cpu', batch: 64, threads: 1 })),
    ],
  );
  const profiles = { [first!]: { slow0: fixedLatencyProfile(first!, slow, SLOW_MS) } };
  // Requests that give no timeout_ms get the manifest's default: here 300 ms (see the last test).
  server = await Server.start({ ...ensemble, requestTimeoutMs: 300 }, { endpoint: 'tcp://127.0.0.1:0', plan, profiles, log: () => {} });
});

afterAll(async () => {
  const pids = server?.processes.map((p) => p.pid) ?? [];
  await server?.stop();
  expectAllGone(pids);
});

describe('deadlines', () => {
  it('answers DEADLINE_EXCEEDED when the timeout passes during compute, once, and keeps serving', async () => {
    const client = new TuttiClient(server.endpoint, { timeoutMs: 6 * SLOW_MS });
    const pixels = new Float32Array(64).fill(3);
    try {
      const error = await client
        .infer({ pixels: { data: pixels, shape: [1, 64] } }, { timeoutMs: 50 })
        .catch((e: unknown) => e as { code: string; message: string });
      // Answered by the combiner's deadline watch, at the deadline ("passed"), not when the batch finished ("missed").
      expect(error).toMatchObject({
        code: 'DEADLINE_EXCEEDED',
        message: expect.stringMatching(/passed its timeout while its batch was computed/),
      });
      // A generous request is served; the late batch's results did not produce a second answer for the first.
      const ok = await client.infer({ pixels: { data: pixels, shape: [1, 64] } }, { timeoutMs: 4 * SLOW_MS });
      expect(ok.outputs.probabilities!.shape).toEqual([1, 10]);
      expect(client.inFlight).toBe(0);
      expect(client.replyCounts).toMatchObject({ duplicates: 0, late: 0, unknown: 0 });
    } finally {
      client.close();
    }
  });

  it('answers a partial request at its deadline from the members that answered, and names them', async () => {
    const client = new TuttiClient(server.endpoint, { timeoutMs: 6 * SLOW_MS });
    const pixels = new Float32Array(64).map((_, i) => i % 17);
    try {
      // Half the slow member's time: the fast ones (well under a millisecond) have answered by then.
      const result = await client.infer({ pixels: { data: pixels, shape: [1, 64] } }, { timeoutMs: SLOW_MS / 2, partial: true });
      const fast = memberPaths.slice(1);
      expect(result.membersUsed).toEqual(fast.map((m) => m.name));
      const reference = combineReference(
        'mean',
        await runMembers(
          fast.map((m) => m.path),
          pixels,
          1,
        ),
        fast.map(() => 1),
        10,
      );
      expect(maxAbsDiff(result.outputs.probabilities!.data as Float32Array, reference)).toBeLessThan(1e-5);
    } finally {
      client.close();
    }
  });

  it("gives a request without timeout_ms the manifest's requestTimeoutMs", async () => {
    const socket = new Dealer({ linger: 0, receiveTimeout: 4 * SLOW_MS });
    socket.connect(server.endpoint);
    try {
      await socket.send(encodeMessage({ id: 1, inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data: Buffer.alloc(256) }] }));
      const reply = decodeReply((await socket.receive())[0]!);
      expect(reply).toMatchObject({ id: 1, error: { code: 'DEADLINE_EXCEEDED', message: expect.stringMatching(/passed its timeout/) } });
    } finally {
      socket.close();
    }
  });
});
