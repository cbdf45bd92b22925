import { describe, expect, it } from 'vitest';
import {
  calibrate,
  cascadeReach,
  classesOf,
  exitScores,
  exitThresholds,
  meanRule,
  simulateCascade,
  stageCombination,
  wilsonLower,
  type CascadeSpec,
} from '../src/index.js';
import { mulberry32 as seeded } from '@tutti/zoo';

const MEMBERS = ['a', 'b', 'c'];
const spec = (score: CascadeSpec['score'] = 'max-probability'): CascadeSpec => ({
  stages: [['a'], ['b', 'c']],
  score,
  members: MEMBERS,
  weights: [1, 1, 1],
  rule: meanRule,
  output: 'p',
  classes: 2,
});

/** Rows of two classes, each member's probabilities given row by row. */
function outputs(rows: Record<string, number[][]>): Map<string, Float32Array> {
  return new Map(Object.entries(rows).map(([m, r]) => [m, Float32Array.from(r.flat())]));
}

describe('cascade scores', () => {
  const out = outputs({
    a: [
      [0.9, 0.1],
      [0.4, 0.6],
    ],
    b: [
      [0.7, 0.3],
      [0.8, 0.2],
    ],
    c: [
      [0.6, 0.4],
      [0.9, 0.1],
    ],
  });

  it('combines the members of the stages so far with the rule', () => {
    expect(Array.from(stageCombination(spec(), 0, out))).toEqual(Array.from(Float32Array.from([0.9, 0.1, 0.4, 0.6])));
    const all = stageCombination(spec(), 1, out);
    expect(all[0]).toBeCloseTo((0.9 + 0.7 + 0.6) / 3, 6);
    expect(Array.from(classesOf(all, 2))).toEqual([0, 0]);
  });

  it('scores by the largest probability, the margin, or the share of members agreeing', () => {
    const all = stageCombination(spec(), 1, out);
    expect(Array.from(exitScores(spec('max-probability'), 1, all, out))[0]).toBeCloseTo(2.2 / 3, 6);
    expect(Array.from(exitScores(spec('margin'), 1, all, out))[0]).toBeCloseTo(2.2 / 3 - 0.8 / 3, 6);
    // Row 1: the mean picks class 0; a votes 1, b and c vote 0.
    expect(Array.from(exitScores(spec('agreement'), 1, all, out))).toEqual([1, 2 / 3]);
  });
});

describe('wilsonLower', () => {
  it('gives the Wilson score bound at 95%', () => {
    expect(wilsonLower(10, 10)).toBeCloseTo(0.7225, 4);
    expect(wilsonLower(50, 100)).toBeCloseTo(0.4038, 4);
    expect(wilsonLower(0, 0)).toBe(0);
    expect(wilsonLower(0, 5)).toBe(0);
  });
});

