import { countModelCost, readSignatureSync } from '@tutti/onnx';
import { describe, expect, it } from 'vitest';

import { mlp, mlpLayers, type MlpSpec } from '../src/index.js';
import { denseForward, maxAbsDiff, runModel, sineData } from './reference.js';

const spec: MlpSpec = { inputSize: 64, hidden: [32, 16], outputs: 10, activation: 'tanh', seed: 3 };

describe('mlp', () => {
  it('computes the seeded layers and ends in a softmax', async () => {
    for (const activation of ['relu', 'tanh', 'sigmoid'] as const) {
      const withActivation = { ...spec, activation };
      const input = sineData(3 * 64, 1, 2);
      const { probabilities } = await runModel(mlp(withActivation), { input: { data: input, dims: [3, 64] } });
      expect(probabilities!.dims).toEqual([3, 10]);
      const expected = denseForward(input, 64, mlpLayers(withActivation));
      expect(maxAbsDiff(probabilities!.data as Float32Array, expected)).toBeLessThan(1e-5);
      const rows = [0, 1, 2].map((row) => expected.subarray(row * 10, row * 10 + 10).reduce((a, b) => a + b));
      rows.forEach((sum) => expect(sum).toBeCloseTo(1, 6));
    }
  });

  it('is a function of its seed', async () => {
    expect(mlp(spec)).toEqual(mlp({ ...spec }));
    const other = mlp({ ...spec, seed: 4 });
    expect(other).not.toEqual(mlp(spec));
    const input = { input: { data: sineData(64), dims: [1, 64] } };
    const [a, b] = [await runModel(mlp(spec), input), await runModel(other, input)];
    expect(maxAbsDiff(a.probabilities!.data as Float32Array, b.probabilities!.data as Float32Array)).toBeGreaterThan(1e-3);
  });

  it('uses the given tensor names, and has a softmax regression when there are no hidden layers', async () => {
    const bytes = mlp({ inputSize: 5, hidden: [], outputs: 3, seed: 1, inputName: 'x', outputName: 'p' });
    expect(readSignatureSync(bytes)).toEqual({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 5] }],
      outputs: [{ name: 'p', datatype: 'FP32', shape: [-1, 3] }],
    });
    const { p } = await runModel(bytes, { x: { data: sineData(5), dims: [1, 5] } });
    expect(
      maxAbsDiff(p!.data as Float32Array, denseForward(sineData(5), 5, mlpLayers({ inputSize: 5, hidden: [], outputs: 3, seed: 1 }))),
    ).toBeLessThan(1e-6);
  });

  it('costs the sum of in x out MACs and 4 bytes per weight and bias', () => {
    const cost = countModelCost(mlp(spec));
    expect(cost.macs).toBe(64 * 32 + 32 * 16 + 16 * 10);
    expect(cost.parameterBytes).toBe(4 * (64 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10));
    expect(cost.uncounted).toEqual([]);
  });

  it('rejects bad specs when called', () => {
    expect(() => mlp({ ...spec, hidden: [32, 0] })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('hidden[1]') }),
    );
    expect(() => mlp({ ...spec, activation: 'gelu' as 'relu' })).toThrow(/activation/);
    expect(() => mlp({ ...spec, seed: 1.5 })).toThrow(/seed/);
    expect(() => mlp({ ...spec, hiden: [3] } as MlpSpec)).toThrow(/unknown field\(s\) hiden/);
  });
});
