/**
 * Latency recording with an HDR histogram (microsecond resolution, 3 significant digits), encodable
 * so each client process sends its histogram to the runner, which merges them exactly.
 */
import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export class LatencyRecorder {
  #histogram: hdr.Histogram;

  constructor(histogram?: hdr.Histogram) {
    this.#histogram =
      histogram ?? hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  }

  /** Records one latency given in milliseconds. */
  record(ms: number): void {
    this.#histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** Empties it, so one ~100 kB histogram can be reused (e.g. per time bucket) instead of allocating many. */
  reset(): void {
    this.#histogram.reset();
  }

  get count(): number {
    return this.#histogram.totalCount;
  }

  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.#histogram);
  }

  static decode(encoded: string): LatencyRecorder {
    return new LatencyRecorder(hdr.decodeFromCompressedBase64(encoded, 32, false));
  }

  merge(other: LatencyRecorder): void {
    this.#histogram.add(other.#histogram);
  }

  /** Percentiles in milliseconds. */
  summary(): LatencySummary {
    const h = this.#histogram;
    const at = (q: number) => (h.totalCount ? h.getValueAtPercentile(q) / 1000 : 0);
    return {
      count: h.totalCount,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      max: h.totalCount ? h.maxValue / 1000 : 0,
      mean: h.totalCount ? h.mean / 1000 : 0,
    };
  }
}
