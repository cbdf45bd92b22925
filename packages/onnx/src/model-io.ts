/** Encoding, decoding and writing ONNX model files (reading a file's signature: graph-header.ts). */
import { rename, writeFile } from 'node:fs/promises';

import { TuttiError } from '@tutti/core';

import { onnx, type IModelProto, type ModelProto } from './proto.js';

export function encodeModel(model: IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Decodes ONNX bytes; `source` names the file (or says 'bytes') in the MODEL_ERROR a bad model raises. */
export function decodeModel(bytes: Uint8Array, source = 'model bytes'): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new TuttiError('MODEL_ERROR', `${source} is not an ONNX model: ${(error as Error).message}`, { cause: error });
  }
  // Protobuf decodes almost anything short without complaint; an ONNX model must at least have a graph.
  if (!model.graph) throw new TuttiError('MODEL_ERROR', `${source} is not an ONNX model: it has no graph`);
  return model;
}

/** Writes a model (or its bytes) to path through a temporary file, so a reader never sees half a model. */
export async function writeModel(path: string, model: IModelProto | Uint8Array): Promise<void> {
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}
