/**
 * From an ensemble and a catalogue of device types to the mix of devices to buy and its plan
 * (`tutti allocate --budget` / `--demand`). Each member is profiled once per TYPE, on one
 * representative device: this host's CPU measured (and cached), declared types by the cost model
 * (or a profile file); the search then copies those profiles to every device of each mix it plans.
 */
import {
  HardwareSearch,
  checkCatalogue,
  type DeviceType,
  type HardwareSearchOptions,
  type HardwareChoice,
  type SearchProgress,
} from '@tutti/allocator';
import type { Ensemble } from '@tutti/manifest';
import { defaultBatchSizes, loadCatalogFile, profileEnsemble, type ProfileProgress } from '@tutti/profiler';
import { latencyBudgetOf } from './plan-ensemble.js';

export interface HardwarePlanningOptions {
  catalogFile: string;
  budgetPerHour?: number;
  demand?: number;
  minimise?: 'cost' | 'power';
  candidates?: number;
  profilesFile?: string;
  onProfileProgress?: ProfileProgress;
  onSearchProgress?: (progress: SearchProgress) => void;
}

export interface HardwarePlanned {
  choice: HardwareChoice;
  types: DeviceType[];
  /** Seconds spent profiling, then searching. */
  profileSeconds: number;
  searchSeconds: number;
}

export async function chooseHardwareFor(ensemble: Ensemble, options: HardwarePlanningOptions): Promise<HardwarePlanned> {
  const types = loadCatalogFile(options.catalogFile);
  const searchOptions: HardwareSearchOptions = {
    ...(options.budgetPerHour !== undefined && { budgetPerHour: options.budgetPerHour }),
    ...(options.demand !== undefined && { demand: options.demand }),
    ...(options.minimise !== undefined && { minimise: options.minimise }),
    ...(options.candidates !== undefined && { candidates: options.candidates }),
    ...(options.onSearchProgress && { onProgress: options.onSearchProgress }),
  };
  // Before profiling, which may measure for a while: a catalogue the search would refuse fails now.
  checkCatalogue(types, searchOptions);
  const batchSizes = defaultBatchSizes(ensemble.batching.maxBatchSize);
  const latencyBudgetMs = latencyBudgetOf(ensemble);
  const started = performance.now();
  const representatives = types.map((t) => ({ ...t.device, id: t.id, pricePerHour: t.pricePerHour }));
  const profiles = await profileEnsemble(ensemble, representatives, {
    batchSizes,
    ...(options.profilesFile && { profilesFile: options.profilesFile }),
    ...(options.onProfileProgress && { onProgress: options.onProfileProgress }),
  });
  const profiled = performance.now();
  const search = new HardwareSearch(
    {
      types,
      members: ensemble.members.map((m) => m.name),
      profiles,
      batchSizes,
      ensemble: ensemble.name,
      ...(latencyBudgetMs !== undefined && { latencyBudgetMs }),
    },
    searchOptions,
  );
  const choice = search.run();
  return { choice, types, profileSeconds: (profiled - started) / 1000, searchSeconds: (performance.now() - profiled) / 1000 };
}

/**
 * Quiet for the search's first `afterMs` (timed from its first plan); then, on a terminal, one line
 * rewritten in place, elsewhere a line a second at most.
 */
export function searchProgressReporter(
  stream: NodeJS.WriteStream = process.stderr,
  afterMs = 2000,
): { onProgress: (p: SearchProgress) => void; stop: () => void } {
  let started: number | undefined;
  let lastLine = 0;
  let open = false;
  return {
    onProgress: ({ done, total, mix }) => {
      const now = performance.now();
      started ??= now;
      if (now - started < afterMs) return;
      const text = `planning mix ${done}/${total}: ${mix}`;
      if (stream.isTTY) {
        stream.write(`\r${text.slice(0, (stream.columns || 80) - 1).padEnd((stream.columns || 80) - 1)}`);
        open = true;
      } else if (now - lastLine >= 1000 || done === total) {
        stream.write(`${text}\n`);
        lastLine = now;
      }
    },
    stop: () => {
      if (open) stream.write('\n');
      open = false;
    },
  };
}
