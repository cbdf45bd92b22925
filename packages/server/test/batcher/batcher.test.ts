/**
 * The batcher's logic without processes or ZeroMQ: clients, workers and the combiner are fake
 * sockets (support/fake-socket.ts); the test plays each of them.
 */
import { join } from 'node:path';
import type { Pull, Push, Router } from 'zeromq';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import {
  BATCH,
  HELLO,
  PLAN,
  REPLY,
  decodeHeader,
  decodeMessage,
  encodeHeader,
  encodeMessage,
  shardKey,
  workerId,
  type BatchHeader,
  type ErrorReply,
  type PlanHeader,
} from '@tutti/protocol';
import { Batcher } from '../../src/batcher/batcher.js';
import { FakeSocket, asSocket } from '../support/fake-socket.js';

const DIGITS = join(import.meta.dirname, '../../../../ensembles/digits');

let ensemble: Ensemble;
let shard: string;
let clients: FakeSocket;
let workers: FakeSocket;
let plans: FakeSocket;
let replies: FakeSocket;
let batcher: Batcher;

beforeAll(async () => {
  ensemble = await loadManifest(DIGITS);
  shard = shardKey(ensemble.members.map((m) => m.name));
});

async function startBatcher(): Promise<void> {
  [clients, workers, plans, replies] = ['clients', 'workers', 'plans', 'replies'].map((name) => new FakeSocket(name)) as [
    FakeSocket,
    FakeSocket,
    FakeSocket,
    FakeSocket,
  ];
  batcher = new Batcher(
    {
      role: 'batcher',
      ensemble,
      clientEndpoint: 'inproc://clients',
      bindWorkers: 'inproc://workers',
      combiner: { input: 'inproc://combiner-in', replies: 'inproc://combiner-out' },
      defaultTimeoutMs: 10_000,
      // One worker process hosts every member (the grouped layout): batches go to one shard.
      shards: [ensemble.members.map((m) => m.name)],
    },
    {
      clients: asSocket<Router>(clients),
      workers: asSocket<Router>(workers),
      plans: asSocket<Push>(plans),
      replies: asSocket<Pull>(replies),
    },
  );
  await batcher.start();
}

afterEach(async () => {
  await batcher.close();
});

