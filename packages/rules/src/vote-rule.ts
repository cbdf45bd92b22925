/**
 * Majority vote over the last axis (classes). Each member votes, per row, for its argmax class
 * (the lowest index among equal maxima); the row of the result is one-hot of the winning class.
 *
 * Weights are vote weights: member i's vote counts w_i (1 each by default). Votes are compared
 * exactly, so weights that should sum to the same total but differ by rounding do not tie.
 *
 * Ties between classes with the most votes go to the class with the highest weighted mean
 * probability (sum of w_i * p_i / sum(w), the plain mean when weights are equal, so a tie is settled
 * by the members we trust most), then to the lowest class index.
 *
 * A member whose row is all NaN casts no vote; a row where no member voted comes out all NaN, so
 * garbage stays visible rather than turning into a confident class 0.
 */
import { checkCombineInput } from './check-input.js';
import type { CombineInput, CombineOutput } from './types.js';

export function voteRule(input: CombineInput): CombineOutput {
  checkCombineInput(input);
  const result: CombineOutput = {};
  for (const [name, { shape, data }] of Object.entries(input.outputs)) {
    result[name] = voteOneOutput(shape, data, input.weights);
  }
  return result;
}

function voteOneOutput(shape: readonly number[], data: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const length = data[0]!.length;
  const out = new Float32Array(length);
  // A scalar output has one class; an empty last axis has no rows.
  const classes = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  if (classes === 0) return out;
  const rows = length / classes;
  const members = data.length;
  // Scratch per call, reused for every row: no allocation in the row loop.
  const votes = new Float64Array(classes);
  for (let row = 0; row < rows; row++) {
    const start = row * classes;
    votes.fill(0);
    let anyVote = false;
    for (let m = 0; m < members; m++) {
      const winner = argmax(data[m]!, start, classes);
      if (winner >= 0) {
        votes[winner]! += weights[m]!;
        anyVote = true;
      }
    }
    if (!anyVote) {
      out.fill(NaN, start, start + classes);
      continue;
    }
    out[start + mostVoted(votes, data, weights, start)] = 1;
  }
  return out;
}

/** Index (relative to `start`) of the first maximum, ignoring NaN; -1 when all values are NaN. */
function argmax(values: Float32Array, start: number, count: number): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let c = 0; c < count; c++) {
    const value = values[start + c]!;
    // `best < 0 && value === value` lets a row of -Infinity still vote (for class 0).
    if (value > bestValue || (best < 0 && value === value)) {
      best = c;
      bestValue = value;
    }
  }
  return best;
}

function mostVoted(votes: Float64Array, data: readonly Float32Array[], weights: readonly number[], start: number): number {
  let winner = 0;
  let winnerVotes = votes[0]!;
  let tied = false;
  for (let c = 1; c < votes.length; c++) {
    const count = votes[c]!;
    if (count > winnerVotes) {
      winner = c;
      winnerVotes = count;
      tied = false;
    } else if (count === winnerVotes) {
      tied = true;
    }
  }
  if (!tied) return winner;
  // Rare path: compare weighted probability sums (proportional to the weighted means) of the tied classes.
  let bestScore = -Infinity;
  let best = -1;
  for (let c = winner; c < votes.length; c++) {
    if (votes[c] !== winnerVotes) continue;
    let score = 0;
    for (let m = 0; m < data.length; m++) score += weights[m]! * data[m]![start + c]!;
    // A NaN score never beats a number; the first tied class stands when all are NaN.
    if (best < 0 || score > bestScore || (bestScore !== bestScore && score === score)) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}
