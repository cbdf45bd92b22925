import { describe, expect, it } from 'vitest';

import { expectLoads } from './load.js';
import { GraphBuilder, countModelCost, encodeModel } from '../src/index.js';

describe('countModelCost', async () => {
  it('counts a strided, padded, grouped Conv, pooling and a Gemm per sample', async () => {
    const graph = new GraphBuilder();
    const x = graph.addInput('x', 'FP32', [-1, 4, 17, 17]);
    const w = graph.addFloatInitializer('w', new Float32Array(8 * 2 * 3 * 3), [8, 2, 3, 3]);
    const b = graph.addFloatInitializer('b', new Float32Array(8), [8]);
    // (17 + 2 - 3) / 2 + 1 = 9 per side; group 2 -> each output sees 2 of the 4 input channels.
    const conv = graph.op('Conv', [x, w, b], {
      kernel_shape: { ints: [3, 3] },
      strides: { ints: [2, 2] },
      pads: { ints: [1, 1, 1, 1] },
      group: { int: 2 },
    });
    // ceil((9 - 2) / 2) + 1 = 5 per side with ceil_mode; floor would give 4.
    const pool = graph.op('MaxPool', [graph.op('Relu', [conv])], {
      kernel_shape: { ints: [2, 2] },
      strides: { ints: [2, 2] },
      ceil_mode: { int: 1 },
    });
    const flat = graph.op('Flatten', [pool], { axis: { int: 1 } });
    const fc = graph.addFloatInitializer('fc', new Float32Array(7 * 200), [7, 200]);
    graph.op('Gemm', [flat, fc], { transB: { int: 1 } }, 'y');
    graph.addOutput('y', 'FP32', [-1, 7]);
    const bytes = encodeModel(graph.build());
    await expectLoads(bytes);
    const cost = countModelCost(bytes);
    expect(cost.macs).toBe(8 * 9 * 9 * 2 * 3 * 3 + 200 * 7);
    expect(cost.parameters).toBe(8 * 2 * 9 + 8 + 7 * 200);
    expect(cost.parameterBytes).toBe(4 * cost.parameters);
    expect(cost.uncounted).toEqual([]);
  });

  it('counts batched MatMul with broadcasting', async () => {
    const graph = new GraphBuilder();
    const x = graph.addInput('x', 'FP32', [-1, 3, 5, 6]);
    const w = graph.addFloatInitializer('w', new Float32Array(6 * 4), [6, 4]);
    graph.op('MatMul', [x, w], {}, 'y');
    graph.addOutput('y', 'FP32', [-1, 3, 5, 4]);
    const bytes = encodeModel(graph.build());
    await expectLoads(bytes);
    expect(countModelCost(bytes).macs).toBe(3 * 5 * 6 * 4);
  });

  it('lists products whose shapes it cannot work out instead of guessing', async () => {
    const graph = new GraphBuilder();
    const x = graph.addInput('x', 'FP32', [-1, 'features']);
    const w = graph.addFloatInitializer('w', new Float32Array(10 * 2), [10, 2]);
    graph.addNode('MatMul', [x, w], ['y']);
    graph.addOutput('y', 'FP32', [-1, 2]);
    const bytes = encodeModel(graph.build());
    await expectLoads(bytes);
    const cost = countModelCost(bytes);
    expect(cost.macs).toBe(0);
    expect(cost.uncounted).toEqual(['matmul_node_0']);
  });
});
