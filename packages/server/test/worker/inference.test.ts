import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { startInference, startInferenceGroup, type Inference } from '../../src/worker/inference.js';

const model = fileURLToPath(new URL('../../../../ensembles/digits/models/mlp-relu-32.onnx', import.meta.url));
const inputs = [{ name: 'pixels', datatype: 'FP32' as const, shape: [-1, 64] }];
const settings = { intraOpThreads: 1 };

/** 7 rows of pixels, so a batch size of 4 runs in two chunks (4 + 3). */
function batch(rows = 7): Float32Array {
  return Float32Array.from({ length: rows * 64 }, (_, k) => ((k * 7) % 16) / 16);
}

async function reference(pixels: Float32Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model);
  const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', pixels, [pixels.length / 64, 64]) });
  await session.release();
  return out[session.outputNames[0]!]!.data as Float32Array;
}

function outputOf(computed: Awaited<ReturnType<Inference['run']>>): Float32Array {
  if ('error' in computed) throw new Error(computed.error);
  const data = computed.outputs[0]!.data;
  return new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4);
}

describe('startInference', () => {
  let inference: Inference | undefined;
  afterEach(async () => {
    await inference?.close();
    inference = undefined;
  });

  it('runs a model that computes in microseconds inline, with the same answers as onnxruntime', async () => {
    // A bound no warm batch of this model reaches, however busy the machine: it runs inline.
    inference = await startInference({ path: model, settings, inputs, maxRows: 4 }, { inlineMaxMs: 10_000 });
    expect(inference.where).toBe('inline');
    expect(Number.isFinite(inference.warmMs)).toBe(true);
    const pixels = batch();
    const computed = await inference.run([{ name: 'pixels', datatype: 'FP32', shape: [7, 64], data: new Uint8Array(pixels.buffer) }]);
    expect(outputOf(computed)).toHaveLength(70);
    expect(outputOf(computed)).toEqual(await reference(pixels));
  });

  it('runs on an inference thread when a warm batch takes longer than the inline bound, with the same answers', async () => {
    inference = await startInference({ path: model, settings, inputs, maxRows: 4 }, { inlineMaxMs: 0 });
    expect(inference.where).toBe('thread');
    const pixels = batch();
    const computed = await inference.run([{ name: 'pixels', datatype: 'FP32', shape: [7, 64], data: new Uint8Array(pixels.buffer) }]);
    expect(outputOf(computed)).toEqual(await reference(pixels));
  });

  it('reports a bad batch as an error instead of throwing, inline and on a thread', async () => {
    for (const bound of [2, 0]) {
      inference = await startInference({ path: model, settings, inputs, maxRows: 4 }, { inlineMaxMs: bound });
      const computed = await inference.run([{ name: 'pixels', datatype: 'FP32', shape: [1, 63], data: new Uint8Array(63 * 4) }]);
      expect(computed).toHaveProperty('error');
      expect((computed as { error: string }).error).toMatch(/dimension|shape|index/i);
      await inference.close();
      inference = undefined;
    }
  });

  it("takes the instance's profiled latency when given, and loads the model once, where it runs", async () => {
    inference = await startInference({ path: model, settings, inputs, maxRows: 4 }, { profiledMs: 50 });
    expect(inference.where).toBe('thread');
    expect(inference.warmMs).toBe(50); // not measured: the profile decided
    const pixels = batch();
    expect(
      outputOf(await inference.run([{ name: 'pixels', datatype: 'FP32', shape: [7, 64], data: new Uint8Array(pixels.buffer) }])),
    ).toEqual(await reference(pixels));
    await inference.close();
    inference = await startInference({ path: model, settings, inputs, maxRows: 4 }, { profiledMs: 0.05 });
    expect(inference.where).toBe('inline');
  });
});

describe('an inference thread that goes away', () => {
  it('fails the batch it was computing at once, and every later one, instead of leaving them waiting', async () => {
    const inference = await startInference({ path: model, settings, inputs, maxRows: 4 }, { inlineMaxMs: 0 });
    expect(inference.where).toBe('thread');
    // 100,000 rows in chunks of 4: computing for a good while when the thread is stopped under it.
    const long = inference.run([{ name: 'pixels', datatype: 'FP32', shape: [100_000, 64], data: new Uint8Array(100_000 * 64 * 4) }]);
    const failed = expect(long).rejects.toMatchObject({ code: 'PROCESS_FAILED' });
    await inference.close();
    await failed;
    await expect(inference.run([{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data: new Uint8Array(256) }])).rejects.toMatchObject({
      code: 'PROCESS_FAILED',
    });
  });
});

describe('startInferenceGroup', () => {
  const other = fileURLToPath(new URL('../../../../ensembles/digits/models/logreg.onnx', import.meta.url));

  async function referenceOf(path: string, pixels: Float32Array): Promise<Float32Array> {
    const session = await ort.InferenceSession.create(path);
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', pixels, [pixels.length / 64, 64]) });
    await session.release();
    return out[session.outputNames[0]!]!.data as Float32Array;
  }

  it("runs a process's models in order, fast ones inline and the others on one shared thread, each answer as onnxruntime's", async () => {
    const group = await startInferenceGroup([
      { data: { path: model, settings, inputs, maxRows: 4 }, choice: { profiledMs: 50 } },
      { data: { path: other, settings, inputs, maxRows: 4 } },
      { data: { path: other, settings, inputs, maxRows: 4 }, choice: { profiledMs: 50 } },
    ]);
    try {
      expect(group.where).toEqual(['thread', 'inline', 'thread']);
      const pixels = batch();
      const computed = await group.run([{ name: 'pixels', datatype: 'FP32', shape: [7, 64], data: new Uint8Array(pixels.buffer) }]);
      expect(computed).toHaveLength(3);
      expect(outputOf(computed[0]!)).toEqual(await referenceOf(model, pixels));
      expect(outputOf(computed[1]!)).toEqual(await referenceOf(other, pixels));
      expect(outputOf(computed[2]!)).toEqual(await referenceOf(other, pixels));
    } finally {
      await group.close();
    }
  });
});
