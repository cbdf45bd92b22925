/**
 * Issue 12's targets, read from the committed runs (no measuring here): every ratio is taken within
 * one round of one `tutti bench` run (the systems alternate in a round), then the median and range
 * over rounds. Prints a Markdown table and writes docs/bench/targets.json.
 *
 *   npx tsx bench/targets.ts
 *
 * Inputs: the newest JSON in docs/bench/runs/{digits,digits-plain,zoo-cnn}/ and
 * docs/bench/footprint-digits.json (see docs/BENCHMARKS.md for the commands that wrote them). The
 * digits rows also show the floor pipeline's figure for the same target, from
 * docs/bench/runs/floor-{direct,plain}/ (bench/floor-server.ts measured by `tutti bench --endpoint`,
 * where it is listed as "tutti"): what a three-process server doing nothing but the path reaches here.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = join(ROOT, 'docs/bench/runs');

interface Step {
  load: number;
  requestsPerSecond: number;
  latency: { p50: number; p99: number };
}
interface SystemRound {
  name: string;
  closed: Step[];
  open?: Step;
  cpu?: Record<string, { totalUs: number; perProcessUs: Record<string, number>; busiest: string }>;
}
interface Run {
  computeBound: number;
  predictedRequestsPerSecond?: number;
  rounds: { results: SystemRound[] }[];
}

function newest(folder: string): { run: Run; file: string } {
  const files = readdirSync(join(RUNS, folder))
    .filter((f) => f.endsWith('.json'))
    .sort();
  const file = join('docs/bench/runs', folder, files.at(-1)!);
  return { run: JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Run, file };
}

interface Spread {
  median: number;
  min: number;
  max: number;
}
function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}
const show = (s: Spread, digits = 2) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}-${s.max.toFixed(digits)})`;

const peakOf = (r: SystemRound) => r.closed.reduce((best, s) => (s.requestsPerSecond > best.requestsPerSecond ? s : best));
const idleOf = (r: SystemRound) => r.closed.find((s) => s.load === 1)!.latency.p50;
const cpuAtPeak = (r: SystemRound) => r.cpu?.[String(peakOf(r).load)];
/** Per round, `pick(tutti, other)`. */
function perRound(run: Run, other: string, pick: (tutti: SystemRound, other: SystemRound) => number): Spread {
  return spread(
    run.rounds.map(({ results }) =>
      pick(
        results.find((r) => r.name === 'tutti')!,
        results.find((r) => r.name === other)!,
      ),
    ),
  );
}
function tuttiOnly(run: Run, pick: (tutti: SystemRound) => number): Spread {
  return spread(run.rounds.map(({ results }) => pick(results.find((r) => r.name === 'tutti')!)));
}

interface Row {
  target: string;
  bound: string;
  measured: Spread;
  met: boolean;
  digits: number;
  source: string;
  /** The floor pipeline's figure for the same target (digits rows only). */
  floor?: Spread;
  floorSource?: string;
}
const rows: Row[] = [];
const add = (target: string, bound: string, measured: Spread, met: (v: number) => boolean, source: string, digits = 2) =>
  rows.push({ target, bound, measured, met: met(measured.median), digits, source });

