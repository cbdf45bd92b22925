import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { formatPlan, planToJson, type Strategy } from '@tutti/allocator';
import { loadManifest } from '@tutti/manifest';
import { planEnsemble } from '../planning.js';

interface AllocateFlags {
  devices?: string;
  profiles?: string;
  strategy: Strategy;
  dryRun?: boolean;
  json?: boolean;
  out?: string;
}

export function allocateCommand(): Command {
  return new Command('allocate')
    .description('place the members\' instances on devices (worst-fit, then greedy tuning of instances, batch sizes and threads)')
    .argument('<ensemble>', 'ensemble folder (or its manifest.yaml)')
    .option('-d, --devices <file>', 'devices file (YAML) declaring hardware instead of detecting this host')
    .option('-p, --profiles <file>', 'profiles measured elsewhere (from tutti profile --profiles)')
    .addOption(new Option('-s, --strategy <name>', 'baseline (one instance per member, best batch), worst-fit, or greedy').choices(['baseline', 'worst-fit', 'greedy']).default('greedy'))
    .option('--dry-run', 'print the allocation matrix and predicted throughput; write nothing')
    .option('--json', 'print the plan as JSON')
    .option('-o, --out <file>', 'where to write the plan (default: plan.json in the ensemble folder)')
    .addHelpText(
      'after',
      '\nExamples:\n  tutti allocate ensembles/zoo-cnn --dry-run\n  tutti allocate ensembles/zoo-cnn --devices devices/4-gpus-32gb.yaml --dry-run --json\n  tutti allocate ensembles/digits && tutti serve ensembles/digits --plan ensembles/digits/plan.json\n\nProfiles are measured on first use (cached per model file) or come from the cost model for declared devices.',
    )
    .action(async (ensembleDir: string, flags: AllocateFlags) => {
      const ensemble = await loadManifest(ensembleDir);
      const { plan } = await planEnsemble(ensemble, {
        strategy: flags.strategy,
        ...(flags.devices && { devicesFile: flags.devices }),
        ...(flags.profiles && { profilesFile: flags.profiles }),
      });
      if (flags.json) console.log(planToJson(plan));
      else console.log(formatPlan(plan));
      if (flags.dryRun) return;
      const out = flags.out ?? join(ensemble.dir, 'plan.json');
      await writeFile(out, `${planToJson(plan)}\n`);
      console.error(`tutti: plan written to ${out}; serve it with: tutti serve ${ensembleDir} --plan ${out}`);
    });
}
