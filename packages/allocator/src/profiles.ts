/** Reading profiles: batch latency at a setting, and the settings a member may use on a device. */
import type { AllocationInput, Device, MemberProfile } from './types.js';

/**
 * Batch latency (ms) at `batch` rows with `threads` intra-op threads: a measured point, or linear
 * interpolation between the nearest measured batch sizes at the same threads; undefined outside the
 * measured range or for unmeasured threads.
 */
export function latencyOf(profile: MemberProfile, batch: number, threads: number): number | undefined {
  let below: { batch: number; latencyMs: number } | undefined;
  let above: { batch: number; latencyMs: number } | undefined;
  for (const point of profile.points) {
    if (point.threads !== threads) continue;
    if (point.batch === batch) return point.latencyMs;
    if (point.batch < batch && (!below || point.batch > below.batch)) below = point;
    if (point.batch > batch && (!above || point.batch < above.batch)) above = point;
  }
  if (!below || !above) return undefined;
  return below.latencyMs + ((above.latencyMs - below.latencyMs) * (batch - below.batch)) / (above.batch - below.batch);
}

/** Rows per second of one instance running alone. */
export function instanceThroughput(profile: MemberProfile, batch: number, threads: number): number | undefined {
  const latency = latencyOf(profile, batch, threads);
  return latency === undefined || latency <= 0 ? undefined : (batch * 1000) / latency;
}

export interface Setting {
  batch: number;
  threads: number;
  latencyMs: number;
  throughput: number;
}

/** Thread counts a member's profile was measured at on a device (always [1] on a GPU). */
export function threadOptions(profile: MemberProfile, device: Device): number[] {
  if (device.kind !== 'cpu') return [1];
  return [...new Set(profile.points.map((p) => p.threads))].filter((t) => t <= (device.cores ?? 1)).sort((a, b) => a - b);
}

/** Every (batch, threads) the member may use on the device: profiled, and within the latency budget. */
export function settingsFor(input: AllocationInput, member: string, device: Device): Setting[] {
  const profile = input.profiles[member]?.[device.id];
  if (!profile) return [];
  const settings: Setting[] = [];
  for (const threads of threadOptions(profile, device)) {
    for (const batch of input.batchSizes) {
      const latencyMs = latencyOf(profile, batch, threads);
      if (latencyMs === undefined || latencyMs <= 0) continue;
      if (input.latencyBudgetMs !== undefined && latencyMs > input.latencyBudgetMs) continue;
      settings.push({ batch, threads, latencyMs, throughput: (batch * 1000) / latencyMs });
    }
  }
  return settings;
}

/**
 * The setting with the best throughput among those whose batch latency, slowed by `share` (the part
 * of the device the instance gets when it shares it), stays within `maxLatencyMs`; ties go to the
 * larger batch. When none does, the quickest setting: the closest the plan can get to the budget.
 */
export function pickSetting(settings: readonly Setting[], maxLatencyMs = Infinity, share = 1): Setting | undefined {
  let best: Setting | undefined;
  for (const setting of settings) {
    if (setting.latencyMs / share > maxLatencyMs) continue;
    if (!best || setting.throughput > best.throughput || (setting.throughput === best.throughput && setting.batch > best.batch))
      best = setting;
  }
  if (best || settings.length === 0) return best;
  return settings.reduce((a, b) => (b.latencyMs < a.latencyMs ? b : a));
}

/** The best batch size for a member on a device at a given thread count (undefined if none qualifies). */
export function bestBatch(input: AllocationInput, member: string, device: Device, threads: number, share = 1): Setting | undefined {
  const settings = settingsFor(input, member, device).filter((s) => s.threads === threads);
  return pickSetting(settings, input.latencyBudgetMs, share);
}

/** The thread count closest to `wanted` (not above it) that the member was profiled at on the device. */
export function usableThreads(input: AllocationInput, member: string, device: Device, wanted: number): number | undefined {
  const profile = input.profiles[member]?.[device.id];
  if (!profile) return undefined;
  const options = threadOptions(profile, device).filter((t) => t <= Math.max(1, wanted));
  return options.at(-1);
}
