/**
 * Early exit across an ensemble's members (issue 16), as pure functions: the combination of the
 * members of the first stages, the score that decides an exit, the calibration of each stage (how
 * accurate the combination is among the rows scoring at least a threshold, with a lower confidence
 * bound), the threshold a request's accuracy target calls for, and an offline simulation of the
 * whole cascade that the served answers must equal.
 *
 * Each stage is calibrated on every calibration row (as if every row reached it), and a row exits
 * at stage s when its score reaches the lowest threshold whose accuracy's lower bound meets the
 * target: the rows answered at a stage come from a set whose calibrated accuracy meets the target.
 * (Choosing the lowest of many such thresholds is a mild multiple comparison; the bound is per
 * threshold, not simultaneous.) The last stage is the whole ensemble and always answers.
 */
import { TuttiError } from '@tutti/core';
import { builtinRule, type BuiltinRuleName } from './builtin-rules.js';
import type { CombinationRule } from './types.js';

export type CascadeScoreKind = 'max-probability' | 'margin' | 'agreement';

export interface CascadeSpec {
  /** Member names in ordered stages, cheapest first. */
  stages: string[][];
  score: CascadeScoreKind;
  /** Member names and weights in manifest order (the rule's order). */
  members: string[];
  weights: number[];
  rule: CombinationRule;
  /** The output scored, and its classes (its last axis). */
  output: string;
  classes: number;
}

/** What cascadeSpecOf reads of an ensemble (@tutti/manifest's Ensemble has it). */
export interface CascadeEnsemble {
  members: readonly { name: string; weight: number }[];
  rule: { kind: 'builtin'; name: string } | { kind: 'module'; path: string };
  outputs: readonly { name: string; shape: readonly number[] }[];
  cascade?: { stages: string[][]; score: CascadeScoreKind; output: string };
}

/** The manifest's cascade as these functions take it (undefined without one); a built-in rule is required. */
export function cascadeSpecOf(ensemble: CascadeEnsemble): CascadeSpec | undefined {
  const cascade = ensemble.cascade;
  if (!cascade) return undefined;
  if (ensemble.rule.kind !== 'builtin') throw new TuttiError('INVALID_OPTION', 'a cascade needs a built-in rule');
  return {
    stages: cascade.stages,
    score: cascade.score,
    members: ensemble.members.map((m) => m.name),
    weights: ensemble.members.map((m) => m.weight),
    rule: builtinRule(ensemble.rule.name as BuiltinRuleName),
    output: cascade.output,
    classes: ensemble.outputs.find((o) => o.name === cascade.output)!.shape.at(-1)!,
  };
}

/** Each member's output for every row, flat rows x classes, by member name. */
export type MemberOutputs = ReadonlyMap<string, Float32Array>;

/** The members of stages 0..stage, in manifest order. */
export function membersUpTo(spec: CascadeSpec, stage: number): string[] {
  const included = new Set(spec.stages.slice(0, stage + 1).flat());
  return spec.members.filter((m) => included.has(m));
}

/** Member calls a row costs when it is answered at `stage`. */
export function callsUpTo(spec: CascadeSpec, stage: number): number {
  return spec.stages.slice(0, stage + 1).reduce((sum, s) => sum + s.length, 0);
}

/** The rule applied to the members of stages 0..stage (rows x classes). */
export function stageCombination(spec: CascadeSpec, stage: number, outputs: MemberOutputs): Float32Array {
  const members = membersUpTo(spec, stage);
  const data = members.map((m) => {
    const array = outputs.get(m);
    if (!array) throw new TuttiError('INVALID_ARGUMENT', `no output of member ${m}`);
    return array;
  });
  const rows = data[0]!.length / spec.classes;
  const combined = spec.rule({
    members,
    weights: members.map((m) => spec.weights[spec.members.indexOf(m)]!),
    outputs: { [spec.output]: { shape: [rows, spec.classes], data } },
  });
  return combined[spec.output]!;
}

function argmax(row: Float32Array, start: number, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (row[start + c]! > row[start + best]!) best = c;
  return best;
}

