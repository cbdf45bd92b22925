/**
 * One process of the floor pipeline (bench/floor-server.ts): the least a three-role server can do
 * for an ensemble, to measure what the design costs before any of tutti's own work. No validation
 * beyond the codec's, no metrics, no recovery, no deadlines, no side messages: the front batches
 * whatever waits while fewer than two batches are out and sends it with its plan in one message; the
 * worker runs every member in turn and passes the plan on with the outputs; the combiner averages and
 * hands the front all of the batch's replies in one message, which also tells it the batch is done.
 * With DIRECT_ENDPOINT, the combiner answers clients that connect there itself (as tutti's direct
 * replies: the client's second socket has the same routing id; a client not connected there gets its
 * reply through the front) and tells the front only that the batch is done.
 *
 *   floor-main.ts front    MANIFEST CLIENT_ENDPOINT WORKER_IPC REPLIES_IPC [DIRECT_ENDPOINT]
 *   floor-main.ts worker   MANIFEST WORKER_IPC COMBINER_IPC
 *   floor-main.ts combiner MANIFEST COMBINER_IPC REPLIES_IPC [DIRECT_ENDPOINT]
 */
import { Pull, Push, Router } from 'zeromq';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pack, unpack } from 'msgpackr';
import { loadManifest } from '@tutti/manifest';
import { ModelSession } from '@tutti/runtime';
import { builtinRule } from '@tutti/rules';
import {
  PROTOCOL_VERSION,
  SendQueue,
  bytesOf,
  checkInferInputs,
  decodeMessage,
  encodeErrorOf,
  encodeMessage,
  parseRequest,
  requestIdOf,
  viewAs,
  type RequestId,
} from '@tutti/protocol';

interface Part {
  envelope: Buffer[];
  id: RequestId;
  rows: number;
}

const [role, manifest, ...endpoints] = process.argv.slice(2);
const ensemble = await loadManifest(manifest!);
process.on('disconnect', () => process.exit(0));

// TUTTI_SPANS: the same step marks as tutti's processes (packages/server/src/shared/spans.ts), so
// bench/spans.ts --endpoint reads where the floor's idle request spends its time.
const spans = process.env.TUTTI_SPANS;
const marks: string[] = [];
const mark = (step: string, key: number) => {
  if (spans) marks.push(`${(performance.timeOrigin + performance.now()).toFixed(3)} ${step} ${key}\n`);
};
if (spans) {
  process.on('exit', () => writeFileSync(join(spans, `spans-${process.pid}.txt`), marks.join('')));
  if (role !== 'front') process.on('SIGTERM', () => process.exit(0));
}

async function front([client, toWorker, fromCombiner, direct]: string[]): Promise<void> {
  const router = new Router({ linger: 0, sendHighWaterMark: 100_000 });
  const push = new Push({ linger: 0 });
  const pull = new Pull({ linger: 0 });
  await router.bind(client!);
  await push.bind(toWorker!);
  await pull.bind(fromCombiner!);
  const waiting: (Part & { data: Buffer })[] = [];
  // zeromq.js takes one send at a time per socket: both loops below send, so through queues.
  const fail = (error: unknown) => console.error('floor front: send failed', error);
  const replies = new SendQueue(router, fail);
  const batches = new SendQueue(push, fail);
  let out = 0;
  let batch = 0;
  let requests = 0;
  // How large its batches were: printed when the launcher stops it.
  process.on('SIGTERM', () => {
    console.error(`floor front: ${batch} batches, ${requests} requests, ${(requests / Math.max(1, batch)).toFixed(1)} requests a batch`);
    process.exit(0);
  });
  const dispatch = () => {
    if (out >= 2 || waiting.length === 0) return;
    const take = waiting.splice(0, ensemble.batching.maxBatchSize);
    const parts: Part[] = take.map(({ envelope, id, rows }) => ({ envelope, id, rows }));
    requests += take.length;
    out++;
    mark('batcher.dispatched', batch);
    batches.send([pack({ batch: batch++, parts }), Buffer.concat(take.map((t) => t.data))]);
  };
  void (async () => {
    for await (const [header, ...frames] of pull) {
      out--;
      const counts = unpack(header!) as number[];
      let at = 0;
      for (const n of counts) {
        replies.send(frames.slice(at, at + n));
        at += n;
      }
      dispatch();
    }
  })();
  process.send!('ready');
  for await (const frames of router) {
    const envelope = frames.slice(0, -1);
    let id: RequestId | null = null;
    try {
      const message = decodeMessage(frames.at(-1)!);
      id = requestIdOf(message);
      const request = parseRequest(message);
      if (request.op === 'infer') {
        mark('batcher.received', 0);
        const { tensors, batchSize } = checkInferInputs(request.inputs, ensemble.inputs, ensemble.batching.maxBatchSize);
        waiting.push({ envelope, id: request.id, rows: batchSize, data: tensors[0]!.data as Buffer });
        dispatch();
      } else if (request.op === 'health') replies.send([...envelope, encodeMessage({ id, live: true, ready: true })]);
      else {
        const { name, inputs, outputs, members } = ensemble;
        const metadata = {
          id,
          name,
          inputs,
          outputs,
          members: members.map((m) => m.name),
          rule: 'mean',
          protocol: PROTOCOL_VERSION,
          ...(direct && { replies: direct }),
        };
        replies.send([...envelope, encodeMessage(metadata)]);
      }
    } catch (error) {
      replies.send([...envelope, encodeErrorOf(id, error)]);
    }
  }
}

