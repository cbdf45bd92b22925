/** Timing repeated runs: a warm-up, then enough runs for a stable median, within bounds. */

export interface RunLimits {
  /** At least this many timed runs (default 5)... */
  minRuns: number;
  /** ...and at least this long in timed runs, in ms (default 300). */
  minMs: number;
  /** Never more timed runs than this: bounds very fast models (default 20000). */
  maxRuns: number;
  /** Stop past this many ms once 3 runs are in, even below minRuns: bounds very slow models (default 10 s). */
  maxMs: number;
}

export const DEFAULT_RUN_LIMITS: RunLimits = { minRuns: 5, minMs: 300, maxRuns: 20_000, maxMs: 10_000 };

/** Warm-up: the first runs allocate buffers and fault pages in; a few tens of ms settles them. */
const WARM_UP_MS = 30;
const WARM_UP_MAX_RUNS = 200;
const RUNS_BEFORE_TIME_CAP = 3;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface Timed {
  /** Median latency of one run, ms. */
  medianMs: number;
  runs: number;
}

/** Runs `run` after a warm-up until the limits are met; the median of the timed runs. */
export async function timeRuns(run: () => Promise<unknown>, limits: RunLimits = DEFAULT_RUN_LIMITS): Promise<Timed> {
  const warmUpStart = performance.now();
  for (let runs = 0; runs < WARM_UP_MAX_RUNS; runs++) {
    await run();
    if (performance.now() - warmUpStart >= WARM_UP_MS) break;
  }
  const times: number[] = [];
  const start = performance.now();
  for (;;) {
    const before = performance.now();
    await run();
    const after = performance.now();
    times.push(after - before);
    const elapsed = after - start;
    if (times.length >= limits.minRuns && elapsed >= limits.minMs) break;
    if (times.length >= limits.maxRuns) break;
    if (elapsed >= limits.maxMs && times.length >= RUNS_BEFORE_TIME_CAP) break;
  }
  return { medianMs: median(times), runs: times.length };
}
