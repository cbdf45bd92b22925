/**
 * `tutti doctor`: what this host offers tutti. Its CPU, its NVIDIA GPUs (from nvidia-smi, or why
 * none), and which of onnxruntime's execution providers load here, each tried on a tiny model; for
 * one that does not, the error and the fix. Exit code 0 unless `--require-gpu` finds no GPU to serve on.
 */
import { Command } from 'commander';
import { descriptionOf } from './index.js';
import { hostReport, type HostReport } from '@tutti/profiler';

interface DoctorFlags {
  json?: boolean;
  requireGpu?: boolean;
}

const EXAMPLES = `
A provider that does not load prints onnxruntime's own error lines to stderr while it is tried; the
report names each one's cause and fix once. GPU members are served with the CUDA provider only: when
it does not load, tutti refuses to start them rather than compute them on the CPU (docs/GPU.md).

Examples:
  tutti doctor
  tutti doctor --json
  tutti doctor --require-gpu && tutti serve ensembles/zoo-cnn --devices gpus.yaml`;

export function doctorCommand(): Command {
  return new Command('doctor')
    .description(descriptionOf('doctor'))
    .option('--json', 'print the report as JSON')
    .option('--require-gpu', 'exit 1 unless a GPU is present and the CUDA provider loads')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: DoctorFlags) => {
      const report = await hostReport();
      console.log(flags.json ? JSON.stringify(report, null, 2) : render(report));
      if (flags.requireGpu && !report.gpuReady) process.exitCode = 1;
    });
}

function render(report: HostReport): string {
  const lines = [`host       ${report.host}`];
  if (report.gpus.length === 0) lines.push(`GPUs       none (${report.noGpu})`);
  for (const gpu of report.gpus) lines.push(`GPU        ${gpu.id}: ${gpu.name}, ${(gpu.memoryBytes / 2 ** 30).toFixed(1)} GiB`);
  for (const p of report.providers) {
    const where = p.bundled ? 'bundled' : 'installed apart';
    lines.push(`provider   ${p.provider.padEnd(9)} ${p.loads ? 'loads' : 'does not load'} (${where})`);
    if (!p.loads) lines.push(`             error: ${p.error}`, `             fix:   ${p.fix}`);
  }
  lines.push(
    report.gpuReady
      ? 'serving    CPU and GPU members: profile the GPUs with `tutti profile`'
      : 'serving    CPU only. GPUs can still be planned from a devices file; served GPU members are EMULATED on the CPU',
  );
  return lines.join('\n');
}
