/** A multilayer perceptron with seeded random weights and a softmax output. */
import { mlpFromWeights, type DenseLayer } from './mlp-from-weights.js';
import { SeededRandom } from './random.js';
import { checkKnownKeys, checkObject, oneOf, positiveInteger, positiveIntegers, seedOf, tensorName } from './spec-checks.js';

export const MLP_ACTIVATIONS = ['relu', 'tanh', 'sigmoid'] as const;

export interface MlpSpec {
  inputSize: number;
  /** Sizes of the hidden layers. Default [] (then the model is a softmax regression). */
  hidden?: number[];
  outputs: number;
  /** Activation of the hidden layers. Default 'relu'. */
  activation?: (typeof MLP_ACTIVATIONS)[number];
  /** Default 1. */
  seed?: number;
  /** Default 'input'. */
  inputName?: string;
  /** Default 'probabilities'. */
  outputName?: string;
}

const MLP_KEYS = ['inputSize', 'hidden', 'outputs', 'activation', 'seed', 'inputName', 'outputName'] as const;

/** The spec with its defaults filled in, after checking every field. */
export function normalizeMlpSpec(spec: unknown, what = 'mlp spec'): Required<MlpSpec> {
  checkObject(what, spec);
  checkKnownKeys(what, spec, [...MLP_KEYS, 'kind']);
  return {
    inputSize: positiveInteger(`${what}.inputSize`, spec.inputSize),
    hidden: spec.hidden === undefined ? [] : positiveIntegers(`${what}.hidden`, spec.hidden, 0),
    outputs: positiveInteger(`${what}.outputs`, spec.outputs),
    activation: oneOf(`${what}.activation`, spec.activation, MLP_ACTIVATIONS, 'relu'),
    seed: seedOf(`${what}.seed`, spec.seed),
    inputName: tensorName(`${what}.inputName`, spec.inputName, 'input'),
    outputName: tensorName(`${what}.outputName`, spec.outputName, 'probabilities'),
  };
}

/** The seeded dense layers of an MLP spec (exported so tests can compute the model directly). */
export function mlpLayers(spec: MlpSpec): DenseLayer[] {
  const { inputSize, hidden, outputs, activation, seed } = normalizeMlpSpec(spec);
  const random = new SeededRandom(seed);
  const sizes = [inputSize, ...hidden, outputs];
  return sizes.slice(1).map((outSize, index) => {
    const inSize = sizes[index]!;
    const last = index === sizes.length - 2;
    // He initialisation suits relu; Xavier (Glorot) suits tanh/sigmoid and the softmax layer.
    const std = !last && activation === 'relu' ? Math.sqrt(2 / inSize) : Math.sqrt(2 / (inSize + outSize));
    return {
      weight: random.normals(inSize * outSize, std),
      bias: random.normals(outSize, 0.01),
      activation: last ? 'softmax' : activation,
    };
  });
}

/** ONNX bytes: input [batch, inputSize] FP32, output [batch, outputs] FP32 probabilities. */
export function mlp(spec: MlpSpec, options: { metadata?: Record<string, string> } = {}): Uint8Array {
  const normalized = normalizeMlpSpec(spec);
  return mlpFromWeights({
    inputName: normalized.inputName,
    outputName: normalized.outputName,
    inputSize: normalized.inputSize,
    layers: mlpLayers(normalized),
    ...options,
  });
}
