/**
 * A closed-loop load: `concurrency` requests always in flight, spread over several client sockets,
 * for a fixed time after a warm-up. Counts rows (a request may carry several) and errors by code;
 * latencies go to an HDR histogram.
 */
import * as hdr from 'hdr-histogram-js';
import { TuttiClient, type TensorInput } from '@tutti/client';

export interface ClosedLoopOptions {
  concurrency: number;
  sockets?: number;
  warmupSeconds: number;
  seconds: number;
  timeoutMs?: number;
}

export interface ClosedLoopResult {
  seconds: number;
  requests: number;
  rows: number;
  rowsPerSecond: number;
  errors: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Mean rows per server batch, from the replies' batch sizes. */
  meanBatchRows: number;
}

export async function closedLoop(endpoint: string, makeInput: (n: number) => Record<string, TensorInput>, options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const clients = Array.from({ length: options.sockets ?? Math.min(8, options.concurrency) }, () => new TuttiClient(endpoint, { timeoutMs: options.timeoutMs ?? 60_000 }));
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  const errors: Record<string, number> = {};
  let measuring = false;
  let requests = 0;
  let rows = 0;
  let batchRows = 0;
  let n = 0;
  const warmupEnd = performance.now() + options.warmupSeconds * 1000;
  const end = warmupEnd + options.seconds * 1000;
  let measureStart = 0;
  const lane = async (client: TuttiClient) => {
    while (performance.now() < end) {
      const input = makeInput(n++);
      const sent = performance.now();
      try {
        const result = await client.infer(input);
        if (!measuring && performance.now() >= warmupEnd) {
          measuring = true;
          measureStart = performance.now();
        }
        if (measuring && sent >= measureStart) {
          histogram.recordValue(Math.max(1, Math.round((performance.now() - sent) * 1000)));
          requests++;
          const resultRows = Object.values(result.outputs)[0]!.shape[0]!;
          rows += resultRows;
          batchRows += result.batch?.size ?? resultRows;
        }
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'ERROR';
        if (measuring) errors[code] = (errors[code] ?? 0) + 1;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, i) => lane(clients[i % clients.length]!)));
  } finally {
    for (const client of clients) client.close();
  }
  const seconds = (performance.now() - measureStart) / 1000;
  const at = (q: number) => histogram.getValueAtPercentile(q) / 1000;
  return {
    seconds,
    requests,
    rows,
    rowsPerSecond: rows / seconds,
    errors,
    latencyMs: { p50: at(50), p90: at(90), p99: at(99), max: histogram.maxValue / 1000 },
    meanBatchRows: requests ? batchRows / requests : 0,
  };
}
