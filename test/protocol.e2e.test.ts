/**
 * The client protocol against a real server: REQ and DEALER sockets, metadata and health, and
 * malformed requests answered with INVALID_ARGUMENT while other clients keep getting answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer, Request } from 'zeromq';
import { Packr, Unpackr } from 'msgpackr';
import { TuttiClient } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { readDigits, testSplit } from '../ensembles/digits/data.js';
import { combineReference, maxAbsDiff, runMembers } from './support/reference.js';
import { DIGITS_DIR } from './support/ensembles.js';
import { expectAllGone } from './support/processes.js';

// Standard MessagePack, as a client in another language would write it.
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const digits = readDigits();
const sample = testSplit()[0]!;
const pixels = digits.pixels[sample]!;
const bin = (array: Float32Array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);

let server: Server;
let expected: Float64Array;

beforeAll(async () => {
  const ensemble = await loadManifest(DIGITS_DIR);
  const members = await runMembers(
    ensemble.members.map((m) => m.path),
    pixels,
    1,
  );
  expected = combineReference(
    'mean',
    members,
    ensemble.members.map(() => 1),
    10,
  );
  server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', transport: 'tcp', log: () => {} });
});

afterAll(async () => {
  const pids = server?.processes.map((p) => p.pid) ?? [];
  await server?.stop();
  expectAllGone(pids);
});

function probabilities(reply: { outputs: { data: Uint8Array }[] }): Float32Array {
  const data = reply.outputs[0]!.data;
  return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

const inferRequest = (id: unknown, extra: Record<string, unknown> = {}) => ({
  id,
  op: 'infer',
  inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data: bin(pixels) }],
  ...extra,
});

describe('protocol v1 over a real server', () => {
  it('answers a REQ socket (envelope with the empty delimiter)', async () => {
    const socket = new Request({ linger: 0, receiveTimeout: 10_000 });
    socket.connect(server.endpoint);
    try {
      await socket.send(packr.pack(inferRequest('req-1')));
      const [frame] = await socket.receive();
      const reply = unpackr.unpack(frame!);
      expect(reply.id).toBe('req-1');
      expect(reply.model_name).toBe('digits');
      expect(maxAbsDiff(probabilities(reply), expected)).toBeLessThan(1e-5);
    } finally {
      socket.close();
    }
  });

  it('answers a raw DEALER socket, and metadata and health', async () => {
    const socket = new Dealer({ linger: 0, receiveTimeout: 10_000 });
    socket.connect(server.endpoint);
    try {
      await socket.send(packr.pack({ id: 1, op: 'metadata' }));
      const metadata = unpackr.unpack((await socket.receive())[0]!);
      expect(metadata).toMatchObject({ id: 1, name: 'digits', rule: 'mean', protocol: 1 });
      expect(metadata.inputs).toEqual([{ name: 'pixels', datatype: 'FP32', shape: [-1, 64] }]);
      expect(metadata.members.length).toBeGreaterThanOrEqual(4);
      await socket.send(packr.pack({ id: 2, op: 'health' }));
      expect(unpackr.unpack((await socket.receive())[0]!)).toEqual({ id: 2, live: true, ready: true });
      await socket.send(packr.pack(inferRequest(3, { parameters: { members: true } })));
      const reply = unpackr.unpack((await socket.receive())[0]!);
      expect(maxAbsDiff(probabilities(reply), expected)).toBeLessThan(1e-5);
      expect(Object.keys(reply.members)).toEqual(metadata.members);
    } finally {
      socket.close();
    }
  });

  const bad: [string, Buffer, RegExp][] = [
    ['not MessagePack', Buffer.from('{"id": 1}'), /not valid MessagePack/],
    ['an unknown op', packr.pack({ id: 'u', op: 'train' }), /unknown op "train"/],
    [
      'a missing input',
      packr.pack({ id: 'm', inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 64], data: bin(pixels) }] }),
      /unknown input "image"/,
    ],
    [
      'a wrong datatype',
      packr.pack({ id: 'd', inputs: [{ name: 'pixels', datatype: 'FP64', shape: [1, 32], data: bin(pixels) }] }),
      /must be FP32, got FP64/,
    ],
    [
      'a wrong shape',
      packr.pack({ id: 's', inputs: [{ name: 'pixels', datatype: 'FP32', shape: [2, 32], data: bin(pixels) }] }),
      /must have shape \[-1, 64\], got \[2, 32\]/,
    ],
    [
      'a byte length that disagrees with the shape',
      packr.pack({ id: 'b', inputs: [{ name: 'pixels', datatype: 'FP32', shape: [2, 64], data: bin(pixels) }] }),
      /needs 512 bytes, data has 256/,
    ],
  ];

  it.each(bad)('answers %s with INVALID_ARGUMENT and keeps serving others', async (_what, frame, message) => {
    const good = new TuttiClient(server.endpoint, { timeoutMs: 10_000 });
    const socket = new Dealer({ linger: 0, receiveTimeout: 10_000 });
    socket.connect(server.endpoint);
    try {
      const others = Array.from({ length: 8 }, () => good.infer({ pixels: { data: pixels, shape: [1, 64] } }));
      await socket.send(frame);
      const reply = unpackr.unpack((await socket.receive())[0]!);
      expect(reply.error.code).toBe('INVALID_ARGUMENT');
      expect(reply.error.message).toMatch(message);
      for (const result of await Promise.all(others)) {
        expect(maxAbsDiff(result.outputs.probabilities!.data as Float32Array, expected)).toBeLessThan(1e-5);
      }
    } finally {
      socket.close();
      good.close();
    }
  });
});
