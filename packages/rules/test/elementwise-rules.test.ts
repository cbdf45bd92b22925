import { describe, expect, it } from 'vitest';
import { BUILTIN_RULE_NAMES, builtinRule, maxRule, meanRule, weightedMeanRule, type CombineInput } from '../src/index.js';
import { rounded, singleOutput, thrown } from './helpers.js';

describe('mean', () => {
  it('averages element-wise over a batch of several rows', () => {
    // shape [3, 2]: three rows, two classes, three members.
    const input = singleOutput(
      [3, 2],
      [
        [0.1, 0.9, 0.5, 0.5, 1, 0],
        [0.3, 0.7, 0.2, 0.8, 0, 1],
        [0.2, 0.8, 0.8, 0.2, 0.5, 0.5],
      ],
    );
    // Element 0: (0.1 + 0.3 + 0.2) / 3 = 0.2; element 2: (0.5 + 0.2 + 0.8) / 3 = 0.5; element 4: 1.5 / 3 = 0.5.
    expect(rounded(meanRule(input).probs)).toEqual([0.2, 0.8, 0.5, 0.5, 0.5, 0.5]);
  });

  it('ignores the weights and combines every output', () => {
    const input: CombineInput = {
      members: ['a', 'b'],
      weights: [3, 1],
      outputs: {
        probs: { shape: [1, 2], data: [Float32Array.of(1, 0), Float32Array.of(0, 1)] },
        box: { shape: [4], data: [Float32Array.of(0, 0, 10, 10), Float32Array.of(2, 4, 12, 14)] },
      },
    };
    const result = meanRule(input);
    expect(Object.keys(result)).toEqual(['probs', 'box']);
    expect(rounded(result.probs)).toEqual([0.5, 0.5]);
    expect(rounded(result.box)).toEqual([1, 2, 11, 12]);
  });

  it('returns a fresh array and leaves the inputs alone', () => {
    const input = singleOutput(
      [2],
      [
        [1, 2],
        [3, 4],
      ],
    );
    const result = meanRule(input);
    expect(result.probs).not.toBe(input.outputs.probs!.data[0]);
    expect([...input.outputs.probs!.data[0]!]).toEqual([1, 2]);
  });

  it('with one member is that member', () => {
    expect(rounded(meanRule(singleOutput([3], [[0.25, 0.5, 0.25]])).probs)).toEqual([0.25, 0.5, 0.25]);
  });
});

describe('weighted-mean', () => {
  it('computes sum(w_i * x_i) / sum(w)', () => {
    // Weights 3 and 1: (3 * 1 + 1 * 0) / 4 = 0.75, (3 * 0 + 1 * 1) / 4 = 0.25; row 2: (3 * 0.2 + 0.6) / 4 = 0.3, (3 * 0.8 + 0.4) / 4 = 0.7.
    const input = singleOutput(
      [2, 2],
      [
        [1, 0, 0.2, 0.8],
        [0, 1, 0.6, 0.4],
      ],
      [3, 1],
    );
    expect(rounded(weightedMeanRule(input).probs)).toEqual([0.75, 0.25, 0.3, 0.7]);
  });

  it('handles an odd number of members beyond a pair', () => {
    // Five members, one value each, weights 1, 1, 1, 1, 4: (1 + 2 + 3 + 4 + 4 * 5) / 8 = 30 / 8 = 3.75.
    const input = singleOutput([1], [[1], [2], [3], [4], [5]], [1, 1, 1, 1, 4]);
    expect(rounded(weightedMeanRule(input).probs)).toEqual([3.75]);
    // The plain mean of the same: 15 / 5 = 3; and of four of them: 10 / 4 = 2.5.
    expect(rounded(meanRule(input).probs)).toEqual([3]);
    expect(rounded(meanRule(singleOutput([1], [[1], [2], [3], [4]])).probs)).toEqual([2.5]);
  });

  it('equals the mean when the weights are equal, whatever their scale', () => {
    const input = singleOutput(
      [2],
      [
        [1, 4],
        [2, 8],
      ],
      [0.5, 0.5],
    );
    expect(rounded(weightedMeanRule(input).probs)).toEqual([1.5, 6]);
  });
});

describe('max', () => {
  it('takes the element-wise max without renormalising', () => {
    const input = singleOutput(
      [2, 3],
      [
        [0.7, 0.2, 0.1, 0.1, 0.1, 0.8],
        [0.1, 0.6, 0.3, 0.3, 0.4, 0.3],
      ],
    );
    // Row 1 sums to 0.7 + 0.6 + 0.3 = 1.6: no renormalisation.
    expect(rounded(maxRule(input).probs)).toEqual([0.7, 0.6, 0.3, 0.3, 0.4, 0.8]);
  });

  it('lets a NaN from any member through', () => {
    const first = maxRule(
      singleOutput(
        [2],
        [
          [NaN, 1],
          [5, 2],
        ],
      ),
    ).probs!;
    const later = maxRule(
      singleOutput(
        [2],
        [
          [5, 1],
          [NaN, 2],
        ],
      ),
    ).probs!;
    expect(Number.isNaN(first[0])).toBe(true);
    expect(Number.isNaN(later[0])).toBe(true);
    expect(first[1]).toBe(2);
  });
});

describe('builtinRule', () => {
  it('looks the rules up by their manifest names', () => {
    expect(BUILTIN_RULE_NAMES).toEqual(['mean', 'weighted-mean', 'vote', 'max']);
    expect(builtinRule('mean')).toBe(meanRule);
    expect(builtinRule('weighted-mean')).toBe(weightedMeanRule);
    expect(builtinRule('max')).toBe(maxRule);
    const error = thrown(() => builtinRule('median' as 'mean'));
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toMatch(/unknown combination rule "median"/);
  });

  it('validates the input before combining', () => {
    const input = singleOutput([2], [[1, 2], [3]]);
    for (const name of BUILTIN_RULE_NAMES) {
      expect(thrown(() => builtinRule(name)(input)).message).toMatch(/member "m1" has 1 values, expected 2/);
    }
  });
});
