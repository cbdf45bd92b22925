/**
 * What the combination-rule process hands a rule for one batch, and what it expects back. Arrays are
 * flat, row-major, in the batch shape; one array per member, in manifest order.
 */

export interface CombineInput {
  /** Member names, manifest order. */
  members: string[];
  /** One positive weight per member (1 when the manifest gives none). */
  weights: number[];
  /** Per ensemble output name: the batch shape (e.g. [batch, classes]) and one array per member, same order as `members`. */
  outputs: Record<string, { shape: number[]; data: Float32Array[] }>;
}

/** Per output name, one flat array of the same shape as the members' arrays for that output. */
export type CombineOutput = Record<string, Float32Array>;

export type CombinationRule = (input: CombineInput) => CombineOutput;

/** A custom rule may also answer asynchronously; built-in rules are always synchronous. */
export type AsyncCombinationRule = (input: CombineInput) => CombineOutput | Promise<CombineOutput>;
