/**
 * Issue 12: can anything reach the compute bound `tutti bench` divides by? The bound is the host's
 * cores over the sum of the members' best per-row compute, each profiled alone on one thread, so it
 * assumes every core computes as fast as one core alone. This measures that assumption with nothing
 * but onnxruntime: each member's session on one thread, run back to back at its best batch size,
 * first on one worker thread alone, then on as many worker threads as there are cores at once (no
 * sockets, no server, no clients). Alternating, several rounds.
 *
 *   npx tsx bench/compute-bound.ts [--ensemble ensembles/zoo-cnn] [--seconds 8] [--rounds 3]
 *
 * Prints rows/s alone and on every core, and what fraction of the profiled bound each reaches.
 * Writes docs/bench/compute-bound-<ensemble>.json.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { latencyOf } from '@tutti/allocator';
import { loadManifest } from '@tutti/manifest';
import { planEnsemble } from '@tutti/planner';
import { formatSpread, spread } from '@tutti/bench';
import { hardwareLine } from '@tutti/profiler';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    ensemble: { type: 'string', default: 'ensembles/zoo-cnn' },
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const ensemble = await loadManifest(join(ROOT, values.ensemble), { generate: true });
const { profiles, devices } = await planEnsemble(ensemble);
const cpu = devices.find((d) => d.kind === 'cpu')!;
const cores = cpu.cores ?? availableParallelism();

/** Each member's best batch size on one thread, and the bound as `tutti bench` computes it. */
const members = ensemble.members.map((member) => {
  const profile = profiles[member.name]![cpu.id]!;
  const batches = [...new Set(profile.points.map((p) => p.batch))];
  const [batch, msPerRow] = batches
    .map((b) => [b, (latencyOf(profile, b, 1) ?? Infinity) / b] as const)
    .reduce((best, next) => (next[1] < best[1] ? next : best));
  return { path: member.path, batch, msPerRow };
});
const bound = cores / members.reduce((sum, m) => sum + m.msPerRow / 1000, 0);
const input = ensemble.inputs[0]!;

/**
 * One thread: loads every member on one intra-op thread, then runs them in turn, each at its best
 * batch, until \`seconds\` pass; answers its ms of compute per ensemble row (the sum over members of
 * their time per row), the figure the bound is built from.
 */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ort);
(async () => {
  const sessions = [];
  for (const m of workerData.members) {
    const session = await ort.InferenceSession.create(m.path, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    const dims = workerData.shape.map((d, k) => (k === 0 ? m.batch : d < 0 ? 1 : d));
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5), dims) };
    await session.run(feeds);
    sessions.push({ session, feeds, batch: m.batch });
  }
  parentPort.postMessage('ready');
  await new Promise((resolve) => parentPort.once('message', resolve));
  const until = performance.now() + workerData.seconds * 1000;
  const ms = sessions.map(() => 0);
  const rows = sessions.map(() => 0);
  while (performance.now() < until) {
    for (const [k, s] of sessions.entries()) {
      const started = performance.now();
      await s.session.run(s.feeds);
      ms[k] += performance.now() - started;
      rows[k] += s.batch;
    }
  }
  parentPort.postMessage(ms.reduce((sum, t, k) => sum + t / rows[k], 0));
})();
`;

const ortPath = fileURLToPath(import.meta.resolve('onnxruntime-node'));

/** Rows per second of the whole ensemble with `threads` threads computing at once. */
async function measure(threads: number): Promise<number> {
  const data = { ort: ortPath, shape: input.shape, seconds, members: members.map(({ path, batch }) => ({ path, batch })) };
  const workers = Array.from({ length: threads }, () => new Worker(THREAD, { eval: true, workerData: data }));
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  const done = workers.map((w) => new Promise<number>((resolve) => w.once('message', resolve)));
  for (const w of workers) w.postMessage('go');
  // Each thread's rate is 1000 / its ms per ensemble row; the threads add up.
  const rate = (await Promise.all(done)).reduce((sum, msPerRow) => sum + 1000 / msPerRow, 0);
  await Promise.all(workers.map((w) => w.terminate()));
  return rate;
}

const alone: number[] = [];
const together: number[] = [];
for (let round = 1; round <= rounds; round++) {
  const order = round % 2 === 1 ? ['alone', 'together'] : ['together', 'alone'];
  for (const which of order) (which === 'alone' ? alone : together).push(await measure(which === 'alone' ? 1 : cores));
  process.stderr.write(`\rround ${round}/${rounds}`);
}
process.stderr.write('\n');
const f = (v: number) => v.toFixed(1);
console.log(
  `${ensemble.name} (${hardwareLine()}), ${rounds} rounds of ${seconds} s, members at their best batch (${members.map((m) => m.batch).join(', ')}):`,
);
console.log(`  profiled bound (tutti bench's): ${f(bound)} rows/s = ${cores} cores / sum of best per-row compute alone`);
console.log(
  `  one thread alone:           ${formatSpread(spread(alone), 1)} rows/s, x${cores} = ${formatSpread(spread(alone.map((r) => (r * cores) / bound)), 2)} of the bound`,
);
console.log(
  `  ${cores} threads at once:          ${formatSpread(spread(together), 1)} rows/s = ${formatSpread(spread(together.map((r) => r / bound)), 2)} of the bound`,
);
writeFileSync(
  join(ROOT, `docs/bench/compute-bound-${ensemble.name}.json`),
  `${JSON.stringify({ ensemble: ensemble.name, hardware: hardwareLine(), cores, seconds, members, bound, alone, together }, null, 2)}\n`,
);