async function worker([fromFront, toCombiner]: string[]): Promise<void> {
  const sessions = await Promise.all(ensemble.members.map((m) => ModelSession.load(m.path, { intraOpThreads: 1 })));
  const pull = new Pull({ linger: 0 });
  const push = new Push({ linger: 0 });
  pull.connect(fromFront!);
  push.connect(toCombiner!);
  process.send!('ready');
  const spec = ensemble.inputs[0]!;
  for await (const [plan, data] of pull) {
    const batch = spans ? (unpack(plan!) as { batch: number }).batch : 0;
    mark('worker.received', batch);
    const rows = data!.byteLength / 4 / spec.shape[1]!;
    const input = { ...spec, shape: [rows, spec.shape[1]!], data: data! };
    const outputs: Buffer[] = [];
    for (const session of sessions) outputs.push(Buffer.from((await session.run([input]))[0]!.data));
    mark('worker.computed', batch);
    await push.send([plan!, ...outputs]);
    mark('worker.sent', batch);
  }
}

async function combiner([fromWorker, toFront, direct]: string[]): Promise<void> {
  const rule = builtinRule('mean');
  const output = ensemble.outputs[0]!;
  const pull = new Pull({ linger: 0 });
  const push = new Push({ linger: 0 });
  await pull.bind(fromWorker!);
  push.connect(toFront!);
  // mandatory: a client not (yet) connected here is an error, not a silent drop; its reply goes through the front.
  const clients = direct ? new Router({ linger: 0, sendHighWaterMark: 100_000, mandatory: true, sendTimeout: 0 }) : undefined;
  await clients?.bind(direct!);
  process.send!('ready');
  for await (const [planFrame, ...outputs] of pull) {
    const { batch, parts } = unpack(planFrame!) as { batch: number; parts: Part[] };
    mark('combiner.result', batch);
    const rows = parts.reduce((n, p) => n + p.rows, 0);
    const data = outputs.map((o) => viewAs('FP32', o) as Float32Array);
    const width = data[0]!.length / rows;
    const combined = rule({
      members: ensemble.members.map((m) => m.name),
      weights: ensemble.members.map((m) => m.weight),
      outputs: { [output.name]: { shape: [rows, width], data } },
    })[output.name]!;
    const frames: Buffer[] = [];
    const counts: number[] = [];
    let offset = 0;
    mark('combiner.replied', batch);
    for (const part of parts) {
      const slice = combined.subarray(offset * width, (offset + part.rows) * width);
      offset += part.rows;
      const reply = { name: output.name, datatype: output.datatype, shape: [part.rows, width], data: bytesOf(slice) };
      const answer = [...part.envelope, encodeMessage({ id: part.id, model_name: ensemble.name, outputs: [reply] })];
      try {
        if (!clients) throw new Error('no direct replies');
        await clients.send(answer);
      } catch {
        frames.push(...answer);
        counts.push(answer.length);
      }
    }
    await push.send([pack(counts), ...frames]);
  }
}

const roles: Record<string, (endpoints: string[]) => Promise<void>> = { front, worker, combiner };
await roles[role!]!(endpoints);
