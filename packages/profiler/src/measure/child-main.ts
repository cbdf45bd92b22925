/**
 * A measuring child process, forked per member so that its memory figure is that of a fresh process
 * holding one session, and so the caller's heap and threads stay out of the timings. Reports each
 * figure as soon as it has it (see messages.ts), then exits.
 */
import { ModelSession } from '@tutti/runtime';
import type { ChildMessage, MeasureRequest } from './messages.js';
import { randomInputs } from './random-inputs.js';
import { timeRuns } from './timing.js';

const request = JSON.parse(process.argv[2] ?? '{}') as MeasureRequest;

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

async function measureMemory(): Promise<void> {
  const baselineRssBytes = settledRss();
  const session = await ModelSession.load(request.modelPath, { intraOpThreads: 1 });
  await session.run(randomInputs(request.inputs, Math.max(...request.batchSizes)));
  const loadedRssBytes = settledRss();
  await session.close();
  await send({ type: 'memory', baselineRssBytes, loadedRssBytes });
}

async function measureLatencies(): Promise<void> {
  for (const threads of request.threadOptions) {
    const session = await ModelSession.load(request.modelPath, { intraOpThreads: threads });
    for (const batch of request.batchSizes) {
      const inputs = randomInputs(request.inputs, batch);
      const timed = await timeRuns(() => session.run(inputs), request.limits);
      await send({ type: 'point', point: { batch, threads, latencyMs: Number(timed.medianMs.toFixed(4)) }, runs: timed.runs });
    }
    await session.close();
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
