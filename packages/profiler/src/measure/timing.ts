/**
 * Timing repeated runs. A point's runs are split into rounds spread over the whole measurement of
 * its thread count, and its latency is the lowest of the rounds' medians: a burst of work from
 * another process (a test suite, a build) then spoils one round rather than the figure, while a
 * median within each round still ignores single slow runs.
 */

export interface RunLimits {
  /** At least this many timed runs per point, over all rounds (default 5)... */
  minRuns: number;
  /** ...and at least this long in timed runs, in ms (default 300). */
  minMs: number;
  /** Never more timed runs than this per point: bounds very fast models (default 20000). */
  maxRuns: number;
  /** Past this many ms a round stops after its first run, even below minRuns: bounds very slow models (default 10 s). */
  maxMs: number;
  /** Rounds per point (default 3). */
  rounds: number;
}

export const DEFAULT_RUN_LIMITS: RunLimits = { minRuns: 5, minMs: 300, maxRuns: 20_000, maxMs: 10_000, rounds: 3 };

/** Warm-up: the first runs allocate buffers and fault pages in; a few tens of ms settles them. */
const WARM_UP_MS = 30;
const WARM_UP_MAX_RUNS = 200;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One round's share of a point's limits. */
export function roundLimits(limits: RunLimits): RunLimits {
  const rounds = Math.max(1, Math.floor(limits.rounds));
  return {
    minRuns: Math.ceil(limits.minRuns / rounds),
    minMs: limits.minMs / rounds,
    maxRuns: Math.max(1, Math.ceil(limits.maxRuns / rounds)),
    maxMs: limits.maxMs / rounds,
    rounds: 1,
  };
}

export interface Timed {
  /** Median latency of one run, ms. */
  medianMs: number;
  runs: number;
}

async function warmUp(run: () => Promise<unknown>): Promise<void> {
  const start = performance.now();
  for (let runs = 0; runs < WARM_UP_MAX_RUNS; runs++) {
    await run();
    if (performance.now() - start >= WARM_UP_MS) break;
  }
}

/** Runs `run` (after a warm-up when asked) until the limits are met; the median of the timed runs. */
export async function timeRuns(run: () => Promise<unknown>, limits: RunLimits, options: { warmUp: boolean }): Promise<Timed> {
  if (options.warmUp) await warmUp(run);
  const times: number[] = [];
  const start = performance.now();
  for (;;) {
    const before = performance.now();
    await run();
    const after = performance.now();
    times.push(after - before);
    const elapsed = after - start;
    if (times.length >= limits.minRuns && elapsed >= limits.minMs) break;
    if (times.length >= limits.maxRuns || elapsed >= limits.maxMs) break;
  }
  return { medianMs: median(times), runs: times.length };
}
