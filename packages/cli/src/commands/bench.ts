/**
 * `tutti bench <ensemble>`: tutti and two baselines (naive, paper) on the same inputs and hardware,
 * driven through the real protocol by separate client processes: a closed-loop sweep of concurrency
 * for each, then an open loop (Poisson) at half of tutti's peak for each; the compute bound from the
 * members' profiles; tutti's server-side breakdown; CPU per answered request of every server process.
 * With --rounds K the systems are measured K times in alternating order and every figure is reported
 * as its median and range over the rounds (ratios taken within each round). Prints tables, writes
 * JSON (every round's raw results and the summary) and an SVG.
 * With --endpoint it measures a tutti server already running (started by hand, e.g. under a profiler)
 * instead of starting one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { descriptionOf } from './index.js';
import { latencyOf, type LayoutKind, type MemberProfile, type Plan } from '@tutti/allocator';
import { TuttiError } from '@tutti/protocol';
import {
  addedLatency,
  clockTicksPerSecond,
  cpuPerRequest,
  figuresOf,
  formatSpread,
  histogramSums,
  meansBetween,
  peakRatios,
  rate,
  readCpu,
  roundOrder,
  runStep,
  spread,
  startBaseline,
  summarise,
  summaryLines,
  throughputLatencySvg,
  type AddedLatency,
  type RoundResult,
  type ProcessRef,
  type RunningSystem,
  type SystemResult,
} from '@tutti/bench';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { planEnsemble } from '@tutti/planner';
import { rssOf } from '@tutti/profiler';
import { hardwareLine } from '@tutti/profiler';

interface BenchFlags {
  seconds: number;
  warmup: number;
  concurrency: string;
  processes: number;
  rounds: number;
  out: string;
  baselines: boolean;
  endpoint?: string;
  metrics?: string;
  layout: LayoutKind | 'auto';
  plainClients?: boolean;
  pids?: string;
  label?: string;
}

/** A mean emulation lag above this (ms per batch) marks a run whose emulated devices fell behind their profiles. */
const EMULATION_LAG_WARN_MS = 1;

/** What serving costs besides speed: time from start to ready, and the memory of every process. */
interface Footprint {
  readyMs: number;
  /** Sum of the RSS of the server's processes (the supervisor, inside this process, not counted), measured after the closed sweep. */
  rssBytes: number;
  processes: number;
}

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
const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
};

const metricsText = async (url: string) => (await fetch(`${url}/metrics`)).text();

/** The closed-loop sweep of one system, with the server-side breakdown (tutti) and CPU per request (when its pids are known). */
async function measureClosed(
  system: RunningSystem,
  ensemble: Ensemble,
  flags: BenchFlags,
  concurrencies: number[],
  hz: number,
  log: (line: string) => void,
): Promise<SystemResult> {
  const result: SystemResult = { name: system.name, closed: [] };
  for (const load of concurrencies) {
    const before = system.metricsUrl ? histogramSums(await metricsText(system.metricsUrl)) : undefined;
    // Read just around the step: its load processes start after and exit before, so every request
    // the server answered in between is one they count (answeredAll, warm-up and drain included).
    const cpuBefore = system.processes && readCpu(system.processes());
    const step = await runStep({
      endpoint: system.endpoint,
      inputs: ensemble.inputs,
      mode: 'closed',
      load,
      processes: flags.processes,
      warmupSeconds: flags.warmup,
      seconds: flags.seconds,
      directReplies: !flags.plainClients,
    });
    const cpu = cpuBefore && cpuPerRequest(cpuBefore, readCpu(system.processes!()), step.answeredAll, hz);
    if (cpu) (result.cpu ??= {})[load] = cpu;
    if (before) {
      result.breakdown = meansBetween(before, histogramSums(await metricsText(system.metricsUrl!)));
      (result.breakdowns ??= {})[load] = result.breakdown;
      // An emulated device whose real compute overran its profiled time served slower than it claims: say so.
      for (const [key, meanMs] of Object.entries(result.breakdown)) {
        if (key.startsWith('tutti_emulation_lag_seconds') && meanMs > EMULATION_LAG_WARN_MS) {
          (result.emulationBehind ??= []).push({ load, metric: key, meanLagMs: meanMs });
          log(
            `  WARNING: emulation fell behind at ${load} in flight: ${key} mean ${meanMs.toFixed(2)} ms late per batch; this run's emulated figures are slower than the profiles they stand for`,
          );
        }
      }
    }
    result.closed.push(step);
    const cpuText = cpu ? `  cpu ${cpu.totalUs.toFixed(0)} us/req` : '';
    log(
      `  ${system.name.padEnd(6)} closed ${String(load).padStart(4)} in flight: ${rate(step.requestsPerSecond).padStart(7)} req/s  p50 ${step.latency.p50.toFixed(2)} ms  p99 ${step.latency.p99.toFixed(2)} ms  errors ${JSON.stringify(step.errors)}${cpuText}`,
    );
  }
  return result;
}

