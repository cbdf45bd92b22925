/**
 * End to end: replies straight from the combiner to clients that connect for them, alongside plain
 * one-socket clients served through the batcher; every answer checked against onnxruntime directly,
 * and the path each reply took read from the server's metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Dealer } from 'zeromq';
import { TuttiClient } from '@tutti/client';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { decodeReply, encodeMessage, type InferReply } from '@tutti/protocol';
import { Server } from '@tutti/server';
import { readDigits, testSplit } from '../ensembles/digits/data.js';
import { combineReference, maxAbsDiff, runMembers } from './support/reference.js';
import { DIGITS_DIR } from './support/ensembles.js';
import { expectAllGone } from './support/processes.js';

const digits = readDigits();
const rows = testSplit().slice(0, 40);
const pixels = (index: number) => Float32Array.from(digits.pixels[rows[index]!]!);

async function repliesByPath(server: Server): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^tutti_replies_total\{path="(\w+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

describe('direct replies', () => {
  let ensemble: Ensemble;
  let server: Server | undefined;
  let reference: Float64Array;

  beforeAll(async () => {
    ensemble = await loadManifest(DIGITS_DIR);
    const all = new Float32Array(rows.length * 64);
    rows.forEach((_, k) => all.set(pixels(k), k * 64));
    reference = combineReference(
      'mean',
      await runMembers(
        ensemble.members.map((m) => m.path),
        all,
        rows.length,
      ),
      ensemble.members.map((m) => m.weight),
      10,
    );
    server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', metricsPort: 0, log: () => {} });
  });

  afterAll(async () => {
    const pids = server?.processes.map((p) => p.pid) ?? [];
    await server?.stop();
    expectAllGone(pids);
  });

  it('serves a client that connected for direct replies from the combiner, and a one-socket client through the batcher, both correctly', async () => {
    const direct = new TuttiClient(server!.endpoint, { timeoutMs: 20_000 });
    const plain = new Dealer({ linger: 0 });
    plain.connect(server!.endpoint);
    try {
      const metadata = await direct.metadata();
      expect(metadata.replies).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
      expect(direct.directReplies).toBe(true);
      // Until the second socket's handshake is done, replies come the other way: wait for one that went direct.
      for (let tries = 0; ; tries++) {
        const was = (await repliesByPath(server!)).direct ?? 0;
        await direct.infer({ pixels: { data: pixels(0), shape: [1, 64] } });
        if (((await repliesByPath(server!)).direct ?? 0) > was) break;
        if (tries === 200) throw new Error('no reply ever went direct');
      }
      const before = await repliesByPath(server!);

      const answers = await Promise.all(rows.map((_, k) => direct.infer({ pixels: { data: pixels(k), shape: [1, 64] } })));
      answers.forEach((answer, k) => {
        expect(maxAbsDiff(answer.outputs.probabilities!.data as Float32Array, reference.subarray(k * 10, k * 10 + 10))).toBeLessThan(1e-5);
      });
      const afterDirect = await repliesByPath(server!);
      expect((afterDirect.direct ?? 0) - (before.direct ?? 0)).toBe(rows.length);
      expect((afterDirect.batcher ?? 0) - (before.batcher ?? 0)).toBe(0);

      // A client written against the plain protocol (one DEALER, ZeroMQ's own routing id) still gets every answer.
      for (let k = 0; k < 10; k++) {
        const data = pixels(k);
        await plain.send(
          encodeMessage({ id: k, inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data: Buffer.from(data.buffer) }] }),
        );
      }
      const received = new Map<number, InferReply>();
      while (received.size < 10) {
        const [frame] = await plain.receive();
        const reply = decodeReply(frame!) as InferReply;
        received.set(reply.id as number, reply);
      }
      for (const [k, reply] of received) {
        const out = new Float32Array(new Uint8Array(reply.outputs[0]!.data).slice().buffer); // copied: msgpack bins are not 4-byte aligned
        expect(maxAbsDiff(out, reference.subarray(k * 10, k * 10 + 10))).toBeLessThan(1e-5);
      }
      const afterPlain = await repliesByPath(server!);
      expect(afterPlain.batcher! - (afterDirect.batcher ?? 0)).toBe(10);
      expect(afterPlain.direct).toBe(afterDirect.direct);
    } finally {
      direct.close();
      plain.close();
    }
  });

  it('a client that opts out of direct replies is served through the batcher, next to a direct one', async () => {
    const other = new TuttiClient(server!.endpoint, { timeoutMs: 20_000 });
    const plainDirect = new TuttiClient(server!.endpoint, { timeoutMs: 20_000, directReplies: false });
    try {
      expect(plainDirect.directReplies).toBe(false);
      const results = await Promise.all([
        ...rows.slice(0, 10).map((_, k) => plainDirect.infer({ pixels: { data: pixels(k), shape: [1, 64] } })),
        ...rows.slice(0, 10).map((_, k) => other.infer({ pixels: { data: pixels(k), shape: [1, 64] } })),
      ]);
      results.forEach((result, i) => {
        const k = i % 10;
        expect(maxAbsDiff(result.outputs.probabilities!.data as Float32Array, reference.subarray(k * 10, k * 10 + 10))).toBeLessThan(1e-5);
      });
      expect(other.directReplies).toBe(true);
    } finally {
      other.close();
      plainDirect.close();
    }
  });

  it('a client that sends junk to the direct-reply port is cut off and costs no one an answer', async () => {
    const asker = new TuttiClient(server!.endpoint, { directReplies: false });
    const { replies } = await asker.metadata();
    asker.close();
    const combinerPid = server!.processes.find((p) => p.role === 'combiner')!.pid;
    const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${combinerPid}/status`, 'utf8'))![1]) / 1024;
    const rssBefore = rssMiB();
    const junk = new Dealer({ linger: 0, routingId: 'tutti-junk', reconnectInterval: 10 });
    junk.connect(replies!);
    const client = new TuttiClient(server!.endpoint, { timeoutMs: 20_000 });
    try {
      // 160 MiB in 8 MiB messages: each closes the connection (limit 1 KiB) and is never held.
      let cutOff = 0;
      junk.events.on('disconnect', () => cutOff++);
      for (let k = 0; k < 20; k++) await junk.send(Buffer.alloc(8 << 20, 7));
      // Each message closes the connection when it reaches the combiner: wait until they all have.
      for (let waited = 0; cutOff < 20 && waited < 30_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(cutOff).toBeGreaterThanOrEqual(20);
      const answers = await Promise.all(rows.slice(0, 10).map((_, k) => client.infer({ pixels: { data: pixels(k), shape: [1, 64] } })));
      expect(rssMiB() - rssBefore).toBeLessThan(40);
      answers.forEach((answer, k) => {
        expect(maxAbsDiff(answer.outputs.probabilities!.data as Float32Array, reference.subarray(k * 10, k * 10 + 10))).toBeLessThan(1e-5);
      });
      expect(server!.restarts.combiner).toBe(0);
    } finally {
      junk.close();
      client.close();
    }
  });
});
