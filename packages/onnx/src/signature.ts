/** The inputs and outputs a model declares, with KServe v2 datatypes and -1 for dynamic dimensions. */
import { TuttiError, type TensorSpec } from '@tutti/core';

import { datatypeOfElemType, elemTypeName } from './elem-types.js';
import { decodeModel } from './model-io.js';
import { readGraphHeader, type GraphHeader } from './graph-header.js';
import { toNumber, type IValueInfoProto, type ModelProto } from './proto.js';

// TensorSpec is the protocol's (one definition for the whole project). Here dynamic dimensions are
// -1, and a tensor whose rank the model does not declare has shape [].
export type { TensorSpec };

export interface ModelSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

function tensorSpec(info: IValueInfoProto, source: string): TensorSpec {
  const name = info.name ?? '';
  const tensorType = info.type?.tensorType;
  if (!tensorType) throw new TuttiError('MODEL_ERROR', `${source}: ${name} is not a tensor (sequences and maps are not supported)`);
  const elemType = tensorType.elemType ?? 0;
  const datatype = datatypeOfElemType(elemType);
  if (!datatype)
    throw new TuttiError('MODEL_ERROR', `${source}: ${name} has element type ${elemTypeName(elemType)}, which has no KServe v2 datatype`);
  const shape = (tensorType.shape?.dim ?? []).map((dim) =>
    // A dimension with a name, or with neither a name nor a value, is dynamic.
    dim.dimValue !== null && dim.dimValue !== undefined && !dim.dimParam ? toNumber(dim.dimValue) : -1,
  );
  return { name, datatype, shape };
}

/** A graph's signature. Initializers listed among graph inputs (IR < 4 style) are not inputs. */
function signatureFrom(header: GraphHeader, source: string): ModelSignature {
  return {
    inputs: header.inputs.filter((info) => !header.initializerNames.has(info.name ?? '')).map((info) => tensorSpec(info, source)),
    outputs: header.outputs.map((info) => tensorSpec(info, source)),
  };
}

/** The signature of a decoded model. */
export function signatureOf(model: ModelProto, source = 'model'): ModelSignature {
  const graph = model.graph;
  if (!graph) throw new TuttiError('MODEL_ERROR', `${source} is not an ONNX model: it has no graph`);
  const initializerNames = new Set((graph.initializer ?? []).map((tensor) => tensor.name ?? ''));
  return signatureFrom({ inputs: graph.input ?? [], outputs: graph.output ?? [], initializerNames }, source);
}

/** A model's signature: from a file, read without its weights (graph-header.ts); from bytes, decoded. */
export function readSignatureSync(pathOrBytes: string | Uint8Array): ModelSignature {
  if (typeof pathOrBytes === 'string') return signatureFrom(readGraphHeader(pathOrBytes), pathOrBytes);
  return signatureOf(decodeModel(pathOrBytes, 'model bytes'), 'model bytes');
}

export async function readSignature(pathOrBytes: string | Uint8Array): Promise<ModelSignature> {
  return readSignatureSync(pathOrBytes);
}
