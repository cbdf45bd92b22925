/**
 * Hostile input against a real server: garbage, mutated requests, deep nesting, absurd shapes, NaN,
 * and a message over the size limit. Every malformed request is answered with an error, no process
 * dies, and a well-formed request is still answered correctly afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { Packr, Unpackr } from 'msgpackr';
import { TuttiClient } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { mulberry32 } from '@tutti/zoo';
import { DIGITS_DIR } from './support/ensembles.js';
import { expectAllGone, isAlive } from './support/processes.js';
import { combineReference, maxAbsDiff, runMembers } from './support/reference.js';

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
let server: Server;

beforeAll(async () => {
  server = await Server.start(await loadManifest(DIGITS_DIR), { endpoint: 'tcp://127.0.0.1:0', log: () => {} });
});

afterAll(async () => {
  const pids = server?.processes.map((p) => p.pid) ?? [];
  await server?.stop();
  expectAllGone(pids);
});

/** Reproducible garbage. */
const seeded = mulberry32;

function hostileFrames(): Buffer[] {
  const random = seeded(7);
  const pixels = Buffer.from(new Float32Array(64).fill(1).buffer);
  const valid = packr.pack({ id: 1, inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data: pixels }] });
  const frames: Buffer[] = [Buffer.alloc(0)];
  for (let i = 0; i < 200; i++)
    frames.push(Buffer.from(Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256))));
  for (let i = 0; i < 300; i++) {
    const mutated = Buffer.from(valid);
    for (let k = 0; k < 1 + Math.floor(random() * 4); k++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
    frames.push(mutated);
  }
  // 100,000 nested one-element arrays (0x91 each), then the integer 1: a decoder that recurses must not crash.
  const deep = Buffer.concat([
    Buffer.from([0x82, 0xa2, 0x69, 0x64, 0x02, 0xa6, ...Buffer.from('inputs')]),
    Buffer.alloc(100_000, 0x91),
    Buffer.from([0x01]),
  ]);
  const nan = Buffer.from(new Float32Array(64).fill(Number.NaN).buffer);
  frames.push(
    deep,
    packr.pack({ id: 3, inputs: [{ name: 'pixels', datatype: 'FP32', shape: [2 ** 31, 2 ** 31, 2 ** 31], data: pixels }] }),
    packr.pack({ id: 4, inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data: nan }] }),
    packr.pack({
      id: 5,
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data: pixels }],
      parameters: { timeout_ms: Number.NaN },
    }),
    packr.pack({ id: 6, inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1.5, 64], data: pixels }] }),
    packr.pack({ id: { nested: true }, op: 'health' }),
    Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]), // array header claiming 4 billion elements
    Buffer.from([0xdb, 0x7f, 0xff, 0xff, 0xff]), // string header claiming 2 GB
  );
  return frames;
}

