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

/** A full batch of zeros, so onnxruntime allocates and plans for the instance's batch size before the first request. */
function warmupInputs(inputs: TensorSpec[], rows: number): WireTensor[] {
  return inputs.map((spec) => {
    const shape = spec.shape.map((dim, axis) => (axis === 0 ? rows : dim < 0 ? 1 : dim));
    const bytes = shape.reduce((n, d) => n * d, datatypeInfo(spec.datatype).bytes);
    return { ...spec, shape, data: new Uint8Array(bytes) };
  });
}

/** Rows [start, start + count) of a [rows, ...] tensor, as a view. */
function rowsOf(tensor: WireTensor, start: number, count: number): WireTensor {
  const rowBytes = tensor.data.byteLength / tensor.shape[0]!;
  return { ...tensor, shape: [count, ...tensor.shape.slice(1)], data: tensor.data.subarray(start * rowBytes, (start + count) * rowBytes) };
}

/**
 * Runs a batch as the instance's plan says: in chunks of at most `maxRows` rows (the batch size the
 * allocator found best for this member on this device), outputs joined back in row order.
 */
async function runInChunks(session: ModelSession, inputs: WireTensor[], maxRows: number): Promise<WireTensor[]> {
  const rows = inputs[0]!.shape[0]!;
  if (rows <= maxRows) return session.run(inputs);
  const chunks: WireTensor[][] = [];
  for (let start = 0; start < rows; start += maxRows) {
    const count = Math.min(maxRows, rows - start);
    chunks.push(await session.run(inputs.map((input) => rowsOf(input, start, count))));
  }
  return chunks[0]!.map((first, index) => ({
    ...first,
    shape: [rows, ...first.shape.slice(1)],
    data: Buffer.concat(chunks.map((chunk) => chunk[index]!.data)),
  }));
}

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
