/**
 * Allowable throughput (KAIROS's figure): the highest offered open-loop rate a server sustained with
 * p99 under the latency target, no errors, and without falling behind (window.ts: it answered at
 * least 95% of what was sent within the window and its backlog did not grow). A step whose requests
 * were only answered after the window is not sustained, however good its p99 of those it counted.
 */
import type { StepResult } from './run-load.js';

export type OfferedStep = Pick<StepResult, 'latency' | 'errors' | 'fellBehind'> & { offered: number };

export function sustained(step: OfferedStep, p99TargetMs: number): boolean {
  return step.latency.p99 <= p99TargetMs && Object.keys(step.errors).length === 0 && step.fellBehind === false;
}

/** 0 when no step was sustained. */
export function allowableThroughput(steps: readonly OfferedStep[], p99TargetMs: number): number {
  return Math.max(0, ...steps.filter((s) => sustained(s, p99TargetMs)).map((s) => s.offered));
}
