import type { TensorSpec } from '@tutti/protocol';

/** What one load-generating client process does (passed as JSON in argv). */
export interface LoadConfig {
  endpoint: string;
  mode: 'closed' | 'open';
  /** Closed loop: requests always in flight from this process. */
  concurrency: number;
  /** Open loop: requests per second from this process (Poisson arrivals). */
  rate: number;
  warmupSeconds: number;
  seconds: number;
  seed: number;
  inputs: TensorSpec[];
  /** Rows (samples) per request. */
  rows: number;
  timeoutMs: number;
}

/** What it reports when done. */
export interface LoadReport {
  type: 'result';
  requests: number;
  rows: number;
  errors: Record<string, number>;
  /** Encoded HDR histogram of latencies (LatencyRecorder.encode). */
  histogram: string;
  seconds: number;
}
