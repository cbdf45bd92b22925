/**
 * Element-wise built-in rules. Each validates its input (cheap: per member and output, not per
 * element), then runs plain loops over Float32Arrays with the member loop outside so the inner loop
 * is a straight pass over contiguous memory; the only allocation is the result array per output.
 * Sums accumulate in float32, in the result array itself: with a handful of members the rounding
 * error stays within a few ulps, and a float64 scratch buffer would cost a second pass.
 */
import { checkCombineInput } from './check-input.js';
import type { CombineInput, CombineOutput } from './types.js';

/** Element-wise mean over members. Weights are ignored (use `weightedMeanRule` for them). */
export function meanRule(input: CombineInput): CombineOutput {
  checkCombineInput(input);
  const uniform = new Array<number>(input.members.length).fill(1 / input.members.length);
  return weightedSums(input, uniform);
}

/** Element-wise sum of w_i * x_i / sum(w): each member's weight is normalised once, then one pass per member. */
export function weightedMeanRule(input: CombineInput): CombineOutput {
  checkCombineInput(input);
  let total = 0;
  for (const weight of input.weights) total += weight;
  return weightedSums(input, input.weights.map((weight) => weight / total));
}

function weightedSums(input: CombineInput, coefficients: readonly number[]): CombineOutput {
  const result: CombineOutput = {};
  for (const [name, { data }] of Object.entries(input.outputs)) {
    const first = data[0]!;
    const length = first.length;
    const sum = new Float32Array(length);
    const c0 = coefficients[0]!;
    for (let i = 0; i < length; i++) sum[i] = c0 * first[i]!;
    for (let m = 1; m < data.length; m++) {
      const values = data[m]!;
      const c = coefficients[m]!;
      for (let i = 0; i < length; i++) sum[i] = sum[i]! + c * values[i]!;
    }
    result[name] = sum;
  }
  return result;
}

/**
 * Element-wise max over members. No renormalisation: the max of probability vectors does not sum
 * to 1, and callers who want a distribution must normalise it themselves. Weights are ignored.
 * A NaN in any member makes that element NaN (as Math.max would), whichever member it comes from.
 */
export function maxRule(input: CombineInput): CombineOutput {
  checkCombineInput(input);
  const result: CombineOutput = {};
  for (const [name, { data }] of Object.entries(input.outputs)) {
    const max = data[0]!.slice();
    const length = max.length;
    for (let m = 1; m < data.length; m++) {
      const values = data[m]!;
      for (let i = 0; i < length; i++) {
        const value = values[i]!;
        // `value !== value` is the NaN test; once NaN, no later value is greater, so NaN sticks.
        if (value > max[i]! || value !== value) max[i] = value;
      }
    }
    result[name] = max;
  }
  return result;
}
