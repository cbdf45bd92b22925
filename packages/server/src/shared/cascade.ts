/**
 * A cascade as the server runs it (issue 16): the manifest's stages with the calibration file that
 * `tutti calibrate` wrote, checked against each other, and the exit thresholds of each accuracy
 * target (cached: requests repeat a few targets). The batcher uses it to admit requests (a target
 * above the ensemble's calibrated accuracy is refused) and the combiner to decide exits.
 */
import { readFileSync } from 'node:fs';
import { hashFile } from './file-hash.js';
import type { Ensemble } from '@tutti/manifest';
import { TuttiError } from '@tutti/protocol';
import { calibrationMismatches, cascadeSpecOf, exitThresholds, type Calibration, type CascadeSpec } from '@tutti/rules';

export class ServedCascade {
  readonly spec: CascadeSpec;
  readonly calibration: Calibration;
  /** The default target of a request that sets none (the manifest's), if any. */
  readonly defaultTarget: number | undefined;
  #thresholds = new Map<number, number[]>();

  private constructor(spec: CascadeSpec, calibration: Calibration, defaultTarget: number | undefined) {
    this.spec = spec;
    this.calibration = calibration;
    this.defaultTarget = defaultTarget;
  }

  /** The ensemble's cascade with its calibration; undefined without a cascade. Throws INVALID_OPTION naming what does not match. */
  static of(ensemble: Ensemble): ServedCascade | undefined {
    const cascade = ensemble.cascade;
    if (!cascade) return undefined;
    const fix = `make it with tutti calibrate ${ensemble.dir} --data FILE`;
    let calibration: Calibration;
    try {
      calibration = JSON.parse(readFileSync(cascade.calibrationPath, 'utf8')) as Calibration;
    } catch (error) {
      throw new TuttiError(
        'INVALID_OPTION',
        `cannot read the cascade's calibration ${cascade.calibrationPath} (${(error as Error).message}): ${fix}`,
      );
    }
    const problems = calibrationMismatches(calibration, cascade);
    if (problems.length > 0)
      throw new TuttiError('INVALID_OPTION', `${cascade.calibrationPath} does not fit the manifest: ${problems.join('; ')}; ${fix}`);
    const spec = cascadeSpecOf(ensemble)!;
    if (cascade.accuracyTarget !== undefined && cascade.accuracyTarget > calibration.ensembleAccuracy)
      throw new TuttiError(
        'INVALID_OPTION',
        `the manifest's cascade.accuracyTarget ${cascade.accuracyTarget} is above what the whole ensemble reaches on its calibration rows (${calibration.ensembleAccuracy.toFixed(4)})`,
      );
    return new ServedCascade(spec, calibration, cascade.accuracyTarget);
  }

  /** The score each stage needs for `target` (see exitThresholds); throws INVALID_ARGUMENT for a target above the ensemble. */
  thresholds(target: number): number[] {
    let known = this.#thresholds.get(target);
    if (!known) {
      known = exitThresholds(this.calibration, target);
      if (this.#thresholds.size < 1024) this.#thresholds.set(target, known);
    }
    return known;
  }
}

/** Refuses a calibration made with other model files than the ones served (by sha256). */
export async function checkCalibrationModels(ensemble: Ensemble, cascade: ServedCascade): Promise<void> {
  const stale: string[] = [];
  for (const member of ensemble.members) {
    const want = cascade.calibration.models[member.name];
    if (want === undefined || want !== (await hashFile(member.path)).sha256) stale.push(member.name);
  }
  if (stale.length > 0)
    throw new TuttiError(
      'INVALID_OPTION',
      `the cascade's calibration was made with other model files for ${stale.join(', ')}: calibrate again (tutti calibrate ${ensemble.dir} --data FILE)`,
    );
}
