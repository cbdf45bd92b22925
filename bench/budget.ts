/**
 * Issue 7: choosing hardware under a cost budget (Li et al. HPEC 2021, KAIROS). A catalogue of
 * three EMULATED device types with hourly prices and straight-line profiles; the hardware search
 * ranks every mix within the budget by predicted throughput (no online trial), then the top mix
 * and the best single-type mix are served here in emulation, and the highest rate each sustains
 * with p99 under the target is measured with fastest-finish routing.
 *
 *   npx tsx bench/budget.ts [--budget 2] [--seconds 8]
 *
 * Writes bench/results/budget.json and docs/bench/budget.svg. All devices are EMULATED (see
 * bench/lib/emulated-pool.ts): the served numbers test the search's ranking and the routing, not
 * any real GPU.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { HardwareSearch, type DeviceType, type MemberProfile, type RankedMix } from '@tutti/allocator';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { allowableThroughput, runStep, throughputLatencySvg, type StepResult } from '@tutti/bench';
import { hardwareLine } from '@tutti/profiler';
import { linearProfile, oneMemberEnsemble, type LinearType } from './lib/emulated-pool.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { budget: { type: 'string', default: '2' }, seconds: { type: 'string', default: '8' } } });
const budget = Number(values.budget);
const seconds = Number(values.seconds);
const P99_TARGET_MS = 150;
const QUEUE_DELAY_MS = 5;
const LOAD_SHARES = [0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

// EMULATED types, round figures: a fast accelerator with a costly launch, a mid one, a CPU core.
const TYPES: { id: string; type: LinearType; pricePerHour: number; max: number }[] = [
  { id: 'fast', type: { name: 'emulated fast (30 ms + 1 ms/row)', kind: 'gpu', fixedMs: 30, perRowMs: 1 }, pricePerHour: 1.0, max: 4 },
  { id: 'mid', type: { name: 'emulated mid (10 ms + 3 ms/row)', kind: 'gpu', fixedMs: 10, perRowMs: 3 }, pricePerHour: 0.45, max: 4 },
  { id: 'slow', type: { name: 'emulated CPU-like (4 ms + 8 ms/row)', kind: 'cpu', fixedMs: 4, perRowMs: 8 }, pricePerHour: 0.2, max: 6 },
];

function catalogue(member: string): { types: DeviceType[]; profiles: Record<string, Record<string, MemberProfile>> } {
  const types: DeviceType[] = TYPES.map((t) => ({
    id: t.id,
    label: t.id,
    device: {
      kind: t.type.kind,
      name: t.type.name,
      memoryBytes: 16e9,
      origin: 'declared',
      emulated: true,
      ...(t.type.kind === 'cpu' && { cores: 1 }),
    },
    pricePerHour: t.pricePerHour,
    max: t.max,
  }));
  return { types, profiles: { [member]: Object.fromEntries(TYPES.map((t) => [t.id, linearProfile(member, t.type)])) } };
}

interface Served {
  mix: RankedMix;
  steps: (StepResult & { offered: number })[];
  allowable: number;
  peak: number;
}

async function serve(mix: RankedMix, ensemble: Ensemble, member: string): Promise<Served> {
  // Every device of a type has the type's profile: the emulated worker holds each batch to it.
  const profiles = {
    [member]: Object.fromEntries(
      mix.plan.devices.map((d) => [d.id, linearProfile(member, TYPES.find((t) => d.id.startsWith(`${t.id}-`))!.type)]),
    ),
  };
  const server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', plan: mix.plan, profiles, log: () => {} });
  const steps: Served['steps'] = [];
  try {
    for (const share of LOAD_SHARES) {
      const rate = Math.round(mix.throughput * share);
      const step = await runStep({
        endpoint: server.endpoint,
        inputs: ensemble.inputs,
        mode: 'open',
        load: rate,
        seconds,
        warmupSeconds: 1,
        processes: 2,
        seed: rate,
        timeoutMs: 10_000,
      });
      steps.push({ ...step, offered: rate });
      console.log(
        `  ${mix.label.padEnd(26)} offered ${String(rate).padStart(4)}/s (${(share * 100).toFixed(0)}% of predicted)  served ${step.requestsPerSecond.toFixed(0).padStart(4)}/s  p99 ${step.latency.p99.toFixed(1).padStart(7)} ms${step.fellBehind ? '  FELL BEHIND' : ''}`,
      );
      if (step.latency.p99 > 10 * P99_TARGET_MS) break;
    }
  } finally {
    await server.stop();
  }
  return { mix, steps, allowable: allowableThroughput(steps, P99_TARGET_MS), peak: Math.max(...steps.map((s) => s.requestsPerSecond)) };
}

async function main(): Promise<void> {
  const pool = oneMemberEnsemble({ maxBatchSize: 32, maxQueueDelayMs: QUEUE_DELAY_MS, p99Ms: P99_TARGET_MS });
  try {
    const ensemble = await loadManifest(pool.dir, { generate: true });
    const { types, profiles } = catalogue(pool.member);
    const search = new HardwareSearch(
      {
        types,
        members: [pool.member],
        profiles,
        batchSizes: [1, 2, 4, 8, 16, 32],
        latencyBudgetMs: P99_TARGET_MS - QUEUE_DELAY_MS,
        ensemble: ensemble.name,
      },
      { budgetPerHour: budget, candidates: 40 },
    );
    const choice = search.maximiseThroughput();
    console.log(
      `Hardware under $${budget}/h from an EMULATED catalogue (${TYPES.map((t) => `${t.id} $${t.pricePerHour}/h`).join(', ')}); p99 target ${P99_TARGET_MS} ms`,
    );
    console.log(`host: ${hardwareLine()}`);
    console.log(`${choice.enumerated} mixes within the budget; the best by predicted throughput:`);
    for (const [k, m] of choice.ranking.slice(0, 8).entries())
      console.log(
        `  ${k + 1}. ${m.label.padEnd(26)} $${m.pricePerHour.toFixed(2)}/h  predicted ${m.throughput.toFixed(0).padStart(5)} rows/s  bound ${m.bound.toFixed(0)}`,
      );
    const homogeneous = choice.ranking.filter((m) => Object.values(m.counts).filter((n) => n > 0).length === 1);
    const bestSingle = homogeneous[0]!;
    console.log(
      `best single-type mix: ${bestSingle.label} (rank ${choice.ranking.indexOf(bestSingle) + 1}), predicted ${bestSingle.throughput.toFixed(0)} rows/s`,
    );
    console.log('\nServed in emulation (fastest-finish routing, Poisson open loop, 1 row per request):');
    const served = [await serve(choice.best, ensemble, pool.member)];
    if (bestSingle !== choice.best) served.push(await serve(bestSingle, ensemble, pool.member));
    console.log('');
    for (const s of served) {
      console.log(
        `  ${s.mix.label.padEnd(26)} predicted ${s.mix.throughput.toFixed(0)}/s; served peak ${s.peak.toFixed(0)}/s (${((100 * s.peak) / s.mix.throughput).toFixed(0)}%); allowable (p99 <= ${P99_TARGET_MS} ms) ${s.allowable}/s`,
      );
    }
    if (served.length === 2)
      console.log(
        `  top mix against the best single type, allowable throughput: ${(served[0]!.allowable / Math.max(1, served[1]!.allowable)).toFixed(2)}x at ${(served[0]!.mix.pricePerHour / served[1]!.mix.pricePerHour).toFixed(2)}x the price`,
      );
    mkdirSync(`${ROOT}bench/results`, { recursive: true });
    const report = {
      host: hardwareLine(),
      emulated: true,
      budgetPerHour: budget,
      p99TargetMs: P99_TARGET_MS,
      types: TYPES,
      ranking: choice.ranking.map(({ plan: _plan, ...m }) => m),
      served: served.map((s) => ({ mix: s.mix.label, predicted: s.mix.throughput, peak: s.peak, allowable: s.allowable, steps: s.steps })),
    };
    writeFileSync(`${ROOT}bench/results/budget.json`, `${JSON.stringify(report, null, 2)}\n`);
    const series = served.map((s) => ({
      name: `${s.mix.label} $${s.mix.pricePerHour.toFixed(2)}/h`,
      points: s.steps.map((st) => ({ throughput: st.requestsPerSecond, p99: st.latency.p99 })),
    }));
    mkdirSync(`${ROOT}docs/bench`, { recursive: true });
    writeFileSync(
      `${ROOT}docs/bench/budget.svg`,
      throughputLatencySvg(`Top budget mixes served in EMULATION ($${budget}/h, p99 target ${P99_TARGET_MS} ms)`, series),
    );
    console.log('wrote bench/results/budget.json and docs/bench/budget.svg');
  } finally {
    pool.remove();
  }
}

await main();
