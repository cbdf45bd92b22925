/** Ensemble folders in temporary directories, with small real ONNX models. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { encodeModel, GraphBuilder } from '@tutti/onnx';
import type { Datatype } from '@tutti/core';
import { mlpFromWeights } from '@tutti/zoo';

/** A one-layer softmax classifier: input "pixels" FP32 [-1, inputs], output "probabilities" FP32 [-1, classes]. */
export function classifier(inputs: number, classes: number): Uint8Array {
  return mlpFromWeights({
    inputName: 'pixels',
    outputName: 'probabilities',
    inputSize: inputs,
    layers: [{ weight: new Float32Array(inputs * classes).fill(0.01), bias: new Float32Array(classes), activation: 'softmax' }],
  });
}

type Tensor = [name: string, datatype: Datatype, shape: (number | string)[]];

/** A model that only declares a signature (each output is an Identity of the first input). */
export function modelWith(inputs: Tensor[], outputs: Tensor[]): Uint8Array {
  const graph = new GraphBuilder('signature');
  for (const [name, datatype, shape] of inputs) graph.addInput(name, datatype, shape);
  for (const [name, datatype, shape] of outputs) {
    graph.op('Identity', [inputs[0]![0]], {}, name);
    graph.addOutput(name, datatype, shape);
  }
  return encodeModel(graph.build());
}

export const VALID_MANIFEST = {
  name: 'tiny',
  inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
  members: [
    { name: 'a', path: 'models/a.onnx' },
    { name: 'b', path: 'models/b.onnx', weight: 2 },
  ],
  rule: 'mean',
  batching: { maxBatchSize: 8, maxQueueDelayMs: 1 },
};

export class TempEnsembles {
  readonly #dirs: string[] = [];

  /** Writes manifest.yaml (an object or YAML text) and the given files (paths relative to the folder). */
  async create(manifest: object | string, files: Record<string, Uint8Array | string> = {}): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'tutti-manifest-'));
    this.#dirs.push(dir);
    await writeFile(path.join(dir, 'manifest.yaml'), typeof manifest === 'string' ? manifest : stringify(manifest));
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), content);
    }
    return dir;
  }

  /** The valid tiny ensemble with both models, plus `changes` to the manifest and extra files. */
  valid(changes: Record<string, unknown> = {}, files: Record<string, Uint8Array | string> = {}): Promise<string> {
    return this.create(
      { ...VALID_MANIFEST, ...changes },
      { 'models/a.onnx': classifier(4, 3), 'models/b.onnx': classifier(4, 3), ...files },
    );
  }

  async removeAll(): Promise<void> {
    await Promise.all(this.#dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}
