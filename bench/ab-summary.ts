/**
 * Summarises an A/B folder written by bench/ab-servers.sh (OUTDIR/<checkout>-r<round>/<run>.json):
 * per checkout, the median and range over rounds of idle p50, closed-loop req/s at 64 and 256 in
 * flight, the open-loop p99 at half the peak, and (when the run read the servers' pids) server CPU per
 * request at 256 in flight, in all and in the busiest process.
 *
 *   npx tsx bench/ab-summary.ts OUTDIR
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Closed {
  load: number;
  requestsPerSecond: number;
  latency: { p50: number };
}
interface Cpu {
  totalUs: number;
  perProcessUs: Record<string, number>;
}
interface Run {
  rounds: {
    results: { closed: Closed[]; open: { latency: { p99: number } } | { latency: { p99: number } }[]; cpu?: Record<string, Cpu> }[];
  }[];
}

const folder = process.argv[2];
if (!folder) throw new Error('usage: npx tsx bench/ab-summary.ts OUTDIR');
const figures = new Map<string, Record<string, number[]>>();
for (const dir of readdirSync(folder, { withFileTypes: true }).filter((d) => d.isDirectory())) {
  const checkout = dir.name.replace(/-r\d+$/, '');
  for (const file of readdirSync(join(folder, dir.name)).filter((f) => f.endsWith('.json'))) {
    const run = JSON.parse(readFileSync(join(folder, dir.name, file), 'utf8')) as Run;
    const result = run.rounds[0]!.results[0]!;
    const closed = new Map(result.closed.map((c) => [c.load, c]));
    const open = Array.isArray(result.open) ? result.open[0]! : result.open;
    const row = figures.get(checkout) ?? {};
    const add = (name: string, value: number | undefined) => value !== undefined && (row[name] ??= []).push(value);
    add('idle p50 ms', closed.get(1)?.latency.p50);
    add('req/s at 64', closed.get(64)?.requestsPerSecond);
    add('req/s at 256', closed.get(256)?.requestsPerSecond);
    add('open p99 ms', open.latency.p99);
    const cpu = result.cpu?.['256'];
    add('cpu us/req at 256', cpu?.totalUs);
    add('busiest us/req', cpu && Math.max(...Object.values(cpu.perProcessUs)));
    figures.set(checkout, row);
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
for (const [checkout, row] of [...figures].sort()) {
  const cells = Object.entries(row).map(([name, xs]) => `${name} ${fmt(median(xs))} (${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))})`);
  console.log(`${checkout.padEnd(14)} ${cells.join('   ')}   rounds ${Object.values(row)[0]?.length ?? 0}`);
}
