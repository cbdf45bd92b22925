/**
 * Issue 7: interference on this host (ODIN). A ResNet member runs as two real CPU instances, one
 * pinned to each core. Midway through an open-loop run, competing CPU-bound processes pinned to
 * core 0 start, and later stop: instance 0 slows down for real. The same run is made three times,
 * with fastest-finish routing and re-balancing on, with re-balancing off, and with least-loaded
 * scheduling; throughput, p99 and the share of batches instance 0 gets are plotted over time.
 * No emulation: real processes, real onnxruntime, real contention.
 *
 *   npx tsx bench/interference.ts [--rate 80] [--seconds 45] [--hog-from 12] [--hog-to 28] [--hogs 3]
 *
 * Needs Linux with taskset (util-linux) and at least 2 cores. Writes bench/results/interference.json
 * and docs/bench/interference.svg.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Device, Plan } from '@tutti/allocator';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { runStep, timeline, timeSeriesSvg, type TimelineBucket } from '@tutti/bench';
import type { RoutingPolicy } from '@tutti/routing';
import { hardwareLine } from '@tutti/profiler';
import { oneMemberEnsemble } from './lib/emulated-pool.js';
import { routedBatches } from './lib/metrics-scrape.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '80' },
    seconds: { type: 'string', default: '45' },
    'hog-from': { type: 'string', default: '12' },
    'hog-to': { type: 'string', default: '28' },
    hogs: { type: 'string', default: '3' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const hogFrom = Number(values['hog-from']);
const hogTo = Number(values['hog-to']);
const hogs = Number(values.hogs);
const WARMUP_S = 3;
const P99_TARGET_MS = 100;

interface Mode {
  label: string;
  policy: RoutingPolicy;
  rebalance: boolean;
}
const MODES: Mode[] = [
  { label: 're-balancing on', policy: 'fastest-finish', rebalance: true },
  { label: 're-balancing off', policy: 'fastest-finish', rebalance: false },
  { label: 'least-loaded', policy: 'least-loaded', rebalance: false },
];

function pin(pid: number, core: number): void {
  // -a: every thread of the process, the inference thread and onnxruntime's included.
  execFileSync('taskset', ['-a', '-cp', String(core), String(pid)], { stdio: 'ignore' });
}

function twoPinnedInstances(ensemble: Ensemble): Plan {
  const member = ensemble.members[0]!.name;
  const cpu: Device = { id: 'cpu', kind: 'cpu', name: 'this host', memoryBytes: 8e9, cores: 2, origin: 'detected' };
  return {
    version: 1,
    ensemble: ensemble.name,
    strategy: 'greedy',
    devices: [cpu],
    members: [member],
    instances: [0, 1].map(() => ({ member, device: 'cpu', batch: ensemble.batching.maxBatchSize, threads: 1 })),
    predicted: { throughput: 0, bottleneck: member, members: [], devices: [] },
    steps: [],
  };
}

interface ModeResult {
  mode: Mode;
  buckets: TimelineBucket[];
  /** Per second: the share of batches routed to instance 0 (the one interfered with). */
  share: { t: number; share: number | null }[];
  events: { t: number; line: string }[];
  hog: { from: number; to: number };
  summary: { before: TimelineBucket[]; during: TimelineBucket[]; after: TimelineBucket[] };
}

