/**
 * From an ensemble to a plan: the devices (detected here, or declared in a devices file), each
 * member's profile on each device (measured and cached, cost model, or a profile file), then the
 * allocator. Shared by `tutti allocate`, `tutti serve` and the benchmarks.
 */
import { allocate, chooseLayout, type Device, type LayoutKind, type MemberProfile, type Plan, type Strategy } from '@tutti/allocator';
import { existsSync, readFileSync } from 'node:fs';
import type { Ensemble } from '@tutti/manifest';
import { calibrationMismatches, cascadeReach, type Calibration } from '@tutti/rules';
import {
  defaultBatchSizes,
  defaultCacheDir,
  detectDevices,
  hostMessageCost,
  loadDevicesFile,
  profileEnsemble,
  type ProfileProgress,
} from '@tutti/profiler';

export interface PlanningOptions {
  devicesFile?: string;
  profilesFile?: string;
  strategy?: Strategy;
  batchSizes?: number[];
  threadOptions?: number[];
  onProgress?: ProfileProgress;
  /** The process layout: chosen from the profiles and the measured message cost ('auto', the default), or forced. */
  layout?: LayoutKind | 'auto';
}

export interface Planned {
  plan: Plan;
  devices: Device[];
  profiles: Record<string, Record<string, MemberProfile>>;
}

/** A request's p99 is its wait in the queue plus its batch's compute: the batch gets what remains of the target. */
export function latencyBudgetOf(ensemble: Ensemble): number | undefined {
  return ensemble.latencyTarget ? ensemble.latencyTarget.p99Ms - ensemble.batching.maxQueueDelayMs : undefined;
}

export async function planEnsemble(ensemble: Ensemble, options: PlanningOptions = {}): Promise<Planned> {
  const devices = options.devicesFile ? loadDevicesFile(options.devicesFile) : detectDevices();
  const batchSizes = options.batchSizes ?? defaultBatchSizes(ensemble.batching.maxBatchSize);
  const profiles = await profileEnsemble(ensemble, devices, {
    batchSizes,
    ...(options.threadOptions && { threadOptions: options.threadOptions }),
    ...(options.profilesFile && { profilesFile: options.profilesFile }),
    ...(options.onProgress && { onProgress: options.onProgress }),
  });
  const latencyBudgetMs = latencyBudgetOf(ensemble);
  const reach = reachOf(ensemble);
  const input = {
    devices,
    members: ensemble.members.map((m) => m.name),
    profiles,
    batchSizes,
    ...(latencyBudgetMs !== undefined && { latencyBudgetMs }),
    ...(reach && { reach }),
  };
  const plan = allocate(input, options.strategy ?? 'greedy');
  const cpu = devices.find((d) => d.kind === 'cpu' && d.origin === 'detected');
  // The messages' cost is this host's: a plan for declared hardware only keeps Pochelu's layout unless told otherwise.
  const { messageCostMs } = cpu ? await hostMessageCost(defaultCacheDir(), cpu.name) : { messageCostMs: 0 };
  const layout = chooseLayout(input, plan.instances, { messageCostMs, force: options.layout ?? 'auto' });
  return { plan: { ...plan, ensemble: ensemble.name, layout }, devices, profiles };
}

/**
 * With a cascade, a default accuracy target and its calibration: the share of requests each member
 * computes (its later stages see fewer), so that the plan gives them fewer instances. Otherwise (or
 * a calibration of other stages: the server will refuse it, saying why) every member sees them all.
 */
function reachOf(ensemble: Ensemble): Record<string, number> | undefined {
  const cascade = ensemble.cascade;
  if (!cascade || cascade.accuracyTarget === undefined || !existsSync(cascade.calibrationPath)) return undefined;
  const calibration = JSON.parse(readFileSync(cascade.calibrationPath, 'utf8')) as Calibration;
  if (calibrationMismatches(calibration, cascade).length > 0) return undefined;
  if (cascade.accuracyTarget > calibration.ensembleAccuracy) return undefined;
  return cascadeReach(calibration, cascade.accuracyTarget);
}
