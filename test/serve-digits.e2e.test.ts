/**
 * End to end: real server processes (batcher, one worker per member, combiner) over real ZeroMQ,
 * real clients, every combination rule; each answer checked against the ensemble computed here
 * directly with onnxruntime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { readDigits, testSplit } from '../ensembles/digits/data.js';
import { combineReference, maxAbsDiff, runMembers, type ReferenceRule } from './support/reference.js';
import { DIGITS_DIR, digitsVariant, type Variant } from './support/ensembles.js';
import { expectAllGone } from './support/processes.js';

const CLASSES = 10;
const digits = readDigits();
const split = testSplit().slice(0, 120);

/** The held-out pixels of `indices`, as one [n, 64] array. */
function pixelsOf(indices: number[]): Float32Array {
  const out = new Float32Array(indices.length * 64);
  indices.forEach((index, row) => out.set(digits.pixels[index]!, row * 64));
  return out;
}

const RULES: { rule: ReferenceRule }[] = [
  { rule: 'mean' },
  { rule: 'weighted-mean' },
  { rule: 'vote' },
  { rule: 'max' },
  { rule: 'geometric-mean' },
];

describe.each(RULES)('serving digits with rule $rule', ({ rule }) => {
  let variant: Variant;
  let ensemble: Ensemble;
  let server: Server | undefined;
  let reference: Float64Array;

  beforeAll(async () => {
    const memberCount = (await loadManifest(DIGITS_DIR)).members.length;
    variant = digitsVariant(rule, rule === 'weighted-mean' ? Array.from({ length: memberCount }, (_, i) => i + 1) : undefined);
    ensemble = await loadManifest(variant.dir);
    const members = await runMembers(
      ensemble.members.map((m) => m.path),
      pixelsOf(split),
      split.length,
    );
    reference = combineReference(rule, members, variant.weights, CLASSES);
    server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', log: () => {} });
  });

  afterAll(async () => {
    const pids = server?.processes.map((p) => p.pid) ?? [];
    await server?.stop();
    variant?.remove();
    expectAllGone(pids);
  });

  it('answers several concurrent clients exactly as the ensemble computed directly', async () => {
    const clients = Array.from({ length: 4 }, () => new TuttiClient(server!.endpoint, { timeoutMs: 20_000 }));
    try {
      // Requests of 1 to 3 rows from 4 clients at once; each answer is compared row by row.
      const requests: { rows: number[] }[] = [];
      for (let start = 0; start < split.length;) {
        const size = 1 + (start % 3);
        requests.push({ rows: [...Array(Math.min(size, split.length - start)).keys()].map((k) => start + k) });
        start += size;
      }
      const results = await Promise.all(
        requests.map((request, i) =>
          clients[i % clients.length]!.infer({
            pixels: { data: pixelsOf(request.rows.map((r) => split[r]!)), shape: [request.rows.length, 64] },
          }),
        ),
      );
      let worst = 0;
      results.forEach((result, i) => {
        const rows = requests[i]!.rows;
        const got = result.outputs.probabilities!;
        expect(got.shape).toEqual([rows.length, CLASSES]);
        const want = reference.subarray(rows[0]! * CLASSES, (rows.at(-1)! + 1) * CLASSES);
        worst = Math.max(worst, maxAbsDiff(got.data as Float32Array, want));
      });
      expect(worst).toBeLessThan(1e-5);
      // Under concurrency the batcher must have put several requests into one batch.
      const batchSizes = results.map((r) => r.batch!.size);
      const sharedBatches = new Set(results.map((r) => r.batch!.id)).size;
      expect(Math.max(...batchSizes)).toBeGreaterThan(3);
      expect(sharedBatches).toBeLessThan(results.length);
    } finally {
      for (const client of clients) client.close();
    }
  });
});