async function runMode(mode: Mode, ensemble: Ensemble): Promise<ModeResult> {
  const eventsAt: { at: number; line: string }[] = [];
  const server = await Server.start(ensemble, {
    endpoint: 'tcp://127.0.0.1:0',
    plan: twoPinnedInstances(ensemble),
    routing: { policy: mode.policy, rebalance: mode.rebalance },
    metricsPort: 0,
    log: (line) => {
      if (/slower than its normal|back to normal/.test(line)) eventsAt.push({ at: Date.now(), line });
    },
  });
  const workers = server.processes.filter((p) => p.role === 'worker');
  for (const w of workers) pin(w.pid, Number(/#(\d+)/.exec(w.name)![1]) % 2);
  const interfered = workers.find((w) => /#0\b/.test(w.name))!;
  const hogProcesses: ChildProcess[] = [];
  const hogAt = { from: 0, to: 0 };
  const samples: { at: number; counts: Map<string, number> }[] = [];
  const scraper = setInterval(() => {
    void routedBatches(server.metricsUrl!).then(
      (counts) => samples.push({ at: Date.now(), counts }),
      () => {},
    );
  }, 1000);
  const startedAt = Date.now();
  const timers = [
    setTimeout(
      () => {
        hogAt.from = Date.now();
        for (let i = 0; i < hogs; i++)
          hogProcesses.push(spawn('taskset', ['-c', '0', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' }));
      },
      (WARMUP_S + hogFrom) * 1000 + 300,
    ),
    setTimeout(
      () => {
        hogAt.to = Date.now();
        for (const hog of hogProcesses) hog.kill('SIGKILL');
      },
      (WARMUP_S + hogTo) * 1000 + 300,
    ),
  ];
  try {
    const step = await runStep({
      endpoint: server.endpoint,
      inputs: ensemble.inputs,
      mode: 'open',
      load: rate,
      seconds,
      warmupSeconds: WARMUP_S,
      processes: 2,
      seed: 7,
      timeoutMs: 10_000,
      trace: true,
    });
    const t0 = step.traceStart ?? startedAt + WARMUP_S * 1000;
    const buckets = timeline(step.trace ?? [], 1000, seconds);
    const share = shareOverTime(samples, interfered.name, t0);
    const hog = { from: (hogAt.from - t0) / 1000, to: (hogAt.to - t0) / 1000 };
    const within = (b: TimelineBucket, from: number, to: number) => b.t0 >= from && b.t0 + 1 <= to;
    return {
      mode,
      buckets,
      share,
      events: eventsAt.map((e) => ({ t: (e.at - t0) / 1000, line: e.line })),
      hog,
      summary: {
        before: buckets.filter((b) => within(b, 2, hog.from)),
        during: buckets.filter((b) => within(b, hog.from + 3, hog.to)),
        after: buckets.filter((b) => within(b, hog.to + 3, seconds)),
      },
    };
  } finally {
    clearInterval(scraper);
    for (const timer of timers) clearTimeout(timer);
    for (const hog of hogProcesses) hog.kill('SIGKILL');
    await server.stop();
    void interfered;
  }
}

/** Share of the batches routed in each second that went to the worker named `name` (its id is in the name). */
function shareOverTime(
  samples: { at: number; counts: Map<string, number> }[],
  name: string,
  t0: number,
): { t: number; share: number | null }[] {
  const id = /worker (\S+)/.exec(name)![1]!;
  const out: { t: number; share: number | null }[] = [];
  for (let i = 1; i < samples.length; i++) {
    const before = samples[i - 1]!;
    const after = samples[i]!;
    let total = 0;
    for (const [instance, n] of after.counts) total += n - (before.counts.get(instance) ?? 0);
    const mine = (after.counts.get(id) ?? 0) - (before.counts.get(id) ?? 0);
    out.push({ t: (after.at - t0) / 1000 - 0.5, share: total > 0 ? mine / total : null });
  }
  return out;
}

function mean(values: (number | null)[]): number {
  const xs = values.filter((v): v is number => v !== null);
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
}

function describe(r: ModeResult): string {
  const phase = (bs: TimelineBucket[]) =>
    `${mean(bs.map((b) => b.completed)).toFixed(0)}/s, p99 ${mean(bs.map((b) => b.p99)).toFixed(0)} ms (worst ${Math.max(...bs.map((b) => b.p99 ?? 0)).toFixed(0)})`;
  const shareIn = (from: number, to: number) => mean(r.share.filter((s) => s.t >= from && s.t <= to).map((s) => s.share));
  return [
    `  ${r.mode.label}`,
    `    before the competing processes: ${phase(r.summary.before)}; instance 0 takes ${(100 * shareIn(2, r.hog.from)).toFixed(0)}% of batches`,
    `    while they run (from 3 s in):   ${phase(r.summary.during)}; instance 0 takes ${(100 * shareIn(r.hog.from + 3, r.hog.to)).toFixed(0)}%`,
    `    after they stop (from 3 s on):  ${phase(r.summary.after)}; instance 0 takes ${(100 * shareIn(r.hog.to + 3, seconds)).toFixed(0)}%`,
    ...r.events.map((e) => `    ${e.t.toFixed(1).padStart(5)} s  ${e.line.replace(/^.*batcher: /, '')}`),
  ].join('\n');
}

async function main(): Promise<void> {
  if (availableParallelism() < 2) throw new Error('this experiment pins one instance per core: it needs 2 cores');
  const pool = oneMemberEnsemble({ maxBatchSize: 4, maxQueueDelayMs: 5, p99Ms: P99_TARGET_MS, resnet: { width: 48, inputSize: 112 } });
  console.log(
    `Interference: 2 real CPU instances of a ResNet (width 48, 112x112), pinned one per core; ${hogs} CPU-bound process(es) pinned to core 0 from ${hogFrom} s to ${hogTo} s`,
  );
  console.log(
    `open loop ${rate} req/s (Poisson), ${seconds} s per mode; re-balancing on/off use fastest-finish routing; host: ${hardwareLine()}`,
  );
  const results: ModeResult[] = [];
  try {
    const ensemble = await loadManifest(pool.dir, { generate: true });
    for (const mode of MODES) {
      const result = await runMode(mode, ensemble);
      results.push(result);
      console.log(describe(result));
    }
  } finally {
    pool.remove();
  }
  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  writeFileSync(
    `${ROOT}bench/results/interference.json`,
    `${JSON.stringify({ host: hardwareLine(), rate, seconds, hogs, p99TargetMs: P99_TARGET_MS, results }, null, 2)}\n`,
  );
  const hog = results[0]!.hog;
  const svg = timeSeriesSvg(
    `Real interference on this host: ${hogs} competing process(es) on core 0 (${rate} req/s offered)`,
    [
      {
        label: 'served (req/s)',
        series: results.map((r) => ({ name: r.mode.label, points: r.buckets.map((b) => ({ t: b.t0 + 0.5, v: b.completed })) })),
      },
      {
        label: 'p99 (ms, log)',
        log: true,
        series: results.map((r) => ({ name: r.mode.label, points: r.buckets.map((b) => ({ t: b.t0 + 0.5, v: b.p99 })) })),
      },
      {
        label: 'batches on instance 0',
        series: results.map((r) => ({ name: r.mode.label, points: r.share.map((s) => ({ t: s.t, v: s.share })) })),
      },
    ],
    {
      shaded: [{ from: hog.from, to: hog.to, label: 'competing processes on core 0' }],
      hline: { panel: 1, value: P99_TARGET_MS, label: `p99 target ${P99_TARGET_MS} ms` },
      seconds,
    },
  );
  mkdirSync(`${ROOT}docs/bench`, { recursive: true });
  writeFileSync(`${ROOT}docs/bench/interference.svg`, svg);
  console.log('wrote bench/results/interference.json and docs/bench/interference.svg');
}

await main();
