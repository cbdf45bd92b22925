import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { TuttiError } from '@tutti/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectLoads } from './load.js';
import { GraphBuilder, decodeModel, encodeModel, onnx, readSignature, readSignatureSync, writeModel } from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tutti-onnx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function twoInOneOut(): Uint8Array {
  const graph = new GraphBuilder();
  graph.addInput('pixels', 'UINT8', [-1, 28, 28]);
  graph.addInput('ids', 'INT64', ['batch', 'tokens']);
  graph.op('Cast', ['pixels'], { to: { int: onnx.TensorProto.DataType.DOUBLE } }, 'scaled');
  graph.addOutput('scaled', 'FP64', [-1, 28, 28]);
  graph.op('Not', [graph.op('Cast', ['ids'], { to: { int: onnx.TensorProto.DataType.BOOL } })], {}, 'mask');
  graph.addOutput('mask', 'BOOL', [-1, -1]);
  return encodeModel(graph.build());
}

const EXPECTED = {
  inputs: [
    { name: 'pixels', datatype: 'UINT8', shape: [-1, 28, 28] },
    { name: 'ids', datatype: 'INT64', shape: [-1, -1] },
  ],
  outputs: [
    { name: 'scaled', datatype: 'FP64', shape: [-1, 28, 28] },
    { name: 'mask', datatype: 'BOOL', shape: [-1, -1] },
  ],
};

describe('readSignature', () => {
  it('round-trips declared inputs and outputs from bytes and from a file', async () => {
    const bytes = twoInOneOut();
    await expectLoads(bytes);
    expect(readSignatureSync(bytes)).toEqual(EXPECTED);
    const path = join(dir, 'two.onnx');
    await writeModel(path, bytes);
    expect(await readSignature(path)).toEqual(EXPECTED);
    expect(readSignatureSync(path)).toEqual(EXPECTED);
  });

  it('does not report initializers that are also listed as graph inputs', async () => {
    const graph = new GraphBuilder();
    graph.addInput('x', 'FP32', [-1, 2]);
    graph.op('Add', ['x', graph.addFloatInitializer('bias', Float32Array.of(1, 2), [2])], {}, 'y');
    graph.addOutput('y', 'FP32', [-1, 2]);
    const model = graph.build();
    // Older exporters list every initializer among the inputs too (so they could be overridden).
    model.graph!.input!.push({
      name: 'bias',
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 2 }] } } },
    });
    const bytes = encodeModel(model);
    await expectLoads(bytes);
    expect(decodeModel(bytes).graph!.input!.map((i) => i.name)).toEqual(['x', 'bias']);
    expect(readSignatureSync(bytes).inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 2] }]);
  });

  it('reports FP32, FP16 and dimensions without value or name as dynamic', () => {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      graph: {
        input: [
          { name: 'a', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT16, shape: { dim: [{}, { dimValue: 3 }] } } } },
        ],
        output: [{ name: 'b', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }],
      },
    });
    expect(readSignatureSync(encodeModel(model))).toEqual({
      inputs: [{ name: 'a', datatype: 'FP16', shape: [-1, 3] }],
      outputs: [{ name: 'b', datatype: 'FP32', shape: [] }],
    });
  });

  it('raises MODEL_ERROR naming the file for garbage, a missing file, and types v2 cannot name', async () => {
    const garbage = join(dir, 'garbage.onnx');
    await writeFile(garbage, Buffer.from('this is not a protobuf at all \xff\xff\xff'));
    await expect(readSignature(garbage)).rejects.toThrow(
      expect.objectContaining({ code: 'MODEL_ERROR', message: expect.stringContaining(garbage) }),
    );
    expect(() => readSignatureSync(garbage)).toThrow(TuttiError);

    const empty = join(dir, 'empty.onnx');
    await writeFile(empty, new Uint8Array(0));
    await expect(readSignature(empty)).rejects.toThrow(
      expect.objectContaining({ code: 'MODEL_ERROR', message: expect.stringMatching(/empty\.onnx.*no graph/) }),
    );

    const missing = join(dir, 'missing.onnx');
    await expect(readSignature(missing)).rejects.toThrow(
      expect.objectContaining({ code: 'MODEL_ERROR', message: expect.stringContaining(missing) }),
    );

    const strings = onnx.ModelProto.create({
      graph: { input: [{ name: 's', type: { tensorType: { elemType: onnx.TensorProto.DataType.STRING } } }], output: [] },
    });
    const stringsPath = join(dir, 'strings.onnx');
    await writeModel(stringsPath, strings);
    await expect(readSignature(stringsPath)).rejects.toThrow(
      expect.objectContaining({ code: 'MODEL_ERROR', message: expect.stringMatching(/strings\.onnx.*s has element type STRING/) }),
    );
  });
});
