/**
 * Issue 16, served: the digits cascade (ensembles/digits-cascade, on the plan `tutti serve` would
 * allocate) against the same server computing every member (`cascade: false` on each request), in
 * the same run, the two alternated round by round. Requests are the held-out rows the calibration
 * did not see (calibrationSplit(1).evaluation), one row each, from two load processes.
 *
 *   npx tsx bench/cascade-serve.ts [--rounds 3] [--seconds 6] [--concurrency 64] [--target 0.97] [--layout auto|grouped|per-instance]
 *
 * Per mode: accuracy and member calls per request over those rows; peak throughput (closed loop),
 * with the CPU each server process spent per answered request (/proc);
 * idle p50 (1 in flight); p50 and p99 of an open loop (Poisson) at half the full ensemble's peak.
 * Writes docs/bench/cascade-serve-digits.json (-grouped, -per-instance with --layout).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '@tutti/manifest';
import { TuttiClient } from '@tutti/client';
import { Server } from '@tutti/server';
import { planEnsemble } from '@tutti/planner';
import { hardwareLine } from '@tutti/profiler';
import { clockTicksPerSecond, cpuPerRequest, readCpu, runStep, spread, type StepResult } from '@tutti/bench';
import { calibrationSplit, readDigits } from '../ensembles/digits/data.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '6' },
    concurrency: { type: 'string', default: '64' },
    target: { type: 'string', default: '0.97' },
    layout: { type: 'string', default: 'auto' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const target = Number(values.target);

const ensemble = await loadManifest(join(ROOT, 'ensembles/digits-cascade'));
const digits = readDigits();
const rows = calibrationSplit(1).evaluation;
const samples = rows.map((row) => [...digits.pixels[row]!]);
const MODES = {
  cascade: { accuracyTarget: target },
  full: { cascade: false },
} as const;
type Mode = keyof typeof MODES;

console.error('planning (profiles are cached after the first run)...');
const layout = values.layout as 'auto' | 'grouped' | 'per-instance';
const { plan, profiles } = await planEnsemble(ensemble, { layout });
const server = await Server.start(ensemble, { plan, profiles, endpoint: 'tcp://127.0.0.1:0', log: () => {} });
const results: Record<string, unknown> = {};
try {
  // Accuracy and member calls, every evaluation row once per mode.
  const client = new TuttiClient(server.endpoint, { timeoutMs: 30_000 });
  const quality: Record<Mode, { accuracy: number; memberCalls: number }> = {} as never;
  for (const mode of Object.keys(MODES) as Mode[]) {
    let right = 0;
    let calls = 0;
    for (const [k, row] of rows.entries()) {
      const reply = await client.infer({ pixels: { data: Float32Array.from(samples[k]!), shape: [1, 64] } }, MODES[mode]);
      const p = Array.from(reply.outputs.probabilities!.data as Float32Array);
      if (p.indexOf(Math.max(...p)) === digits.labels[row]) right++;
      calls += reply.membersUsed?.length ?? ensemble.members.length;
    }
    quality[mode] = { accuracy: right / rows.length, memberCalls: calls / rows.length };
    console.log(
      `${mode}: accuracy ${(quality[mode].accuracy * 100).toFixed(2)}%, ${quality[mode].memberCalls.toFixed(2)} member calls per request`,
    );
  }
  client.close();

  const step = (mode: Mode, options: { mode: 'closed' | 'open'; load: number; seconds: number }): Promise<StepResult> =>
    runStep({ endpoint: server.endpoint, inputs: ensemble.inputs, samples, infer: MODES[mode], warmupSeconds: 1, ...options });
  const peak: Record<Mode, number[]> = { cascade: [], full: [] };
  // CPU per answered request of each server process at the peak (the bench's own processes not counted).
  const processes = server.processes.map((p) => ({ name: p.role === 'worker' ? p.name : p.role, pid: p.pid }));
  const hz = clockTicksPerSecond();
  const cpu: Record<Mode, Record<string, number>[]> = { cascade: [], full: [] };
  const idle: Record<Mode, number[]> = { cascade: [], full: [] };
  const ratios: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order: Mode[] = round % 2 === 1 ? ['cascade', 'full'] : ['full', 'cascade'];
    const here: Partial<Record<Mode, number>> = {};
    for (const mode of order) {
      const before = readCpu(processes);
      const closed = await step(mode, { mode: 'closed', load: concurrency, seconds });
      const used = cpuPerRequest(before, readCpu(processes), closed.answeredAll, hz);
      if (used) cpu[mode].push({ ...used.perProcessUs, total: used.totalUs });
      const one = await step(mode, { mode: 'closed', load: 1, seconds: 3 });
      peak[mode].push(closed.requestsPerSecond);
      idle[mode].push(one.latency.p50);
      here[mode] = closed.requestsPerSecond;
      console.log(
        `round ${round} ${mode.padEnd(7)} peak ${closed.requestsPerSecond.toFixed(0)} req/s, idle p50 ${one.latency.p50.toFixed(2)} ms${Object.keys(closed.errors).length ? `, errors ${JSON.stringify(closed.errors)}` : ''}`,
      );
    }
    ratios.push(here.cascade! / here.full!);
  }
  const half = spread(peak.full)!.median / 2;
  const open: Record<Mode, { p50: number[]; p99: number[]; fellBehind: boolean[] }> = {
    cascade: { p50: [], p99: [], fellBehind: [] },
    full: { p50: [], p99: [], fellBehind: [] },
  };
  for (let round = 1; round <= rounds; round++) {
    const order: Mode[] = round % 2 === 1 ? ['cascade', 'full'] : ['full', 'cascade'];
    for (const mode of order) {
      const result = await step(mode, { mode: 'open', load: half, seconds });
      open[mode].p50.push(result.latency.p50);
      open[mode].p99.push(result.latency.p99);
      open[mode].fellBehind.push(result.fellBehind === true);
      console.log(
        `round ${round} ${mode.padEnd(7)} open loop at ${half.toFixed(0)} req/s: p50 ${result.latency.p50.toFixed(2)} ms, p99 ${result.latency.p99.toFixed(2)} ms`,
      );
    }
  }
  Object.assign(results, {
    ensemble: ensemble.name,
    hardware: hardwareLine(),
    how: `one server (the plan tutti serve allocates, layout ${plan.layout?.kind ?? 'per-instance'}); requests: the ${rows.length} evaluation rows of calibrationSplit(1), one row each, from two load processes; cascade: accuracy_target ${target}; full: cascade false; closed loop at ${concurrency} in flight for ${seconds} s and at 1 in flight for 3 s, then an open loop (Poisson) at half the full mode's median peak for ${seconds} s; modes alternated, ${rounds} rounds`,
    target,
    quality,
    peak: { cascade: spread(peak.cascade), full: spread(peak.full), ratio: spread(ratios), raw: peak },
    idleP50Ms: { cascade: spread(idle.cascade), full: spread(idle.full), raw: idle },
    cpuPerRequestUs: Object.fromEntries(
      (Object.keys(MODES) as Mode[]).map((mode) => [
        mode,
        Object.fromEntries(Object.keys(cpu[mode][0] ?? {}).map((name) => [name, spread(cpu[mode].map((c) => c[name]!))])),
      ]),
    ),
    openLoop: {
      rate: half,
      cascade: { p50: spread(open.cascade.p50), p99: spread(open.cascade.p99), fellBehind: open.cascade.fellBehind },
      full: { p50: spread(open.full.p50), p99: spread(open.full.p99), fellBehind: open.full.fellBehind },
    },
  });
  for (const mode of Object.keys(MODES) as Mode[]) {
    const medians = Object.keys(cpu[mode][0] ?? {}).map((name) => `${name} ${spread(cpu[mode].map((c) => c[name]!))!.median.toFixed(0)}`);
    console.log(`${mode}: CPU per request at the peak, us: ${medians.join(', ')}`);
  }
  const r = spread(ratios)!;
  console.log(
    `\npeak, cascade / full in the same round: median ${r.median.toFixed(2)} (${r.min.toFixed(2)}-${r.max.toFixed(2)}) over ${rounds} rounds (${hardwareLine()})`,
  );
} finally {
  await server.stop();
}
const out = join(ROOT, `docs/bench/cascade-serve-digits${layout === 'auto' ? '' : `-${layout}`}.json`);
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${out}`);
