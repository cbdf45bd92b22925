/**
 * Issue 16, offline: calibrated early exit across digits' members, measured on rows the calibration
 * never saw. Every member runs once (onnxruntime, here) on the 449 held-out rows; then, for each
 * seeded split of those rows into a calibration half and an evaluation half (calibrationSplit in
 * ensembles/digits/data.ts), each cascade is
 * calibrated on the first (@tutti/rules: calibrate) and simulated on the second (simulateCascade)
 * for a range of accuracy targets, against the whole ensemble on the same rows: accuracy with its
 * 95% interval, a paired exact test (McNemar), and member calls per request.
 *
 *   npx tsx bench/cascade-digits.ts [--seeds 10]
 *
 * Writes docs/bench/cascade-digits.json and docs/bench/cascade-digits.svg (accuracy against member
 * calls). No serving is measured here: throughput comes with the served cascade.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { loadManifest } from '@tutti/manifest';
import {
  calibrate,
  classesOf,
  exitThresholds,
  meanRule,
  simulateCascade,
  stageCombination,
  wilsonLower,
  type CascadeScoreKind,
  type CascadeSpec,
} from '@tutti/rules';
import { mcnemarExact, spread, xyLinesSvg, type Spread } from '@tutti/bench';
import { hardwareLine } from '@tutti/profiler';
import { calibrationSplit, readDigits, testSplit, CLASSES, PIXELS } from '../ensembles/digits/data.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { seeds: { type: 'string', default: '10' } } });
const seeds = Number(values.seeds);

const ensemble = await loadManifest(join(ROOT, 'ensembles/digits'));
const members = ensemble.members.map((m) => m.name);
const CONFIGS: Record<string, string[][]> = {
  'five stages (one member each)': members.map((m) => [m]),
  'three stages (1, 2, 2 members)': [members.slice(0, 1), members.slice(1, 3), members.slice(3)],
  'two stages (1, 4 members; ensembles/digits-cascade)': [members.slice(0, 1), members.slice(1)],
};
const SCORES: CascadeScoreKind[] = ['max-probability', 'margin', 'agreement'];
/** Targets tried; 'ensemble' is each split's highest allowed: the whole ensemble's accuracy on its calibration rows. */
const TARGETS: (number | 'ensemble')[] = [0.9, 0.93, 0.95, 0.96, 0.97, 0.975, 'ensemble'];

// Every member once on every held-out row.
const digits = readDigits();
const heldOut = testSplit();
const input = new Float32Array(heldOut.length * PIXELS);
heldOut.forEach((row, k) => input.set(digits.pixels[row]!, k * PIXELS));
const all = new Map<string, Float32Array>();
for (const member of ensemble.members) {
  const session = await ort.InferenceSession.create(member.path);
  const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, [heldOut.length, PIXELS]) });
  all.set(member.name, Float32Array.from(result[session.outputNames[0]!]!.data as Float32Array));
  await session.release();
}
const labels = heldOut.map((row) => digits.labels[row]!);
const position = new Map(heldOut.map((row, k) => [row, k]));

/** The member outputs and labels of some held-out rows (indices into heldOut). */
function subset(rows: readonly number[]): { outputs: Map<string, Float32Array>; labels: number[] } {
  const outputs = new Map<string, Float32Array>();
  for (const [member, data] of all) {
    const out = new Float32Array(rows.length * CLASSES);
    rows.forEach((r, k) => out.set(data.subarray(r * CLASSES, (r + 1) * CLASSES), k * CLASSES));
    outputs.set(member, out);
  }
  return { outputs, labels: rows.map((r) => labels[r]!) };
}

interface Trial {
  seed: number;
  target: number;
  accuracy: number;
  fullAccuracy: number;
  /** The whole ensemble's 95% interval on the evaluation rows (Wilson). */
  fullInterval: [number, number];
  withinInterval: boolean;
  meanCalls: number;
  exitsPerStage: number[];
  p: number;
}

const trials = new Map<string, Trial[]>();
for (let seed = 1; seed <= seeds; seed++) {
  // calibrationSplit gives rows of the data file; subset takes positions among the held-out rows.
  const split = calibrationSplit(seed);
  const cal = subset(split.calibration.map((row) => position.get(row)!));
  const evaluation = subset(split.evaluation.map((row) => position.get(row)!));
  for (const [configName, stages] of Object.entries(CONFIGS)) {
    for (const score of SCORES) {
      const spec: CascadeSpec = {
        stages,
        score,
        members,
        weights: ensemble.members.map((m) => m.weight),
        rule: meanRule,
        output: ensemble.outputs[0]!.name,
        classes: CLASSES,
      };
      const calibration = calibrate(spec, cal.outputs, cal.labels, { ensemble: ensemble.name, models: {} });
      const full = classesOf(stageCombination(spec, stages.length - 1, evaluation.outputs), CLASSES);
      const fullRight = evaluation.labels.map((l, r) => full[r] === l);
      const fullCorrect = fullRight.filter(Boolean).length;
      const n = evaluation.labels.length;
      const fullInterval: [number, number] = [wilsonLower(fullCorrect, n), 1 - wilsonLower(n - fullCorrect, n)];
      for (const wanted of TARGETS) {
        const target = wanted === 'ensemble' ? calibration.ensembleAccuracy : wanted;
        if (target > calibration.ensembleAccuracy) continue; // refused: above the ensemble's ceiling
        const simulated = simulateCascade(spec, evaluation.outputs, exitThresholds(calibration, target));
        const answers = classesOf(simulated.answers, CLASSES);
        const right = evaluation.labels.map((l, r) => answers[r] === l);
        const accuracy = right.filter(Boolean).length / n;
        const key = `${configName} | ${score} | ${wanted}`;
        const exitsPerStage = stages.map((_, s) => simulated.stage.filter((x) => x === s).length / n);
        const list = trials.get(key) ?? [];
        list.push({
          seed,
          target,
          accuracy,
          fullAccuracy: fullCorrect / n,
          fullInterval,
          withinInterval: accuracy >= fullInterval[0] && accuracy <= fullInterval[1],
          meanCalls: simulated.calls.reduce((a, b) => a + b, 0) / n,
          exitsPerStage,
          p: mcnemarExact(right, fullRight).p,
        });
        trials.set(key, list);
      }
    }
  }
}

