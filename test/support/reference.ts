/**
 * The ensemble computed directly in the test process with onnxruntime, and the combination rules
 * written out again independently (float64, plain loops), to check what the server answers.
 */
import * as ort from 'onnxruntime-node';

export async function runMembers(paths: string[], pixels: Float32Array, rows: number): Promise<Float32Array[]> {
  const outputs: Float32Array[] = [];
  for (const path of paths) {
    const session = await ort.InferenceSession.create(path);
    const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', pixels, [rows, pixels.length / rows]) });
    outputs.push(result[session.outputNames[0]!]!.data as Float32Array);
    await session.release();
  }
  return outputs;
}

export type ReferenceRule = 'mean' | 'weighted-mean' | 'vote' | 'max' | 'geometric-mean';

export function combineReference(rule: ReferenceRule, members: Float32Array[], weights: number[], classes: number): Float64Array {
  const length = members[0]!.length;
  const out = new Float64Array(length);
  const rows = length / classes;
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    const mean = (c: number) => members.reduce((s, m) => s + m[base + c]!, 0) / members.length;
    if (rule === 'vote') {
      const votes = new Float64Array(classes);
      members.forEach((m, i) => {
        let best = 0;
        for (let c = 1; c < classes; c++) if (m[base + c]! > m[base + best]!) best = c;
        votes[best] = votes[best]! + weights[i]!;
      });
      let winner = 0;
      for (let c = 1; c < classes; c++) {
        if (votes[c]! > votes[winner]! || (votes[c] === votes[winner] && mean(c) > mean(winner))) winner = c;
      }
      out[base + winner] = 1;
      continue;
    }
    let norm = 0;
    for (let c = 0; c < classes; c++) {
      let value: number;
      if (rule === 'mean') value = mean(c);
      else if (rule === 'weighted-mean') {
        value = members.reduce((s, m, i) => s + weights[i]! * m[base + c]!, 0) / weights.reduce((a, b) => a + b, 0);
      } else if (rule === 'max') value = Math.max(...members.map((m) => m[base + c]!));
      else value = Math.exp(members.reduce((s, m) => s + Math.log(Math.max(m[base + c]!, 1e-12)), 0) / members.length);
      out[base + c] = value;
      norm += value;
    }
    if (rule === 'geometric-mean') for (let c = 0; c < classes; c++) out[base + c]! /= norm;
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}
