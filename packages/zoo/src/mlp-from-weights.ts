/** An ONNX multilayer perceptron from given weights: one Gemm (plus activation) per dense layer. */
import { GraphBuilder, encodeModel, type Attribute } from '@tutti/onnx';
import { TuttiError } from '@tutti/core';

export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'none', 'softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface DenseLayer {
  /** Row-major [in, out]: weight[i * out + j] connects input i to output j. */
  weight: Float32Array;
  /** [out] */
  bias: Float32Array;
  activation: Activation;
}

export interface MlpFromWeightsSpec {
  inputName: string;
  outputName: string;
  inputSize: number;
  layers: DenseLayer[];
  /** Multiplies the inputs before the first layer (e.g. 1/16 to bring 0..16 pixel values near 0..1). */
  inputScale?: number;
  /** Stored in the model's metadata_props. */
  metadata?: Record<string, string>;
}

const OP_OF_ACTIVATION: Record<Exclude<Activation, 'none'>, string> = {
  relu: 'Relu',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  softmax: 'Softmax',
};

function invalid(message: string): never {
  throw new TuttiError('INVALID_OPTION', `mlpFromWeights: ${message}`);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** Checks the layers chain up, and returns each layer's output size. */
function validate(spec: MlpFromWeightsSpec): number[] {
  if (typeof spec.inputName !== 'string' || !spec.inputName) invalid('inputName must be a non-empty string');
  if (typeof spec.outputName !== 'string' || !spec.outputName) invalid('outputName must be a non-empty string');
  if (spec.inputName === spec.outputName) invalid('inputName and outputName must differ');
  if (!isPositiveInteger(spec.inputSize)) invalid(`inputSize must be a positive integer, got ${JSON.stringify(spec.inputSize)}`);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) invalid('layers must be a non-empty array');
  if (spec.inputScale !== undefined && !(typeof spec.inputScale === 'number' && Number.isFinite(spec.inputScale))) {
    invalid(`inputScale must be a finite number, got ${JSON.stringify(spec.inputScale)}`);
  }
  let inSize = spec.inputSize;
  return spec.layers.map((layer, index) => {
    if (!(layer.weight instanceof Float32Array) || !(layer.bias instanceof Float32Array))
      invalid(`layer ${index}: weight and bias must be Float32Arrays`);
    if (!(ACTIVATIONS as readonly string[]).includes(layer.activation))
      invalid(`layer ${index}: activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(layer.activation)}`);
    const outSize = layer.bias.length;
    if (outSize === 0 || layer.weight.length !== inSize * outSize) {
      invalid(`layer ${index}: weight has ${layer.weight.length} values, expected ${inSize} x ${outSize} (inputs x bias length)`);
    }
    inSize = outSize;
    return outSize;
  });
}

/** ONNX bytes of the MLP; input [batch, inputSize] FP32, output [batch, last layer's size] FP32, batch dynamic. */
export function mlpFromWeights(spec: MlpFromWeightsSpec): Uint8Array {
  const sizes = validate(spec);
  const graph = new GraphBuilder('mlp');
  let x = graph.addInput(spec.inputName, 'FP32', [-1, spec.inputSize]);
  if (spec.inputScale !== undefined && spec.inputScale !== 1) {
    x = graph.op('Mul', [x, graph.addFloatInitializer('input_scale', Float32Array.of(spec.inputScale), [])]);
  }
  let inSize = spec.inputSize;
  spec.layers.forEach((layer, index) => {
    const outSize = sizes[index]!;
    const last = index === spec.layers.length - 1;
    const weight = graph.addFloatInitializer(`dense_${index}_weight`, layer.weight, [inSize, outSize]);
    const bias = graph.addFloatInitializer(`dense_${index}_bias`, layer.bias, [outSize]);
    const gemmOutput = last && layer.activation === 'none' ? spec.outputName : undefined;
    x = graph.op('Gemm', [x, weight, bias], {}, gemmOutput);
    if (layer.activation !== 'none') {
      const attributes: Record<string, Attribute> = layer.activation === 'softmax' ? { axis: { int: -1 } } : {};
      x = graph.op(OP_OF_ACTIVATION[layer.activation], [x], attributes, last ? spec.outputName : undefined);
    }
    inSize = outSize;
  });
  graph.addOutput(spec.outputName, 'FP32', [-1, inSize]);
  return encodeModel(graph.build({ producerName: 'tutti-zoo', ...(spec.metadata ? { metadata: spec.metadata } : {}) }));
}
