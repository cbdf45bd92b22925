import { expect } from 'vitest';
import { predict, type AllocationInput, type Plan } from '../src/index.js';

/** No device over its memory, no CPU over its cores (unless more CPU instances than cores were unavoidable). */
export function expectWithinCapacity(plan: Plan, allowOversubscribedCores = false): void {
  for (const usage of plan.predicted.devices) {
    expect(usage.memoryBytes).toBeLessThanOrEqual(usage.memoryCapacity);
    if (usage.cores !== undefined && !allowOversubscribedCores) expect(usage.cores).toBeLessThanOrEqual(usage.coresCapacity!);
  }
}

/** Every instance uses a (batch, threads) setting whose profiled batch latency meets the budget. */
export function expectWithinBudget(problem: AllocationInput, plan: Plan): void {
  for (const i of plan.instances) {
    const point = problem.profiles[i.member]![i.device]!.points.find((p) => p.batch === i.batch && p.threads === i.threads)!;
    expect(point.latencyMs).toBeLessThanOrEqual(problem.latencyBudgetMs!);
  }
}

/** The plan's prediction is the one its instances give. */
export function expectHonestPrediction(problem: AllocationInput, plan: Plan): void {
  expect(plan.predicted).toEqual(predict(problem, plan.instances));
}