interface Row {
  config: string;
  score: string;
  target: string;
  seeds: number;
  accuracy: Spread;
  fullAccuracy: Spread;
  accuracyDifference: Spread;
  meanCalls: Spread;
  callsRatio: Spread;
  withinFullInterval: number;
  pairedP: Spread;
  exitsPerStage: number[];
}
const rows: Row[] = [];
for (const [key, list] of trials) {
  const [config, score, target] = key.split(' | ') as [string, string, string];
  rows.push({
    config,
    score,
    target,
    seeds: list.length,
    accuracy: spread(list.map((t) => t.accuracy))!,
    fullAccuracy: spread(list.map((t) => t.fullAccuracy))!,
    accuracyDifference: spread(list.map((t) => t.accuracy - t.fullAccuracy))!,
    meanCalls: spread(list.map((t) => t.meanCalls))!,
    callsRatio: spread(list.map((t) => t.meanCalls / members.length))!,
    withinFullInterval: list.filter((t) => t.withinInterval).length,
    pairedP: spread(list.map((t) => t.p))!,
    exitsPerStage: list[0]!.exitsPerStage.map((_, s) => spread(list.map((t) => t.exitsPerStage[s]!))!.median),
  });
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
console.log(
  `digits, calibrated early exit: ${seeds} seeded splits of the ${heldOut.length} held-out rows (half calibration, half evaluation)`,
);
console.log(
  `config | score | target | accuracy (median, range) | full ensemble | within its 95% CI | calls/request | of full | paired p (median)`,
);
for (const r of rows) {
  console.log(
    `${r.config} | ${r.score} | ${r.target} | ${pct(r.accuracy.median)} (${pct(r.accuracy.min)}-${pct(r.accuracy.max)}) | ${pct(r.fullAccuracy.median)} | ${r.withinFullInterval}/${r.seeds} | ${r.meanCalls.median.toFixed(2)} (${r.meanCalls.min.toFixed(2)}-${r.meanCalls.max.toFixed(2)}) | ${r.callsRatio.median.toFixed(2)} | ${r.pairedP.median.toFixed(2)}`,
  );
}

const out = join(ROOT, 'docs/bench/cascade-digits.json');
writeFileSync(
  out,
  `${JSON.stringify(
    {
      ensemble: ensemble.name,
      hardware: hardwareLine(),
      how: `every member run once with onnxruntime on the ${heldOut.length} held-out rows; ${seeds} seeded splits (seeds 1..${seeds}) into ${Math.floor(heldOut.length / 2)} calibration rows and ${heldOut.length - Math.floor(heldOut.length / 2)} evaluation rows; calibrated on the first, simulated on the second; the whole ensemble (mean rule) on the same evaluation rows; interval: Wilson 95%; paired test: McNemar exact, two-sided`,
      members,
      configs: CONFIGS,
      rows,
      trials: Object.fromEntries(trials),
    },
    null,
    1,
  )}\n`,
);
// Accuracy against member calls, max-probability, one line per stage layout: the difference from the
// whole ensemble on the same rows (paired, per split), means over the splits (a median of differences
// that are multiples of one row, 0.44 points, mostly reads 0).
const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / list.length;
const series = Object.keys(CONFIGS).map((config) => ({
  name: config,
  points: [...trials]
    .filter(([key]) => key.startsWith(`${config} | max-probability | `))
    .map(([, list]) => ({ x: mean(list.map((t) => t.meanCalls)), y: mean(list.map((t) => t.accuracy - t.fullAccuracy)) * 100 }))
    .sort((a, b) => a.x - b.x),
}));
writeFileSync(
  join(ROOT, 'docs/bench/cascade-digits.svg'),
  xyLinesSvg(series, {
    title: `digits: calibrated early exit, max-probability, one point per accuracy target (means over ${seeds} splits; ${hardwareLine()})`,
    xLabel: 'member calls per request (the whole ensemble: 5)',
    yLabel: "accuracy minus the whole ensemble's, same rows (points)",
    references: [{ y: 0, label: `the whole ensemble (${pct(rows[0]!.fullAccuracy.median)}, median over the splits)` }],
    formatY: (v) => v.toFixed(2),
  }),
);
console.log(`wrote ${out} and docs/bench/cascade-digits.svg`);
