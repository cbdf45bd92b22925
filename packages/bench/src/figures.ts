/**
 * The figures a bench run reports, taken from each round's raw results, and their medians and
 * spreads over the rounds. Ratios between systems are computed within a round (both measured on
 * the machine in the same state), then summarised, never as a ratio of two medians.
 */
import type { CpuPerRequest } from './cpu.js';
import { spread, type Spread } from './rounds.js';
import type { StepResult } from './run-load.js';

export interface SystemResult {
  name: string;
  closed: StepResult[];
  open?: StepResult;
  /** CPU per answered request during each closed step, by requests in flight; absent when the pids are not known. */
  cpu?: Record<number, CpuPerRequest>;
  /** Server-side means (ms) of the last closed step. */
  breakdown?: Record<string, number>;
  /** Server-side means (ms) per closed step, by requests in flight. */
  breakdowns?: Record<number, Record<string, number>>;
  /** Closed steps in which an emulated device's real compute overran its profiled time (mean lag per batch, ms). */
  emulationBehind?: { load: number; metric: string; meanLagMs: number }[];
}

export interface RoundResult {
  round: number;
  /** The order the systems ran in this round. */
  order: string[];
  results: SystemResult[];
  /** Peak req/s of the reference system over each other one's, this round: "tutti/paper". */
  ratios: Record<string, number>;
}

export interface SystemFigures {
  peak: number;
  /** Requests in flight at the peak. */
  peakLoad: number;
  closed: Record<number, { requestsPerSecond: number; p50: number; p99: number }>;
  /** p50 with one request in flight: the latency of an idle server. */
  idleP50?: number;
  openP99?: number;
  openServed?: number;
  openFellBehind?: boolean;
  cpuAtPeak?: CpuPerRequest;
}

export function figuresOf(result: SystemResult): SystemFigures {
  const peakStep = result.closed.reduce((best, s) => (s.requestsPerSecond > best.requestsPerSecond ? s : best));
  const figures: SystemFigures = {
    peak: peakStep.requestsPerSecond,
    peakLoad: peakStep.load,
    closed: Object.fromEntries(
      result.closed.map((s) => [s.load, { requestsPerSecond: s.requestsPerSecond, p50: s.latency.p50, p99: s.latency.p99 }]),
    ),
  };
  const idle = result.closed.find((s) => s.load === 1);
  if (idle) figures.idleP50 = idle.latency.p50;
  if (result.open) {
    figures.openP99 = result.open.latency.p99;
    figures.openServed = result.open.requestsPerSecond;
    figures.openFellBehind = result.open.fellBehind ?? false;
  }
  const cpu = result.cpu?.[peakStep.load];
  if (cpu) figures.cpuAtPeak = cpu;
  return figures;
}

/** `reference/other` peak ratios within one round, for every other system. */
export function peakRatios(results: readonly SystemResult[], reference: string): Record<string, number> {
  const ref = results.find((r) => r.name === reference);
  if (!ref) return {};
  const refPeak = figuresOf(ref).peak;
  return Object.fromEntries(results.filter((r) => r !== ref).map((r) => [`${reference}/${r.name}`, refPeak / figuresOf(r).peak]));
}

export interface SystemSummary {
  peak: Spread;
  closed: Record<number, { requestsPerSecond: Spread; p50: Spread; p99: Spread }>;
  idleP50?: Spread;
  openP99?: Spread;
  openServed?: Spread;
  /** Rounds in which the open-loop step fell behind the offered rate. */
  openFellBehindRounds: number;
  /** Microseconds of CPU per request at each round's peak step: in total and per process. */
  cpuAtPeakUs?: { total: Spread; perProcess: Record<string, Spread>; busiest: string };
}

export interface Summary {
  rounds: number;
  systems: Record<string, SystemSummary>;
  ratios: Record<string, Spread>;
}

const defined = <T>(values: (T | undefined)[]): T[] => values.filter((v): v is T => v !== undefined);

function summariseSystem(all: SystemFigures[]): SystemSummary {
  const of = (pick: (f: SystemFigures) => number | undefined) => spread(defined(all.map(pick)));
  const loads = [...new Set(all.flatMap((f) => Object.keys(f.closed).map(Number)))].sort((a, b) => a - b);
  const summary: SystemSummary = {
    peak: of((f) => f.peak)!,
    closed: Object.fromEntries(
      loads.map((load) => [
        load,
        {
          requestsPerSecond: of((f) => f.closed[load]?.requestsPerSecond)!,
          p50: of((f) => f.closed[load]?.p50)!,
          p99: of((f) => f.closed[load]?.p99)!,
        },
      ]),
    ),
    openFellBehindRounds: all.filter((f) => f.openFellBehind).length,
  };
  const idle = of((f) => f.idleP50);
  if (idle) summary.idleP50 = idle;
  const openP99 = of((f) => f.openP99);
  if (openP99) summary.openP99 = openP99;
  const openServed = of((f) => f.openServed);
  if (openServed) summary.openServed = openServed;
  const cpus = defined(all.map((f) => f.cpuAtPeak));
  if (cpus.length > 0) {
    const names = [...new Set(cpus.flatMap((c) => Object.keys(c.perProcessUs)))];
    const perProcess = Object.fromEntries(names.map((n) => [n, spread(defined(cpus.map((c) => c.perProcessUs[n])))!]));
    const busiest = names.reduce((best, n) => (perProcess[n]!.median > perProcess[best]!.median ? n : best), names[0] ?? '');
    summary.cpuAtPeakUs = { total: spread(cpus.map((c) => c.totalUs))!, perProcess, busiest };
  }
  return summary;
}

export function summarise(rounds: readonly RoundResult[]): Summary {
  const names = [...new Set(rounds.flatMap((r) => r.results.map((s) => s.name)))];
  const systems = Object.fromEntries(
    names.map((name) => [name, summariseSystem(defined(rounds.map((r) => r.results.find((s) => s.name === name))).map(figuresOf))]),
  );
  const ratioNames = [...new Set(rounds.flatMap((r) => Object.keys(r.ratios)))];
  const ratios = Object.fromEntries(ratioNames.map((n) => [n, spread(defined(rounds.map((r) => r.ratios[n])))!]));
  return { rounds: rounds.length, systems, ratios };
}
