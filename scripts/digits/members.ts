/**
 * The members of the digits ensemble. Averaging only helps when members make *different* mistakes,
 * so they differ in architecture, activation, training sample (bootstrap) and seen pixels.
 */
import type { Digits } from '../../ensembles/digits/data.js';
import { type Layer, type TrainOptions, trainMlp } from './mlp.js';
import { bootstrap, mulberry32, shuffle } from './prng.js';

export const PIXELS = 64;
export const CLASSES = 10;
/** Raw pixels are 0..16; the ONNX model applies the same factor through the writer's inputScale. */
export const INPUT_SCALE = 1 / 16;

export interface MemberSpec {
  name: string;
  /** What it is, for the printed table and the README. */
  summary: string;
  train: Omit<TrainOptions, 'inputMask'>;
  /** Train on a bootstrap sample of the training rows drawn with this seed, not on all of them. */
  bootstrapSeed?: number;
  /** See only this fraction of the 64 pixels, chosen with `seed`. */
  pixelFraction?: number;
}

const common = { epochs: 60, batchSize: 32 };

export const MEMBERS: MemberSpec[] = [
  {
    name: 'logreg',
    summary: 'multinomial logistic regression 64-10, all training rows',
    train: { ...common, hidden: [], learningRate: 0.02, weightDecay: 1e-4, seed: 11 },
  },
  {
    name: 'mlp-relu-32',
    summary: 'MLP 64-32-10 relu, bootstrap sample',
    train: { ...common, hidden: [{ size: 32, activation: 'relu' }], learningRate: 0.005, weightDecay: 1e-4, seed: 21 },
    bootstrapSeed: 22,
  },
  {
    name: 'mlp-tanh-64',
    summary: 'MLP 64-64-10 tanh, bootstrap sample',
    train: { ...common, hidden: [{ size: 64, activation: 'tanh' }], learningRate: 0.003, weightDecay: 1e-4, seed: 31 },
    bootstrapSeed: 32,
  },
  {
    name: 'mlp-relu-48-24',
    summary: 'MLP 64-48-24-10 relu (two hidden layers), bootstrap sample',
    train: {
      ...common,
      hidden: [
        { size: 48, activation: 'relu' },
        { size: 24, activation: 'relu' },
      ],
      learningRate: 0.004,
      weightDecay: 1e-4,
      seed: 41,
    },
    bootstrapSeed: 42,
  },
  {
    name: 'mlp-sigmoid-32-subset',
    summary: 'MLP 64-32-10 sigmoid on a random 60% of the pixels, bootstrap sample',
    train: { ...common, hidden: [{ size: 32, activation: 'sigmoid' }], learningRate: 0.01, weightDecay: 1e-4, seed: 51 },
    bootstrapSeed: 52,
    pixelFraction: 0.6,
  },
];

/** The inputs a model sees for `rows`: scaled, with pixels outside `mask` set to 0. */
export function inputsOf(digits: Digits, rows: number[], mask?: Uint8Array): Float32Array {
  const out = new Float32Array(rows.length * PIXELS);
  rows.forEach((row, r) => {
    const pixels = digits.pixels[row]!;
    for (let i = 0; i < PIXELS; i++) out[r * PIXELS + i] = mask && !mask[i] ? 0 : pixels[i]! * INPUT_SCALE;
  });
  return out;
}

function pixelMask(fraction: number, seed: number): Uint8Array {
  const chosen = shuffle(
    Array.from({ length: PIXELS }, (_, i) => i),
    mulberry32(seed),
  ).slice(0, Math.round(fraction * PIXELS));
  const mask = new Uint8Array(PIXELS);
  for (const i of chosen) mask[i] = 1;
  return mask;
}

export function trainMember(spec: MemberSpec, digits: Digits, trainRows: number[]): Layer[] {
  const rows = spec.bootstrapSeed === undefined ? trainRows : bootstrap(trainRows, mulberry32(spec.bootstrapSeed));
  const inputMask = spec.pixelFraction === undefined ? undefined : pixelMask(spec.pixelFraction, spec.train.seed);
  const data = { inputs: inputsOf(digits, rows, inputMask), labels: rows.map((r) => digits.labels[r]!), inSize: PIXELS, classes: CLASSES };
  return trainMlp(data, { ...spec.train, ...(inputMask ? { inputMask } : {}) });
}
