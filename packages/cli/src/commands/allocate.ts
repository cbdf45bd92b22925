import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { descriptionOf } from './index.js';
import {
  formatHardwareChoice,
  formatPlan,
  planToJson,
  type HardwareChoice,
  type LayoutKind,
  type Plan,
  type Strategy,
} from '@tutti/allocator';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { progressReporter } from '@tutti/profiler';
import { TuttiError } from '@tutti/protocol';
import { chooseHardwareFor, searchProgressReporter } from '@tutti/planner';
import { planEnsemble } from '@tutti/planner';

interface AllocateFlags {
  devices?: string;
  profiles?: string;
  strategy: Strategy;
  dryRun?: boolean;
  json?: boolean;
  out?: string;
  catalog?: string;
  budget?: number;
  demand?: number;
  minimise?: 'cost' | 'power';
  top: number;
  candidates?: number;
  layout: LayoutKind | 'auto';
}

function positive(what: string, unit: string): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!(Number.isFinite(value) && value > 0))
      throw new TuttiError('INVALID_OPTION', `${what} must be ${unit} > 0, got ${JSON.stringify(text)}`);
    return value;
  };
}

function count(what: string): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!(Number.isInteger(value) && value >= 1))
      throw new TuttiError('INVALID_OPTION', `${what} must be an integer >= 1, got ${JSON.stringify(text)}`);
    return value;
  };
}

const EXAMPLES = `
Examples:
  tutti allocate ensembles/zoo-cnn --dry-run
  tutti allocate ensembles/zoo-cnn --devices devices/4-gpus-32gb.yaml --dry-run --json
  tutti allocate ensembles/digits && tutti serve ensembles/digits --plan ensembles/digits/plan.json
  tutti allocate ensembles/digits --budget 3 --catalog devices/catalog-cloud.yaml --dry-run
  tutti allocate ensembles/digits --demand 200000 --catalog devices/catalog-cloud.yaml --budget 5 --dry-run

Profiles are measured on first use (cached per model file) or come from the cost model for declared devices.

Choosing hardware (--catalog with --budget or --demand): every mix of the catalogue's device types
within the budget (and their max counts) gets an upper bound on throughput; the best --candidates
by bound are planned (greedy) and ranked by predicted throughput, ties cheaper first. With --demand,
the cheapest mix whose plan serves that many rows/s (--minimise power: the least watts). The best
mix's plan is written as usual; its declared devices are served in emulation.`;

/** A mix of several machines like this one is served on this one: say so beside the plan. */
function sharedHostNote(plan: Plan): string | undefined {
  const hosts = plan.devices.filter((d) => d.origin === 'detected' && d.kind === 'cpu');
  if (hosts.length < 2) return undefined;
  return `note: ${hosts.map((d) => d.id).join(', ')} stand for ${hosts.length} machines like this one; served here, they share this host's cores, so served throughput falls short of the prediction.`;
}

function choiceJson(choice: HardwareChoice): string {
  const { ranking, best, failed, ...rest } = choice;
  const strip = ({ plan: _plan, ...mix }: (typeof ranking)[number]) => mix;
  return JSON.stringify({ ...rest, best, ranking: ranking.map(strip), failed }, null, 2);
}

