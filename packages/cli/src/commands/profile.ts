/** `tutti profile <ensemble>`: each member's memory and batch latency on each device, and where it came from. */
import { Command } from 'commander';
import { descriptionOf } from './index.js';
import { loadManifest } from '@tutti/manifest';
import {
  detectDevices,
  formatEnsembleProfiling,
  loadDevicesFile,
  parseIntegerList,
  profileEnsembleWithSources,
  progressReporter,
  saveProfileFile,
} from '@tutti/profiler';

interface ProfileFlags {
  devices?: string;
  batchSizes?: number[];
  threads?: number[];
  json?: boolean;
  refresh?: boolean;
  profiles?: string;
}

const HELP = `
This host's CPU is measured: each member in a fresh process, median batch latency for every batch
size and thread count after a warm-up, and the memory one loaded instance adds. Measurements are
cached per model file (sha256), CPU, batch sizes and threads under
\${TUTTI_CACHE_DIR}/profiles or \${XDG_CACHE_HOME:-~/.cache}/tutti/profiles, so a second run is
instant. Devices declared in a devices file with a speed (GPUs not on this host, emulated or not)
get cost-model profiles from the ONNX file's MACs and weights.

Defaults: batch sizes 1, 2, 4, ... up to the manifest's maxBatchSize (at most 64); threads 1 to
the number of cores.

Examples:
  tutti profile ensembles/digits
  tutti profile ensembles/zoo-cnn --batch-sizes 1,8 --threads 1,2
  tutti profile ensembles/zoo-cnn --devices devices/emulated-gpu-and-cpu.yaml --profiles zoo-cnn.profiles.json
  tutti allocate ensembles/zoo-cnn --profiles zoo-cnn.profiles.json --dry-run`;

export function profileCommand(): Command {
  return new Command('profile')
    .description(descriptionOf('profile'))
    .argument('<ensemble>', 'ensemble folder (or its manifest.yaml)')
    .option('-d, --devices <file>', "devices file (YAML) declaring hardware to profile for, instead of this host's")
    .option('-b, --batch-sizes <list>', 'batch sizes, comma-separated, e.g. 1,2,4,8', (text) => parseIntegerList(text, '--batch-sizes'))
    .option('-t, --threads <list>', 'intra-op thread counts, comma-separated, e.g. 1,2 (those above the cores are skipped)', (text) =>
      parseIntegerList(text, '--threads'),
    )
    .option('--json', 'print the profiles and where each came from as JSON')
    .option('--refresh', 'measure again even when profiles are cached (and replace them)')
    .option('-p, --profiles <file>', 'also save the profiles to this file (for tutti allocate --profiles on this or another machine)')
    .addHelpText('after', HELP)
    .action(async (target: string, flags: ProfileFlags) => {
      const ensemble = await loadManifest(target, { generate: true });
      const devices = flags.devices ? loadDevicesFile(flags.devices) : detectDevices();
      const reporter = progressReporter(process.stderr);
      try {
        const profiling = await profileEnsembleWithSources(ensemble, devices, {
          ...(flags.batchSizes && { batchSizes: flags.batchSizes }),
          ...(flags.threads && { threadOptions: flags.threads }),
          ...(flags.refresh && { refresh: true }),
          onProgress: reporter.onProgress,
        });
        if (flags.profiles) await saveProfileFile(flags.profiles, profiling.profiles);
        if (flags.json) console.log(JSON.stringify({ ensemble: ensemble.name, devices, ...profiling }, null, 2));
        else console.log(formatEnsembleProfiling(ensemble.name, devices, profiling));
        if (flags.profiles) console.error(`tutti: profiles saved to ${flags.profiles}`);
      } finally {
        reporter.stop();
      }
    });
}