/**
 * The server given by --endpoint, or undefined when the bench starts its own. Its options (and those
 * that only make sense with it) are checked here, before anything runs.
 */
function givenServer(flags: BenchFlags): RunningSystem | undefined {
  if (flags.endpoint) {
    const processes = flags.pids === undefined ? undefined : pidsOf(flags.pids);
    return {
      name: 'tutti',
      endpoint: flags.endpoint,
      ...(flags.metrics && { metricsUrl: flags.metrics.replace(/\/$/, '') }),
      ...(processes && { processes: () => processes }),
      stop: async () => {},
    };
  }
  if (flags.metrics)
    throw new TuttiError('INVALID_OPTION', '--metrics is for a server given by --endpoint; a server bench starts exports its own');
  if (flags.label) throw new TuttiError('INVALID_OPTION', '--label names a server given by --endpoint');
  if (flags.pids)
    throw new TuttiError('INVALID_OPTION', '--pids is for a server given by --endpoint; a server bench starts is measured anyway');
  return undefined;
}

/** --pids: the server's process ids, comma-separated. */
function pidsOf(text: string): ProcessRef[] {
  return text.split(',').map((item) => {
    const pid = Number(item.trim());
    if (!Number.isInteger(pid) || pid <= 0)
      throw new TuttiError('INVALID_OPTION', `--pids takes process ids separated by commas, got "${item}"`);
    return { name: `pid ${pid}`, pid };
  });
}

/** The tutti server measured: the one at --endpoint, or one started now on the allocator's plan. */
async function startTutti(
  ensemble: Ensemble,
  given: RunningSystem | undefined,
  plan: Plan,
  profiles: Profiles,
  footprints: Footprint[],
): Promise<RunningSystem> {
  if (given) return given;
  const started = performance.now();
  const server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', plan, profiles, metricsPort: 0, log: () => {} });
  const readyMs = performance.now() - started;
  const stop = async () => {
    footprints.push({ readyMs, rssBytes: server.processes.reduce((sum, p) => sum + rssOf(p.pid), 0), processes: server.processes.length });
    await server.stop();
  };
  // The supervisor runs inside this process, beside the bench's own work, so it is not counted.
  return { name: 'tutti', endpoint: server.endpoint, metricsUrl: server.metricsUrl!, processes: () => server.processes, stop };
}

