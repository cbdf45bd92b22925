/**
 * Validation of a rule's input, once per batch. The checks are per member and per output, never per
 * element, so they cost nanoseconds next to the rule itself; they turn a mismatch (a model whose
 * output shape drifted, a weight lost on the way) into a message naming the culprit instead of a
 * silent NaN from an out-of-bounds read.
 *
 * Errors are INTERNAL: the input is built by the server from its own members' outputs, so a bad one
 * is a server or model fault, not the client's.
 */
import { TuttiError } from '@tutti/core';
import type { CombineInput } from './types.js';

/** Number of elements of a shape; the product of an empty shape (a scalar) is 1. */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

function invalidInput(message: string): never {
  throw new TuttiError('INTERNAL', `combine input: ${message}`);
}

export function checkCombineInput(input: CombineInput): void {
  if (input === null || typeof input !== 'object') invalidInput(`expected an object, got ${String(input)}`);
  const { members, weights, outputs } = input;
  if (!Array.isArray(members) || members.length === 0) invalidInput('needs at least one member');
  if (!Array.isArray(weights) || weights.length !== members.length) {
    invalidInput(`${members.length} members but ${Array.isArray(weights) ? weights.length : 'no'} weights`);
  }
  for (let m = 0; m < members.length; m++) {
    const weight = weights[m];
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      invalidInput(`weight of member "${members[m]}" must be a finite number > 0, got ${String(weight)}`);
    }
  }
  if (outputs === null || typeof outputs !== 'object') invalidInput('outputs must be an object keyed by output name');
  const names = Object.keys(outputs);
  if (names.length === 0) invalidInput('needs at least one output');
  for (const name of names) {
    const { shape, data } = outputs[name]!;
    if (!Array.isArray(shape) || !shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
      invalidInput(`output "${name}" has shape ${JSON.stringify(shape)}, expected non-negative integers`);
    }
    if (!Array.isArray(data) || data.length !== members.length) {
      invalidInput(`output "${name}" has ${Array.isArray(data) ? data.length : 'no'} member arrays for ${members.length} members`);
    }
    const expected = elementCount(shape);
    for (let m = 0; m < members.length; m++) {
      const array = data[m];
      if (!(array instanceof Float32Array)) {
        invalidInput(`output "${name}" of member "${members[m]}" is not a Float32Array`);
      }
      if (array.length !== expected) {
        invalidInput(
          `output "${name}" of member "${members[m]}" has ${array.length} values, expected ${expected} for shape [${shape.join(',')}]`,
        );
      }
    }
  }
}
