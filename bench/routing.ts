/**
 * Issue 7: routing across a heterogeneous pool. One member served by one fast device with a high
 * fixed cost per batch (GPU-like) and two slow devices with a low one (CPU-like), all EMULATED (see
 * bench/lib/emulated-pool.ts). For each routing policy (fastest-finish after KAIROS, least-loaded,
 * fcfs) the same seeded Poisson loads are offered, and the allowable throughput is the highest rate
 * served with p99 under the latency target, no errors, and without falling behind: at least 95% of
 * the requests sent answered within the window, backlog not growing (@tutti/bench allowable.ts).
 *
 *   npx tsx bench/routing.ts [--seconds 5] [--rates 250,500,...]
 *
 * Writes bench/results/routing.json and docs/bench/routing.svg.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { allowableThroughput, runStep, throughputLatencySvg, type StepResult } from '@tutti/bench';
import type { RoutingPolicy } from '@tutti/routing';
import { hardwareLine } from '@tutti/profiler';
import { oneMemberEnsemble, poolPlan, type LinearType } from './lib/emulated-pool.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    rates: { type: 'string', default: '100,200,300,400,500,600,700,800' },
    policies: { type: 'string', default: 'fastest-finish,least-loaded,fcfs' },
  },
});
const seconds = Number(values.seconds);
const rates = values.rates.split(',').map(Number);
const policies = values.policies.split(',') as RoutingPolicy[];
// Device times are large against this host's own serving overhead (about 1-3 ms a request under load),
// so that what is measured is the routing, not the 2-core host running batcher, workers and clients.
const P99_TARGET_MS = 150;

// EMULATED device types: round figures shaped like a GPU (costly launch, cheap rows) and a CPU core.
const FAST: LinearType = { name: 'emulated GPU-like (30 ms + 1 ms/row)', kind: 'gpu', fixedMs: 30, perRowMs: 1 };
const SLOW: LinearType = { name: 'emulated CPU-like (4 ms + 8 ms/row)', kind: 'cpu', fixedMs: 4, perRowMs: 8 };

interface PolicyResult {
  policy: RoutingPolicy;
  steps: (StepResult & { offered: number })[];
  allowable: number;
}

async function measure(policy: RoutingPolicy, dir: string, member: string): Promise<PolicyResult> {
  const ensemble = await loadManifest(dir, { generate: true });
  const { plan, profiles } = poolPlan(ensemble.name, member, [
    { id: 'slow-0', type: SLOW, batch: 32 },
    { id: 'slow-1', type: SLOW, batch: 32 },
    { id: 'fast-0', type: FAST, batch: 32 },
  ]);
  const server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', plan, profiles, routing: { policy }, log: () => {} });
  const steps: PolicyResult['steps'] = [];
  try {
    for (const rate of rates) {
      const step = await runStep({
        endpoint: server.endpoint,
        inputs: ensemble.inputs,
        mode: 'open',
        load: rate,
        seconds,
        warmupSeconds: 1,
        processes: 2,
        seed: rate,
        timeoutMs: 5_000,
      });
      steps.push({ ...step, offered: rate });
      const errors =
        Object.entries(step.errors)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none';
      console.log(
        `  ${policy.padEnd(15)} offered ${String(rate).padStart(5)}/s  served ${step.requestsPerSecond.toFixed(0).padStart(5)}/s  p50 ${step.latency.p50.toFixed(1).padStart(6)} ms  p99 ${step.latency.p99.toFixed(1).padStart(7)} ms  errors ${errors}${step.fellBehind ? '  FELL BEHIND' : ''}`,
      );
      // Far past saturation nothing more is learned, and the queue would only slow the next policy's start.
      if (step.latency.p99 > 20 * P99_TARGET_MS) break;
    }
  } finally {
    await server.stop();
  }
  return { policy, steps, allowable: allowableThroughput(steps, P99_TARGET_MS) };
}

async function main(): Promise<void> {
  console.log(`Routing on a heterogeneous EMULATED pool: 1x ${FAST.name}, 2x ${SLOW.name}; p99 target ${P99_TARGET_MS} ms`);
  console.log(`host: ${hardwareLine()}`);
  const pool = oneMemberEnsemble({ maxBatchSize: 32, maxQueueDelayMs: 5, p99Ms: P99_TARGET_MS });
  const results: PolicyResult[] = [];
  try {
    for (const policy of policies) results.push(await measure(policy, pool.dir, pool.member));
  } finally {
    pool.remove();
  }
  console.log('\nAllowable throughput (highest offered rate served with p99 under the target, no errors, not falling behind):');
  const reference = results.find((r) => r.policy === 'fastest-finish')?.allowable ?? 0;
  for (const r of results) {
    const ratio = r.allowable > 0 && reference > 0 ? ` (fastest-finish is ${(reference / r.allowable).toFixed(2)}x this)` : '';
    console.log(`  ${r.policy.padEnd(15)} ${r.allowable} req/s${r.policy === 'fastest-finish' ? '' : ratio}`);
  }
  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  mkdirSync(`${ROOT}docs/bench`, { recursive: true });
  const report = {
    host: hardwareLine(),
    emulated: true,
    devices: { fast: FAST, slow: SLOW, pool: '1 fast + 2 slow, batch 32' },
    p99TargetMs: P99_TARGET_MS,
    seconds,
    results,
  };
  writeFileSync(`${ROOT}bench/results/routing.json`, `${JSON.stringify(report, null, 2)}\n`);
  const series = results.map((r) => ({
    name: `${r.policy} (${r.allowable}/s)`,
    points: r.steps.map((s) => ({ throughput: s.requestsPerSecond, p99: s.latency.p99 })),
  }));
  writeFileSync(
    `${ROOT}docs/bench/routing.svg`,
    throughputLatencySvg(`Routing on an EMULATED heterogeneous pool (p99 target ${P99_TARGET_MS} ms)`, series),
  );
  console.log('wrote bench/results/routing.json and docs/bench/routing.svg');
}

await main();
