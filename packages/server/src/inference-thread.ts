/**
 * The thread that owns a worker's onnxruntime session. `session.run()` blocks its JS thread for the
 * whole inference, so it lives here and the worker's main thread stays free to move messages.
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

export type ThreadRequest = { id: number; inputs: WireTensor[] };
export type ThreadReply =
  | { type: 'loaded' }
  | { type: 'load-failed'; error: string }
  | { id: number; outputs: WireTensor[]; computeMs: number }
  | { id: number; error: string; computeMs: number };

const port = parentPort!;
const data = workerData as InferenceThreadData;

try {
  const session = await ModelSession.load(data.path, data.settings);
  await session.run(warmupInputs(data.inputs, data.maxRows));
  port.on('message', async (request: ThreadRequest) => {
    const started = performance.now();
    try {
      const outputs = await runInChunks(session, request.inputs, data.maxRows);
      port.postMessage({ id: request.id, outputs, computeMs: performance.now() - started } satisfies ThreadReply);
    } catch (error) {
      port.postMessage({ id: request.id, error: (error as Error).message, computeMs: performance.now() - started } satisfies ThreadReply);
    }
  });
  port.postMessage({ type: 'loaded' } satisfies ThreadReply);
} catch (error) {
  port.postMessage({ type: 'load-failed', error: (error as Error).message } satisfies ThreadReply);
}