async function chooseHardware(ensemble: Ensemble, ensembleDir: string, flags: AllocateFlags): Promise<void> {
  if (!flags.catalog)
    throw new TuttiError(
      'INVALID_OPTION',
      '--budget and --demand choose among the device types of a catalogue: give --catalog FILE (e.g. devices/catalog-cloud.yaml)',
    );
  if (flags.budget === undefined && flags.demand === undefined)
    throw new TuttiError('INVALID_OPTION', '--catalog needs --budget (dollars per hour) or --demand (rows per second)');
  if (flags.devices)
    throw new TuttiError('INVALID_OPTION', '--devices and --catalog exclude each other: the search chooses the devices from the catalogue');
  if (flags.strategy !== 'greedy')
    throw new TuttiError('INVALID_OPTION', `--strategy ${flags.strategy}: the hardware search plans each mix with greedy`);
  if (flags.minimise && flags.demand === undefined) throw new TuttiError('INVALID_OPTION', '--minimise needs --demand');
  const profiling = progressReporter(process.stderr);
  const searching = searchProgressReporter(process.stderr);
  let planned;
  try {
    planned = await chooseHardwareFor(ensemble, {
      catalogFile: flags.catalog,
      ...(flags.budget !== undefined && { budgetPerHour: flags.budget }),
      ...(flags.demand !== undefined && { demand: flags.demand }),
      ...(flags.minimise && { minimise: flags.minimise }),
      candidates: flags.candidates ?? Math.max(20, flags.top),
      ...(flags.profiles && { profilesFile: flags.profiles }),
      onProfileProgress: profiling.onProgress,
      onSearchProgress: searching.onProgress,
    });
  } finally {
    profiling.stop();
    searching.stop();
  }
  const { choice } = planned;
  if (flags.json) console.log(choiceJson(choice));
  else {
    console.log(formatHardwareChoice(choice, flags.top));
    console.log('');
    console.log(`Top mix: ${choice.best.label}`);
    console.log(formatPlan(choice.best.plan));
    const note = sharedHostNote(choice.best.plan);
    if (note) console.log(`\n${note}`);
  }
  const planCount = choice.ranking.length + choice.failed.length;
  console.error(
    `tutti: profiles in ${planned.profileSeconds.toFixed(1)} s; ${choice.enumerated} mixes bounded and ${planCount} planned in ${planned.searchSeconds.toFixed(1)} s`,
  );
  if (flags.dryRun) return;
  const out = flags.out ?? join(ensemble.dir, 'plan.json');
  await writeFile(out, `${planToJson(choice.best.plan)}\n`);
  console.error(`tutti: plan for ${choice.best.label} written to ${out}; serve it with: tutti serve ${ensembleDir} --plan ${out}`);
}

export function allocateCommand(): Command {
  return new Command('allocate')
    .description(descriptionOf('allocate'))
    .argument('<ensemble>', 'ensemble folder (or its manifest.yaml)')
    .option('-d, --devices <file>', 'devices file (YAML) declaring hardware instead of detecting this host')
    .option('-p, --profiles <file>', 'profiles measured elsewhere (from tutti profile --profiles)')
    .addOption(
      new Option('-s, --strategy <name>', 'baseline (one instance per member, best batch), worst-fit, or greedy')
        .choices(['baseline', 'worst-fit', 'greedy'])
        .default('greedy'),
    )
    .option('--dry-run', 'print the allocation matrix and predicted throughput; write nothing')
    .option('--json', 'print the plan as JSON')
    .option('-o, --out <file>', 'where to write the plan (default: plan.json in the ensemble folder)')
    .option('--catalog <file>', 'catalogue of device types with prices (YAML), to choose hardware with --budget or --demand')
    .option(
      '--budget <dollarsPerHour>',
      'with --catalog: the mix with the highest throughput within this many dollars per hour',
      positive('--budget', 'dollars per hour'),
    )
    .option(
      '--demand <rowsPerSecond>',
      'with --catalog: the cheapest mix that serves this many rows per second',
      positive('--demand', 'rows per second'),
    )
    .addOption(
      new Option('--minimise <what>', 'with --demand: minimise cost or power (watts, from the catalogue)').choices(['cost', 'power']),
    )
    .addOption(
      new Option(
        '--layout <kind>',
        'worker processes: auto (chosen from profiles and the measured message cost), per-instance (one process per instance), or grouped (small members share processes)',
      )
        .choices(['auto', 'per-instance', 'grouped'])
        .default('auto'),
    )
    .option('--top <n>', 'with --catalog: ranking rows printed', count('--top'), 10)
    .option(
      '--candidates <k>',
      'with --budget: how many mixes, the best by upper bound, to plan (default 20, or --top if more)',
      count('--candidates'),
    )
    .addHelpText('after', EXAMPLES)
    .action(async (ensembleDir: string, flags: AllocateFlags) => {
      const ensemble = await loadManifest(ensembleDir, { generate: true });
      if (flags.catalog || flags.budget !== undefined || flags.demand !== undefined) return chooseHardware(ensemble, ensembleDir, flags);
      const { plan } = await planEnsemble(ensemble, {
        strategy: flags.strategy,
        layout: flags.layout,
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
