/**
 * The thread that owns a worker's onnxruntime session. `session.run()` blocks its JS thread for the
 * whole inference, so it lives here and the worker's main thread stays free to move messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ModelSession, type SessionSettings } from '@tutti/runtime';
import { datatypeInfo, type TensorSpec, type WireTensor } from '@tutti/protocol';

export interface InferenceThreadData {
  path: string;
  settings: Partial<SessionSettings>;
  inputs: TensorSpec[];
}

export type ThreadRequest = { id: number; inputs: WireTensor[] };
export type ThreadReply =
  | { type: 'loaded' }
  | { type: 'load-failed'; error: string }
  | { id: number; outputs: WireTensor[]; computeMs: number }
  | { id: number; error: string; computeMs: number };

const port = parentPort!;
const data = workerData as InferenceThreadData;

/** One row of zeros per input, to make onnxruntime allocate and plan before the first real request. */
function warmupInputs(inputs: TensorSpec[]): WireTensor[] {
  return inputs.map((spec) => {
    const shape = spec.shape.map((dim) => (dim < 0 ? 1 : dim));
    const bytes = shape.reduce((n, d) => n * d, datatypeInfo(spec.datatype).bytes);
    return { ...spec, shape, data: new Uint8Array(bytes) };
  });
}

try {
  const session = await ModelSession.load(data.path, data.settings);
  await session.run(warmupInputs(data.inputs));
  port.on('message', async (request: ThreadRequest) => {
    const started = performance.now();
    try {
      const outputs = await session.run(request.inputs);
      port.postMessage({ id: request.id, outputs, computeMs: performance.now() - started } satisfies ThreadReply);
    } catch (error) {
      port.postMessage({ id: request.id, error: (error as Error).message, computeMs: performance.now() - started } satisfies ThreadReply);
    }
  });
  port.postMessage({ type: 'loaded' } satisfies ThreadReply);
} catch (error) {
  port.postMessage({ type: 'load-failed', error: (error as Error).message } satisfies ThreadReply);
}
