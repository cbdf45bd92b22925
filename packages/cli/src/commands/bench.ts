/**
 * `tutti bench <ensemble>`: tutti and two baselines (naive, paper) on the same inputs and hardware,
 * driven through the real protocol by separate client processes: a closed-loop sweep of concurrency
 * for each, then an open loop (Poisson) at half of tutti's peak for each; the compute bound from the
 * members' profiles; tutti's server-side breakdown. Prints tables and ratios, writes JSON and an SVG.
 * With --endpoint it measures a tutti server already running (started by hand, e.g. under a profiler)
 * instead of starting one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { latencyOf, type MemberProfile, type Plan } from '@tutti/allocator';
import { TuttiError } from '@tutti/protocol';
import { addedLatency, histogramSums, meansBetween, runStep, startBaseline, throughputLatencySvg, type RunningSystem, type StepResult } from '@tutti/bench';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { planEnsemble } from '../planning.js';
import { hardwareLine } from '../hardware.js';

interface BenchFlags {
  seconds: number;
  warmup: number;
  concurrency: string;
  processes: number;
  out: string;
  baselines: boolean;
  endpoint?: string;
  metrics?: string;
}

interface SystemResult {
  name: string;
  closed: StepResult[];
  open?: StepResult;
  /** Server-side means (ms) of the last closed step. */
  breakdown?: Record<string, number>;
  /** Server-side means (ms) per closed step, by requests in flight. */
  breakdowns?: Record<number, Record<string, number>>;
}

/** Requests per second as people read them: whole numbers when large, two decimals when small (zoo-cnn: 13.75). */
const rate = (perSecond: number) => (perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(2));

/** Requests/s if the cores did nothing but model compute, each member at its best batch size on one thread. */
export function computeBound(profiles: Record<string, MemberProfile>, cores: number, batchSizes: number[]): number {
  let coreSecondsPerRow = 0;
  for (const profile of Object.values(profiles)) {
    const perRow = batchSizes.map((b) => (latencyOf(profile, b, 1) ?? Infinity) / b / 1000);
    coreSecondsPerRow += Math.min(...perRow);
  }
  return cores / coreSecondsPerRow;
}

function bestBatches(profiles: Record<string, MemberProfile>, threads: number, batchSizes: number[]): Record<string, number> {
  return Object.fromEntries(
    Object.entries(profiles).map(([member, profile]) => {
      const perRow = batchSizes.map((b) => [b, (latencyOf(profile, b, threads) ?? Infinity) / b] as const);
      return [member, perRow.reduce((best, next) => (next[1] < best[1] ? next : best))[0]];
    }),
  );
}

type Profiles = Awaited<ReturnType<typeof planEnsemble>>['profiles'];

const list = (v: string) => v.split(',').map((n) => Number.parseInt(n, 10));

async function measure(system: RunningSystem, ensemble: Ensemble, flags: BenchFlags, concurrencies: number[], log: (line: string) => void): Promise<SystemResult> {
  const result: SystemResult = { name: system.name, closed: [] };
  for (const load of concurrencies) {
    const before = system.metricsUrl ? histogramSums(await (await fetch(`${system.metricsUrl}/metrics`)).text()) : undefined;
    const step = await runStep({ endpoint: system.endpoint, inputs: ensemble.inputs, mode: 'closed', load, processes: flags.processes, warmupSeconds: flags.warmup, seconds: flags.seconds });
    if (before) {
      result.breakdown = meansBetween(before, histogramSums(await (await fetch(`${system.metricsUrl}/metrics`)).text()));
      (result.breakdowns ??= {})[load] = result.breakdown;
    }
    result.closed.push(step);
    log(`  ${system.name.padEnd(6)} closed ${String(load).padStart(4)} in flight: ${rate(step.requestsPerSecond).padStart(7)} req/s  p50 ${step.latency.p50.toFixed(2)} ms  p99 ${step.latency.p99.toFixed(2)} ms  errors ${JSON.stringify(step.errors)}`);
  }
  return result;
}

/** The tutti server measured: the one at --endpoint, or one started now on the allocator's plan. */
async function startTutti(ensemble: Ensemble, flags: BenchFlags, plan: Plan, profiles: Profiles): Promise<RunningSystem> {
  if (flags.metrics && !flags.endpoint) throw new TuttiError('INVALID_OPTION', '--metrics is for a server given by --endpoint; a server bench starts exports its own');
  if (flags.endpoint) return { name: 'tutti', endpoint: flags.endpoint, ...(flags.metrics && { metricsUrl: flags.metrics.replace(/\/$/, '') }), stop: async () => {} };
  const server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', plan, profiles, metricsPort: 0, log: () => {} });
  return { name: 'tutti', endpoint: server.endpoint, metricsUrl: server.metricsUrl!, stop: () => server.stop() };
}

