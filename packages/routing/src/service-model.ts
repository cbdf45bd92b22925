/**
 * What a batch of `rows` should take on one instance: its profile (measured alone, or the cost
 * model), calibrated online from the batches it really served. Calibration is per batch-size bucket
 * (powers of two) and only learns from batches served while the instance is not interfered with, so
 * a slowdown is measured against the instance's own normal speed rather than absorbed into it.
 */
import { invalidOption } from '@tutti/core';

export interface LatencyPoint {
  batch: number;
  latencyMs: number;
}

export interface ServiceModelOptions {
  /** Weight of a new measurement in a bucket's moving average (default 0.1). */
  alpha?: number;
  /** Samples a bucket needs before it overrides the profile (default 3). */
  minSamples?: number;
}

interface Bucket {
  ms: number;
  samples: number;
}

function bucketOf(rows: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, rows)));
}

/** Linear interpolation between profiled batch sizes; proportional to rows outside them. */
export function profileLatency(points: readonly LatencyPoint[], rows: number): number | undefined {
  if (points.length === 0) return undefined;
  const sorted = [...points].sort((a, b) => a.batch - b.batch);
  const exact = sorted.find((p) => p.batch === rows);
  if (exact) return exact.latencyMs;
  const above = sorted.find((p) => p.batch > rows);
  const below = [...sorted].reverse().find((p) => p.batch < rows);
  if (above && below) return below.latencyMs + ((above.latencyMs - below.latencyMs) * (rows - below.batch)) / (above.batch - below.batch);
  // Below the smallest profiled batch a batch costs at most that batch; above the largest, in proportion.
  if (above) return above.latencyMs;
  return (below!.latencyMs * rows) / below!.batch;
}

export class ServiceModel {
  #profile: LatencyPoint[];
  #alpha: number;
  #minSamples: number;
  #buckets = new Map<number, Bucket>();

  constructor(profile: readonly LatencyPoint[] = [], options: ServiceModelOptions = {}) {
    const alpha = options.alpha ?? 0.1;
    const minSamples = options.minSamples ?? 3;
    if (!(alpha > 0 && alpha <= 1)) invalidOption('alpha', alpha, 'a number in (0, 1]');
    if (!Number.isInteger(minSamples) || minSamples < 1) invalidOption('minSamples', minSamples, 'an integer >= 1');
    for (const p of profile) {
      if (!(p.batch >= 1 && p.latencyMs > 0)) invalidOption('profile', p, 'points with batch >= 1 and latencyMs > 0');
    }
    this.#profile = [...profile];
    this.#alpha = alpha;
    this.#minSamples = minSamples;
  }

  /** Expected ms for `rows`: calibrated bucket, else profile scaled by calibration, else undefined (nothing known yet). */
  expectedMs(rows: number): number | undefined {
    const bucket = bucketOf(rows);
    const own = this.#buckets.get(bucket);
    if (own && own.samples >= this.#minSamples) return (own.ms * rows) / bucket;
    const fromProfile = profileLatency(this.#profile, rows);
    if (fromProfile !== undefined) return fromProfile * this.#calibration();
    const nearest = this.#nearestBucket(bucket);
    return nearest ? (nearest[1].ms * rows) / nearest[0] : undefined;
  }

  /** Whether batches of `rows` have been measured enough to judge a slowdown against. */
  isCalibrated(rows: number): boolean {
    return (this.#buckets.get(bucketOf(rows))?.samples ?? 0) >= this.#minSamples;
  }

  /** A batch served at normal speed: moves the calibration towards it. */
  learn(rows: number, measuredMs: number): void {
    if (!(measuredMs >= 0) || rows < 1) return;
    const bucket = bucketOf(rows);
    const perBucket = (measuredMs * bucket) / rows;
    const own = this.#buckets.get(bucket);
    if (!own) this.#buckets.set(bucket, { ms: perBucket, samples: 1 });
    else {
      own.ms += this.#alpha * (perBucket - own.ms);
      own.samples++;
    }
  }

  /** Measured over profiled, across calibrated buckets (1 without a profile or measurements). */
  #calibration(): number {
    let sum = 0;
    let n = 0;
    for (const [bucket, own] of this.#buckets) {
      const profiled = profileLatency(this.#profile, bucket);
      if (own.samples < this.#minSamples || !profiled) continue;
      sum += own.ms / profiled;
      n++;
    }
    return n > 0 ? sum / n : 1;
  }

  #nearestBucket(bucket: number): [number, Bucket] | undefined {
    let best: [number, Bucket] | undefined;
    for (const entry of this.#buckets) {
      if (!best || Math.abs(Math.log2(entry[0] / bucket)) < Math.abs(Math.log2(best[0] / bucket))) best = entry;
    }
    return best;
  }
}