/** A worker instance says hello, as the worker process does when it has loaded its members. */
async function hello(instance: number, credits = 2): Promise<string> {
  const id = workerId(shard, instance);
  const members = ensemble.members.map((m) => m.name);
  workers.deliver([Buffer.from(id), encodeHeader({ kind: HELLO, shard, members, instance, device: 'cpu', credits })]);
  for (let waited = 0; !batcher.ready && waited < 5_000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(batcher.ready).toBe(true);
  return id;
}

function pixels(seed: number): Buffer {
  return Buffer.from(Float32Array.from({ length: 64 }, (_, k) => (seed + k) % 16).buffer);
}

function request(
  client: string,
  id: number,
  inputs: object[] = [{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data: pixels(id) }],
): void {
  clients.deliver([Buffer.from(client), encodeMessage({ id, op: 'infer', inputs, parameters: { timeout_ms: 10_000 } })]);
}

function lastClientReply(): { envelope: string; reply: ErrorReply } {
  const frames = clients.sent.at(-1)!;
  return { envelope: frames[0]!.toString(), reply: decodeMessage(frames.at(-1)!) as ErrorReply };
}

describe('Batcher', () => {
  it('refuses requests UNAVAILABLE, naming what is missing, until the ensemble was ready once', async () => {
    await startBatcher();
    request('tutti-a', 1);
    await clients.sentCount(1);
    const { envelope, reply } = lastClientReply();
    expect(envelope).toBe('tutti-a');
    expect(reply.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(`waiting for ${shard}`) });
    expect(workers.sent).toEqual([]);
  });

  it('sends a request to a worker as a batch, encoded once, its plan riding last for the combiner', async () => {
    await startBatcher();
    const id = await hello(0);
    request('tutti-a', 7);
    await workers.sentCount(1);
    const [to, head, data, planFrame] = workers.sent[0]!;
    expect(to!.toString()).toBe(id);
    const batch = decodeHeader(head!) as BatchHeader;
    expect(batch).toMatchObject({ kind: BATCH, inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64] }], plan: true });
    expect(Buffer.compare(data!, pixels(7))).toBe(0);
    // Its deadline is 10 s away: the plan does not also go to the combiner on its own.
    expect(plans.sent).toEqual([]);
    const plan = decodeHeader(planFrame!) as PlanHeader;
    expect(plan).toMatchObject({ kind: PLAN, batch: batch.batch, size: 1 });
    expect(plan.parts).toMatchObject([{ index: 0, id: 7, offset: 0, count: 1 }]);
    expect(plan.parts[0]!.envelope.map((b) => Buffer.from(b).toString())).toEqual(['tutti-a']);
  });

  it('refuses a malformed request INVALID_ARGUMENT, naming the input, and serves the next one', async () => {
    await startBatcher();
    await hello(0);
    request('tutti-a', 1, [{ name: 'pixels', datatype: 'FP32', shape: [1, 63], data: Buffer.alloc(63 * 4) }]);
    await clients.sentCount(1);
    expect(lastClientReply().reply.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('pixels') });
    request('tutti-b', 2);
    await workers.sentCount(1);
    expect((decodeHeader(workers.sent[0]![1]!) as BatchHeader).kind).toBe(BATCH);
  });

  it("forwards the combiner's replies for plain clients untouched", async () => {
    await startBatcher();
    await hello(0);
    request('plain-client', 3);
    await workers.sentCount(1);
    const plan = decodeHeader(workers.sent[0]!.at(-1)!) as PlanHeader;
    const answer = encodeMessage({ id: 3, model_name: 'digits', outputs: [] });
    replies.deliver([
      encodeHeader({ kind: REPLY, batch: plan.batch, parts: [0], frames: [2], last: true }),
      Buffer.from('plain-client'),
      answer,
    ]);
    await clients.sentCount(1);
    const [envelope, frame] = clients.sent[0]!;
    expect(envelope!.toString()).toBe('plain-client');
    expect(Buffer.compare(frame!, answer)).toBe(0);
  });

  it('sends a request that came while a batch computes once its queue delay is up, with nothing else happening', async () => {
    await startBatcher();
    await hello(0, 2);
    request('tutti-a', 10);
    await workers.sentCount(1);
    // The first batch is still out (no answer comes): only the due timer can send this one.
    request('tutti-b', 11);
    await workers.sentCount(2);
    const plan = decodeHeader(workers.sent[1]!.at(-1)!) as PlanHeader;
    expect(plan.parts.map((p) => p.id)).toEqual([11]);
  });

  it("takes an instance's credit back from the combiner's note, and sends that instance the next batch", async () => {
    await startBatcher();
    const id = await hello(0, 1);
    request('tutti-a', 5);
    await workers.sentCount(1);
    const first = (decodeHeader(workers.sent[0]![1]!) as BatchHeader).batch;
    // Its one credit is out: the next request waits in the queue. (The health answer behind it says
    // the batcher has read it.)
    request('tutti-b', 6);
    clients.deliver([Buffer.from('tutti-c'), encodeMessage({ id: 9, op: 'health' })]);
    await clients.sentCount(1);
    expect(workers.sent).toHaveLength(1);
    replies.deliver([
      encodeHeader({ kind: REPLY, batch: first, parts: [], frames: [], last: false, credits: [{ worker: id, serviceMs: 0.5 }] }),
    ]);
    await workers.sentCount(2);
    const [to, head] = workers.sent[1]!;
    expect(to!.toString()).toBe(id);
    expect((decodeHeader(head!) as BatchHeader).batch).toBe(first + 1);
  });

  it('sends the combiner a plan on its own when a deadline is near, as the batch leaves', async () => {
    await startBatcher();
    await hello(0);
    clients.deliver([
      Buffer.from('tutti-a'),
      encodeMessage({
        id: 8,
        op: 'infer',
        inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data: pixels(8) }],
        parameters: { timeout_ms: 500 },
      }),
    ]);
    await workers.sentCount(1);
    await plans.sentCount(1);
    expect(plans.sent[0]).toEqual([workers.sent[0]!.at(-1)]);
    expect(decodeHeader(plans.sent[0]![0]!)).toMatchObject({ kind: PLAN, parts: [{ id: 8 }] });
  });

  it('sends the batch of an instance that went down to another instance of its shard', async () => {
    await startBatcher();
    const first = await hello(0, 1);
    const second = await hello(1, 1);
    request('tutti-a', 4);
    await workers.sentCount(1);
    const [to, head] = workers.sent[0]!;
    const batch = (decodeHeader(head!) as BatchHeader).batch;
    batcher.workerDown(to!.toString());
    await workers.sentCount(2);
    const [again, headAgain] = workers.sent[1]!;
    expect(again!.toString()).toBe(to!.toString() === first ? second : first);
    expect((decodeHeader(headAgain!) as BatchHeader).batch).toBe(batch);
  });
});
