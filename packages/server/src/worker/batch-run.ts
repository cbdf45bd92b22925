/**
 * Running one batch on a loaded session, the same way on an inference thread or inline: in chunks of
 * the instance's batch size, after a warm-up at that size.
 */
import type { ModelSession } from '@tutti/runtime';
import { datatypeInfo, type TensorSpec, type WireTensor } from '@tutti/protocol';

/** A full batch of zeros, so onnxruntime allocates and plans for the instance's batch size before the first request. */
export function warmupInputs(inputs: TensorSpec[], rows: number): WireTensor[] {
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
export async function runInChunks(session: ModelSession, inputs: WireTensor[], maxRows: number): Promise<WireTensor[]> {
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
