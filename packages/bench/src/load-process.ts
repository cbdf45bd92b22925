/**
 * One load-generating client process: a real TuttiClient over the real protocol, in a closed loop
 * (a fixed number of requests always in flight) or an open loop (Poisson arrivals, latency from the
 * scheduled send time). Counts what is answered within the measured window (window.ts) and reports
 * to its parent.
 */
import { childConfig } from '@tutti/child-process';
import { TuttiClient, type TensorInput } from '@tutti/client';
import { datatypeInfo, type TensorSpec } from '@tutti/protocol';
import { LatencyRecorder } from './latency.js';
import type { LoadConfig, LoadReport } from './load-config.js';
import { poissonSchedule, seededRandom } from './poisson.js';
import { WindowTally } from './window.js';

const config = await childConfig<LoadConfig>();

/** Random but finite inputs of the right shape and type: the server's work does not depend on the values. */
function inputsOf(specs: TensorSpec[], rows: number, seed: number): Record<string, TensorInput> {
  const random = seededRandom(seed);
  return Object.fromEntries(
    specs.map((spec) => {
      const shape = [rows, ...spec.shape.slice(1).map((d) => Math.max(1, d))];
      const count = shape.reduce((a, b) => a * b, 1);
      const Array_ = datatypeInfo(spec.datatype).array!;
      const big = spec.datatype === 'INT64' || spec.datatype === 'UINT64';
      const data = new Array_(count);
      for (let i = 0; i < count; i++) (data as unknown as (number | bigint)[])[i] = big ? BigInt(Math.floor(random() * 10)) : random();
      return [spec.name, { data, shape, datatype: spec.datatype }];
    }),
  );
}

async function main(): Promise<LoadReport> {
  const client = new TuttiClient(config.endpoint, { timeoutMs: config.timeoutMs, directReplies: config.directReplies !== false });
  const inputs = inputsOf(config.inputs, config.rows, config.seed);
  const first = config.inputs[0]!;
  const samples = config.samples?.map((values) => ({
    [first.name]: { data: Float32Array.from(values), shape: [1, ...first.shape.slice(1)], datatype: first.datatype },
  }));
  let nextSample = config.seed % 997;
  const next = () => (samples ? samples[nextSample++ % samples.length]! : inputs);
  const latency = new LatencyRecorder();
  const errors: Record<string, number> = {};
  const trace: number[] | undefined = config.trace ? [] : undefined;
  // Microseconds are plenty and keep the JSON short.
  const micro = (ms: number) => Math.round(ms * 1000) / 1000;
  const start = performance.now();
  const measureFrom = start + config.warmupSeconds * 1000;
  const end = measureFrom + config.seconds * 1000;
  const tally = new WindowTally(measureFrom, end);
  // Which requests' latencies count: a closed loop's are those answered within the window (the same
  // requests its throughput counts); an open loop's are every one scheduled within it, however late
  // the answer, so a server that falls behind cannot hide the queue it builds.
  const latencyCounts = (scheduledAt: number, inWindow: boolean) =>
    config.mode === 'closed' ? inWindow : scheduledAt >= measureFrom && scheduledAt < end;
  const send = async (scheduledAt: number) => {
    tally.send(scheduledAt);
    try {
      await client.infer(next(), config.infer ?? {});
      const now = performance.now();
      const inWindow = tally.finish(now, true);
      if (latencyCounts(scheduledAt, inWindow)) latency.record(now - scheduledAt);
      if (scheduledAt >= measureFrom && scheduledAt < end) {
        // An open-loop send may go out up to ~1 ms before its due time (timer granularity), so a fast
        // answer can come back "before" it; clamp as the histogram does, keeping -1 for errors only.
        trace?.push(micro(scheduledAt - measureFrom), micro(Math.max(0, now - scheduledAt)));
      }
    } catch (error) {
      tally.finish(performance.now(), false);
      if (scheduledAt < measureFrom) return;
      trace?.push(micro(scheduledAt - measureFrom), -1);
      const code = /no reply from/.test((error as Error).message) ? 'NO_REPLY' : ((error as { code?: string }).code ?? 'ERROR');
      errors[code] = (errors[code] ?? 0) + 1;
    }
  };
  if (config.mode === 'closed') {
    const lane = async () => {
      while (performance.now() < end) await send(performance.now());
    };
    await Promise.all(Array.from({ length: config.concurrency }, lane));
  } else {
    const schedule = poissonSchedule(config.rate, config.warmupSeconds + config.seconds, config.seed);
    const inFlight: Promise<void>[] = [];
    for (const offset of schedule) {
      const due = start + offset;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      inFlight.push(send(due));
    }
    await Promise.all(inFlight);
  }
  client.close();
  const report: LoadReport = {
    type: 'result',
    requests: tally.answered,
    rows: tally.answered * config.rows,
    sent: tally.sent,
    backlog: tally.backlog(),
    answeredAll: tally.answeredAll,
    errors,
    histogram: latency.encode(),
    seconds: config.seconds,
  };
  if (trace) {
    report.trace = trace;
    report.traceStart = performance.timeOrigin + measureFrom;
  }
  return report;
}

main().then(
  (report) => process.send!(report, () => process.exit(0)),
  (error: unknown) => {
    console.error(`load process failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
