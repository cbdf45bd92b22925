/**
 * The queue is bounded in bytes, not only in requests: 4,096 requests of 8 images of 224x224x3 would
 * be ~19.7 GB. An ensemble of two members taking ImageNet-sized inputs (602 KB an image) gets 80
 * 160 requests of 8 images (770 MB) at once with `batching.maxQueueBytes` at 32 MiB: what does not fit
 * is refused with RESOURCE_EXHAUSTED naming the bound, everything else is answered like onnxruntime,
 * and the batcher's memory does not grow with what was offered.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { mlp } from '@tutti/zoo';
import { expectAllGone } from './support/processes.js';
import { combineReference, maxAbsDiff, runMembers } from './support/reference.js';

const IMAGE = 224 * 224 * 3;
const IMAGES = 8;
const REQUESTS = 160;

let dir: string;
let server: Server;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-wide-'));
  // Softmax regressions over whole images, one hidden layer: tens of ms a batch, so requests queue.
  for (const seed of [1, 2]) writeFileSync(join(dir, `wide-${seed}.onnx`), mlp({ inputSize: IMAGE, hidden: [32], outputs: 10, seed }));
  writeFileSync(
    join(dir, 'manifest.yaml'),
    [
      'name: wide',
      'inputs:',
      `  - { name: input, datatype: FP32, shape: [-1, ${IMAGE}] }`,
      'outputs:',
      '  - { name: probabilities, datatype: FP32, shape: [-1, 10] }',
      'members:',
      '  - { name: wide-1, path: wide-1.onnx }',
      '  - { name: wide-2, path: wide-2.onnx }',
      'rule: mean',
      `batching: { maxBatchSize: ${IMAGES}, maxQueueDelayMs: 1, maxQueueBytes: ${32 * 2 ** 20} }`,
      '',
    ].join('\n'),
  );
  server = await Server.start(await loadManifest(dir), { endpoint: 'tcp://127.0.0.1:0', log: () => {} });
}, 120_000);

afterAll(async () => {
  const pids = server?.processes.map((p) => p.pid) ?? [];
  await server?.stop();
  expectAllGone(pids);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

describe('the queue bound in bytes', () => {
  it('refuses what does not fit in batching.maxQueueBytes, answers the rest correctly, and keeps the batcher small', async () => {
    const images = Float32Array.from({ length: IMAGES * IMAGE }, (_, k) => ((k * 7919) % 256) / 255);
    const members = await runMembers([join(dir, 'wide-1.onnx'), join(dir, 'wide-2.onnx')], images, IMAGES);
    const reference = combineReference('mean', members, [1, 1], 10);
    const batcher = server.processes.find((p) => p.role === 'batcher')!;
    const before = rssOf(batcher.pid);
    let peak = before;
    const watch = setInterval(() => (peak = Math.max(peak, rssOf(batcher.pid))), 10);
    const client = new TuttiClient(server.endpoint, { timeoutMs: 120_000 });
    try {
      const outcomes = await Promise.all(
        Array.from({ length: REQUESTS }, () =>
          client.infer({ input: { data: images, shape: [IMAGES, IMAGE] } }).then(
            (result) => (maxAbsDiff(result.outputs.probabilities!.data as Float32Array, reference) < 1e-5 ? 'correct' : 'wrong'),
            (error: Error & { code?: string }) => `${error.code}: ${error.message.replace(/[\d.]+ MiB of/, 'N MiB of')}`,
          ),
        ),
      );
      clearInterval(watch);
      const counts = Object.fromEntries([...new Set(outcomes)].map((o) => [o, outcomes.filter((x) => x === o).length]));
      const grewMiB = (peak - before) / 2 ** 20;
      console.log(
        `queue bytes: ${REQUESTS} requests of ${((IMAGES * IMAGE * 4) / 2 ** 20).toFixed(1)} MiB -> ${JSON.stringify(counts)}; batcher RSS grew at most ${grewMiB.toFixed(0)} MiB`,
      );
      expect(Object.keys(counts).sort()).toEqual(
        [
          'RESOURCE_EXHAUSTED: server overloaded: N MiB of inputs already wait for a batch (batching.maxQueueBytes 32.0 MiB); retry later',
          'correct',
        ].sort(),
      );
      // Without the byte bound the batcher would have queued all 770 MB. With it: the queue, ZeroMQ's
      // per-client buffer (16 requests here), the batches out to the members; 118-125 MiB in two runs here.
      expect(grewMiB).toBeLessThan(200);
    } finally {
      clearInterval(watch);
      client.close();
    }
  }, 300_000);
});
