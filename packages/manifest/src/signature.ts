/**
 * Does a member's ONNX model fit the ensemble? Every ensemble input must be a model input and every
 * ensemble output a model output, with the same datatype and a compatible shape; the model must
 * not need inputs the ensemble does not provide. Extra model outputs are fine (they are ignored).
 */
import type { ModelSignature, TensorSpec } from '@tutti/onnx';

export interface EnsembleIO {
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function describe(tensors: readonly TensorSpec[]): string {
  if (tensors.length === 0) return 'none';
  return tensors.map((tensor) => `"${tensor.name}" (${tensor.datatype} ${formatShape(tensor.shape)})`).join(', ');
}

/**
 * Same rank, and each dimension equal unless the model's is dynamic (-1): a model that accepts any
 * size accepts the manifest's. The manifest's first dimension is always -1, the batch.
 */
function shapesAgree(manifest: readonly number[], model: readonly number[]): boolean {
  return (
    manifest.length === model.length &&
    manifest.every((dim, axis) => model[axis] === -1 || model[axis] === dim || (axis === 0 && dim === -1))
  );
}

function compareTensor(kind: 'input' | 'output', wanted: TensorSpec, found: TensorSpec, model: string): string[] {
  const problems: string[] = [];
  const name = `${kind} "${wanted.name}"`;
  if (wanted.datatype !== found.datatype) {
    problems.push(`${name} has datatype ${wanted.datatype} in the manifest but ${found.datatype} in ${model}`);
  }
  if (!shapesAgree(wanted.shape, found.shape)) {
    problems.push(`${name} has shape ${formatShape(wanted.shape)} in the manifest but ${formatShape(found.shape)} in ${model}`);
  } else if (found.shape[0] !== -1) {
    // The manifest allows any batch size, and the server stacks several requests along the first axis.
    problems.push(
      `${name} has a fixed batch size of ${found.shape[0]} in ${model} (shape ${formatShape(found.shape)}); the server stacks requests along the first axis, so it must be dynamic`,
    );
  }
  return problems;
}

/** Problems of one member's model against the ensemble, each naming both sides; `model` names the file. */
export function compareSignature(ensemble: EnsembleIO, signature: ModelSignature, model: string): string[] {
  const problems: string[] = [];
  const sides = [
    ['input', ensemble.inputs, signature.inputs],
    ['output', ensemble.outputs, signature.outputs],
  ] as const;
  for (const [kind, wanted, found] of sides) {
    const byName = new Map(found.map((tensor) => [tensor.name, tensor]));
    for (const tensor of wanted) {
      const match = byName.get(tensor.name);
      if (match) problems.push(...compareTensor(kind, tensor, match, model));
      else problems.push(`${kind} "${tensor.name}" is not in ${model}, whose ${kind}s are ${describe(found)}`);
    }
  }
  const provided = new Set(ensemble.inputs.map((tensor) => tensor.name));
  for (const tensor of signature.inputs) {
    if (!provided.has(tensor.name)) {
      problems.push(`${model} requires input ${describe([tensor])}, which the manifest's inputs do not provide`);
    }
  }
  return problems;
}
