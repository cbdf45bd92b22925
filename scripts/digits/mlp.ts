/**
 * Dense networks (logistic regression is the zero-hidden-layer case) trained with mini-batch Adam
 * on softmax cross-entropy, in plain Float32Array maths. The layer shape is the same as
 * @tutti/zoo's DenseLayer (weight row-major [in, out]) so trained layers go straight to the writer.
 */
import { gaussian, mulberry32, shuffle } from './prng.js';

export type Hidden = 'relu' | 'tanh' | 'sigmoid';

export interface Layer {
  inSize: number;
  outSize: number;
  weight: Float32Array; // row-major [in, out]
  bias: Float32Array; // [out]
  activation: Hidden | 'softmax';
}

export interface TrainOptions {
  hidden: { size: number; activation: Hidden }[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L2 penalty on weights (not biases), added to the gradient. */
  weightDecay: number;
  seed: number;
  /** 1 for an input the model may see, 0 for one it must ignore (a feature subset for diversity). */
  inputMask?: Uint8Array;
}

/** Rows are already scaled and masked inputs, [n * inSize]; labels are class indices. */
export interface Batchable {
  inputs: Float32Array;
  labels: number[];
  inSize: number;
  classes: number;
}

function initLayers(sizes: number[], activations: Layer['activation'][], random: () => number): Layer[] {
  return activations.map((activation, l) => {
    const inSize = sizes[l]!;
    const outSize = sizes[l + 1]!;
    // He initialisation for relu, Glorot for the saturating ones and the softmax layer.
    const std = activation === 'relu' ? Math.sqrt(2 / inSize) : Math.sqrt(2 / (inSize + outSize));
    const weight = new Float32Array(inSize * outSize);
    for (let i = 0; i < weight.length; i++) weight[i] = gaussian(random) * std;
    return { inSize, outSize, weight, bias: new Float32Array(outSize), activation };
  });
}

/** One layer forward for one row: writes activations into `out`. */
function forwardLayer(layer: Layer, input: Float32Array, out: Float32Array): void {
  const { inSize, outSize, weight, bias, activation } = layer;
  out.set(bias);
  for (let i = 0; i < inSize; i++) {
    const x = input[i]!;
    if (x === 0) continue; // many pixels are 0: skipping them is a large saving
    const row = i * outSize;
    for (let o = 0; o < outSize; o++) out[o]! += x * weight[row + o]!;
  }
  if (activation === 'relu') for (let o = 0; o < outSize; o++) out[o] = Math.max(0, out[o]!);
  else if (activation === 'tanh') for (let o = 0; o < outSize; o++) out[o] = Math.tanh(out[o]!);
  else if (activation === 'sigmoid') for (let o = 0; o < outSize; o++) out[o] = 1 / (1 + Math.exp(-out[o]!));
  else {
    let max = -Infinity;
    for (let o = 0; o < outSize; o++) max = Math.max(max, out[o]!);
    let sum = 0;
    for (let o = 0; o < outSize; o++) sum += out[o] = Math.exp(out[o]! - max);
    for (let o = 0; o < outSize; o++) out[o]! /= sum;
  }
}

/** Derivative of a hidden activation, written in terms of its output `a`. */
function derivative(activation: Hidden, a: number): number {
  if (activation === 'relu') return a > 0 ? 1 : 0;
  if (activation === 'tanh') return 1 - a * a;
  return a * (1 - a);
}

/** Class probabilities for each row of `inputs` ([n * inSize], scaled like training), [n * classes]. */
export function predict(layers: Layer[], inputs: Float32Array): Float32Array {
  const inSize = layers[0]!.inSize;
  const classes = layers.at(-1)!.outSize;
  const rows = inputs.length / inSize;
  const out = new Float32Array(rows * classes);
  const acts = layers.map((l) => new Float32Array(l.outSize));
  for (let r = 0; r < rows; r++) {
    let a = inputs.subarray(r * inSize, (r + 1) * inSize);
    layers.forEach((layer, l) => {
      forwardLayer(layer, a, acts[l]!);
      a = acts[l]!;
    });
    out.set(a, r * classes);
  }
  return out;
}

export function trainMlp(data: Batchable, options: TrainOptions): Layer[] {
  const random = mulberry32(options.seed);
  const sizes = [data.inSize, ...options.hidden.map((h) => h.size), data.classes];
  const layers = initLayers(sizes, [...options.hidden.map((h) => h.activation), 'softmax'], random);
  const grads = layers.map((l) => ({ weight: new Float32Array(l.weight.length), bias: new Float32Array(l.outSize) }));
  const moments = layers.map((l) => ({
    mw: new Float32Array(l.weight.length),
    vw: new Float32Array(l.weight.length),
    mb: new Float32Array(l.outSize),
    vb: new Float32Array(l.outSize),
  }));
  const acts = layers.map((l) => new Float32Array(l.outSize));
  const deltas = layers.map((l) => new Float32Array(l.outSize));
  const rows = data.labels.length;
  const order = Array.from({ length: rows }, (_, i) => i);
  const stepsPerEpoch = Math.ceil(rows / options.batchSize);
  const totalSteps = options.epochs * stepsPerEpoch;
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  let step = 0;

  for (let epoch = 0; epoch < options.epochs; epoch++) {
    shuffle(order, random);
    for (let start = 0; start < rows; start += options.batchSize) {
      const batch = order.slice(start, start + options.batchSize);
      for (const g of grads) {
        g.weight.fill(0);
        g.bias.fill(0);
      }
      for (const r of batch) {
        const input = data.inputs.subarray(r * data.inSize, (r + 1) * data.inSize);
        let a: Float32Array = input;
        layers.forEach((layer, l) => {
          forwardLayer(layer, a, acts[l]!);
          a = acts[l]!;
        });
        // Softmax with cross-entropy: the output delta is simply p - onehot.
        const last = deltas.length - 1;
        deltas[last]!.set(acts[last]!);
        deltas[last]![data.labels[r]!]! -= 1;
        for (let l = last; l >= 0; l--) {
          const { inSize, outSize, weight } = layers[l]!;
          const below = l === 0 ? input : acts[l - 1]!;
          const delta = deltas[l]!;
          const g = grads[l]!;
          for (let o = 0; o < outSize; o++) g.bias[o]! += delta[o]!;
          for (let i = 0; i < inSize; i++) {
            const x = below[i]!;
            if (x === 0) continue;
            const row = i * outSize;
            for (let o = 0; o < outSize; o++) g.weight[row + o]! += x * delta[o]!;
          }
          if (l === 0) break;
          const activation = layers[l - 1]!.activation as Hidden;
          const next = deltas[l - 1]!;
          for (let i = 0; i < inSize; i++) {
            let s = 0;
            const row = i * outSize;
            for (let o = 0; o < outSize; o++) s += weight[row + o]! * delta[o]!;
            next[i] = s * derivative(activation, below[i]!);
          }
        }
      }
      // Adam with a cosine-decayed step size: big steps early, a quiet finish.
      step++;
      const lr = options.learningRate * 0.5 * (1 + Math.cos((Math.PI * (step - 1)) / totalSteps));
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      const scale = 1 / batch.length;
      layers.forEach((layer, l) => {
        const g = grads[l]!;
        const m = moments[l]!;
        const update = (p: Float32Array, gp: Float32Array, mp: Float32Array, vp: Float32Array, decay: number) => {
          for (let k = 0; k < p.length; k++) {
            const grad = gp[k]! * scale + decay * p[k]!;
            mp[k] = beta1 * mp[k]! + (1 - beta1) * grad;
            vp[k] = beta2 * vp[k]! + (1 - beta2) * grad * grad;
            p[k]! -= (lr * (mp[k]! / c1)) / (Math.sqrt(vp[k]! / c2) + eps);
          }
        };
        update(layer.weight, g.weight, m.mw, m.vw, options.weightDecay);
        update(layer.bias, g.bias, m.mb, m.vb, 0);
      });
    }
  }
  // Masked inputs were always 0 in training, so their weights only decayed; zero them so the
  // exported model ignores those pixels exactly as trained when it sees the real values.
  if (options.inputMask) {
    const first = layers[0]!;
    options.inputMask.forEach((keep, i) => {
      if (!keep) first.weight.fill(0, i * first.outSize, (i + 1) * first.outSize);
    });
  }
  return layers;
}
