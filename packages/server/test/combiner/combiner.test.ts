/**
 * The combiner's logic without processes or ZeroMQ: plans and results go in through a fake PULL,
 * the REPLY messages to the batcher come out of a fake PUSH (no direct replies configured, so every
 * answer travels in them). Each member here is its own shard (one process per instance): a result
 * that does not complete its batch returns its instance's credit at once, in a REPLY of its own.
 */
import { join } from 'node:path';
import type { Pull, Push } from 'zeromq';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import {
  PLAN,
  REPLY,
  RESULT,
  decodeHeader,
  decodeMessage,
  encodeHeader,
  encodeTensorMessage,
  type ErrorReply,
  type InferReply,
  type PlanHeader,
  type PlanPart,
  type ReplyHeader,
} from '@tutti/protocol';
import { Combiner } from '../../src/combiner/combiner.js';
import { splitReply } from '../../src/shared/replies.js';
import { FakeSocket, asSocket } from '../support/fake-socket.js';

const DIGITS = join(import.meta.dirname, '../../../../ensembles/digits');
const CLASSES = 10;

interface Answered {
  header: ReplyHeader;
  /** Per answered part: its reply, decoded. */
  replies: Map<number, InferReply | ErrorReply>;
}

function decodeReply(frames: Buffer[]): Answered {
  const [head, ...rest] = frames;
  const header = decodeHeader(head!) as ReplyHeader;
  expect(header.kind).toBe(REPLY);
  const replies = new Map<number, InferReply | ErrorReply>();
  for (const [part, reply] of splitReply(header.parts, header.frames, rest)) replies.set(part, decodeMessage(reply.at(-1)!) as InferReply);
  return { header, replies };
}

let ensemble: Ensemble;
let input: FakeSocket;
let output: FakeSocket;
let combiner: Combiner;

/** The REPLY messages sent so far that answer requests (not the ones that only return credits). */
const answering = () => output.sent.filter((frames) => (decodeHeader(frames[0]!) as ReplyHeader).parts.length > 0);

/** Waits for `count` answering messages (for the condition, never a fixed time). */
async function answered(count: number): Promise<Buffer[][]> {
  while (answering().length < count) await output.sentCount(output.sent.length + 1);
  return answering();
}

beforeAll(async () => {
  ensemble = await loadManifest(DIGITS);
});

/** `generation`: how many combiners ran before this one (see PlanHeader.generation). */
async function startCombiner(generation = 0): Promise<void> {
  input = new FakeSocket('combiner-input');
  output = new FakeSocket('combiner-replies');
  combiner = new Combiner(
    { role: 'combiner', ensemble, bind: { input: 'inproc://in', replies: 'inproc://out' }, generation },
    { input: asSocket<Pull>(input), replies: asSocket<Push>(output) },
  );
  await combiner.start();
}

afterEach(async () => {
  await combiner.close();
});

function part(index: number, offset: number, count: number, deadline = 0, partial = false): PlanPart {
  return {
    index,
    envelope: [Buffer.from(`client-${index}`)],
    id: `r${index}`,
    offset,
    count,
    members: false,
    partial,
    deadline,
    arrivedAt: Date.now(),
  };
}

function plan(batch: number, parts: PlanPart[], more: Partial<PlanHeader> = {}): Buffer[] {
  return [encodeHeader({ kind: PLAN, batch, size: parts.reduce((n, p) => n + p.count, 0), parts, ...more })];
}

/** A member's probabilities for `rows` rows: row r, class c is (seed + r * CLASSES + c) / 1000. */
function probabilities(seed: number, rows: number): Float32Array {
  return Float32Array.from({ length: rows * CLASSES }, (_, k) => (seed + k) / 1000);
}

/** A member's RESULT; with `planned`, the batch's plan (as PLAN frames) passed on behind it, as a worker does. */
function result(batch: number, member: string, rows: number, seed: number, error?: string, planned?: Buffer[]): Buffer[] {
  const data = probabilities(seed, rows);
  const spec = { name: 'probabilities', datatype: 'FP32' as const, shape: [rows, CLASSES] };
  const frames = encodeTensorMessage(
    {
      kind: RESULT,
      batch,
      shard: member,
      instance: 0,
      serviceMs: 0.2,
      results: [{ member, outputs: error ? [] : [spec], computeMs: 0.1, ...(error && { error }) }],
      ...(planned && { plan: true }),
    },
    error ? [] : [{ ...spec, data: new Uint8Array(data.buffer) }],
  );
  return planned ? [...frames, ...planned] : frames;
}

const members = () => ensemble.members.map((m) => m.name);

