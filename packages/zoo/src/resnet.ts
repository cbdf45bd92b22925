/**
 * A ResNet-like CNN with seeded random weights: stem conv + relu + maxpool, stages of basic
 * residual blocks, global average pool, a dense layer and softmax. Batch norm is folded away
 * (convolutions with bias), so the weights are initialised to keep activations in range instead.
 */
import { GraphBuilder, encodeModel } from '@tutti/onnx';

import { SeededRandom } from './random.js';
import { checkKnownKeys, checkObject, invalid, positiveInteger, positiveIntegers, seedOf, tensorName } from './spec-checks.js';

export interface ResnetSpec {
  /** Height and width of the square input image, e.g. 224. */
  inputSize: number;
  /** Input channels, e.g. 3. */
  channels: number;
  /** Channels of the stem and first stage; each later stage doubles them. */
  width: number;
  /** Residual blocks per stage, e.g. [2, 2, 2, 2] for a ResNet-18 layout. */
  stages: number[];
  classes: number;
  /** Default 1. */
  seed?: number;
  /** Stem kernel: 7 (7x7 stride 2, as in ResNet) or 3 (3x3 stride 2). Default 7. */
  stemKernel?: 7 | 3;
  /** Default 'image'. */
  inputName?: string;
  /** Default 'probabilities'. */
  outputName?: string;
}

const RESNET_KEYS = ['inputSize', 'channels', 'width', 'stages', 'classes', 'seed', 'stemKernel', 'inputName', 'outputName'] as const;

/**
 * The residual branch's second conv is scaled down by this: without batch norm each block adds
 * its branch's variance to the trunk's, and this keeps the growth over a deep net small.
 */
const RESIDUAL_SCALE = 0.5;

export function normalizeResnetSpec(spec: unknown, what = 'resnet spec'): Required<ResnetSpec> {
  checkObject(what, spec);
  checkKnownKeys(what, spec, [...RESNET_KEYS, 'kind']);
  const stemKernel = spec.stemKernel ?? 7;
  if (stemKernel !== 7 && stemKernel !== 3) invalid(`${what}.stemKernel`, spec.stemKernel, '7 or 3');
  return {
    inputSize: positiveInteger(`${what}.inputSize`, spec.inputSize, 4096),
    channels: positiveInteger(`${what}.channels`, spec.channels, 64),
    width: positiveInteger(`${what}.width`, spec.width, 1024),
    stages: positiveIntegers(`${what}.stages`, spec.stages, 1),
    classes: positiveInteger(`${what}.classes`, spec.classes),
    seed: seedOf(`${what}.seed`, spec.seed),
    stemKernel,
    inputName: tensorName(`${what}.inputName`, spec.inputName, 'image'),
    outputName: tensorName(`${what}.outputName`, spec.outputName, 'probabilities'),
  };
}

/** Adds convolutions with He-initialised weights and small biases to a graph. */
class ConvFactory {
  readonly #graph: GraphBuilder;
  readonly #random: SeededRandom;

  constructor(graph: GraphBuilder, random: SeededRandom) {
    this.#graph = graph;
    this.#random = random;
  }

  conv(name: string, x: string, inChannels: number, outChannels: number, kernel: number, stride: number, gain = 1): string {
    const fanIn = inChannels * kernel * kernel;
    const weight = this.#random.normals(outChannels * fanIn, gain * Math.sqrt(2 / fanIn));
    const pad = Math.floor(kernel / 2);
    return this.#graph.op(
      'Conv',
      [
        x,
        this.#graph.addFloatInitializer(`${name}_weight`, weight, [outChannels, inChannels, kernel, kernel]),
        this.#graph.addFloatInitializer(`${name}_bias`, this.#random.normals(outChannels, 0.01), [outChannels]),
      ],
      { kernel_shape: { ints: [kernel, kernel] }, strides: { ints: [stride, stride] }, pads: { ints: [pad, pad, pad, pad] } },
      name,
    );
  }
}

/** ONNX bytes: input [batch, channels, inputSize, inputSize] FP32 (NCHW), output [batch, classes] FP32 probabilities. */
export function resnet(spec: ResnetSpec, options: { metadata?: Record<string, string> } = {}): Uint8Array {
  const { inputSize, channels, width, stages, classes, seed, stemKernel, inputName, outputName } = normalizeResnetSpec(spec);
  const graph = new GraphBuilder('resnet');
  const convs = new ConvFactory(graph, new SeededRandom(seed));

  const image = graph.addInput(inputName, 'FP32', [-1, channels, inputSize, inputSize]);
  let x = graph.op('Relu', [convs.conv('stem', image, channels, width, stemKernel, 2)]);
  x = graph.op('MaxPool', [x], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } });

  let inChannels = width;
  stages.forEach((blocks, stage) => {
    const outChannels = width * 2 ** stage;
    for (let block = 0; block < blocks; block++) {
      const name = `stage${stage}_block${block}`;
      const stride = stage > 0 && block === 0 ? 2 : 1;
      let branch = graph.op('Relu', [convs.conv(`${name}_conv1`, x, inChannels, outChannels, 3, stride)]);
      branch = convs.conv(`${name}_conv2`, branch, outChannels, outChannels, 3, 1, RESIDUAL_SCALE);
      // A 1x1 projection where the shape changes; otherwise the identity. The shortcut's gain is
      // sqrt(1/2) of He's because its input, a relu output, is not followed by a relu here.
      const shortcut =
        stride === 1 && inChannels === outChannels
          ? x
          : convs.conv(`${name}_projection`, x, inChannels, outChannels, 1, stride, Math.SQRT1_2);
      x = graph.op('Relu', [graph.op('Add', [branch, shortcut])]);
      inChannels = outChannels;
    }
  });

  x = graph.op('Flatten', [graph.op('GlobalAveragePool', [x])], { axis: { int: 1 } });
  // Xavier-like for the classifier, so logits spread over a few units and the softmax is not one-hot.
  const random = new SeededRandom(seed ^ 0x5eed);
  const fcWeight = graph.addFloatInitializer('fc_weight', random.normals(inChannels * classes, 1 / Math.sqrt(inChannels)), [
    inChannels,
    classes,
  ]);
  const fcBias = graph.addFloatInitializer('fc_bias', random.normals(classes, 0.01), [classes]);
  x = graph.op('Gemm', [x, fcWeight, fcBias]);
  graph.op('Softmax', [x], { axis: { int: -1 } }, outputName);
  graph.addOutput(outputName, 'FP32', [-1, classes]);
  return encodeModel(graph.build({ producerName: 'tutti-zoo', ...options }));
}
