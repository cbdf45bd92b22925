/**
 * The batcher's own CPU per request, without ZeroMQ, processes or noise from other processes: the
 * Batcher runs here on fake sockets (packages/server/test/support/fake-socket.ts), in a closed loop
 * of 256 requests in flight (one worker with two credits, which "computes" each batch until the next
 * one is sent or 1 ms passes; the combiner answers every reply straight to its client), and the CPU
 * time this process spends is divided by the requests answered. Beside it, the same requests
 * through the floor pipeline's front (bench/lib/floor-main.ts: decode, check, queue; pack the plan
 * and the batch) at the batcher's mean batch size: the least a batching front does. Alternating,
 * several rounds after one untimed run of each; the requests are encoded before the clock starts.
 *
 *   npx tsx bench/batcher-cpu.ts [--requests 100000] [--rounds 5] [--profile]
 *
 * --profile runs the Batcher once more under the inspector's CPU profiler and prints its hottest
 * functions (self time), which a sampling profile of the real process cannot show through the noise.
 * Writes docs/bench/batcher-cpu.json.
 */
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Pull, Push, Router } from 'zeromq';
import { pack } from 'msgpackr';
import { loadManifest } from '@tutti/manifest';
import { formatSpread, spread } from '@tutti/bench';
import { hardwareLine } from '@tutti/profiler';
import {
  HELLO,
  REPLY,
  checkInferInputs,
  decodeHeader,
  decodeMessage,
  encodeHeader,
  encodeMessage,
  parseRequest,
  requestIdOf,
  shardKey,
  workerId,
  type PlanHeader,
} from '@tutti/protocol';
import { Batcher } from '../packages/server/src/batcher/batcher.js';
import { FakeSocket, asSocket } from '../packages/server/test/support/fake-socket.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '5' },
    profile: { type: 'boolean', default: false },
  },
});
const total = Number(values.requests);
const IN_FLIGHT = 256;
const ensemble = await loadManifest(join(ROOT, 'ensembles/digits'));
const members = ensemble.members.map((m) => m.name);
const shard = shardKey(members);

/** The requests, encoded once: two clients (direct-reply ids), one sample each, distinct ids. */
function encodedRequests(): Buffer[][] {
  const clients = ['tutti-0f8f0a2e-2a52-4a8e-9d6f-0c1b2d3e4f50', 'tutti-7c9d1e2f-3a4b-4c5d-8e6f-1a2b3c4d5e6f'].map((c) => Buffer.from(c));
  const data = Buffer.from(Float32Array.from({ length: 64 }, (_, k) => k / 64).buffer);
  return Array.from({ length: total }, (_, id) => [
    clients[id % 2]!,
    encodeMessage({
      id,
      op: 'infer',
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data }],
      parameters: { timeout_ms: 30_000 },
    }),
  ]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU microseconds per request of the Batcher serving `requests`, and its mean batch size. */
async function batcherRun(requests: Buffer[][]): Promise<{ us: number; batchSize: number }> {
  const [clients, workers, plans, replies] = ['clients', 'workers', 'plans', 'replies'].map((n) => new FakeSocket(n)) as FakeSocket[];
  const batcher = new Batcher(
    {
      role: 'batcher',
      ensemble,
      clientEndpoint: 'inproc://clients',
      bindWorkers: 'inproc://workers',
      combiner: { input: 'inproc://combiner-in', replies: 'inproc://combiner-out', clients: 'inproc://direct' },
      defaultTimeoutMs: 30_000,
      shards: [members],
    },
    {
      clients: asSocket<Router>(clients!),
      workers: asSocket<Router>(workers!),
      plans: asSocket<Push>(plans!),
      replies: asSocket<Pull>(replies!),
    },
  );
  await batcher.start();
  const worker = Buffer.from(workerId(shard, 0));
  workers!.deliver([worker, encodeHeader({ kind: HELLO, shard, members, instance: 0, device: 'cpu', credits: 2 })]);
  while (!batcher.ready) await new Promise((resolve) => setImmediate(resolve));
  let next = 0;
  const started = process.cpuUsage();
  for (; next < IN_FLIGHT; next++) clients!.deliver(requests[next]!);
  let answered = 0;
  let batches = 0;
  const credit = [{ worker: worker.toString(), serviceMs: 0.5 }];
  for (; answered < requests.length; batches++) {
    await workers!.sentCount(1);
    // The worker computes: until the batcher sends the next batch (its second credit), or 1 ms.
    await Promise.race([workers!.sentCount(2), sleep(1)]);
    // The batch's plan rides last in its frames (the worker passes it on to the combiner).
    const plan = decodeHeader(workers!.sent.shift()!.at(-1)!) as PlanHeader;
    // The combiner's note: every part answered straight to its client, and the worker's credit back.
    const parts = plan.parts.map((p) => p.index);
    replies!.deliver([encodeHeader({ kind: REPLY, batch: plan.batch, parts: [], frames: [], direct: parts, credits: credit, last: true })]);
    answered += parts.length;
    for (let k = 0; k < parts.length && next < requests.length; k++) clients!.deliver(requests[next++]!);
  }
  const used = process.cpuUsage(started);
  await batcher.close();
  return { us: (used.user + used.system) / answered, batchSize: answered / batches };
}

