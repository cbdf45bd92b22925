/**
 * Issue 4's benchmark: serve each ensemble on this host under three plans in one run — the paper's
 * baseline (one instance per member at its best batch size, built here from the profiles: see
 * paperBaseline), worst-fit only, and worst-fit plus greedy — and report measured throughput, the
 * ratios between them, and predicted against measured.
 *
 *   npx tsx bench/allocator-plans.ts [--ensembles digits,zoo-cnn] [--seconds 15]
 *
 * Writes bench/results/allocator-plans.json. Throughput is in rows (samples) per second.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { predict, type Device, type MemberProfile, type Plan, type Strategy } from '@tutti/allocator';
import type { TensorInput } from '@tutti/client';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { planEnsemble } from '@tutti/planner';
import { readDigits, testSplit } from '../ensembles/digits/data.js';
import { closedLoop, type ClosedLoopResult } from './lib/closed-loop.js';
import { hardwareLine } from '@tutti/profiler';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: { ensembles: { type: 'string', default: 'digits,zoo-cnn' }, seconds: { type: 'string', default: '15' } },
});
const seconds = Number(values.seconds);

/** How each ensemble is loaded: rows per request and requests in flight, enough to keep every plan busy. */
const LOADS: Record<
  string,
  { rows: number; concurrency: number; input: (ensemble: Ensemble) => (n: number) => Record<string, TensorInput> }
> = {
  digits: {
    rows: 16,
    concurrency: 32,
    input: () => {
      const digits = readDigits();
      const split = testSplit();
      return (n) => {
        const data = new Float32Array(16 * 64);
        for (let r = 0; r < 16; r++) data.set(digits.pixels[split[(n * 16 + r) % split.length]!]!, r * 64);
        return { pixels: { data, shape: [16, 64] } };
      };
    },
  },
  'zoo-cnn': {
    rows: 1,
    concurrency: 24,
    input: () => {
      const image = Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => ((i * 7919) % 255) / 255);
      return () => ({ image: { data: image, shape: [1, 3, 224, 224] } });
    },
  },
};

interface Row {
  ensemble: string;
  strategy: Strategy;
  instances: string;
  predicted: number;
  measured: ClosedLoopResult;
}

function describeInstances(plan: Plan): string {
  return plan.members
    .map((member) => {
      const mine = plan.instances.filter((i) => i.member === member);
      return `${member}: ${mine.map((i) => `b${i.batch}t${i.threads}`).join('+')}`;
    })
    .join('; ');
}

/**
 * The paper's baseline (Pochelu et al.): one instance per member on this host's CPU, at the batch
 * size with the best throughput in its one-thread profile; nothing tuned (no split of the cores, no
 * latency budget, no second instance, one worker process per instance). Built here rather than taken
 * from the allocator, whose 'baseline' strategy is the worst-fit plan under another name.
 */
function paperBaseline(ensemble: Ensemble, devices: Device[], profiles: Record<string, Record<string, MemberProfile>>): Plan {
  const cpu = devices.find((d) => d.kind === 'cpu')!;
  const members = ensemble.members.map((m) => m.name);
  const instances = members.map((member) => {
    const points = profiles[member]![cpu.id]!.points.filter((p) => p.threads === 1);
    const best = points.reduce((a, b) => (b.batch / b.latencyMs > a.batch / a.latencyMs ? b : a));
    return { member, device: cpu.id, batch: best.batch, threads: 1 };
  });
  const batchSizes = [...new Set(Object.values(profiles).flatMap((byDevice) => byDevice[cpu.id]!.points.map((p) => p.batch)))];
  const predicted = predict({ devices, members, profiles, batchSizes }, instances);
  return { version: 1, ensemble: ensemble.name, strategy: 'baseline', devices, members, instances, predicted, steps: [] };
}

const rows: Row[] = [];
console.log(`tutti allocator benchmark — ${hardwareLine()}`);
for (const name of values.ensembles!.split(',')) {
  const ensemble = await loadManifest(`${ROOT}ensembles/${name}`, { generate: true });
  const load = LOADS[name]!;
  console.log(`\n${name}: profiling (cached after the first run)...`);
  const { plan: greedyPlan, devices, profiles } = await planEnsemble(ensemble, { strategy: 'greedy' });
  for (const strategy of ['baseline', 'worst-fit', 'greedy'] as const) {
    const plan =
      strategy === 'greedy'
        ? greedyPlan
        : strategy === 'baseline'
          ? paperBaseline(ensemble, devices, profiles)
          : (await planEnsemble(ensemble, { strategy })).plan;
    const server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', plan, profiles, log: () => {} });
    try {
      const makeInput = load.input(ensemble);
      const measured = await closedLoop(server.endpoint, makeInput, { concurrency: load.concurrency, warmupSeconds: 3, seconds });
      rows.push({ ensemble: name, strategy, instances: describeInstances(plan), predicted: plan.predicted.throughput, measured });
      console.log(
        `  ${strategy.padEnd(9)} measured ${measured.rowsPerSecond.toFixed(1).padStart(9)} rows/s   predicted ${plan.predicted.throughput.toFixed(1).padStart(9)}   p99 ${measured.latencyMs.p99.toFixed(1)} ms   mean batch ${measured.meanBatchRows.toFixed(1)}   errors ${JSON.stringify(measured.errors)}\n            ${describeInstances(plan)}`,
      );
    } finally {
      await server.stop();
    }
  }
  const of = (s: Strategy) => rows.find((r) => r.ensemble === name && r.strategy === s)!;
  const greedy = of('greedy');
  console.log(
    `  ratios: greedy/baseline ${(greedy.measured.rowsPerSecond / of('baseline').measured.rowsPerSecond).toFixed(2)}x, worst-fit/baseline ${(of('worst-fit').measured.rowsPerSecond / of('baseline').measured.rowsPerSecond).toFixed(2)}x, greedy measured/predicted ${(greedy.measured.rowsPerSecond / greedy.predicted).toFixed(2)}`,
  );
}
mkdirSync(`${ROOT}bench/results`, { recursive: true });
writeFileSync(`${ROOT}bench/results/allocator-plans.json`, JSON.stringify({ hardware: hardwareLine(), seconds, rows }, null, 2));
