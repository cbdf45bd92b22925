import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { GraphBuilder, IR_VERSION, OPSET_VERSION, decodeModel, encodeModel } from '../src/index.js';

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('GraphBuilder', () => {
  it('writes float and int64 initializers and int, ints, float, floats and string attributes that onnxruntime reads', async () => {
    const graph = new GraphBuilder('attributes');
    const x = graph.addInput('x', 'FP32', [-1, 2, 3]);
    // Flatten (int) to [batch, 6], then add a Constant (floats), LeakyRelu (float) ...
    const flat = graph.op('Flatten', [x], { axis: { int: 1 } });
    const offsets = graph.op('Constant', [], { value_floats: { floats: [0, -10, 0, -10, 0, -10] } });
    const leaky = graph.op('LeakyRelu', [graph.op('Add', [flat, offsets])], { alpha: { float: 0.25 } });
    // ... reshape with an int64 initializer to [batch, 3, 2], scale by a float initializer ...
    const reshaped = graph.op('Reshape', [leaky, graph.addInt64Initializer('shape', [-1, 3, 2])]);
    const scaled = graph.op('Mul', [reshaped, graph.addFloatInitializer('scale', Float32Array.of(1, 2), [2])]);
    // ... and an average pool over a [batch, 1, 3, 2] view with auto_pad (string) and kernel_shape (ints).
    const image = graph.op('Unsqueeze', [scaled, graph.addInt64Initializer('axes', BigInt64Array.of(1n))]);
    graph.op('AveragePool', [image], { kernel_shape: { ints: [1, 2] }, auto_pad: { string: 'VALID' } }, 'y');
    graph.addOutput('y', 'FP32', [-1, 1, 3, 1]);
    const bytes = encodeModel(graph.build());

    const input = Float32Array.of(1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6);
    const { y } = await run(bytes, { x: new ort.Tensor('float32', input, [2, 2, 3]) });
    const expected: number[] = [];
    for (let b = 0; b < 2; b++) {
      const row = Array.from({ length: 6 }, (_, i) => {
        const v = input[b * 6 + i]! + (i % 2 === 1 ? -10 : 0);
        return (v > 0 ? v : 0.25 * v) * (i % 2 === 0 ? 1 : 2);
      });
      for (let r = 0; r < 3; r++) expected.push((row[2 * r]! + row[2 * r + 1]!) / 2);
    }
    expect(y!.dims).toEqual([2, 1, 3, 1]);
    expect(Array.from(y!.data as Float32Array)).toEqual(expected.map((v) => Math.fround(v)));
  });

  it('produces an IR 8, opset 17 model with named dynamic dimensions and metadata', () => {
    const graph = new GraphBuilder('meta');
    graph.addInput('x', 'FP32', [-1, 'height', 4, -1]);
    graph.op('Identity', ['x'], {}, 'y');
    graph.addOutput('y', 'FP32', [-1, 'height', 4, -1]);
    const model = decodeModel(encodeModel(graph.build({ metadata: { purpose: 'test' }, producerName: 'me' })));
    expect(Number(model.irVersion)).toBe(IR_VERSION);
    expect(IR_VERSION).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', OPSET_VERSION]]);
    expect(OPSET_VERSION).toBe(17);
    expect(model.producerName).toBe('me');
    expect(model.metadataProps.map((p) => [p.key, p.value])).toEqual([['purpose', 'test']]);
    const dims = model.graph!.input![0]!.type!.tensorType!.shape!.dim!;
    expect(dims.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 'height', 4, 'dim_3']);
  });

  it('stores raw_data little-endian', () => {
    const graph = new GraphBuilder();
    graph.addFloatInitializer('w', Float32Array.of(1.5, -2), [2]);
    graph.addInt64Initializer('i', [258, -1]);
    graph.op('Identity', ['w'], {}, 'y');
    graph.addOutput('y', 'FP32', [2]);
    const [w, i] = decodeModel(encodeModel(graph.build())).graph!.initializer!;
    const floats = new DataView(w!.rawData!.buffer, w!.rawData!.byteOffset, w!.rawData!.byteLength);
    expect([floats.getFloat32(0, true), floats.getFloat32(4, true)]).toEqual([1.5, -2]);
    const ints = new DataView(i!.rawData!.buffer, i!.rawData!.byteOffset, i!.rawData!.byteLength);
    expect([ints.getBigInt64(0, true), ints.getBigInt64(8, true)]).toEqual([258n, -1n]);
    expect(i!.dims!.map(Number)).toEqual([2]);
  });

  it('refuses duplicate names, initializers that do not fit their dims, bad dimensions and graphs without outputs', () => {
    const graph = new GraphBuilder();
    graph.addInput('x', 'FP32', [1]);
    expect(() => graph.addInput('x', 'FP32', [1])).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => graph.addFloatInitializer('w', new Float32Array(6), [4, 2])).toThrow(/does not fit/);
    expect(() => graph.addInput('z', 'FP32', [2.5])).toThrow(/dimension 0 of z/);
    expect(() => graph.addNode('Relu', ['x'], ['x'])).toThrow(/used twice/);
    expect(() => new GraphBuilder().build()).toThrow(/no outputs/);
  });

  it('makes fresh names that do not collide with given ones', () => {
    const graph = new GraphBuilder();
    graph.addInput('relu_0', 'FP32', [1]);
    const out = graph.op('Relu', ['relu_0']);
    expect(out).toBe('relu_1');
    expect(graph.op('Relu', [out])).toBe('relu_2');
  });
});
