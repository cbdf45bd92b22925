/**
 * The committed digits members, run with onnxruntime on the fixed held-out split: each must be good,
 * they must disagree (or averaging could not help), and their mean must beat the best of them.
 * This checks the ONNX files as served, not the training script's own float maths.
 */
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '@tutti/manifest';
import { readFileSync } from 'node:fs';
import { CLASSES, PIXELS, readDigits, testSplit } from '../ensembles/digits/data.js';

const DIR = fileURLToPath(new URL('../ensembles/digits/', import.meta.url));

/** Member names and paths as the manifest gives them (parsed, not loaded: this test runs the files itself). */
function manifestMembers(): { name: string; path: string }[] {
  const source = `${DIR}manifest.yaml`;
  return parseManifest(readFileSync(source, 'utf8'), source).members.map(({ name, path }) => ({ name, path }));
}

function argmaxRows(probs: ArrayLike<number>): number[] {
  return Array.from({ length: probs.length / CLASSES }, (_, r) => {
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (probs[r * CLASSES + c]! > probs[r * CLASSES + best]!) best = c;
    return best;
  });
}

function accuracyOf(predicted: number[], labels: number[]): number {
  return predicted.filter((p, i) => p === labels[i]).length / labels.length;
}

describe('digits ensemble on the held-out split', () => {
  const members = manifestMembers();
  const digits = readDigits();
  const split = testSplit();
  const labels = split.map((i) => digits.labels[i]!);
  const outputs = new Map<string, Float32Array>();

  beforeAll(async () => {
    const pixels = new Float32Array(split.length * PIXELS);
    split.forEach((index, row) => pixels.set(digits.pixels[index]!, row * PIXELS));
    for (const member of members) {
      const session = await ort.InferenceSession.create(`${DIR}${member.path}`);
      try {
        expect(session.inputNames).toEqual(['pixels']);
        expect(session.outputNames).toEqual(['probabilities']);
        const result = await session.run({ pixels: new ort.Tensor('float32', pixels, [split.length, PIXELS]) });
        const probabilities = result.probabilities!;
        expect(probabilities.dims).toEqual([split.length, CLASSES]);
        outputs.set(member.name, probabilities.data as Float32Array);
      } finally {
        await session.release();
      }
    }
  });

  it('uses the data it says: 1,797 rows, a quarter held out, no row twice', () => {
    expect(digits.labels).toHaveLength(1797);
    expect(new Set(split).size).toBe(split.length);
    expect(split.length).toBeGreaterThan(400);
    expect(split.every((i) => Number.isInteger(i) && i >= 0 && i < digits.labels.length)).toBe(true);
    expect(members.length).toBeGreaterThanOrEqual(4);
  });

  it('every member outputs probabilities and is better than 85%', () => {
    for (const member of members) {
      const probs = outputs.get(member.name)!;
      for (let r = 0; r < split.length; r++) {
        const sum = probs.subarray(r * CLASSES, (r + 1) * CLASSES).reduce((s, p) => s + p, 0);
        expect(sum).toBeCloseTo(1, 4);
      }
      const accuracy = accuracyOf(argmaxRows(probs), labels);
      expect(accuracy, member.name).toBeGreaterThan(0.85);
    }
  });

  it('members are genuinely different: every pair disagrees on several rows', () => {
    const predictions = members.map((m) => argmaxRows(outputs.get(m.name)!));
    for (let a = 0; a < members.length; a++) {
      for (let b = a + 1; b < members.length; b++) {
        const differ = predictions[a]!.filter((p, i) => p !== predictions[b]![i]).length;
        expect(differ, `${members[a]!.name} vs ${members[b]!.name}`).toBeGreaterThanOrEqual(5);
      }
    }
  });

  it('the mean of probabilities beats the best member', () => {
    const mean = new Float64Array(split.length * CLASSES);
    for (const probs of outputs.values()) probs.forEach((p, k) => (mean[k]! += p / outputs.size));
    const memberAccuracies = members.map((m) => accuracyOf(argmaxRows(outputs.get(m.name)!), labels));
    const ensembleAccuracy = accuracyOf(argmaxRows(mean), labels);
    expect(ensembleAccuracy).toBeGreaterThan(Math.max(...memberAccuracies));
  });
});