describe('Combiner', () => {
  it('answers a batch once its plan and every member are in: the mean of the members, each request its own rows', async () => {
    await startCombiner();
    input.deliver(plan(7, [part(0, 0, 1), part(1, 1, 2)]));
    members().forEach((member, k) => input.deliver(result(7, member, 3, 100 * k)));
    const [answer] = await answered(1);
    const { header, replies } = decodeReply(answer!);
    expect(header).toMatchObject({ batch: 7, parts: [0, 1], last: true });
    // Every instance's credit came back: the last one's with the answers, the others' on their own.
    const credits = output.sent.flatMap((frames) => (decodeHeader(frames[0]!) as ReplyHeader).credits ?? []);
    expect(credits.map((c) => c.worker).sort()).toEqual(
      members()
        .map((m) => `${m}#0`)
        .sort(),
    );
    expect(header.credits).toEqual([{ worker: `${members().at(-1)}#0`, serviceMs: 0.2 }]);
    const mean = (row: number, c: number) =>
      members().reduce((sum, _, k) => sum + (100 * k + row * CLASSES + c) / 1000, 0) / members().length;
    for (const [index, rows] of [
      [0, [0]],
      [1, [1, 2]],
    ] as const) {
      const reply = replies.get(index) as InferReply;
      expect(reply.id).toBe(`r${index}`);
      expect(reply.outputs[0]!.shape).toEqual([rows.length, CLASSES]);
      const got = new Float32Array(new Uint8Array(reply.outputs[0]!.data).slice().buffer);
      rows.forEach((row, r) => {
        for (let c = 0; c < CLASSES; c++) expect(got[r * CLASSES + c]).toBeCloseTo(mean(row, c), 5);
      });
      expect(reply.parameters).toMatchObject({ batch_id: 7, batch_size: 3 });
    }
  });

  it('holds results that come before their plan, and answers when the plan arrives', async () => {
    await startCombiner();
    members().forEach((member, k) => input.deliver(result(8, member, 1, k)));
    input.deliver(plan(8, [part(0, 0, 1)]));
    const [answer] = await answered(1);
    expect(decodeReply(answer!).header).toMatchObject({ batch: 8, parts: [0], last: true });
  });

  it('answers a batch from the plan its workers passed on with their results, with no plan message', async () => {
    await startCombiner();
    const carried = plan(20, [part(0, 0, 1), part(1, 1, 1)]);
    members().forEach((member, k) => input.deliver(result(20, member, 2, k, undefined, carried)));
    const [answer] = await answered(1);
    expect(decodeReply(answer!).header).toMatchObject({ batch: 20, parts: [0, 1], last: true });
  });

  it('opens no batch again for its plan sent on its own after it was answered: no second answer', async () => {
    await startCombiner();
    const parts = [part(0, 0, 1, Date.now() + 60_000)];
    members().forEach((member, k) => input.deliver(result(22, member, 1, k, undefined, plan(22, parts))));
    await answered(1);
    // The same plan on its own, late, its deadline now past: opened again, it would be answered DEADLINE_EXCEEDED.
    input.deliver(plan(22, [{ ...parts[0]!, deadline: Date.now() - 1 }]));
    input.deliver(plan(23, [part(0, 0, 1)]));
    members().forEach((member, k) => input.deliver(result(23, member, 1, k)));
    const answers = (await answered(2)).map((frames) => decodeReply(frames));
    expect(answers.map((a) => a.header.batch)).toEqual([22, 23]);
    expect(answers.every((a) => 'outputs' in a.replies.get(0)!)).toBe(true);
  });

  it('after its restart, waits for the plan sent again instead of one passed on from before, and answers only that', async () => {
    await startCombiner(1);
    // Computed before the restart: the plan they carry has parts the combiner before this one answered.
    const stale = plan(21, [part(0, 0, 1), part(1, 1, 1)], { generation: 0 });
    members().forEach((member, k) => input.deliver(result(21, member, 2, k, undefined, stale)));
    input.deliver(plan(21, [part(1, 1, 1)], { size: 2, generation: 1, replanned: true }));
    const [answer] = await answered(1);
    expect(decodeReply(answer!).header).toMatchObject({ batch: 21, parts: [1], last: true });
  });

  it('answers DEADLINE_EXCEEDED at the deadline, once: the late results add no second answer', async () => {
    await startCombiner();
    input.deliver(plan(9, [part(0, 0, 1, Date.now() + 30)]));
    const [answer] = await answered(1);
    const late = decodeReply(answer!);
    expect(late.header).toMatchObject({ batch: 9, parts: [0], last: true });
    expect((late.replies.get(0) as ErrorReply).error.code).toBe('DEADLINE_EXCEEDED');
    // The late results, then a batch behind them: once that one is answered, the late ones were read.
    members().forEach((member, k) => input.deliver(result(9, member, 1, k)));
    input.deliver(plan(10, [part(0, 0, 1)]));
    members().forEach((member, k) => input.deliver(result(10, member, 1, k)));
    expect((await answered(2)).map((frames) => decodeReply(frames).header.batch)).toEqual([9, 10]);
  });

  it('answers a partial request at its deadline from the members that answered, and names them', async () => {
    await startCombiner();
    const [first, second] = members();
    input.deliver(plan(11, [part(0, 0, 1, Date.now() + 50, true)]));
    input.deliver(result(11, first!, 1, 0));
    input.deliver(result(11, second!, 1, 500));
    const [answer] = await answered(1);
    const reply = decodeReply(answer!).replies.get(0) as InferReply;
    expect(reply.parameters?.members_used).toEqual([first, second]);
    const got = new Float32Array(new Uint8Array(reply.outputs[0]!.data).slice().buffer);
    expect(got[0]).toBeCloseTo((0 + 500) / 2 / 1000, 5);
  });

  it('answers INTERNAL naming the member that failed, and keeps serving after a malformed message', async () => {
    await startCombiner();
    const [broken, ...rest] = members();
    input.deliver([Buffer.from('not a header')]);
    input.deliver(plan(12, [part(0, 0, 1)]));
    input.deliver(result(12, broken!, 1, 0, 'out of memory'));
    rest.forEach((member, k) => input.deliver(result(12, member, 1, k)));
    input.deliver(plan(13, [part(0, 0, 1)]));
    members().forEach((member, k) => input.deliver(result(13, member, 1, k)));
    const [first, second] = await answered(2);
    const failed = decodeReply(first!).replies.get(0) as ErrorReply;
    expect(failed.error).toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining(`member "${broken}" failed on this batch: out of memory`),
    });
    expect((decodeReply(second!).replies.get(0) as InferReply).outputs[0]!.shape).toEqual([1, CLASSES]);
  });
});