/** Per row, the exit score of a combination: its largest value, its margin over the second, or the share of members voting for its class. */
export function exitScores(spec: CascadeSpec, stage: number, combined: Float32Array, outputs: MemberOutputs): Float64Array {
  const { classes } = spec;
  const rows = combined.length / classes;
  const scores = new Float64Array(rows);
  const voters = spec.score === 'agreement' ? membersUpTo(spec, stage).map((m) => outputs.get(m)!) : [];
  for (let row = 0; row < rows; row++) {
    const start = row * classes;
    const top = argmax(combined, start, classes);
    if (spec.score === 'max-probability') scores[row] = combined[start + top]!;
    else if (spec.score === 'margin') {
      let second = -Infinity;
      for (let c = 0; c < classes; c++) if (c !== top) second = Math.max(second, combined[start + c]!);
      scores[row] = combined[start + top]! - (classes > 1 ? second : 0);
    } else scores[row] = voters.filter((v) => argmax(v, start, classes) === top).length / voters.length;
  }
  return scores;
}

/** The class each row of a combination answers (its argmax). */
export function classesOf(combined: Float32Array, classes: number): Int32Array {
  const rows = combined.length / classes;
  const out = new Int32Array(rows);
  for (let row = 0; row < rows; row++) out[row] = argmax(combined, row * classes, classes);
  return out;
}

/** z for a two-sided 95% interval: the lower bound holds with 97.5% confidence. */
const Z95 = 1.959963984540054;

/** Wilson score interval's lower bound of a proportion (95%); 0 for no rows. */
export function wilsonLower(successes: number, n: number): number {
  if (n === 0) return 0;
  const p = successes / n;
  const z2 = Z95 * Z95;
  const centre = p + z2 / (2 * n);
  const spread = Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.max(0, (centre - spread) / (1 + z2 / n));
}

/** Rows scoring at least `threshold` at a stage: how many, how many right, and the accuracy's bounds. */
export interface CalibrationPoint {
  threshold: number;
  rows: number;
  correct: number;
  accuracy: number;
  /** Lower bound of the accuracy (Wilson, 95%). */
  lower: number;
}

export interface StageCalibration {
  members: string[];
  /** Member calls a row answered here has cost. */
  calls: number;
  /** One point per distinct score, thresholds descending (rows and correct are cumulative). */
  points: CalibrationPoint[];
}

export interface Calibration {
  version: 1;
  ensemble: string;
  score: CascadeScoreKind;
  output: string;
  /** Calibration rows (labelled, never those a result is measured on). */
  rows: number;
  /** sha256 of each member's model file: a calibration is of these models only. */
  models: Record<string, string>;
  stages: StageCalibration[];
  /** The whole ensemble's accuracy on the calibration rows: the highest target a request may set. */
  ensembleAccuracy: number;
}

/** Calibrates every stage from the members' outputs on labelled rows. Pure. */
export function calibrate(
  spec: CascadeSpec,
  outputs: MemberOutputs,
  labels: ArrayLike<number>,
  about: { ensemble: string; models: Record<string, string> },
): Calibration {
  if (labels.length === 0) throw new TuttiError('INVALID_ARGUMENT', 'calibration needs labelled rows; got none');
  const stages = spec.stages.map((_, stage): StageCalibration => {
    const combined = stageCombination(spec, stage, outputs);
    const scores = exitScores(spec, stage, combined, outputs);
    const answers = classesOf(combined, spec.classes);
    const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
    const points: CalibrationPoint[] = [];
    let rows = 0;
    let correct = 0;
    for (let k = 0; k < order.length; k++) {
      const row = order[k]!;
      rows++;
      if (answers[row] === labels[row]) correct++;
      // One point per distinct score: rows tied at a score exit together.
      if (k + 1 < order.length && scores[order[k + 1]!] === scores[row]) continue;
      points.push({ threshold: scores[row]!, rows, correct, accuracy: correct / rows, lower: wilsonLower(correct, rows) });
    }
    return { members: [...spec.stages[stage]!], calls: callsUpTo(spec, stage), points };
  });
  const last = stages.at(-1)!.points.at(-1)!;
  return {
    version: 1,
    ensemble: about.ensemble,
    score: spec.score,
    output: spec.output,
    rows: labels.length,
    models: about.models,
    stages,
    ensembleAccuracy: last.accuracy,
  };
}

