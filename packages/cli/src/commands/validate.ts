/** `tutti validate <ensemble>`: check a manifest and its files, then print what would be served. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { descriptionOf } from './index.js';
import { formatIssues, formatShape, validateEnsemble, type Ensemble, type TensorSpec } from '@tutti/manifest';

interface ValidateFlags {
  json?: boolean;
  generate: boolean;
}

const EXAMPLES = `
Checks the manifest (every field), the custom rule module, and each member's ONNX model: the file
exists (zoo models listed with \`generate:\` are generated first) and its inputs and outputs match
the ensemble's. Every problem is listed; the exit code is 1 if there is any.

Examples:
  tutti validate ensembles/digits
  tutti validate ensembles/zoo-cnn/manifest.yaml --json`;

export function validateCommand(): Command {
  return new Command('validate')
    .description(descriptionOf('validate'))
    .argument('<ensemble>', 'ensemble folder, or its manifest.yaml')
    .option('--json', 'print the resolved ensemble, or the problems, as JSON ({ ok, ensemble } or { ok, source, issues })')
    .option('--no-generate', "don't generate missing zoo models; a member whose generated model is missing is not checked")
    .addHelpText('after', EXAMPLES)
    .action(async (target: string, flags: ValidateFlags) => {
      const result = await validateEnsemble(target, { generate: flags.generate });
      if (flags.json) console.log(JSON.stringify(result, null, 2));
      else if (result.ok) console.log(formatEnsemble(result.ensemble));
      else console.error(formatIssues(result.source, result.issues));
      if (!result.ok) process.exitCode = 1;
    });
}

const tensor = (spec: TensorSpec) => `${spec.name} ${spec.datatype} ${formatShape(spec.shape)}`;

/** A readable summary of a valid ensemble. */
export function formatEnsemble(ensemble: Ensemble): string {
  // Relative to `from` when the file is below it, else absolute.
  const below = (from: string, file: string) => {
    const relative = path.relative(from, file);
    return relative.split(path.sep)[0] === '..' || path.isAbsolute(relative) ? file : relative;
  };
  const relative = (file: string) => below(ensemble.dir, file);
  const nameWidth = Math.max(...ensemble.members.map((member) => member.name.length));
  const pathWidth = Math.max(...ensemble.members.map((member) => relative(member.path).length));
  const rule = ensemble.rule.kind === 'builtin' ? ensemble.rule.name : `custom module ${relative(ensemble.rule.path)}`;
  const { maxBatchSize, maxQueueDelayMs } = ensemble.batching;
  const lines = [
    `✓ ${ensemble.name} is valid`,
    ...(ensemble.description ? [`  about      ${ensemble.description.trim()}`] : []),
    `  manifest   ${below(process.cwd(), ensemble.manifestPath)}`,
    ...ensemble.inputs.map((spec, i) => `  ${i === 0 ? 'inputs ' : '       '}    ${tensor(spec)}`),
    ...ensemble.outputs.map((spec, i) => `  ${i === 0 ? 'outputs' : '       '}    ${tensor(spec)}`),
    `  members    ${ensemble.members.length} (✓ = model file found, its inputs and outputs match)`,
    ...ensemble.members.map((member) => {
      // With --no-generate a zoo model may not exist yet, and then nothing about it was checked.
      const checked = !member.generate || existsSync(member.path);
      const zoo = member.generate ? `  (zoo ${member.generate.kind}${checked ? '' : ': not generated yet, so not checked'})` : '';
      return `    ${checked ? '✓' : '·'} ${member.name.padEnd(nameWidth)}  ${relative(member.path).padEnd(pathWidth)}  weight ${member.weight}${zoo}`;
    }),
    `  rule       ${rule}`,
    `  batching   up to ${maxBatchSize} per batch, waiting at most ${maxQueueDelayMs} ms for one to fill`,
    `  endpoint   ${ensemble.endpoint}`,
    `  latency    ${ensemble.latencyTarget ? `p99 target ${ensemble.latencyTarget.p99Ms} ms` : 'no target'}`,
  ];
  return lines.join('\n');
}
