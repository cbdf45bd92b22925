/**
 * Accuracy of members and of combined ensembles on [rows * classes] probability arrays.
 * The rules mirror the server's (mean, vote with ties broken by the mean, max) so that the
 * figures printed at training time describe what serving will answer.
 */

export function argmax(probs: ArrayLike<number>, base: number, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (probs[base + c]! > probs[base + best]!) best = c;
  return best;
}

export function predictions(probs: ArrayLike<number>, classes: number): number[] {
  return Array.from({ length: probs.length / classes }, (_, r) => argmax(probs, r * classes, classes));
}

export function accuracy(probs: ArrayLike<number>, labels: number[], classes: number): number {
  const predicted = predictions(probs, classes);
  return predicted.filter((p, r) => p === labels[r]).length / labels.length;
}

export type Rule = 'mean' | 'vote' | 'max';

/** Combines member probabilities row by row, in float64. */
export function combine(rule: Rule, members: ArrayLike<number>[], classes: number): Float64Array {
  const length = members[0]!.length;
  const out = new Float64Array(length);
  for (let base = 0; base < length; base += classes) {
    const mean = new Float64Array(classes);
    for (const m of members) for (let c = 0; c < classes; c++) mean[c]! += m[base + c]! / members.length;
    if (rule === 'mean') out.set(mean, base);
    else if (rule === 'max') {
      for (let c = 0; c < classes; c++) out[base + c] = Math.max(...members.map((m) => m[base + c]!));
    } else {
      const votes = new Float64Array(classes);
      for (const m of members) votes[argmax(m, base, classes)]! += 1;
      let winner = 0;
      for (let c = 1; c < classes; c++) {
        if (votes[c]! > votes[winner]! || (votes[c] === votes[winner] && mean[c]! > mean[winner]!)) winner = c;
      }
      out[base + winner] = 1;
    }
  }
  return out;
}

/** How many rows two members classify differently. */
export function disagreements(a: ArrayLike<number>, b: ArrayLike<number>, classes: number): number {
  const pa = predictions(a, classes);
  const pb = predictions(b, classes);
  return pa.filter((p, r) => p !== pb[r]).length;
}
