/**
 * Runs one load step from several client processes at once (so the load generator is not one
 * event loop competing with itself), then merges what they saw.
 */
import { forkChild } from '@tutti/child-process';
import { TuttiError, type TensorSpec } from '@tutti/protocol';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import type { LoadConfig, LoadReport } from './load-config.js';
import { fellBehind } from './window.js';

export interface StepOptions {
  endpoint: string;
  inputs: TensorSpec[];
  rows?: number;
  mode: 'closed' | 'open';
  /** Closed loop: total requests in flight. Open loop: total requests per second. */
  load: number;
  processes?: number;
  warmupSeconds?: number;
  seconds?: number;
  seed?: number;
  timeoutMs?: number;
  /** Keep every measured request for time series (StepResult.trace). */
  trace?: boolean;
  /** false: clients with one plain socket (replies through the batcher). Default true. */
  directReplies?: boolean;
  /** Real one-row inputs to send in turn, and every request's options (see LoadConfig). */
  samples?: number[][];
  infer?: { accuracyTarget?: number; cascade?: boolean };
}

/** One measured request: t is its scheduled send time in ms from the start of measuring; latencyMs -1 for an error. */
export interface TracePoint {
  t: number;
  latencyMs: number;
}

export interface StepResult {
  mode: 'closed' | 'open';
  load: number;
  /** Requests answered within the measured window (window.ts), and their rows; the rates divide them by its length. */
  requests: number;
  rows: number;
  requestsPerSecond: number;
  rowsPerSecond: number;
  /** Requests sent (open loop: scheduled) within the window. */
  sent: number;
  /** Open loop: requests per second actually offered (sent / seconds), which Poisson lets differ from `load` by a few per cent. */
  offeredPerSecond?: number;
  /** Requests in flight at the start and at the end of the window, summed over the client processes. */
  backlog: { start: number; end: number };
  /** Open loop: the server answered under 95% of what was sent, or its backlog grew (window.ts). */
  fellBehind?: boolean;
  /** Every request answered during the step, warm-up and drain included: the divisor for CPU per request. */
  answeredAll: number;
  /** Closed loop: the requests answered within the window. Open loop: every request scheduled in it, however late its answer. */
  latency: LatencySummary;
  errors: Record<string, number>;
  /** With `trace`: every measured request of every process, sorted by t. */
  trace?: TracePoint[];
  /** With `trace`: wall-clock time (epoch ms) of t = 0, to place outside events (a competing job) on the same axis. */
  traceStart?: number;
}

const ENTRY = new URL('./load-process.ts', import.meta.url);

function runProcess(config: LoadConfig): Promise<LoadReport> {
  return new Promise((resolve, reject) => {
    const child = forkChild(ENTRY, config);
    let report: LoadReport | undefined;
    child.on('message', (message: LoadReport) => (report = message));
    child.on('exit', (code) =>
      report ? resolve(report) : reject(new TuttiError('PROCESS_FAILED', `load process exited with code ${code} and no report`)),
    );
  });
}

/** Splits a total into `parts` shares that differ by at most one (closed) or are equal (open). */
export function shares(total: number, parts: number, whole: boolean): number[] {
  if (!whole) return Array.from({ length: parts }, () => total / parts);
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0)).filter((n) => n > 0);
}

export async function runStep(options: StepOptions): Promise<StepResult> {
  const processes = Math.max(1, Math.min(options.processes ?? 2, options.mode === 'closed' ? options.load : Infinity));
  const rows = options.rows ?? 1;
  const seconds = options.seconds ?? 5;
  const reports = await Promise.all(
    shares(options.load, processes, options.mode === 'closed').map((share, i) =>
      runProcess({
        endpoint: options.endpoint,
        mode: options.mode,
        concurrency: options.mode === 'closed' ? share : 0,
        rate: options.mode === 'open' ? share : 0,
        warmupSeconds: options.warmupSeconds ?? 1,
        seconds,
        seed: (options.seed ?? 1) * 1000 + i,
        ...(options.directReplies === false && { directReplies: false }),
        inputs: options.inputs,
        rows,
        timeoutMs: options.timeoutMs ?? 30_000,
        ...(options.trace && { trace: true }),
        ...(options.samples && { samples: options.samples }),
        ...(options.infer && { infer: options.infer }),
      }),
    ),
  );
  const latency = new LatencyRecorder();
  const errors: Record<string, number> = {};
  let requests = 0;
  let sent = 0;
  let answeredAll = 0;
  const backlog = { start: 0, end: 0 };
  for (const report of reports) {
    latency.merge(LatencyRecorder.decode(report.histogram));
    requests += report.requests;
    sent += report.sent;
    answeredAll += report.answeredAll;
    backlog.start += report.backlog.start;
    backlog.end += report.backlog.end;
    for (const [code, n] of Object.entries(report.errors)) errors[code] = (errors[code] ?? 0) + n;
  }
  const result: StepResult = {
    mode: options.mode,
    load: options.load,
    requests,
    rows: requests * rows,
    requestsPerSecond: requests / seconds,
    rowsPerSecond: (requests * rows) / seconds,
    sent,
    backlog,
    answeredAll,
    latency: latency.summary(),
    errors,
  };
  if (options.mode === 'open') {
    result.offeredPerSecond = sent / seconds;
    result.fellBehind = fellBehind({ sent, answered: requests, backlog });
  }
  if (options.trace) Object.assign(result, mergeTraces(reports));
  return result;
}

/**
 * The processes are forked together but start measuring a few ms apart (each loads tsx on its own),
 * so each trace is shifted by its process's wall-clock start relative to the earliest one.
 */
export function mergeTraces(reports: Pick<LoadReport, 'trace' | 'traceStart'>[]): { trace: TracePoint[]; traceStart: number } {
  const traced = reports.filter((r) => r.trace && r.traceStart !== undefined);
  const traceStart = Math.min(...traced.map((r) => r.traceStart!));
  const trace: TracePoint[] = [];
  for (const report of traced) {
    const shift = report.traceStart! - traceStart;
    const flat = report.trace!;
    for (let i = 0; i + 1 < flat.length; i += 2) trace.push({ t: flat[i]! + shift, latencyMs: flat[i + 1]! });
  }
  trace.sort((a, b) => a.t - b.t);
  return { trace, traceStart };
}
