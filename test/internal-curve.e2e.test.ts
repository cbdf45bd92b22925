/**
 * Over tcp, tutti's own sockets are open to anyone on the host; they are protected by CurveZMQ keys
 * made per server and given to the children over IPC only. The server answers as usual over tcp;
 * an intruder without the keys fails the handshake with the batcher's and the combiner's internal
 * sockets, so nothing it sends is even read (no message is counted as dropped).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer, Push, curveKeyPair } from 'zeromq';
import { TuttiClient } from '@tutti/client';
import { HEARTBEAT, HELLO, encodeHeader, type HelloHeader } from '@tutti/protocol';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { DIGITS_DIR } from './support/ensembles.js';
import { expectAllGone } from './support/processes.js';
import { combineReference, maxAbsDiff, runMembers } from './support/reference.js';
import { waitFor } from './support/wait.js';

let server: Server;

beforeAll(async () => {
  server = await Server.start(await loadManifest(DIGITS_DIR), {
    endpoint: 'tcp://127.0.0.1:0',
    transport: 'tcp',
    metricsPort: 0,
    log: () => {},
  });
});

afterAll(async () => {
  const pids = server?.processes.map((p) => p.pid) ?? [];
  await server?.stop();
  expectAllGone(pids);
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('internal sockets over tcp', () => {
  it('serve as usual, and refuse the handshake of a process without the keys', async () => {
    const ensemble = await loadManifest(DIGITS_DIR);
    const { workers, combinerInput } = server.internalEndpoints;
    expect(workers).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const pixels = new Float32Array(64).map((_, i) => (i * 5) % 17);
    const expected = combineReference(
      'mean',
      await runMembers(
        ensemble.members.map((m) => m.path),
        pixels,
        1,
      ),
      ensemble.members.map(() => 1),
      10,
    );
    const client = new TuttiClient(server.endpoint, { timeoutMs: 10_000 });
    const toBatcher = new Dealer({ linger: 0, routingId: 'logreg#7' });
    const toCombiner = new Push({ linger: 0 });
    const failures: string[] = [];
    const succeeded: string[] = [];
    for (const [name, socket] of [
      ['batcher', toBatcher],
      ['combiner', toCombiner],
    ] as const) {
      socket.events.on('handshake', () => succeeded.push(name));
      for (const type of ['handshake:error:protocol', 'handshake:error:auth', 'handshake:error:other'] as const)
        socket.events.on(type, () => failures.push(name));
    }
    try {
      toBatcher.connect(workers);
      toCombiner.connect(combinerInput);
      // What an impostor worker would say, were it let in: an instance of logreg with credits.
      const hello: HelloHeader = { kind: HELLO, shard: 'logreg', members: ['logreg'], instance: 7, device: 'cpu', credits: 2 };
      void toBatcher.send(encodeHeader({ kind: HEARTBEAT, hello }));
      void toCombiner.send(Buffer.from('garbage'));
      await waitFor('both refused handshakes to be reported', () => failures.includes('batcher') && failures.includes('combiner'), {
        timeoutMs: 10_000,
      });
      expect(new Set(failures)).toEqual(new Set(['batcher', 'combiner']));
      expect(succeeded).toEqual([]);
      const result = await client.infer({ pixels: { data: pixels, shape: [1, 64] } });
      expect(maxAbsDiff(result.outputs.probabilities!.data as Float32Array, expected)).toBeLessThan(1e-5);
      expect(await metric('tutti_internal_messages_dropped_total')).toBe(0);
      // The impostor never became an instance: one live instance per member.
      expect(await metric('tutti_instances')).toBe(ensemble.members.length);
    } finally {
      toBatcher.close();
      toCombiner.close();
      client.close();
    }
  });

  it('works with CurveZMQ on the client endpoint too (one ZAP handler per process lets both in)', async () => {
    const serverKeys = curveKeyPair();
    const alice = curveKeyPair();
    const both = await Server.start(await loadManifest(DIGITS_DIR), {
      endpoint: 'tcp://127.0.0.1:0',
      transport: 'tcp',
      curve: { ...serverKeys, allowedClients: [alice.publicKey] },
      log: () => {},
    });
    const client = new TuttiClient(both.endpoint, { timeoutMs: 10_000, curve: { serverPublicKey: serverKeys.publicKey, ...alice } });
    try {
      for (let k = 0; k < 5; k++)
        expect(
          (await client.infer({ pixels: { data: new Float32Array(64).fill(k), shape: [1, 64] } })).outputs.probabilities!.shape,
        ).toEqual([1, 10]);
    } finally {
      client.close();
      const pids = both.processes.map((p) => p.pid);
      await both.stop();
      expectAllGone(pids);
    }
  });
});
