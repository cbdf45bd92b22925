/** Profiles as text for people: per member and device, memory and a latency/throughput table. */
import { formatBytes, type Device, type MemberProfile } from '@tutti/allocator';
import type { EnsembleProfiling, ProfileSource } from './profile-ensemble.js';

const SOURCE_LABEL: Record<ProfileSource, string> = {
  measured: 'measured here',
  cache: 'measured here earlier (cache)',
  'cost-model': 'cost model',
  file: 'profile file',
};

export function formatLatency(ms: number): string {
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

function formatThroughput(rowsPerSecond: number): string {
  return rowsPerSecond >= 100 ? Math.round(rowsPerSecond).toString() : rowsPerSecond.toFixed(1);
}

/** Right-aligned columns, two spaces apart. */
function table(rows: string[][], indent: string): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows.map((row) => indent + row.map((cell, column) => cell.padStart(widths[column]!)).join('  '));
}

/** Batch sizes down, and for each thread count its batch latency (ms) and throughput (rows/s) across. */
export function formatProfileTable(profile: MemberProfile, indent = '    '): string[] {
  const threads = [...new Set(profile.points.map((p) => p.threads))].sort((a, b) => a - b);
  const batches = [...new Set(profile.points.map((p) => p.batch))].sort((a, b) => a - b);
  // Thread counts label the columns only when there are several (a GPU has just 1).
  const header = ['batch', ...threads.flatMap((t) => [threads.length > 1 ? `${t} thr: ms` : 'ms', 'rows/s'])];
  const rows = batches.map((batch) => [
    String(batch),
    ...threads.flatMap((t) => {
      const point = profile.points.find((p) => p.batch === batch && p.threads === t);
      return point ? [formatLatency(point.latencyMs), formatThroughput((batch * 1000) / point.latencyMs)] : ['-', '-'];
    }),
  ]);
  return table([header, ...rows], indent);
}

/** 'cpu (AMD EPYC 7B13)', 'v100-0, v100-1 (V100)' or 'v100-0 .. v100-15 (16 x V100)'. */
function deviceLabel(ids: string[], name: string): string {
  return ids.length <= 3 ? `${ids.join(', ')} (${name})` : `${ids[0]} .. ${ids.at(-1)} (${ids.length} x ${name})`;
}

/** Devices with the same name and source share one profile: print it once for all of them. */
function groupDevices(devices: Device[], sources: Record<string, ProfileSource>): { ids: string[]; device: Device }[] {
  const groups = new Map<string, { ids: string[]; device: Device }>();
  for (const device of devices) {
    const source = sources[device.id];
    if (!source) continue;
    const key = `${device.name}\u0000${source}`;
    const group = groups.get(key) ?? { ids: [], device };
    group.ids.push(device.id);
    groups.set(key, group);
  }
  return [...groups.values()];
}

export function formatEnsembleProfiling(ensembleName: string, devices: Device[], profiling: EnsembleProfiling): string {
  const lines: string[] = [];
  const counts: Partial<Record<ProfileSource, number>> = {};
  for (const [member, byDevice] of Object.entries(profiling.profiles)) {
    lines.push('', member);
    const sources = profiling.sources[member] ?? {};
    for (const { ids, device } of groupDevices(devices, sources)) {
      const profile = byDevice[ids[0]!]!;
      const source = sources[ids[0]!]!;
      counts[source] = (counts[source] ?? 0) + 1;
      lines.push(`  on ${deviceLabel(ids, device.name)}: ${SOURCE_LABEL[source]}; memory per instance ${formatBytes(profile.memoryBytes)}`);
      lines.push(...formatProfileTable(profile));
    }
    for (const skipped of profiling.skipped.filter((s) => s.member === member))
      lines.push(`  on ${skipped.device}: skipped: ${skipped.reason}`);
  }
  const tally = Object.entries(counts).map(([source, n]) => `${n} ${SOURCE_LABEL[source as ProfileSource]}`);
  const memberCount = Object.keys(profiling.profiles).length;
  lines.push(
    '',
    `profiled ${ensembleName}: ${memberCount} member(s) on ${devices.length} device(s) in ${profiling.seconds.toFixed(1)} s (${tally.join(', ') || 'nothing'})`,
  );
  return lines.join('\n');
}
