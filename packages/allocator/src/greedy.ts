/**
 * Greedy tuning from the worst-fit start: evaluate every neighbouring plan, keep the best improving
 * one, stop when none gains more than `minGain` (1%). Predicted throughput never goes down. When
 * several members tie as the bottleneck no single move can raise the minimum, so a move that lifts
 * one member out of the tie (without lowering the minimum) also counts as progress.
 */
import { neighbours } from './moves.js';
import { deviceUsage, predict } from './predict.js';
import type { AllocationInput, DeviceUsage, GreedyStep, Instance, Plan, Prediction } from './types.js';
import { checkInput } from './validate.js';
import { toPlan, worstFit } from './worst-fit.js';

const MAX_STEPS = 1000;

function tiedAt(prediction: Prediction, level: number): number {
  return prediction.members.filter((m) => m.throughput <= level).length;
}

/** Memory within capacity everywhere; CPU threads within the cores, or no more oversubscribed than before. */
function feasible(usage: DeviceUsage[], before: DeviceUsage[]): boolean {
  return usage.every((u, k) => {
    if (u.memoryBytes > u.memoryCapacity) return false;
    if (u.cores === undefined) return true;
    return u.cores <= Math.max(u.coresCapacity ?? 1, before[k]!.cores ?? 0);
  });
}

interface Scored {
  move: string;
  instances: Instance[];
  prediction: Prediction;
  tied: number;
  total: number;
}

function better(a: Scored, b: Scored): boolean {
  if (a.prediction.throughput !== b.prediction.throughput) return a.prediction.throughput > b.prediction.throughput;
  if (a.tied !== b.tied) return a.tied < b.tied;
  return a.total > b.total;
}

export function greedy(input: AllocationInput, start?: Plan): Plan {
  checkInput(input);
  const minGain = input.minGain ?? 0.01;
  let instances = (start ?? worstFit(input)).instances;
  let current = predict(input, instances);
  const steps: GreedyStep[] = [];
  for (let step = 0; step < MAX_STEPS; step++) {
    const level = current.throughput * (1 + minGain);
    const tiedNow = tiedAt(current, level);
    const usageNow = deviceUsage(input, instances);
    let best: Scored | undefined;
    for (const candidate of neighbours(input, instances, current.bottleneck)) {
      if (!feasible(deviceUsage(input, candidate.instances), usageNow)) continue;
      const prediction = predict(input, candidate.instances);
      if (prediction.throughput < current.throughput) continue;
      const tied = tiedAt(prediction, level);
      const gains = prediction.throughput > level || (tied < tiedNow && prediction.throughput >= current.throughput);
      if (!gains) continue;
      const scored = { ...candidate, prediction, tied, total: prediction.members.reduce((s, m) => s + m.throughput, 0) };
      if (!best || better(scored, best)) best = scored;
    }
    if (!best) break;
    steps.push({ move: best.move, throughputBefore: current.throughput, throughputAfter: best.prediction.throughput });
    instances = best.instances;
    current = best.prediction;
  }
  return toPlan(input, 'greedy', instances, steps);
}