export function benchCommand(): Command {
  return new Command('bench')
    .description(descriptionOf('bench'))
    .argument('<ensemble>', 'ensemble folder')
    .option('-s, --seconds <n>', 'measured seconds per step', Number, 5)
    .option('-w, --warmup <n>', 'warm-up seconds per step', Number, 1)
    .option('-c, --concurrency <list>', 'closed-loop requests in flight, a sweep', '1,4,16,64,256')
    .option('-p, --processes <n>', 'client processes generating the load', Number, 2)
    .option('-r, --rounds <k>', 'measure every system k times, in alternating order; report medians and ranges', positiveInt, 1)
    .option('-o, --out <folder>', 'where to write the JSON and the SVG plot', 'bench-results')
    .option('--no-baselines', 'measure tutti only')
    .addOption(
      new Option('--layout <kind>', "tutti's worker processes: auto (the plan chooses), per-instance or grouped")
        .choices(['auto', 'per-instance', 'grouped'])
        .default('auto'),
    )
    .option(
      '--plain-clients',
      'load clients with one plain socket (replies through the batcher, like a REQ client in another language) instead of direct replies',
    )
    .option('-e, --endpoint <url>', 'measure the tutti server running at this endpoint instead of starting one')
    .option(
      '-m, --metrics <url>',
      "with --endpoint: that server's metrics base URL (e.g. http://127.0.0.1:9464), for the server-side breakdown",
    )
    .option('--pids <list>', 'with --endpoint: its server process ids, comma-separated, for CPU per request')
    .option('--label <text>', 'with --endpoint: what that server is, kept in the JSON (its figures are still listed as "tutti")')
    .addHelpText(
      'after',
      '\nExamples:\n  tutti bench ensembles/digits --seconds 10 --concurrency 1,8,32,128 --rounds 3\n  tutti bench ensembles/digits --endpoint tcp://127.0.0.1:5555 --metrics http://127.0.0.1:9464 --no-baselines',
    )
    .action(async (ensembleDir: string, flags: BenchFlags) => {
      const log = (line: string) => console.log(line);
      const given = givenServer(flags);
      const ensemble = await loadManifest(ensembleDir, { generate: true });
      const concurrencies = list(flags.concurrency);
      log(`tutti bench ${ensemble.name} — ${hardwareLine()}`);
      log('profiling (measured once per model file, then cached)...');
      const { plan, profiles, devices } = await planEnsemble(ensemble, { layout: flags.layout });
      if (plan.layout)
        log(
          `layout: ${plan.layout.kind} (${plan.layout.decidedBy}); clients: ${flags.plainClients ? 'one plain socket each (replies through the batcher)' : 'direct replies'}`,
        );
      const footprints: Footprint[] = [];
      const cpu = devices.find((d) => d.kind === 'cpu')!;
      const cpuProfiles = Object.fromEntries(Object.entries(profiles).map(([m, byDevice]) => [m, byDevice[cpu.id]!]));
      const batchSizes = [...new Set(cpuProfiles[ensemble.members[0]!.name]!.points.map((p) => p.batch))];
      const bound = computeBound(cpuProfiles, cpu.cores ?? 1, batchSizes);
      const hz = clockTicksPerSecond();
      const starters = new Map<string, () => Promise<RunningSystem>>([
        ['tutti', () => startTutti(ensemble, given, plan, profiles, footprints)],
      ]);
      if (flags.baselines) {
        starters.set('naive', () => startBaseline('naive', ensemble, cpu.cores ?? 1));
        starters.set('paper', () =>
          startBaseline('paper', ensemble, cpu.cores ?? 1, bestBatches(cpuProfiles, Math.min(cpu.cores ?? 1, 2), batchSizes)),
        );
      }
      if (flags.endpoint && !flags.pids)
        log('CPU per request: not measured for tutti (--endpoint without --pids: its process ids are not known here)');
      const names = [...starters.keys()];
      // The open-loop rate is fixed by round 1, where tutti runs first, and kept for every round, so
      // each round measures the open-loop p99 at the same offered rate.
      let openRate: number | undefined;
      const rounds: RoundResult[] = [];
      const added: AddedLatency[] = [];
      for (let round = 1; round <= flags.rounds; round++) {
        const order = roundOrder(names, round);
        log(`round ${round}/${flags.rounds}: ${order.join(', ')}`);
        const results: SystemResult[] = [];
        for (const name of order) {
          const system = await starters.get(name)!();
          try {
            const result = await measureClosed(system, ensemble, flags, concurrencies, hz, log);
            openRate ??= figuresOf(result).peak / 2;
            const open = await runStep({
              endpoint: system.endpoint,
              inputs: ensemble.inputs,
              mode: 'open',
              load: openRate,
              processes: flags.processes,
              warmupSeconds: flags.warmup,
              seconds: flags.seconds,
              directReplies: !flags.plainClients,
            });
            result.open = open;
            const behind = open.fellBehind ? `  FELL BEHIND (backlog ${open.backlog.start} -> ${open.backlog.end})` : '';
            log(
              `  ${system.name.padEnd(6)} open   ${rate(openRate)} req/s (half tutti's peak): offered ${rate(open.offeredPerSecond!)} served ${rate(open.requestsPerSecond)} req/s  p50 ${open.latency.p50.toFixed(2)} ms  p99 ${open.latency.p99.toFixed(2)} ms${behind}`,
            );
            results.push(result);
          } finally {
            await system.stop();
          }
        }
        // Stored in a fixed order, whatever order they ran in.
        results.sort((a, b) => names.indexOf(a.name) - names.indexOf(b.name));
        rounds.push({ round, order, results, ratios: peakRatios(results, 'tutti') });
        const tutti = results.find((r) => r.name === 'tutti')!;
        const idle = tutti.closed.find((s) => s.load === 1);
        const roundAdded = idle && addedLatency(idle.latency.p50, tutti.breakdowns?.[1] ?? {});
        if (roundAdded) added.push(roundAdded);
      }
      const summary = summarise(rounds);
      log(`\nResults (${ensemble.name}, requests of one sample):`);
      for (const line of summaryLines(summary, openRate!)) log(line);
      const tuttiPeak = summary.systems.tutti!.peak;
      log(
        `  compute bound ${rate(bound)} req/s (cores x 1 / sum of members' best per-row compute); tutti / compute bound: ${(tuttiPeak.median / bound).toFixed(2)}`,
      );
      if (added.length > 0) {
        const of = (pick: (a: AddedLatency) => number) => formatSpread(spread(added.map(pick)), 2);
        log(
          `  tutti added latency, 1 in flight: p50 - slowest member's compute = ${of((a) => a.addedMs)} ms (${of((a) => a.addedAtLeastMs)} ms less all members' compute)`,
        );
      }
      const predicted = plan.layout?.predicted[plan.layout.kind];
      if (predicted)
        log(
          `  allocator's prediction for the served layout (serving costs included): ${rate(predicted)} req/s; measured peak / predicted: ${(tuttiPeak.median / predicted).toFixed(2)}`,
        );
      if (footprints.length > 0) {
        const ready = spread(footprints.map((f) => f.readyMs / 1000));
        const rss = spread(footprints.map((f) => f.rssBytes / 2 ** 20));
        log(
          `  tutti footprint: ready in ${formatSpread(ready, 1)} s; RSS of its ${footprints[0]!.processes} processes ${formatSpread(rss, 0)} MiB (supervisor not counted)`,
        );
      }
      const lastTutti = rounds.at(-1)!.results.find((r) => r.name === 'tutti')!;
      log(
        `  tutti server-side (mean ms; tutti_batch_size in rows; last closed step of the last round): ${Object.entries(
          lastTutti.breakdown ?? {},
        )
          .map(([k, v]) => `${k} ${v.toFixed(3)}`)
          .join(', ')}`,
      );
      mkdirSync(flags.out, { recursive: true });
      const stem = join(flags.out, `${ensemble.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      const settings = {
        ...(flags.endpoint && { endpoint: flags.endpoint, measured: flags.label ?? 'a tutti server started by hand' }),
        layout: plan.layout?.kind,
        plainClients: flags.plainClients === true,
        rounds: flags.rounds,
        seconds: flags.seconds,
        warmupSeconds: flags.warmup,
        concurrency: concurrencies,
        processes: flags.processes,
        openLoopRate: openRate,
        clockTicksPerSecond: hz,
      };
      writeFileSync(
        `${stem}.json`,
        JSON.stringify(
          {
            ensemble: ensemble.name,
            hardware: hardwareLine(),
            settings,
            computeBound: bound,
            plan,
            predictedRequestsPerSecond: predicted,
            footprints,
            summary,
            addedLatency: added,
            rounds,
          },
          null,
          2,
        ),
      );
      const series = Object.entries(summary.systems).map(([name, s]) => ({
        name,
        points: Object.values(s.closed).map((c) => ({ throughput: c.requestsPerSecond.median, p99: c.p99.median })),
        ...(s.openServed && s.openP99 && { open: { throughput: s.openServed.median, p99: s.openP99.median } }),
      }));
      writeFileSync(
        `${stem}.svg`,
        throughputLatencySvg(
          `${ensemble.name}: throughput against p99, medians of ${flags.rounds} round(s) (${hardwareLine()})`,
          series,
          bound,
        ),
      );
      log(`\nwrote ${stem}.json and ${stem}.svg`);
    });
}
