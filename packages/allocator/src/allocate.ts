import { greedy } from './greedy.js';
import type { AllocationInput, Plan, Strategy } from './types.js';
import { baseline, worstFit } from './worst-fit.js';

/** Places the ensemble with the given strategy (greedy starts from worst-fit). Pure and deterministic. */
export function allocate(input: AllocationInput, strategy: Strategy = 'greedy'): Plan {
  if (strategy === 'baseline') return baseline(input);
  if (strategy === 'worst-fit') return worstFit(input);
  return greedy(input);
}