describe('calibrate, exitThresholds and simulateCascade', () => {
  /** n rows where member a is confident and right on the easy half, unsure on the rest; b and c are right more often. */
  function problem(n: number, seed: number) {
    const random = seeded(seed);
    const labels = Array.from({ length: n }, () => (random() < 0.5 ? 0 : 1));
    const member = (skill: number) =>
      labels.map((label) => {
        const right = random() < skill;
        const confidence = 0.5 + random() * 0.5;
        const p = right ? confidence : 1 - confidence;
        return label === 0 ? [p, 1 - p] : [1 - p, p];
      });
    return { labels, out: outputs({ a: member(0.85), b: member(0.9), c: member(0.9) }) };
  }

  it('calibrates each stage: thresholds descending, counts cumulative, the whole ensemble as the ceiling', () => {
    const { labels, out } = problem(400, 1);
    const calibration = calibrate(spec(), out, labels, { ensemble: 'e', models: { a: 'x' } });
    expect(calibration.stages.map((s) => s.calls)).toEqual([1, 3]);
    for (const stage of calibration.stages) {
      const { points } = stage;
      expect(points.at(-1)!.rows).toBe(400);
      for (let k = 1; k < points.length; k++) {
        expect(points[k]!.threshold).toBeLessThan(points[k - 1]!.threshold);
        expect(points[k]!.rows).toBeGreaterThan(points[k - 1]!.rows);
        expect(points[k]!.lower).toBeLessThanOrEqual(points[k]!.accuracy);
      }
    }
    const full = classesOf(stageCombination(spec(), 1, out), 2);
    expect(calibration.ensembleAccuracy).toBe(labels.filter((l, r) => full[r] === l).length / 400);
  });

  it('refuses a target above the ensemble, naming its accuracy; exits nobody early for a target no stage meets', () => {
    const { labels, out } = problem(200, 2);
    const calibration = calibrate(spec(), out, labels, { ensemble: 'e', models: {} });
    expect(() => exitThresholds(calibration, 0.999)).toThrow(
      new RegExp(`above what the whole ensemble reaches on its calibration rows \\(${calibration.ensembleAccuracy.toFixed(4)}\\)`),
    );
    expect(() => exitThresholds(calibration, 0)).toThrow(/above 0 and at most 1/);
    const first = calibration.stages[0]!.points;
    const unreachable = Math.min(calibration.ensembleAccuracy, Math.max(...first.map((p) => p.lower)) + 1e-9);
    if (unreachable <= calibration.ensembleAccuracy) expect(exitThresholds(calibration, unreachable)[0]).toBe(Infinity);
  });

  it("answers every row at the stage its score allows, with that stage's combination, and never from a stage below the target", () => {
    for (const seed of [3, 4, 5, 6]) {
      const { labels, out } = problem(500, seed);
      const calibration = calibrate(spec(), out, labels, { ensemble: 'e', models: {} });
      for (const target of [0.7, 0.8, 0.9]) {
        if (target > calibration.ensembleAccuracy) continue;
        const thresholds = exitThresholds(calibration, target);
        expect(thresholds.at(-1)).toBe(0);
        const simulated = simulateCascade(spec(), out, thresholds);
        const first = stageCombination(spec(), 0, out);
        const scores = exitScores(spec(), 0, first, out);
        for (let row = 0; row < 500; row++) {
          const early = scores[row]! >= thresholds[0]!;
          expect(simulated.stage[row]).toBe(early ? 0 : 1);
          expect(simulated.calls[row]).toBe(early ? 1 : 3);
          if (early) expect(simulated.answers.subarray(row * 2, row * 2 + 2)).toEqual(first.subarray(row * 2, row * 2 + 2));
        }
        // The calibrated accuracy of the set answered at stage 0 meets the target (its lower bound does).
        if (thresholds[0] !== Infinity) {
          const point = calibration.stages[0]!.points.find((p) => p.threshold === thresholds[0])!;
          expect(point.lower).toBeGreaterThanOrEqual(target);
        }
        const mean = simulated.calls.reduce((a, b) => a + b, 0) / 500;
        expect(mean).toBeLessThanOrEqual(3);
      }
    }
  });

  it('gives the share of requests each stage sees under a target: all at the first, fewer after', () => {
    const { labels, out } = problem(400, 7);
    const calibration = calibrate(spec(), out, labels, { ensemble: 'e', models: {} });
    let seen = 0;
    for (const target of [0.8, 0.85, 0.9, 0.95]) {
      if (target > calibration.ensembleAccuracy) continue;
      const reach = cascadeReach(calibration, target);
      expect(reach.a).toBe(1);
      const simulated = simulateCascade(spec(), out, exitThresholds(calibration, target));
      const reached = simulated.stage.filter((s) => s === 1).length / 400;
      // Exact with two stages: the rows the first stage did not answer (at least one row's worth: a share is never 0).
      expect(reach.b).toBeCloseTo(Math.max(reached, 1 / 400), 10);
      expect(reach.c).toBe(reach.b);
      if (reached > 0) seen++;
    }
    expect(seen).toBeGreaterThan(0);
  });
});
