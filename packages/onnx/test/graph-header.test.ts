import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GraphBuilder, decodeModel, encodeModel, onnx, readSignature, signatureOf, writeModel } from '../src/index.js';
import { readGraphHeader } from '../src/graph-header.js';

const ENSEMBLES = join(import.meta.dirname, '../../../ensembles');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tutti-graph-header-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What a full decode says, to compare the header reader with. */
async function decoded(path: string) {
  const model = decodeModel(await readFile(path), path);
  return { signature: signatureOf(model, path), initializers: new Set((model.graph!.initializer ?? []).map((t) => t.name)) };
}

describe('readGraphHeader', () => {
  it("reads every example ensemble's models as a full decode does", async () => {
    const models = readdirSync(ENSEMBLES, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.onnx'));
    expect(models.length).toBeGreaterThanOrEqual(5);
    for (const model of models) {
      const path = join(ENSEMBLES, model);
      const full = await decoded(path);
      expect(await readSignature(path)).toEqual(full.signature);
      expect(readGraphHeader(path).initializerNames).toEqual(full.initializers);
    }
  });

  it('finds initializer names whatever the order of their fields, and after a graph with nodes and weights', async () => {
    const graph = new GraphBuilder();
    graph.addInput('x', 'FP32', [-1, 3]);
    const weights = graph.addFloatInitializer('w', new Float32Array(3 * 4).fill(0.5), [3, 4]);
    graph.op('MatMul', ['x', weights], {}, 'y');
    graph.addOutput('y', 'FP32', [-1, 4]);
    const model = graph.build();
    // An empty name first, the real one after raw_data (not the canonical order, but valid protobuf,
    // where the last occurrence wins): the name is still found, without reading raw_data.
    const tensor = model.graph!.initializer![0]!;
    const name = tensor.name!;
    const rest = onnx.TensorProto.encode({ ...tensor, name: '' }).finish();
    const named = Buffer.concat([Buffer.from(rest), Buffer.from([(8 << 3) | 2, name.length]), Buffer.from(name)]);
    model.graph!.input!.push({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } });
    model.graph!.initializer = [];
    const graphBytes = Buffer.concat([
      Buffer.from(onnx.GraphProto.encode(model.graph!).finish()),
      Buffer.from([(5 << 3) | 2, named.length]),
      named,
    ]);
    const withoutGraph = onnx.ModelProto.encode({ ...model, graph: null }).finish();
    const path = join(dir, 'reordered.onnx');
    await writeFile(path, Buffer.concat([Buffer.from(withoutGraph), Buffer.from([(7 << 3) | 2]), varint(graphBytes.length), graphBytes]));
    const full = await decoded(path);
    expect(full.initializers).toEqual(new Set(['w']));
    expect(readGraphHeader(path).initializerNames).toEqual(new Set(['w']));
    expect(await readSignature(path)).toEqual(full.signature);
    expect(full.signature.inputs.map((i) => i.name)).toEqual(['x']);
  });

  it('names the file and the byte for a truncated model', async () => {
    const graph = new GraphBuilder();
    graph.addInput('x', 'FP32', [-1, 2]);
    graph.op('Add', ['x', graph.addFloatInitializer('b', Float32Array.of(1, 2), [2])], {}, 'y');
    graph.addOutput('y', 'FP32', [-1, 2]);
    const bytes = encodeModel(graph.build());
    const path = join(dir, 'cut.onnx');
    await writeModel(path, bytes.subarray(0, bytes.length - 5));
    expect(() => readGraphHeader(path)).toThrow(
      expect.objectContaining({ code: 'MODEL_ERROR', message: expect.stringMatching(/cut\.onnx is not an ONNX model: at byte \d+/) }),
    );
  });
});

function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return Buffer.from(bytes);
}