/** The requests one at a time, through an async iterator (a promise each), as a socket gives them. */
async function* received(requests: Buffer[][]): AsyncGenerator<Buffer[]> {
  for (const frames of requests) yield frames;
}

/**
 * The floor pipeline's front on the same requests, read by async iteration as the batcher reads
 * them: decode, check, queue; per batch of `batchSize`, pack its plan and inputs.
 */
async function floorFrontRun(requests: Buffer[][], batchSize: number): Promise<number> {
  const socket = received(requests);
  const started = process.cpuUsage();
  let waiting: { envelope: Buffer[]; id: unknown; rows: number; data: Uint8Array }[] = [];
  let sink = 0;
  for await (const frames of socket) {
    const message = decodeMessage(frames.at(-1)!);
    const id = requestIdOf(message);
    const request = parseRequest(message);
    if (request.op !== 'infer') throw new Error('not infer');
    const { tensors, batchSize: rows } = checkInferInputs(request.inputs, ensemble.inputs, ensemble.batching.maxBatchSize);
    waiting.push({ envelope: frames.slice(0, -1), id, rows, data: tensors[0]!.data });
    if (waiting.length >= batchSize) {
      const parts = waiting.map(({ envelope, id: partId, rows: partRows }) => ({ envelope, id: partId, rows: partRows }));
      sink += pack({ batch: 0, parts }).length + Buffer.concat(waiting.map((w) => w.data)).length;
      waiting = [];
    }
  }
  const used = process.cpuUsage(started);
  if (sink === 0) throw new Error('nothing packed');
  return (used.user + used.system) / requests.length;
}

const requests = encodedRequests();
// One untimed run of each first: the rounds compare code the JIT has compiled, as a server's is after its first seconds.
const warm = await batcherRun(requests);
await floorFrontRun(requests, Math.round(warm.batchSize));
const results = { batcher: [] as number[], floorFront: [] as number[], batchSize: [] as number[] };
for (let round = 1; round <= Number(values.rounds); round++) {
  // Alternating which goes first; the front packs batches of the size the batcher formed last.
  let batchSize = results.batchSize.at(-1) ?? 75;
  const runFront = async () => results.floorFront.push(await floorFrontRun(requests, Math.round(batchSize)));
  if (round % 2 === 0) await runFront();
  const run = await batcherRun(requests);
  results.batcher.push(run.us);
  results.batchSize.push((batchSize = run.batchSize));
  if (round % 2 === 1) await runFront();
  console.log(
    `round ${round}: batcher ${run.us.toFixed(2)} us/request (batches of ${run.batchSize.toFixed(1)}), floor front ${results.floorFront.at(-1)!.toFixed(2)}`,
  );
}
const summary = { batcher: spread(results.batcher), floorFront: spread(results.floorFront), batchSize: spread(results.batchSize) };
console.log(
  `${hardwareLine()}\nCPU per request without ZeroMQ, median (range) of ${values.rounds} rounds: batcher ${formatSpread(summary.batcher, 2)} us, floor front ${formatSpread(summary.floorFront, 2)} us; batches of ${formatSpread(summary.batchSize, 1)} requests`,
);

let hottest: { name: string; ms: number }[] | undefined;
if (values.profile) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  await batcherRun(requests);
  const { profile } = await session.post('Profiler.stop');
  if (process.env.TUTTI_PROFILE_OUT) writeFileSync(process.env.TUTTI_PROFILE_OUT, JSON.stringify(profile));
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples!.forEach((id, k) => {
    const frame = byId.get(id)!.callFrame;
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + profile.timeDeltas![k]! / 1000);
  });
  hottest = [...self]
    .map(([name, ms]) => ({ name, ms }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 25);
  console.log('\nBatcher, hottest functions (self ms):');
  for (const { name, ms } of hottest) console.log(`${ms.toFixed(1).padStart(8)}  ${name}`);
}
writeFileSync(
  join(ROOT, 'docs/bench/batcher-cpu.json'),
  `${JSON.stringify({ hardware: hardwareLine(), requests: total, inFlight: IN_FLIGHT, rounds: results, summary, ...(hottest && { hottest }) }, null, 2)}\n`,
);
console.log('wrote docs/bench/batcher-cpu.json');
process.exit(0);
