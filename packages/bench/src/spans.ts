/**
 * Where one idle request's time goes, from the marks the server's processes keep under TUTTI_SPANS
 * (packages/server/src/shared/spans.ts) and the client's own send and answer times. Requests must be sent
 * one after another (one in flight), so every server mark between a request's send and its answer
 * belongs to it. Pure: parsing and arithmetic only.
 */
import { LatencyRecorder } from './latency.js';

export interface Mark {
  /** ms since the epoch, sub-ms precision. */
  t: number;
  step: string;
  /** The process that made the mark. */
  pid: number;
}

/** Marks from one process's spans file (lines "t step key"). */
export function parseMarks(text: string, pid: number): Mark[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [t, step] = line.split(' ');
      return { t: Number(t), step: step!, pid };
    });
}

/** The steps of the path, in order, and how each is measured. */
export const STEPS = [
  'client -> batcher',
  'in the batcher',
  'batcher -> first worker',
  'all workers started',
  'compute (slowest worker)',
  'last result -> combiner',
  'in the combiner',
  'combiner -> client',
] as const;
export type Step = (typeof STEPS)[number];

/** One request's time per step (ms), or undefined when a mark is missing (e.g. a heartbeat-only window). */
export function stepsOf(
  sentAt: number,
  answeredAt: number,
  marks: readonly Mark[],
  members: number,
): Record<Step | 'total', number> | undefined {
  const inside = marks.filter((m) => m.t >= sentAt && m.t <= answeredAt);
  const at = (step: string) => inside.filter((m) => m.step === step);
  const received = at('batcher.received')[0];
  const dispatched = at('batcher.dispatched')[0];
  const started = at('worker.received');
  const computed = at('worker.computed');
  const sent = at('worker.sent');
  const results = at('combiner.result');
  const replied = at('combiner.replied')[0];
  if (
    !received ||
    !dispatched ||
    !replied ||
    started.length !== members ||
    computed.length !== members ||
    sent.length !== members ||
    results.length !== members
  )
    return undefined;
  const first = Math.min(...started.map((m) => m.t));
  const last = Math.max(...started.map((m) => m.t));
  const compute = Math.max(...started.map((start) => computed.find((m) => m.pid === start.pid)!.t - start.t));
  const lastSent = Math.max(...sent.map((m) => m.t));
  const lastResult = Math.max(...results.map((m) => m.t));
  return {
    'client -> batcher': received.t - sentAt,
    'in the batcher': dispatched.t - received.t,
    'batcher -> first worker': first - dispatched.t,
    'all workers started': last - first,
    'compute (slowest worker)': compute,
    'last result -> combiner': lastResult - lastSent,
    'in the combiner': replied.t - lastResult,
    'combiner -> client': answeredAt - replied.t,
    total: answeredAt - sentAt,
  };
}

/** p50 and p90 (ms, 1 us resolution) of each step over many requests. */
export function summariseSteps(requests: readonly Record<Step | 'total', number>[]): Record<Step | 'total', { p50: number; p90: number }> {
  const keys = [...STEPS, 'total'] as const;
  return Object.fromEntries(
    keys.map((key) => {
      const recorder = new LatencyRecorder();
      for (const request of requests) recorder.record(request[key]);
      const { p50, p90 } = recorder.summary();
      return [key, { p50, p90 }];
    }),
  ) as Record<Step | 'total', { p50: number; p90: number }>;
}
