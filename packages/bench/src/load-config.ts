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
  /** false: one plain socket, replies through the batcher, as a REQ client in another language (default true: direct replies). */
  directReplies?: boolean;
  /** Also report every measured request (for time series); off by default since it grows with the run. */
  trace?: boolean;
  /** Real one-row inputs of the first input, flattened, sent in turn (default: random values, which the work of most ensembles does not depend on; a cascade's does). */
  samples?: number[][];
  /** Options of every request (a cascade's accuracy target, or cascade: false). */
  infer?: { accuracyTarget?: number; cascade?: boolean };
}

/** What it reports when done. */
export interface LoadReport {
  type: 'result';
  /** Requests answered within the measured window, and their rows. */
  requests: number;
  rows: number;
  /** Requests sent (open loop: scheduled) within the window. */
  sent: number;
  /** Requests in flight at the start and at the end of the window. */
  backlog: { start: number; end: number };
  /** Every request answered, warm-up and drain included. */
  answeredAll: number;
  errors: Record<string, number>;
  /** Encoded HDR histogram of latencies (LatencyRecorder.encode). */
  histogram: string;
  seconds: number;
  /**
   * With `trace`: flat pairs [sendOffsetMs, latencyMs], one per request scheduled after the warm-up,
   * latency -1 for an error; offsets from this process's end of warm-up. Flat numbers, not objects,
   * keep the IPC message small at thousands of requests per second.
   */
  trace?: number[];
  /** With `trace`: wall-clock time (epoch ms) of the end of warm-up, so the runner can align processes. */
  traceStart?: number;
}
