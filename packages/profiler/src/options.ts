/** Batch sizes and thread counts: the defaults, and the checks every entry point applies. */
import os from 'node:os';
import { invalidOption } from '@tutti/protocol';

/** Largest batch size profiled by default: past it batching gains nothing measurable on a CPU. */
export const MAX_DEFAULT_BATCH_SIZE = 64;
/** Up to this many cores every thread count is profiled; past it, powers of two and the core count. */
const ALL_THREAD_COUNTS_UP_TO = 8;

/** Powers of two up to the ensemble's max batch size, plus that size itself, capped at 64. */
export function defaultBatchSizes(maxBatchSize: number): number[] {
  const sizes: number[] = [];
  const largest = Math.min(maxBatchSize, MAX_DEFAULT_BATCH_SIZE);
  for (let size = 1; size <= largest; size *= 2) sizes.push(size);
  if (sizes.at(-1) !== largest) sizes.push(largest);
  return sizes;
}

/** 1..cores; on a large host 1, 2, 4, ... and the core count, to keep profiling short. */
export function defaultThreadOptions(cores: number = os.availableParallelism()): number[] {
  if (cores <= ALL_THREAD_COUNTS_UP_TO) return Array.from({ length: cores }, (_, i) => i + 1);
  const counts: number[] = [];
  for (let threads = 1; threads < cores; threads *= 2) counts.push(threads);
  return [...counts, cores];
}

/** Distinct, ascending positive integers; throws INVALID_OPTION naming `what` otherwise. */
export function distinctAscending(values: readonly number[], what: string): number[] {
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1))
    invalidOption(what, values, 'a non-empty list of integers >= 1');
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Parses "1,2,4" (as the CLI takes lists). */
export function parseIntegerList(text: string, what: string): number[] {
  const values = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map(Number);
  return distinctAscending(values, what);
}
