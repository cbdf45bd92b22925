/**
 * Greedy tuning from the worst-fit start: evaluate every neighbouring plan, keep the best improving
 * one, stop when none gains more than `minGain` (1%). Predicted throughput never goes down. When
 * several members tie as the bottleneck no single move can raise the minimum, so a move that lifts
 * one member out of the tie (without lowering the minimum) also counts as progress.
 */
import { neighbours } from './moves.js';
import { TuttiError } from '@tutti/core';
import { predict } from './predict.js';
import type { AllocationInput, GreedyStep, Instance, Plan, Prediction } from './types.js';
import { checkInput } from './validate.js';
import { toPlan, worstFit } from './worst-fit.js';

/** A guard: every step gains or breaks a tie, so the search ends anyway; this bounds it on odd inputs. */
const MAX_STEPS = 1000;

/** Members whose bound on the ensemble's rate (throughput over reach) is at most `level`. */
function tiedAt(input: AllocationInput, prediction: Prediction, level: number): number {
  return prediction.members.filter((m) => m.throughput / (input.reach?.[m.member] ?? 1) <= level).length;
}

/**
 * Whether a neighbour may be taken: memory within capacity everywhere; CPU threads within the cores
 * and the slowest predicted batch within the latency budget, or, where the start already broke one
 * of those (more CPU members than cores), no worse than now.
 */
function feasible(input: AllocationInput, candidate: Prediction, now: Prediction): boolean {
  const devicesFit = candidate.devices.every((u, k) => {
    if (u.memoryBytes > u.memoryCapacity) return false;
    if (u.cores === undefined) return true;
    const before = now.devices[k]!.cores ?? 0;
    // A CPU the start already oversubscribes may take one more thread while the bottleneck is held
    // back by its own instances rather than by a device: a single-thread instance of a heavy member
    // time-sliced with the others gets less than a core, and a second one gives it the slack
    // (measured on zoo-cnn: 12.0 -> 14.1 images/s with a second resnet34 instance).
    const slack = before > (u.coresCapacity ?? 1) && now.limitedBy === undefined ? 1 : 0;
    return u.cores <= Math.max(u.coresCapacity ?? 1, before + slack);
  });
  if (!devicesFit || input.latencyBudgetMs === undefined) return devicesFit;
  return slowestBatch(candidate) <= Math.max(input.latencyBudgetMs, slowestBatch(now)) * (1 + 1e-9);
}

function slowestBatch(prediction: Prediction): number {
  return Math.max(...prediction.members.map((m) => m.batchLatencyMs));
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

export interface GreedyOptions {
  /** Moves may change instances on these devices only (the others serve already: see hosts.ts). Default: any. */
  onlyOn?: ReadonlySet<string>;
}

/** A set of instances as a comparable key (order does not matter): two with the same key are the same placement. */
export function instancesKey(instances: readonly Instance[]): string {
  return instances
    .map((i) => `${i.member}@${i.device}:b${i.batch}t${i.threads}`)
    .sort()
    .join(',');
}

/** The instances on devices outside `onlyOn`, as a key: a move must leave it as it was. */
function fixedPart(instances: readonly Instance[], onlyOn: ReadonlySet<string>): string {
  return instancesKey(instances.filter((i) => !onlyOn.has(i.device)));
}

export function greedy(input: AllocationInput, start?: Plan, options: GreedyOptions = {}): Plan {
  checkInput(input);
  if (start) checkStart(input, start);
  const minGain = input.minGain ?? 0.01;
  let instances = (start ?? worstFit(input)).instances;
  let current = predict(input, instances);
  const steps: GreedyStep[] = [];
  const visited: Instance[][] = [instances];
  const { onlyOn } = options;
  const fixed = onlyOn && fixedPart(instances, onlyOn);
  for (let step = 0; step < MAX_STEPS; step++) {
    const level = current.throughput * (1 + minGain);
    const tiedNow = tiedAt(input, current, level);
    let best: Scored | undefined;
    for (const candidate of neighbours(input, instances, current.bottleneck)) {
      if (onlyOn && fixedPart(candidate.instances, onlyOn) !== fixed) continue;
      const prediction = predict(input, candidate.instances);
      if (prediction.throughput < current.throughput || !feasible(input, prediction, current)) continue;
      const tied = tiedAt(input, prediction, level);
      if (!(prediction.throughput > level || tied < tiedNow)) continue;
      const scored = { ...candidate, prediction, tied, total: prediction.members.reduce((s, m) => s + m.throughput, 0) };
      if (!best || better(scored, best)) best = scored;
    }
    if (!best) break;
    steps.push({ move: best.move, throughputBefore: current.throughput, throughputAfter: best.prediction.throughput });
    instances = best.instances;
    current = best.prediction;
    visited.push(instances);
  }
  const kept = stepsWorthKeeping(steps, minGain);
  return toPlan(input, 'greedy', visited[kept]!, steps.slice(0, kept));
}

/**
 * Tie-breaking steps only pay off if a gain follows. When the steps after the last one that gained
 * more than `minGain` on its own did not, together, gain more than that either, they led nowhere:
 * drop them, so the plan has no changes without a reason.
 */
function stepsWorthKeeping(steps: readonly GreedyStep[], minGain: number): number {
  const tiesFrom = steps.findLastIndex((s) => s.throughputAfter > s.throughputBefore * (1 + minGain)) + 1;
  if (tiesFrom >= steps.length) return steps.length;
  return steps.at(-1)!.throughputAfter > steps[tiesFrom]!.throughputBefore * (1 + minGain) ? steps.length : tiesFrom;
}

/** A given start must be a plan of this input: known members and devices, profiles for each instance, every member placed. */
function checkStart(input: AllocationInput, start: Plan): void {
  const problems: string[] = [];
  for (const i of start.instances) {
    if (!input.members.includes(i.member)) problems.push(`unknown member "${i.member}"`);
    else if (!input.devices.some((d) => d.id === i.device)) problems.push(`unknown device ${i.device}`);
    else if (!input.profiles[i.member]?.[i.device]) problems.push(`"${i.member}" has no profile on ${i.device}`);
  }
  const missing = input.members.filter((m) => !start.instances.some((i) => i.member === m));
  if (missing.length > 0) problems.push(`no instance of ${missing.map((m) => `"${m}"`).join(', ')}`);
  if (problems.length > 0)
    throw new TuttiError('INVALID_OPTION', `greedy start plan does not fit the input: ${[...new Set(problems)].join('; ')}`);
}