/** The digits targets of one run (tutti's, or the floor pipeline's). */
function digitsRows(run: Run, file: string, label: string): void {
  add(
    `${label}: server CPU per request, tutti / paper`,
    '<= 1.3',
    perRound(run, 'paper', (t, p) => cpuAtPeak(t)!.totalUs / cpuAtPeak(p)!.totalUs),
    (v) => v <= 1.3,
    file,
  );
  add(
    `${label}: busiest process's CPU per request / paper's`,
    '<= 0.6',
    perRound(run, 'paper', (t, p) => Math.max(...Object.values(cpuAtPeak(t)!.perProcessUs)) / cpuAtPeak(p)!.totalUs),
    (v) => v <= 0.6,
    file,
  );
  add(
    `${label}: peak, tutti / paper`,
    '>= 1.0',
    perRound(run, 'paper', (t, p) => peakOf(t).requestsPerSecond / peakOf(p).requestsPerSecond),
    (v) => v >= 1.0,
    file,
  );
  add(`${label}: idle p50 (ms)`, '<= 1.5', tuttiOnly(run, idleOf), (v) => v <= 1.5, file);
  add(
    `${label}: p99 at half tutti's peak (ms)`,
    '<= 15',
    tuttiOnly(run, (t) => t.open!.latency.p99),
    (v) => v <= 15,
    file,
    1,
  );
  add(
    `${label}: allocator's prediction / measured peak`,
    '0.75-1.25',
    tuttiOnly(run, (t) => run.predictedRequestsPerSecond! / peakOf(t).requestsPerSecond),
    (v) => v >= 0.75 && v <= 1.25,
    file,
  );
}
for (const [folder, floorFolder, label] of [
  ['digits', 'floor-direct', 'digits'],
  ['digits-plain', 'floor-plain', 'digits, plain one-socket clients'],
] as const) {
  const { run, file } = newest(folder);
  const first = rows.length;
  digitsRows(run, file, label);
  const ours = rows.splice(first);
  const floor = newest(floorFolder);
  digitsRows(floor.run, floor.file, label);
  const floors = rows.splice(first);
  // The allocator's prediction is tutti's: the floor has no allocator.
  ours.forEach((row, k) =>
    rows.push(row.target.includes('prediction') ? row : { ...row, floor: floors[k]!.measured, floorSource: floor.file }),
  );
}
{
  const { run, file } = newest('zoo-cnn');
  add(
    'zoo-cnn: peak, tutti / paper',
    '>= 1.0',
    perRound(run, 'paper', (t, p) => peakOf(t).requestsPerSecond / peakOf(p).requestsPerSecond),
    (v) => v >= 1.0,
    file,
  );
  add(
    'zoo-cnn: peak / compute bound',
    '>= 0.95',
    tuttiOnly(run, (t) => peakOf(t).requestsPerSecond / run.computeBound),
    (v) => v >= 0.95,
    file,
  );
  add(
    'zoo-cnn: idle p50, tutti / paper',
    '<= 1.1',
    perRound(run, 'paper', (t, p) => idleOf(t) / idleOf(p)),
    (v) => v <= 1.1,
    file,
  );
  add(
    "zoo-cnn: allocator's prediction / measured peak",
    '0.75-1.25',
    tuttiOnly(run, (t) => run.predictedRequestsPerSecond! / peakOf(t).requestsPerSecond),
    (v) => v >= 0.75 && v <= 1.25,
    file,
  );
}
{
  const file = 'docs/bench/footprint-digits.json';
  const footprint = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as {
    results: Record<string, { reportedReadySeconds: number; rssMiB: number }[]>;
  };
  const grouped = footprint.results.grouped!;
  add(
    '`tutti serve ensembles/digits`: RSS of all its processes (MB)',
    '<= 400',
    spread(grouped.map((r) => (r.rssMiB * 2 ** 20) / 1e6)),
    (v) => v <= 400,
    file,
    0,
  );
  add(
    '`tutti serve ensembles/digits`: ready (s, after planning)',
    '<= 3',
    spread(grouped.map((r) => r.reportedReadySeconds)),
    (v) => v <= 3,
    file,
    1,
  );
}

const lines = ['| target | bound | measured: median (range) | met | floor pipeline, same measure | from |', '|---|---|---|---|---|---|'];
for (const r of rows) {
  const floor = r.floor ? show(r.floor, r.digits) : '';
  lines.push(`| ${r.target} | ${r.bound} | ${show(r.measured, r.digits)} | ${r.met ? 'yes' : 'no'} | ${floor} | ${r.source} |`);
}
console.log(lines.join('\n'));
writeFileSync(join(ROOT, 'docs/bench/targets.json'), `${JSON.stringify(rows, null, 2)}\n`);
console.log('\nwrote docs/bench/targets.json');
