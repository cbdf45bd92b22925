/**
 * The thread that owns a worker's onnxruntime sessions that compute for long. `session.run()` blocks
 * its JS thread for the whole inference, so they live here and the worker's main thread stays free to
 * move messages. A process hosting several such members (a grouped layout) gives them one thread:
 * each batch crosses to it once, not once per member, and they compute one after another, as the
 * layout plans.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ModelSession, type SessionSettings } from '@tutti/runtime';
import type { TensorSpec, WireTensor } from '@tutti/protocol';
import { runInChunks, warmupInputs } from './batch-run.js';

export interface InferenceThreadData {
  path: string;
  settings: Partial<SessionSettings>;
  inputs: TensorSpec[];
  /** The instance's batch size: larger batches are run in chunks of at most this many rows. */
  maxRows: number;
}

export type ThreadComputed = { outputs: WireTensor[]; computeMs: number } | { error: string; computeMs: number };
/** `only`: per session, whether to run it (absent: all); a skipped one answers no outputs in 0 ms. */
export type ThreadRequest = { id: number; inputs: WireTensor[]; only?: boolean[] };
export type ThreadReply =
  | { type: 'loaded' }
  | { type: 'load-failed'; error: string }
  /** One result per session, in the order of the thread's data. */
  | { id: number; results: ThreadComputed[] };

const port = parentPort!;
const data = workerData as InferenceThreadData[];

try {
  const sessions: ModelSession[] = [];
  for (const member of data) {
    const session = await ModelSession.load(member.path, member.settings);
    await session.run(warmupInputs(member.inputs, member.maxRows));
    sessions.push(session);
  }
  // Each member's failure is caught below and answered as an error: this handler never rejects.
  port.on('message', (request: ThreadRequest) => void answer(request));
  async function answer(request: ThreadRequest): Promise<void> {
    const results: ThreadComputed[] = [];
    for (const [k, session] of sessions.entries()) {
      if (request.only && !request.only[k]) {
        results.push({ outputs: [], computeMs: 0 });
        continue;
      }
      const started = performance.now();
      try {
        results.push({ outputs: await runInChunks(session, request.inputs, data[k]!.maxRows), computeMs: performance.now() - started });
      } catch (error) {
        results.push({ error: (error as Error).message, computeMs: performance.now() - started });
      }
    }
    port.postMessage({ id: request.id, results } satisfies ThreadReply);
  }
  port.postMessage({ type: 'loaded' } satisfies ThreadReply);
} catch (error) {
  port.postMessage({ type: 'load-failed', error: (error as Error).message } satisfies ThreadReply);
}
