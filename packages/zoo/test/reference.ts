/** Plain-JavaScript forward passes and ONNX runs the tests compare against each other. */
import * as ort from 'onnxruntime-node';

import type { DenseLayer } from '../src/index.js';

/** Computes the MLP in float64 directly from its weights, one sample (row) at a time. */
export function denseForward(input: Float32Array, inputSize: number, layers: DenseLayer[], inputScale = 1): Float64Array {
  const batch = input.length / inputSize;
  let x = Float64Array.from(input, (value) => value * inputScale);
  let inSize = inputSize;
  for (const layer of layers) {
    const outSize = layer.bias.length;
    const y = new Float64Array(batch * outSize);
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < outSize; j++) {
        let sum = layer.bias[j]!;
        for (let i = 0; i < inSize; i++) sum += x[b * inSize + i]! * layer.weight[i * outSize + j]!;
        y[b * outSize + j] = sum;
      }
      const row = y.subarray(b * outSize, (b + 1) * outSize);
      if (layer.activation === 'relu') row.forEach((v, j) => (row[j] = Math.max(0, v)));
      if (layer.activation === 'tanh') row.forEach((v, j) => (row[j] = Math.tanh(v)));
      if (layer.activation === 'sigmoid') row.forEach((v, j) => (row[j] = 1 / (1 + Math.exp(-v))));
      if (layer.activation === 'softmax') {
        const max = Math.max(...row);
        const exps = row.map((v) => Math.exp(v - max));
        const total = exps.reduce((a, b) => a + b, 0);
        exps.forEach((v, j) => (row[j] = v / total));
      }
    }
    x = y;
    inSize = outSize;
  }
  return x;
}

export async function runModel(
  bytes: Uint8Array,
  feeds: Record<string, { data: Float32Array; dims: number[] }>,
): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const tensors = Object.fromEntries(
      Object.entries(feeds).map(([name, { data, dims }]) => [name, new ort.Tensor('float32', data, dims)]),
    );
    return await session.run(tensors);
  } finally {
    await session.release();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Deterministic test data without the PRNG under test. */
export function sineData(length: number, phase = 0, amplitude = 1): Float32Array {
  return Float32Array.from({ length }, (_, i) => amplitude * Math.sin(i * 1.7 + phase));
}
