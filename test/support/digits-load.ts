/**
 * Held-out digits and the ensemble's answers to them computed directly with onnxruntime, for the
 * tests that keep a server under load while they break it (supervision, batcher restart, chaos):
 * every answer a client gets is checked against these.
 */
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { readDigits, testSplit } from '../../ensembles/digits/data.js';
import { DIGITS_DIR } from './ensembles.js';
import { combineReference, maxAbsDiff, runMembers } from './reference.js';

export interface DigitsLoad {
  ensemble: Ensemble;
  rows: number;
  /** Row `row`'s 64 pixels. */
  pixelsOf(row: number): Float32Array;
  /** Whether `probabilities` is the mean rule's answer for row `row` (within 1e-5). */
  isCorrect(row: number, probabilities: Float32Array): boolean;
  /** The mean rule's answer for row `row`, computed with onnxruntime. */
  expectedOf(row: number): Float64Array;
}

export async function digitsLoad(rows = 100): Promise<DigitsLoad> {
  const ensemble = await loadManifest(DIGITS_DIR);
  const digits = readDigits();
  const split = testSplit().slice(0, rows);
  const pixels = new Float32Array(split.length * 64);
  split.forEach((index, row) => pixels.set(digits.pixels[index]!, row * 64));
  const members = await runMembers(
    ensemble.members.map((m) => m.path),
    pixels,
    split.length,
  );
  const reference = combineReference(
    'mean',
    members,
    ensemble.members.map(() => 1),
    10,
  );
  return {
    ensemble,
    rows: split.length,
    pixelsOf: (row) => pixels.subarray(row * 64, (row + 1) * 64),
    isCorrect: (row, probabilities) => maxAbsDiff(probabilities, reference.subarray(row * 10, (row + 1) * 10)) < 1e-5,
    expectedOf: (row) => reference.subarray(row * 10, (row + 1) * 10),
  };
}

/** A small seeded generator (LCG), so a failing run can be replayed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
