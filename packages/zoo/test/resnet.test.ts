import { countModelCost, decodeModel, readSignatureSync } from '@tutti/onnx';
import { describe, expect, it } from 'vitest';

import { resnet, type ResnetSpec } from '../src/index.js';
import { maxAbsDiff, runModel, sineData } from './reference.js';

// Small enough to run in milliseconds, with a projection shortcut (stage 1) and an identity (stage 0, block 1).
const small: ResnetSpec = { inputSize: 32, channels: 3, width: 4, stages: [2, 1], classes: 10, seed: 5 };
const image = (batch: number, size = 32, phase = 0) => ({
  image: { data: sineData(batch * 3 * size * size, phase), dims: [batch, 3, size, size] },
});

function checkProbabilities(data: Float32Array, batch: number, classes: number): void {
  expect(data.length).toBe(batch * classes);
  for (let row = 0; row < batch; row++) {
    const p = data.subarray(row * classes, (row + 1) * classes);
    expect(p.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    expect(p.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    // Not degenerate: no class takes (nearly) everything.
    expect(Math.max(...p)).toBeLessThan(0.6);
  }
}

describe('resnet', () => {
  it('maps NCHW images to softmax rows', async () => {
    const { probabilities } = await runModel(resnet(small), image(3));
    expect(probabilities!.dims).toEqual([3, 10]);
    checkProbabilities(probabilities!.data as Float32Array, 3, 10);
  });

  it('stays finite and spread out at full size and depth (224x224, ResNet-34 layout, 3x3 stem)', async () => {
    const spec: ResnetSpec = { inputSize: 224, channels: 3, width: 8, stages: [3, 4, 6, 3], classes: 1000, seed: 2, stemKernel: 3 };
    const { probabilities } = await runModel(resnet(spec), image(2, 224));
    expect(probabilities!.dims).toEqual([2, 1000]);
    checkProbabilities(probabilities!.data as Float32Array, 2, 1000);
  });

  it('is a function of its seed', async () => {
    expect(resnet(small)).toEqual(resnet({ ...small, stages: [2, 1] }));
    const other = resnet({ ...small, seed: 6 });
    expect(other).not.toEqual(resnet(small));
    const [a, b, again] = [
      await runModel(resnet(small), image(1)),
      await runModel(other, image(1)),
      await runModel(resnet(small), image(1)),
    ];
    expect(maxAbsDiff(a.probabilities!.data as Float32Array, again.probabilities!.data as Float32Array)).toBe(0);
    expect(maxAbsDiff(a.probabilities!.data as Float32Array, b.probabilities!.data as Float32Array)).toBeGreaterThan(1e-4);
  });

  it('declares image and probabilities by default, or the given names', () => {
    expect(readSignatureSync(resnet(small))).toEqual({
      inputs: [{ name: 'image', datatype: 'FP32', shape: [-1, 3, 32, 32] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }],
    });
    expect(readSignatureSync(resnet({ ...small, inputName: 'x', outputName: 'y' })).inputs[0]!.name).toBe('x');
  });

  it('costs what the layers add up to', () => {
    // 32 -> stem 7x7/2 -> 16 -> maxpool -> 8; stage 0 at 8x8 with 4 channels; stage 1 at 4x4 with 8 channels.
    const stem = 4 * 16 * 16 * 3 * 49;
    const stage0 = 2 * 2 * (4 * 8 * 8 * 4 * 9);
    const stage1 = 8 * 4 * 4 * 4 * 9 + 8 * 4 * 4 * 8 * 9 + 8 * 4 * 4 * 4;
    const fc = 8 * 10;
    const cost = countModelCost(resnet(small));
    expect(cost.macs).toBe(stem + stage0 + stage1 + fc);
    expect(cost.uncounted).toEqual([]);
    const weights = 4 * 3 * 49 + 4 * (4 * 4 * 9) + 8 * 4 * 9 + 8 * 8 * 9 + 8 * 4 + 8 * 10;
    const biases = 4 + 4 * 4 + 3 * 8 + 10;
    expect(cost.parameters).toBe(weights + biases);
  });

  it('has a residual add per block, identity shortcuts where shapes match and 1x1/2 projections where not', () => {
    const nodes = decodeModel(resnet({ ...small, stages: [2, 2, 1] })).graph!.node!;
    const count = (op: string) => nodes.filter((node) => node.opType === op).length;
    // stem + 2 per block (5 blocks) + a projection opening stages 1 and 2.
    expect(count('Conv')).toBe(1 + 2 * 5 + 2);
    expect(count('Add')).toBe(5);
    expect(count('Relu')).toBe(1 + 2 * 5);
    expect([count('MaxPool'), count('GlobalAveragePool'), count('Flatten'), count('Gemm'), count('Softmax')]).toEqual([1, 1, 1, 1, 1]);
    const projections = nodes.filter((node) => node.output?.[0]?.endsWith('_projection'));
    expect(projections.map((node) => node.output![0])).toEqual(['stage1_block0_projection', 'stage2_block0_projection']);
    for (const node of projections) {
      const ints = (name: string) => node.attribute!.find((a) => a.name === name)!.ints!.map(Number);
      expect([ints('kernel_shape'), ints('strides')]).toEqual([
        [1, 1],
        [2, 2],
      ]);
    }
    // Each block's Add sums its second conv and its shortcut: the block's input or its projection.
    const adds = nodes.filter((node) => node.opType === 'Add');
    expect(adds.map((node) => node.input![0])).toEqual([
      'stage0_block0_conv2',
      'stage0_block1_conv2',
      'stage1_block0_conv2',
      'stage1_block1_conv2',
      'stage2_block0_conv2',
    ]);
    expect(adds[2]!.input![1]).toBe('stage1_block0_projection');
    const producerOf = (name: string) => nodes.find((node) => node.output?.includes(name));
    expect(producerOf(adds[1]!.input![1]!)!.input).toEqual([adds[0]!.output![0]]); // identity: the relu after the previous add
  });

  it('builds a ResNet-18-sized model, which onnxruntime loads', async () => {
    const bytes = resnet({ inputSize: 224, channels: 3, width: 64, stages: [2, 2, 2, 2], classes: 1000, seed: 1 });
    const cost = countModelCost(bytes);
    // The published ResNet-18 figures: 1.8 GMACs and 11.7M parameters (ours has no batch norm).
    expect(cost.macs / 1e9).toBeCloseTo(1.81, 2);
    expect(cost.parameters / 1e6).toBeCloseTo(11.68, 2);
    const { probabilities } = await runModel(bytes, image(1, 224));
    checkProbabilities(probabilities!.data as Float32Array, 1, 1000);
  });

  it('rejects bad specs when called', () => {
    expect(() => resnet({ ...small, stages: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('stages') }),
    );
    expect(() => resnet({ ...small, width: 0 })).toThrow(/width/);
    expect(() => resnet({ ...small, stemKernel: 5 as 7 })).toThrow(/stemKernel/);
  });
});
