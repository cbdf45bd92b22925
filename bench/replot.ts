/**
 * Draws a `tutti bench` result's plot again from its committed JSON (throughput against p99, the
 * medians over rounds, one line per system), next to it, with the current plotting code.
 *
 *   npx tsx bench/replot.ts docs/bench/runs/digits/digits-....json [more.json ...]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { throughputLatencySvg } from '@tutti/bench';

interface Figure {
  median: number;
}
interface Saved {
  ensemble: string;
  hardware: string;
  computeBound?: number;
  settings: { rounds: number };
  summary: {
    systems: Record<string, { closed: Record<string, { requestsPerSecond: Figure; p99: Figure }>; openServed?: Figure; openP99?: Figure }>;
  };
}

for (const file of process.argv.slice(2)) {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Saved;
  const series = Object.entries(saved.summary.systems).map(([name, s]) => ({
    name,
    points: Object.values(s.closed).map((c) => ({ throughput: c.requestsPerSecond.median, p99: c.p99.median })),
    ...(s.openServed && s.openP99 && { open: { throughput: s.openServed.median, p99: s.openP99.median } }),
  }));
  const out = file.replace(/\.json$/, '.svg');
  writeFileSync(
    out,
    throughputLatencySvg(
      `${saved.ensemble}: throughput against p99, medians of ${saved.settings.rounds} round(s) (${saved.hardware})`,
      series,
      saved.computeBound,
    ),
  );
  console.log(`wrote ${out}`);
}
