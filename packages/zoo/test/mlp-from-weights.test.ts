import { readSignatureSync } from '@tutti/onnx';
import { describe, expect, it } from 'vitest';

import { mlpFromWeights, type DenseLayer } from '../src/index.js';
import { denseForward, maxAbsDiff, runModel, sineData } from './reference.js';

function layer(inSize: number, outSize: number, activation: DenseLayer['activation'], phase: number): DenseLayer {
  return { weight: sineData(inSize * outSize, phase, 0.5), bias: sineData(outSize, phase + 1, 0.2), activation };
}

describe('mlpFromWeights', () => {
  const layers = [layer(6, 5, 'relu', 0), layer(5, 4, 'tanh', 1), layer(4, 4, 'sigmoid', 2), layer(4, 3, 'softmax', 3)];
  const spec = { inputName: 'features', outputName: 'scores', inputSize: 6, layers, inputScale: 1 / 16 };

  it('computes what the weights say, for any batch size', async () => {
    const bytes = mlpFromWeights(spec);
    for (const batch of [1, 5]) {
      const input = sineData(batch * 6, batch, 16);
      const { scores } = await runModel(bytes, { features: { data: input, dims: [batch, 6] } });
      expect(scores!.dims).toEqual([batch, 3]);
      const expected = denseForward(input, 6, layers, 1 / 16);
      expect(maxAbsDiff(scores!.data as Float32Array, expected)).toBeLessThan(1e-5);
    }
  });

  it('applies inputScale (a model without it gives different outputs)', async () => {
    const input = sineData(6, 0, 16);
    const scaled = await runModel(mlpFromWeights(spec), { features: { data: input, dims: [1, 6] } });
    const unscaled = await runModel(mlpFromWeights({ ...spec, inputScale: undefined }), { features: { data: input, dims: [1, 6] } });
    expect(maxAbsDiff(unscaled.scores!.data as Float32Array, denseForward(input, 6, layers))).toBeLessThan(1e-5);
    expect(maxAbsDiff(scaled.scores!.data as Float32Array, unscaled.scores!.data as Float32Array)).toBeGreaterThan(1e-3);
  });

  it("ends in the last layer's raw output when its activation is 'none'", async () => {
    const linear = [layer(6, 3, 'none', 4)];
    const input = sineData(12, 2);
    const { y } = await runModel(mlpFromWeights({ inputName: 'x', outputName: 'y', inputSize: 6, layers: linear }), {
      x: { data: input, dims: [2, 6] },
    });
    expect(maxAbsDiff(y!.data as Float32Array, denseForward(input, 6, linear))).toBeLessThan(1e-5);
  });

  it('declares its input and output with a dynamic batch dimension', () => {
    expect(readSignatureSync(mlpFromWeights(spec))).toEqual({
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 6] }],
      outputs: [{ name: 'scores', datatype: 'FP32', shape: [-1, 3] }],
    });
  });

  it('rejects weights that do not chain up, and bad names', () => {
    const bad = [layer(6, 5, 'relu', 0), layer(4, 3, 'softmax', 1)];
    expect(() => mlpFromWeights({ ...spec, layers: bad })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringMatching(/layer 1/) }),
    );
    expect(() => mlpFromWeights({ ...spec, inputName: '' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => mlpFromWeights({ ...spec, layers: [] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => mlpFromWeights({ ...spec, layers: [{ ...layers[0]!, activation: 'gelu' as 'relu' }] })).toThrow(/activation/);
  });
});