/** Frame n of the fuzz stream: random bytes, or a valid request with a few bytes mutated (seeded by n). */
function fuzzFrame(n: number, valid: Buffer): Buffer {
  const random = seeded(1_000_003 + n);
  if (n % 2 === 0) return Buffer.from(Array.from({ length: Math.floor(random() * 400) }, () => Math.floor(random() * 256)));
  const mutated = Buffer.from(valid);
  for (let k = 0; k < 1 + Math.floor(random() * 6); k++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
  return mutated;
}

describe('hostile input', () => {
  it('survives 100,000 random and mutated frames while a well-behaved client keeps getting correct answers', async () => {
    const FRAMES = Number(process.env.TUTTI_FUZZ_FRAMES ?? 100_000);
    const ensemble = await loadManifest(DIGITS_DIR);
    const good = new Float32Array(64).map((_, i) => (i * 5) % 17);
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
    const valid = packr.pack({ id: 9, inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data: Buffer.from(good.buffer) }] });
    const fuzzer = new Dealer({ linger: 0, receiveTimeout: 30_000 });
    fuzzer.connect(server.endpoint);
    const client = new TuttiClient(server.endpoint, { timeoutMs: 30_000 });
    const codes: Record<string, number> = {};
    let fuzzing = true;
    const checked = { correct: 0, wrong: 0 };
    let goodClientError: string | undefined;
    const wellBehaved = (async () => {
      while (fuzzing) {
        const result = await client.infer({ pixels: { data: good, shape: [1, 64] } });
        if (maxAbsDiff(result.outputs.probabilities!.data as Float32Array, expected) < 1e-5) checked.correct++;
        else checked.wrong++;
      }
    })();
    try {
      const replies = (async () => {
        for (let received = 0; received < FRAMES; received++) {
          const reply = unpackr.unpack((await fuzzer.receive())[0]!);
          const code = reply.error?.code ?? (reply.outputs ? 'OK' : 'OTHER');
          codes[code] = (codes[code] ?? 0) + 1;
        }
      })();
      for (let n = 0; n < FRAMES; n++) await fuzzer.send(fuzzFrame(n, valid));
      await replies;
    } finally {
      fuzzing = false;
      // The well-behaved client must not have failed at all: its error, if any, fails the test below.
      goodClientError = await wellBehaved.then(
        () => undefined,
        (error: Error) => error.message,
      );
      fuzzer.close();
      client.close();
    }
    console.log(`fuzz: ${FRAMES} frames -> ${JSON.stringify(codes)}; well-behaved client ${JSON.stringify(checked)}`);
    expect(Object.values(codes).reduce((a, b) => a + b, 0)).toBe(FRAMES);
    expect(Object.keys(codes).filter((code) => !['INVALID_ARGUMENT', 'OK', 'RESOURCE_EXHAUSTED'].includes(code))).toEqual([]);
    expect(goodClientError).toBeUndefined();
    expect(checked.wrong).toBe(0);
    expect(checked.correct).toBeGreaterThan(10);
    for (const p of server.processes) expect(isAlive(p.pid)).toBe(true);
  }, 300_000);

  it('answers every malformed frame with an error and keeps serving', async () => {
    const socket = new Dealer({ linger: 0, receiveTimeout: 10_000 });
    socket.connect(server.endpoint);
    const frames = hostileFrames();
    const codes: Record<string, number> = {};
    try {
      for (const frame of frames) {
        await socket.send(frame);
        const reply = unpackr.unpack((await socket.receive())[0]!);
        const code = reply.error?.code ?? (reply.outputs ? 'OK' : 'OTHER');
        codes[code] = (codes[code] ?? 0) + 1;
      }
    } finally {
      socket.close();
    }
    console.log(`hostile: ${frames.length} frames -> ${JSON.stringify(codes)}`);
    expect(Object.values(codes).reduce((a, b) => a + b, 0)).toBe(frames.length);
    // Mutations inside the pixel bytes still make well-formed requests (OK); everything else is refused.
    expect(Object.keys(codes).sort()).toEqual(['INVALID_ARGUMENT', 'OK']);
    expect(codes.INVALID_ARGUMENT).toBeGreaterThan(200);
    for (const p of server.processes) expect(isAlive(p.pid)).toBe(true);
    const client = new TuttiClient(server.endpoint, { timeoutMs: 10_000 });
    try {
      const result = await client.infer({ pixels: { data: new Float32Array(64).fill(1), shape: [1, 64] } });
      expect(result.outputs.probabilities!.shape).toEqual([1, 10]);
    } finally {
      client.close();
    }
  });

  it('drops a client whose message exceeds the size limit, and no one else notices', async () => {
    const big = new Dealer({ linger: 0 });
    big.connect(server.endpoint);
    const client = new TuttiClient(server.endpoint, { timeoutMs: 10_000 });
    try {
      await big.send(Buffer.alloc(64 * 2 ** 20));
      const result = await client.infer({ pixels: { data: new Float32Array(64).fill(1), shape: [1, 64] } });
      expect(result.outputs.probabilities!.shape).toEqual([1, 10]);
      for (const p of server.processes) expect(isAlive(p.pid)).toBe(true);
    } finally {
      big.close();
      client.close();
    }
  });
});
