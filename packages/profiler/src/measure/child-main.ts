/**
 * A measuring child process, forked per member so that its memory figure is that of a fresh process
 * holding one session, and so the caller's heap and threads stay out of the timings. Reports each
 * figure as soon as it has it (see messages.ts), then exits.
 */
import { childConfig } from '@tutti/child-process';
import type { ProfilePoint } from '@tutti/allocator';
import { ModelSession } from '@tutti/runtime';
import type { ChildMessage, MeasureRequest } from './messages.js';
import { firstRows, randomInputs } from './random-inputs.js';
import { roundLimits, timeRuns } from './timing.js';

const request = await childConfig<MeasureRequest>();

// The parent went away: nobody will read what follows.
process.on('disconnect', () => process.exit(1));

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));
}

/** Forked with --expose-gc: collecting first keeps garbage out of the baseline and the loaded figure. */
function settledRss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage.rss();
}

// On a GPU the CUDA provider runs the session; if it does not load, the session fails with the fix (never the CPU).
const device = request.gpu === undefined ? undefined : { kind: 'gpu' as const, index: request.gpu };

async function measureMemory(): Promise<void> {
  const baselineRssBytes = settledRss();
  const session = await ModelSession.load(request.modelPath, { intraOpThreads: 1, ...(device && { device }) });
  await session.run(randomInputs(request.inputs, Math.max(...request.batchSizes)));
  const loadedRssBytes = settledRss();
  await session.close();
  await send({ type: 'memory', baselineRssBytes, loadedRssBytes });
}

/** Every (threads, batch) point once per round, so each point's rounds are spread over the whole measurement. */
async function measureLatencies(): Promise<void> {
  const sessions: { threads: number; session: ModelSession }[] = [];
  for (const threads of request.threadOptions)
    sessions.push({ threads, session: await ModelSession.load(request.modelPath, { intraOpThreads: threads, ...(device && { device }) }) });
  const inputs = randomInputs(request.inputs, Math.max(...request.batchSizes));
  const perRound = roundLimits(request.limits);
  const rounds = Math.max(1, Math.floor(request.limits.rounds));
  const roundMedians = new Map<string, number[]>();
  const total = rounds * sessions.length * request.batchSizes.length;
  let done = 0;
  for (let round = 0; round < rounds; round++) {
    for (const { threads, session } of sessions) {
      for (const batch of request.batchSizes) {
        const batchInputs = firstRows(inputs, batch);
        const timed = await timeRuns(() => session.run(batchInputs), perRound, { warmUp: round === 0 });
        const key = `${threads}/${batch}`;
        roundMedians.set(key, [...(roundMedians.get(key) ?? []), timed.medianMs]);
        await send({ type: 'progress', batch, threads, roundMedianMs: timed.medianMs, done: ++done, total });
      }
    }
  }
  for (const { threads, session } of sessions) {
    await session.close();
    for (const batch of request.batchSizes) {
      const point: ProfilePoint = { batch, threads, latencyMs: Number(Math.min(...roundMedians.get(`${threads}/${batch}`)!).toFixed(4)) };
      await send({ type: 'point', point });
    }
  }
}

try {
  await measureMemory();
  await measureLatencies();
  await send({ type: 'done' });
  process.exit(0);
} catch (error) {
  await send({ type: 'failed', error: (error as Error).message }).catch(() => {});
  process.exit(1);
}
