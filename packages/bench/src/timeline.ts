/**
 * Per-request traces cut into time buckets: throughput and latency percentiles over the run, to see
 * how a system reacts while something else happens (a competing job, a member slowing down).
 */
import { LatencyRecorder } from './latency.js';
import type { TracePoint } from './run-load.js';

export interface TimelineBucket {
  /** Bucket start, seconds from the start of measuring. */
  t0: number;
  /** Requests that succeeded, per second. */
  completed: number;
  /** Requests that failed (count in the bucket, not a rate). */
  errors: number;
  /** Latency percentiles in ms over the bucket's successful requests; null when there were none. */
  p50: number | null;
  p99: number | null;
}

/**
 * Buckets `trace` by scheduled send time (not completion time), so a slow request counts against
 * the moment the load was offered; buckets cover [0, seconds) and points outside are ignored.
 * The last bucket may be shorter than bucketMs; its rate is over its own length.
 */
export function timeline(trace: readonly TracePoint[], bucketMs: number, seconds: number): TimelineBucket[] {
  if (!(bucketMs > 0) || !(seconds > 0)) throw new RangeError('timeline: bucketMs and seconds must be positive');
  const totalMs = seconds * 1000;
  const count = Math.ceil(totalMs / bucketMs);
  const latencies: number[][] = Array.from({ length: count }, () => []);
  const errors = new Array<number>(count).fill(0);
  for (const { t, latencyMs } of trace) {
    if (!(t >= 0 && t < totalMs)) continue;
    const i = Math.floor(t / bucketMs);
    if (latencyMs < 0) errors[i]!++;
    else latencies[i]!.push(latencyMs);
  }
  // One histogram reused across buckets: the same HDR percentiles as the step summary, without a
  // ~100 kB allocation per bucket.
  const recorder = new LatencyRecorder();
  return latencies.map((values, i) => {
    const t0Ms = i * bucketMs;
    const widthSeconds = Math.min(bucketMs, totalMs - t0Ms) / 1000;
    recorder.reset();
    for (const v of values) recorder.record(v);
    const summary = values.length ? recorder.summary() : undefined;
    return {
      t0: t0Ms / 1000,
      completed: values.length / widthSeconds,
      errors: errors[i]!,
      p50: summary ? summary.p50 : null,
      p99: summary ? summary.p99 : null,
    };
  });
}
