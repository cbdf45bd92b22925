/**
 * `tutti calibrate ENSEMBLE --data FILE`: runs every member once on labelled rows and writes, for
 * each stage of the manifest's cascade, how accurate the combination so far is among the rows
 * scoring at least each threshold, with a lower confidence bound (@tutti/rules: calibrate). A
 * request's accuracy target picks its exit thresholds from this file.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { Command } from 'commander';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { TuttiError } from '@tutti/protocol';
import { calibrate, cascadeSpecOf, exitThresholds, simulateCascade, type CascadeSpec, type Calibration } from '@tutti/rules';
import { ModelSession } from '@tutti/runtime';
import { fileSha256 } from '@tutti/profiler';
import { descriptionOf } from './index.js';
import { readLabelledFile, readRowIndices, selectRows, type LabelledRows } from '../labelled-data.js';

interface CalibrateFlags {
  data: string;
  rows?: string;
  out?: string;
}

const EXAMPLES = `
The data file: CSV (or CSV.gz), one row per line, the first input's values flattened and then the
class label (0-based). Calibrate on rows you will not measure the result on (--rows picks them).

Examples:
  tutti calibrate ensembles/my-ensemble --data labelled.csv.gz --rows calibration-rows.json`;

export function calibrateCommand(): Command {
  return new Command('calibrate')
    .description(descriptionOf('calibrate'))
    .argument('<ensemble>', 'ensemble folder (with a cascade section in its manifest)')
    .requiredOption('--data <file>', 'labelled rows: CSV or CSV.gz, input values then the label')
    .option('--rows <file>', 'JSON list of the row indices to calibrate on (default: every row)')
    .option('--out <file>', "where to write the calibration (default: the manifest's cascade.calibration)")
    .addHelpText('after', EXAMPLES)
    .action(async (dir: string, flags: CalibrateFlags) => {
      const ensemble = await loadManifest(dir);
      const cascade = ensemble.cascade;
      if (!cascade)
        throw new TuttiError('INVALID_OPTION', `${ensemble.manifestPath} has no cascade section: say the stages first (docs/CASCADE.md)`);
      if (ensemble.inputs.length !== 1)
        throw new TuttiError(
          'INVALID_OPTION',
          `calibration reads one input per row; ensemble ${ensemble.name} has ${ensemble.inputs.length}`,
        );
      const spec = cascadeSpecOf(ensemble)!;
      const width = ensemble.inputs[0]!.shape.slice(1).reduce((a, b) => a * b, 1);
      let data = readLabelledFile(flags.data, width, spec.classes);
      if (flags.rows) data = selectRows(data, readRowIndices(flags.rows), flags.rows);
      const outputs = await runMembers(ensemble, cascade.output, data);
      const models = Object.fromEntries(await Promise.all(ensemble.members.map(async (m) => [m.name, await fileSha256(m.path)] as const)));
      const calibration = calibrate(spec, outputs, data.labels, { ensemble: ensemble.name, models });
      const out = flags.out ?? cascade.calibrationPath;
      writeFileSync(out, `${JSON.stringify(calibration)}\n`);
      console.log(summary(spec, calibration, outputs));
      console.log(`wrote ${out}`);
    });
}

/** Every member on every row, in chunks of the ensemble's batch size: its scored output, rows x classes. */
async function runMembers(ensemble: Ensemble, outputName: string, data: LabelledRows): Promise<Map<string, Float32Array>> {
  const input = ensemble.inputs[0]!;
  const rows = data.labels.length;
  const chunk = ensemble.batching.maxBatchSize;
  const outputs = new Map<string, Float32Array>();
  for (const [k, member] of ensemble.members.entries()) {
    process.stderr.write(`calibrate: ${member.name} (${k + 1}/${ensemble.members.length}) on ${rows} rows\n`);
    const session = await ModelSession.load(member.path, { intraOpThreads: availableParallelism() });
    const parts: Float32Array[] = [];
    try {
      for (let start = 0; start < rows; start += chunk) {
        const count = Math.min(chunk, rows - start);
        const values = data.values.slice(start * data.width, (start + count) * data.width);
        const results = await session.run([
          { name: input.name, datatype: 'FP32', shape: [count, ...input.shape.slice(1)], data: new Uint8Array(values.buffer) },
        ]);
        const result = results.find((r) => r.name === outputName);
        if (!result) throw new TuttiError('MODEL_ERROR', `${basename(member.path)} has no output "${outputName}"`);
        parts.push(new Float32Array(result.data.buffer.slice(result.data.byteOffset, result.data.byteOffset + result.data.byteLength)));
      }
    } finally {
      await session.close();
    }
    const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      joined.set(part, offset);
      offset += part.length;
    }
    outputs.set(member.name, joined);
  }
  return outputs;
}

/** What the calibration allows, read on the calibration rows themselves (optimistic: measure on others). */
function summary(spec: CascadeSpec, calibration: Calibration, outputs: Map<string, Float32Array>): string {
  const lines = [
    `${calibration.ensemble}: calibrated on ${calibration.rows} rows; the whole ensemble is right on ${(calibration.ensembleAccuracy * 100).toFixed(2)}% of them (the highest accuracy_target a request may set)`,
    `stages: ${spec.stages.map((s, k) => `${k + 1}: ${s.join(', ')}`).join('; ')}; score ${spec.score}`,
    'target  answered per stage (on these rows)  member calls per request',
  ];
  for (const target of [0.9, 0.95, 0.97, 0.98, 0.99, calibration.ensembleAccuracy]) {
    if (target > calibration.ensembleAccuracy) continue;
    const simulated = simulateCascade(spec, outputs, exitThresholds(calibration, target));
    const n = simulated.stage.length;
    const shares = spec.stages.map((_, s) => `${((simulated.stage.filter((x) => x === s).length / n) * 100).toFixed(0)}%`);
    const calls = simulated.calls.reduce((a, b) => a + b, 0) / n;
    lines.push(`${target.toFixed(4).padEnd(7)} ${shares.join(' / ').padEnd(34)} ${calls.toFixed(2)} of ${spec.members.length}`);
  }
  return lines.join('\n');
}