/** How a calibration (parsed from its file) does not fit the manifest's cascade, in words; empty when it fits. */
export function calibrationMismatches(
  calibration: Partial<Calibration>,
  cascade: { stages: string[][]; score: CascadeScoreKind; output: string },
): string[] {
  if (calibration.version !== 1 || !Array.isArray(calibration.stages)) return ['it is not a calibration file of version 1'];
  const problems: string[] = [];
  if (JSON.stringify(calibration.stages.map((s) => s.members)) !== JSON.stringify(cascade.stages))
    problems.push(`its stages are not the manifest's (${JSON.stringify(cascade.stages)})`);
  if (calibration.score !== cascade.score) problems.push(`it scores by ${calibration.score}, the manifest by ${cascade.score}`);
  if (calibration.output !== cascade.output) problems.push(`it is of output ${calibration.output}, the manifest's is ${cascade.output}`);
  return problems;
}

/**
 * The score a row needs to exit at a stage for an accuracy target: the lowest threshold whose
 * accuracy's lower bound meets the target (Infinity: no row exits there). The last stage answers
 * every row (0 is returned for it). A target above the whole ensemble's calibrated accuracy is
 * refused (INVALID_ARGUMENT, naming that ceiling).
 */
export function exitThresholds(calibration: Calibration, target: number): number[] {
  if (!(target > 0 && target <= 1))
    throw new TuttiError('INVALID_ARGUMENT', `accuracy_target must be above 0 and at most 1; got ${target}`);
  if (target > calibration.ensembleAccuracy)
    throw new TuttiError(
      'INVALID_ARGUMENT',
      `accuracy_target ${target} is above what the whole ensemble reaches on its calibration rows (${calibration.ensembleAccuracy.toFixed(4)}): ask for at most that`,
    );
  return calibration.stages.map((stage, s) => {
    if (s === calibration.stages.length - 1) return 0;
    let threshold = Infinity;
    for (const point of stage.points) if (point.lower >= target) threshold = point.threshold;
    return threshold;
  });
}

export interface Simulated {
  /** Per row, the stage that answered it (0-based). */
  stage: Int32Array;
  /** Per row, the member calls it cost. */
  calls: Int32Array;
  /** Per row, its answer (rows x classes): the combination at its exit stage. */
  answers: Float32Array;
}

/** The cascade run offline over rows whose every member output is known: what serving must answer. */
export function simulateCascade(spec: CascadeSpec, outputs: MemberOutputs, thresholds: readonly number[]): Simulated {
  const rows = outputs.get(spec.members[0]!)!.length / spec.classes;
  const stage = new Int32Array(rows).fill(-1);
  const calls = new Int32Array(rows);
  const answers = new Float32Array(rows * spec.classes);
  for (let s = 0; s < spec.stages.length; s++) {
    const combined = stageCombination(spec, s, outputs);
    const scores = exitScores(spec, s, combined, outputs);
    const last = s === spec.stages.length - 1;
    for (let row = 0; row < rows; row++) {
      if (stage[row] !== -1 || !(last || scores[row]! >= thresholds[s]!)) continue;
      stage[row] = s;
      calls[row] = callsUpTo(spec, s);
      answers.set(combined.subarray(row * spec.classes, (row + 1) * spec.classes), row * spec.classes);
    }
  }
  return { stage, calls, answers };
}

/**
 * The share of requests each member computes under a target, from the calibration (for planning: a
 * later stage needs fewer instances). A stage sees the requests no earlier stage answered; the rows
 * each stage would answer on its own are known, their overlap is not, so the share of those answered
 * before stage s is taken as the largest of them: an upper bound on each share, which plans no fewer
 * instances than needed.
 */
export function cascadeReach(calibration: Calibration, target: number): Record<string, number> {
  const thresholds = exitThresholds(calibration, target);
  const reach: Record<string, number> = {};
  let answered = 0;
  calibration.stages.forEach((stage, s) => {
    for (const member of stage.members) reach[member] = Math.max(1 - answered, 1 / calibration.rows);
    const point = stage.points.findLast((p) => p.threshold >= thresholds[s]!);
    answered = Math.max(answered, (point?.rows ?? 0) / calibration.rows);
  });
  return reach;
}
