import { describe, expect, it } from 'vitest';
import { builtinRule, voteRule, type CombineInput } from '../src/index.js';
import { singleOutput } from './helpers.js';

function votes(input: CombineInput, name = 'probs'): number[] {
  return [...voteRule(input)[name]!];
}

describe('vote', () => {
  it('is one-hot of the majority argmax, row by row', () => {
    // 3 members, 2 rows of 3 classes. Row 0 argmaxes: 0, 0, 2 -> class 0. Row 1 argmaxes: 1, 2, 2 -> class 2.
    const input = singleOutput(
      [2, 3],
      [
        [0.6, 0.3, 0.1, 0.2, 0.5, 0.3],
        [0.5, 0.1, 0.4, 0.1, 0.4, 0.5],
        [0.1, 0.2, 0.7, 0.3, 0.3, 0.4],
      ],
    );
    expect(votes(input)).toEqual([1, 0, 0, 0, 0, 1]);
    expect(builtinRule('vote')).toBe(voteRule);
  });

  it('a majority beats a higher mean probability', () => {
    // Class 0 wins 2 votes to 1 although class 1 has the higher mean: (0.4 + 0.4 + 1) / 3 = 0.6 vs 0.4.
    const input = singleOutput(
      [1, 2],
      [
        [0.6, 0.4],
        [0.6, 0.4],
        [0, 1],
      ],
    );
    expect(votes(input)).toEqual([1, 0]);
  });

  it('breaks a tie in votes by the highest mean probability among the tied classes', () => {
    // Member argmaxes: 0, 1 -> tied one vote each. Means: class 0 (0.5 + 0.1) / 2 = 0.3, class 1 (0.2 + 0.6) / 2 = 0.4,
    // class 2 (0.3 + 0.3) / 2 = 0.3 but class 2 has no vote, so it is not in the tie. Class 1 wins.
    const input = singleOutput(
      [1, 3],
      [
        [0.5, 0.2, 0.3],
        [0.1, 0.6, 0.3],
      ],
    );
    expect(votes(input)).toEqual([0, 1, 0]);
  });

  it('ignores untied classes with a higher mean when breaking a tie', () => {
    // 4 members, argmaxes 0, 0, 2, 2 -> classes 0 and 2 tie with 2 votes; class 1 has the highest mean
    // (0.45 * 4 / 4 = 0.45) but no votes. Means: class 0 (0.5 + 0.5 + 0 + 0) / 4 = 0.25, class 2 (0.05 + 0.05 + 0.55 + 0.55) / 4 = 0.3.
    const input = singleOutput(
      [1, 3],
      [
        [0.5, 0.45, 0.05],
        [0.5, 0.45, 0.05],
        [0, 0.45, 0.55],
        [0, 0.45, 0.55],
      ],
    );
    expect(votes(input)).toEqual([0, 0, 1]);
  });

  it('breaks a tie with equal means by the lowest class index', () => {
    // Argmaxes 1 and 2, means of classes 1 and 2 both (0.6 + 0.4) / 2 = 0.5.
    const input = singleOutput(
      [1, 3],
      [
        [0, 0.6, 0.4],
        [0, 0.4, 0.6],
      ],
    );
    expect(votes(input)).toEqual([0, 1, 0]);
  });

  it('takes the lowest index as a member argmax when its maximum repeats', () => {
    // Member 0 has 0.5 at classes 1 and 2: it votes 1. Member 1 votes 1. Class 1 wins.
    const input = singleOutput(
      [1, 3],
      [
        [0, 0.5, 0.5],
        [0.2, 0.7, 0.1],
      ],
    );
    expect(votes(input)).toEqual([0, 1, 0]);
  });

  it('uses weights as vote weights', () => {
    // Argmaxes 0, 1, 1 with weights 3, 1, 1: class 0 has 3 votes, class 1 has 2.
    const input = singleOutput(
      [1, 2],
      [
        [0.9, 0.1],
        [0.2, 0.8],
        [0.3, 0.7],
      ],
      [3, 1, 1],
    );
    expect(votes(input)).toEqual([1, 0]);
  });

  it('breaks a weighted tie by the weighted mean probability', () => {
    // Argmaxes 0, 1, 1 with weights 2, 1, 1: 2 votes each. Weighted means (sum of w_i * p_i / 4):
    // class 0 (2 * 0.6 + 0.4 + 0.4) / 4 = 0.5 = class 1 (2 * 0.4 + 0.6 + 0.6) / 4 -> lowest index, class 0.
    const even = singleOutput(
      [1, 2],
      [
        [0.6, 0.4],
        [0.4, 0.6],
        [0.4, 0.6],
      ],
      [2, 1, 1],
    );
    expect(votes(even)).toEqual([1, 0]);
    // Member 0 less sure: class 0 (2 * 0.55 + 0.4 + 0.4) / 4 = 0.475 < class 1 (2 * 0.45 + 0.6 + 0.6) / 4 = 0.525.
    const unsure = singleOutput(
      [1, 2],
      [
        [0.55, 0.45],
        [0.4, 0.6],
        [0.4, 0.6],
      ],
      [2, 1, 1],
    );
    expect(votes(unsure)).toEqual([0, 1]);
  });

  it('votes on every output along its own last axis', () => {
    const input: CombineInput = {
      members: ['a', 'b', 'c'],
      weights: [1, 1, 1],
      outputs: {
        // [2, 2]: row 0 argmaxes 1, 1, 0 -> 1; row 1 argmaxes 0, 0, 0 -> 0.
        species: {
          shape: [2, 2],
          data: [Float32Array.of(0.1, 0.9, 0.8, 0.2), Float32Array.of(0.4, 0.6, 0.7, 0.3), Float32Array.of(0.6, 0.4, 0.9, 0.1)],
        },
        // [1, 4]: argmaxes 3, 2, 3 -> 3.
        colour: {
          shape: [1, 4],
          data: [Float32Array.of(0, 0, 0.1, 0.9), Float32Array.of(0, 0, 0.9, 0.1), Float32Array.of(0.1, 0.1, 0.1, 0.7)],
        },
      },
    };
    const result = voteRule(input);
    expect([...result.species!]).toEqual([0, 1, 1, 0]);
    expect([...result.colour!]).toEqual([0, 0, 0, 1]);
  });

  it('treats an all-NaN member row as no vote, and a row nobody voted for as NaN', () => {
    // Row 0: member 0 abstains, member 1 votes 1. Row 1: both abstain.
    const input = singleOutput(
      [2, 2],
      [
        [NaN, NaN, NaN, NaN],
        [0.3, 0.7, NaN, NaN],
      ],
    );
    const result = votes(input);
    expect(result.slice(0, 2)).toEqual([0, 1]);
    expect(result.slice(2).every(Number.isNaN)).toBe(true);
  });
});
