import { describe, expect, it } from 'vitest';
import { checkCombineInput, elementCount, type CombineInput } from '../src/index.js';
import { singleOutput, thrown } from './helpers.js';

function good(): CombineInput {
  return singleOutput(
    [2, 2],
    [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ],
  );
}

describe('checkCombineInput', () => {
  it('accepts a consistent input', () => {
    expect(() => checkCombineInput(good())).not.toThrow();
    expect(elementCount([])).toBe(1);
    expect(elementCount([64, 10])).toBe(640);
  });

  it('needs at least one member', () => {
    const error = thrown(() => checkCombineInput({ members: [], weights: [], outputs: {} }));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toMatch(/at least one member/);
  });

  it('needs one weight per member', () => {
    const input = { ...good(), weights: [1] };
    expect(thrown(() => checkCombineInput(input)).message).toMatch(/2 members but 1 weights/);
  });

  it.each([0, -1, NaN, Infinity])('names the member whose weight is %s', (weight) => {
    const input = { ...good(), weights: [1, weight] };
    expect(thrown(() => checkCombineInput(input)).message).toMatch(/weight of member "m1" must be a finite number > 0/);
  });

  it('names the member and output whose array has the wrong length', () => {
    const input = good();
    input.outputs.probs!.data[1] = new Float32Array(3);
    expect(thrown(() => checkCombineInput(input)).message).toBe(
      'combine input: output "probs" of member "m1" has 3 values, expected 4 for shape [2,2]',
    );
  });

  it('names the output with a missing member array or a non-Float32Array', () => {
    const missing = good();
    missing.outputs.probs!.data.pop();
    expect(thrown(() => checkCombineInput(missing)).message).toMatch(/output "probs" has 1 member arrays for 2 members/);
    const wrongType = good();
    (wrongType.outputs.probs!.data as unknown[])[0] = [1, 2, 3, 4];
    expect(thrown(() => checkCombineInput(wrongType)).message).toMatch(/output "probs" of member "m0" is not a Float32Array/);
  });

  it('rejects bad shapes and an input without outputs', () => {
    const badShape = good();
    badShape.outputs.probs!.shape = [2, -2];
    expect(thrown(() => checkCombineInput(badShape)).message).toMatch(/output "probs" has shape \[2,-2\]/);
    expect(thrown(() => checkCombineInput({ ...good(), outputs: {} })).message).toMatch(/at least one output/);
  });
});
