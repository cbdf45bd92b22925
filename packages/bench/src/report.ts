/** The closing lines of `tutti bench`: every figure as its median over rounds with the range beside it. */
import { formatSpread, type Spread } from './rounds.js';
import type { Summary } from './figures.js';

/** Requests per second as people read them: whole numbers when large, two decimals when small (zoo-cnn: 13.75). */
export const rate = (perSecond: number) => (perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(2));

const rateSpread = (s: Spread | undefined) => (s ? formatSpread(s, s.median >= 100 ? 0 : 2) : '-');
const ms = (s: Spread | undefined) => formatSpread(s, 2);

export function summaryLines(summary: Summary, openRate: number): string[] {
  const lines: string[] = [];
  const systems = Object.entries(summary.systems);
  lines.push(`closed loop, median (min-max) of ${summary.rounds} round(s): req/s, p50 ms, p99 ms`);
  for (const [name, s] of systems) {
    for (const [load, step] of Object.entries(s.closed)) {
      lines.push(
        `  ${name.padEnd(6)} ${load.padStart(4)} in flight: ${rateSpread(step.requestsPerSecond).padStart(18)} req/s   p50 ${ms(step.p50).padStart(18)}   p99 ${ms(step.p99).padStart(20)}`,
      );
    }
  }
  lines.push('figures:');
  for (const [name, s] of systems) {
    const behind = s.openFellBehindRounds > 0 ? `  FELL BEHIND in ${s.openFellBehindRounds} round(s)` : '';
    lines.push(
      `  ${name.padEnd(6)} peak ${rateSpread(s.peak)} req/s   idle p50 ${ms(s.idleP50)} ms   open loop at ${rate(openRate)} req/s: served ${rateSpread(s.openServed)} req/s, p99 ${ms(s.openP99)} ms${behind}`,
    );
  }
  for (const [ratio, s] of Object.entries(summary.ratios)) lines.push(`  ${ratio} peak: ${formatSpread(s, 2)}x (ratio within each round)`);
  lines.push("CPU per answered request at each round's peak step, microseconds (utime + stime from /proc):");
  for (const [name, s] of systems) {
    const cpu = s.cpuAtPeakUs;
    if (!cpu) {
      lines.push(`  ${name.padEnd(6)} not measured (its process ids are not known)`);
      continue;
    }
    const parts = Object.entries(cpu.perProcess).map(([process, us]) => `${process} ${formatSpread(us, 0)}`);
    lines.push(`  ${name.padEnd(6)} total ${formatSpread(cpu.total, 0)}; busiest ${cpu.busiest}; ${parts.join(', ')}`);
  }
  return lines;
}
