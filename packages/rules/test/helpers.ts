/** Small builders for hand-made combine inputs. */
import { TuttiError } from '@tutti/core';
import type { CombineInput } from '../src/index.js';

/** One output named "probs" of the given shape; rows are per member, flat. */
export function singleOutput(shape: number[], perMember: number[][], weights?: number[]): CombineInput {
  const members = perMember.map((_, i) => `m${i}`);
  return {
    members,
    weights: weights ?? members.map(() => 1),
    outputs: { probs: { shape, data: perMember.map((values) => Float32Array.from(values)) } },
  };
}

export function rounded(array: Float32Array | undefined, digits = 5): number[] {
  if (!array) throw new Error('missing output');
  return [...array].map((value) => Number(value.toFixed(digits)));
}

export function thrown(run: () => unknown): TuttiError {
  try {
    run();
  } catch (error) {
    if (error instanceof TuttiError) return error;
    throw error;
  }
  throw new Error('expected a TuttiError');
}

export async function rejected(promise: Promise<unknown>): Promise<TuttiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TuttiError) return error;
    throw error;
  }
  throw new Error('expected a rejection with a TuttiError');
}