export function benchCommand(): Command {
  return new Command('bench')
    .description('measure tutti against a naive server and the paper baseline, same inputs and hardware, through the real protocol')
    .argument('<ensemble>', 'ensemble folder')
    .option('-s, --seconds <n>', 'measured seconds per step', Number, 5)
    .option('-w, --warmup <n>', 'warm-up seconds per step', Number, 1)
    .option('-c, --concurrency <list>', 'closed-loop requests in flight, a sweep', '1,4,16,64,256')
    .option('-p, --processes <n>', 'client processes generating the load', Number, 2)
    .option('-o, --out <folder>', 'where to write the JSON and the SVG plot', 'bench-results')
    .option('--no-baselines', 'measure tutti only')
    .option('-e, --endpoint <url>', 'measure the tutti server running at this endpoint instead of starting one')
    .option('-m, --metrics <url>', "with --endpoint: that server's metrics base URL (e.g. http://127.0.0.1:9464), for the server-side breakdown")
    .addHelpText('after', '\nExamples:\n  tutti bench ensembles/digits --seconds 10 --concurrency 1,8,32,128\n  tutti bench ensembles/digits --endpoint tcp://127.0.0.1:5555 --metrics http://127.0.0.1:9464 --no-baselines')
    .action(async (ensembleDir: string, flags: BenchFlags) => {
      const log = (line: string) => console.log(line);
      const ensemble = await loadManifest(ensembleDir);
      const concurrencies = list(flags.concurrency);
      log(`tutti bench ${ensemble.name} — ${hardwareLine()}`);
      log('profiling (measured once per model file, then cached)...');
      const { plan, profiles, devices } = await planEnsemble(ensemble);
      const cpu = devices.find((d) => d.kind === 'cpu')!;
      const cpuProfiles = Object.fromEntries(Object.entries(profiles).map(([m, byDevice]) => [m, byDevice[cpu.id]!]));
      const batchSizes = [...new Set(cpuProfiles[ensemble.members[0]!.name]!.points.map((p) => p.batch))];
      const bound = computeBound(cpuProfiles, cpu.cores ?? 1, batchSizes);
      const results: SystemResult[] = [];
      const tutti = await startTutti(ensemble, flags, plan, profiles);
      const systems: (() => Promise<RunningSystem>)[] = [async () => tutti];
      if (flags.baselines) {
        systems.push(() => startBaseline('naive', ensemble, cpu.cores ?? 1));
        systems.push(() => startBaseline('paper', ensemble, cpu.cores ?? 1, bestBatches(cpuProfiles, Math.min(cpu.cores ?? 1, 2), batchSizes)));
      }
      let halfPeak = 0;
      for (const start of systems) {
        const system = await start();
        try {
          const result = await measure(system, ensemble, flags, concurrencies, log);
          if (system.name === 'tutti') halfPeak = Math.max(...result.closed.map((s) => s.requestsPerSecond)) / 2;
          result.open = await runStep({ endpoint: system.endpoint, inputs: ensemble.inputs, mode: 'open', load: halfPeak, processes: flags.processes, warmupSeconds: flags.warmup, seconds: flags.seconds });
          log(`  ${system.name.padEnd(6)} open   ${rate(halfPeak)} req/s (half tutti's peak): served ${rate(result.open.requestsPerSecond)} req/s  p50 ${result.open.latency.p50.toFixed(2)} ms  p99 ${result.open.latency.p99.toFixed(2)} ms`);
          results.push(result);
        } finally {
          await system.stop();
        }
      }
      const peak = (r: SystemResult) => Math.max(...r.closed.map((s) => s.requestsPerSecond));
      const tuttiPeak = peak(results[0]!);
      log(`\nResults (${ensemble.name}, requests of one sample):`);
      for (const r of results) {
        log(`  ${r.name.padEnd(6)} peak ${rate(peak(r)).padStart(7)} req/s   p99 at ${rate(halfPeak)} req/s: ${r.open!.latency.p99.toFixed(2)} ms`);
      }
      log(`  compute bound ${rate(bound)} req/s (cores x 1 / sum of members' best per-row compute)`);
      for (const r of results.slice(1)) log(`  tutti / ${r.name}: ${(tuttiPeak / peak(r)).toFixed(2)}x`);
      log(`  tutti / compute bound: ${(tuttiPeak / bound).toFixed(2)}`);
      const idle = results[0]!.closed.find((s) => s.load === 1);
      const added = idle && addedLatency(idle.latency.p50, results[0]!.breakdowns?.[1] ?? {});
      if (added) {
        log(`  tutti added latency, 1 in flight: p50 ${idle.latency.p50.toFixed(2)} ms - slowest member's compute ${added.slowestMemberMs.toFixed(2)} ms = ${added.addedMs.toFixed(2)} ms (${added.addedAtLeastMs.toFixed(2)} ms less all ${Object.keys(results[0]!.breakdowns![1]!).filter((k) => k.startsWith('tutti_member_compute')).length} members' compute)`);
      }
      const breakdown = results[0]!.breakdown ?? {};
      log(`  tutti server-side (mean ms, last closed step): ${Object.entries(breakdown).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}`);
      mkdirSync(flags.out, { recursive: true });
      const stem = join(flags.out, `${ensemble.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      writeFileSync(`${stem}.json`, JSON.stringify({ ensemble: ensemble.name, hardware: hardwareLine(), computeBound: bound, ...(added && { addedLatency: added }), plan, results }, null, 2));
      const series = results.map((r) => ({ name: r.name, points: [...r.closed, r.open!].map((s) => ({ throughput: s.requestsPerSecond, p99: s.latency.p99 })) }));
      writeFileSync(`${stem}.svg`, throughputLatencySvg(`${ensemble.name}: throughput against p99 (${hardwareLine()})`, series, bound));
      log(`\nwrote ${stem}.json and ${stem}.svg`);
    });
}
