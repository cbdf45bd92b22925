/**
 * A closed-loop load: `concurrency` requests always in flight, spread over several client sockets,
 * for a fixed time after a warm-up. Counts the requests and rows (a request may carry several)
 * answered within the measured window and divides by the window's length (WindowTally), not by the
 * time until every lane drained, which would add a last round trip to the denominator and not to
 * the count. Errors by code; latencies of the counted requests go to an HDR histogram.
 */
import * as hdr from 'hdr-histogram-js';
import { WindowTally } from '@tutti/bench';
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

export async function closedLoop(
  endpoint: string,
  makeInput: (n: number) => Record<string, TensorInput>,
  options: ClosedLoopOptions,
): Promise<ClosedLoopResult> {
  const clients = Array.from(
    { length: options.sockets ?? Math.min(8, options.concurrency) },
    () => new TuttiClient(endpoint, { timeoutMs: options.timeoutMs ?? 60_000 }),
  );
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  const errors: Record<string, number> = {};
  let rows = 0;
  let batchRows = 0;
  let n = 0;
  const warmupEnd = performance.now() + options.warmupSeconds * 1000;
  const end = warmupEnd + options.seconds * 1000;
  const tally = new WindowTally(warmupEnd, end);
  const lane = async (client: TuttiClient) => {
    while (performance.now() < end) {
      const input = makeInput(n++);
      const sent = performance.now();
      tally.send(sent);
      try {
        const result = await client.infer(input);
        const answered = performance.now();
        if (tally.finish(answered, true)) {
          histogram.recordValue(Math.max(1, Math.round((answered - sent) * 1000)));
          const resultRows = Object.values(result.outputs)[0]!.shape[0]!;
          rows += resultRows;
          batchRows += result.batch?.size ?? resultRows;
        }
      } catch (error) {
        const failed = performance.now();
        tally.finish(failed, false);
        const code = (error as { code?: string }).code ?? 'ERROR';
        if (failed >= warmupEnd && failed < end) errors[code] = (errors[code] ?? 0) + 1;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, i) => lane(clients[i % clients.length]!)));
  } finally {
    for (const client of clients) client.close();
  }
  const seconds = options.seconds;
  const requests = tally.answered;
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
