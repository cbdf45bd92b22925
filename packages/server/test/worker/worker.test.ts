/**
 * A worker process's class, in this process, against sockets the test holds in the batcher's and the
 * combiner's place: it hosts several members, answers a batch with one RESULT holding every member's
 * outputs (equal to onnxruntime run directly) with its service time (its credit goes back through the
 * combiner), returns a credit itself only for a batch it drops, and survives malformed frames.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Pull, Router } from 'zeromq';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import {
  BATCH,
  CREDIT,
  HELLO,
  PLAN,
  RESULT,
  decodeHeader,
  encodeHeader,
  memberOutputs,
  type BatchHeader,
  type ResultHeader,
} from '@tutti/protocol';
import { PredictionWorker } from '../../src/worker/worker.js';

const DIGITS = join(import.meta.dirname, '../../../../ensembles/digits');
const dir = mkdtempSync(join(tmpdir(), 'tutti-worker-test-'));
const batcher = new Router({ linger: 0 });
const combiner = new Pull({ linger: 0 });
let ensemble: Ensemble;
let worker: PredictionWorker;
let members: string[];

beforeAll(async () => {
  ensemble = await loadManifest(DIGITS);
  members = ensemble.members.slice(0, 3).map((m) => m.name);
  await batcher.bind(`ipc://${join(dir, 'workers')}`);
  await combiner.bind(`ipc://${join(dir, 'results')}`);
  worker = new PredictionWorker({
    role: 'worker',
    ensemble,
    shard: members.join('+'),
    instance: 0,
    device: 'cpu',
    members: members.map((member) => ({ member, instance: 0, device: 'cpu', settings: { intraOpThreads: 1 }, batchSize: 4 })),
    batches: `ipc://${join(dir, 'workers')}`,
    results: `ipc://${join(dir, 'results')}`,
  });
  await worker.start();
});

afterAll(async () => {
  await worker?.close();
  batcher.close();
  combiner.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The next message from the worker on the batcher's socket that is not a heartbeat. */
async function fromWorker(): Promise<{ id: Buffer; header: ReturnType<typeof decodeHeader> }> {
  for (;;) {
    const [id, frame] = await batcher.receive();
    const header = decodeHeader(frame!);
    if (header.kind === HELLO || header.kind === CREDIT) return { id: id!, header };
  }
}

const rows = 6;
const pixels = Float32Array.from({ length: rows * 64 }, (_, k) => ((k * 5) % 16) / 16);
const batchFrames = (batch: number) => [
  encodeHeader({ kind: BATCH, batch, inputs: [{ name: 'pixels', datatype: 'FP32', shape: [rows, 64] }], deadline: 0, sentAt: 0 }),
  Buffer.from(pixels.buffer),
];

describe('PredictionWorker hosting several members', () => {
  it('says hello as its shard, with its members', async () => {
    const { id, header } = await fromWorker();
    expect(id.toString()).toBe(`${members.join('+')}#0`);
    expect(header).toMatchObject({ kind: HELLO, shard: members.join('+'), members });
  });

  it('answers one batch with one RESULT of every member, equal to onnxruntime, with its service time', async () => {
    await batcher.send([Buffer.from(`${members.join('+')}#0`), ...batchFrames(7)]);
    const [headerFrame, ...frames] = await combiner.receive();
    const header = decodeHeader(headerFrame!) as ResultHeader;
    expect(header.kind).toBe(RESULT);
    expect(header.results.map((r) => r.member)).toEqual(members);
    const outputs = memberOutputs(header, frames);
    for (const [k, name] of members.entries()) {
      const session = await ort.InferenceSession.create(ensemble.members.find((m) => m.name === name)!.path);
      const direct = (await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', pixels, [rows, 64]) }))[
        session.outputNames[0]!
      ]!.data as Float32Array;
      await session.release();
      const served = new Float32Array(outputs[k]![0]!.data.slice().buffer);
      expect(served.length).toBe(direct.length);
      expect(Math.max(...served.map((v, i) => Math.abs(v - direct[i]!)))).toBeLessThan(1e-6);
    }
    // A service time comes with it (how long is the bench's business, not this test's).
    expect(Number.isFinite(header.serviceMs) && header.serviceMs >= 0).toBe(true);
  });

  it('drops malformed batches (bad header, frames missing) and keeps serving', async () => {
    const id = Buffer.from(`${members.join('+')}#0`);
    await batcher.send([id, Buffer.from([0xc1, 0xff, 0x00])]);
    await batcher.send([
      id,
      encodeHeader({ kind: BATCH, batch: 8, inputs: [{ name: 'pixels', datatype: 'FP32', shape: [rows, 64] }], deadline: 0, sentAt: 0 }),
    ]);
    await batcher.send([id, ...batchFrames(9)]);
    const [headerFrame] = await combiner.receive();
    expect((decodeHeader(headerFrame!) as ResultHeader).batch).toBe(9);
  });

  it("passes the batch's plan on to the combiner untouched, behind the outputs", async () => {
    const id = Buffer.from(`${members.join('+')}#0`);
    const [header, data] = batchFrames(11);
    const planFrame = encodeHeader({ kind: PLAN, batch: 11, size: rows, parts: [] });
    await batcher.send([id, encodeHeader({ ...(decodeHeader(header!) as BatchHeader), plan: true }), data!, planFrame]);
    const [resultFrame, ...frames] = await combiner.receive();
    const result = decodeHeader(resultFrame!) as ResultHeader;
    expect(result).toMatchObject({ kind: RESULT, batch: 11, plan: true });
    expect(Buffer.compare(frames.at(-1)!, planFrame)).toBe(0);
    expect(memberOutputs(result, frames.slice(0, -1))).toHaveLength(members.length);
  });

  it('returns the credit of a batch it drops past its deadline itself, and no other', async () => {
    const id = Buffer.from(`${members.join('+')}#0`);
    const [header, data] = batchFrames(10);
    await batcher.send([id, encodeHeader({ ...(decodeHeader(header!) as BatchHeader), deadline: Date.now() - 1 }), data!]);
    // Batches 7, 9 and 11 were computed: had their credits come here, they would come first.
    const { header: credit } = await fromWorker();
    expect(credit).toMatchObject({ kind: CREDIT, batch: 10 });
  });
});
