/**
 * CPU time each server process spends per answered request, from /proc/<pid>/stat (utime + stime,
 * in clock ticks) read before and after a load step. Throughput alone does not say where the cores
 * went; this names the process that costs the most per request.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessRef {
  name: string;
  pid: number;
}

/** One reading: the process's user + system CPU so far, in clock ticks. */
export interface CpuReading extends ProcessRef {
  ticks: number;
}

export interface CpuPerRequest {
  requests: number;
  /** Microseconds of CPU per answered request, per process name. */
  perProcessUs: Record<string, number>;
  totalUs: number;
  /** The process with the most CPU per request. */
  busiest: string;
  /** Processes left out: gone, or restarted (another pid) between the readings. */
  skipped: string[];
}

/**
 * utime + stime from the text of /proc/<pid>/stat. The command name (field 2) is in parentheses and
 * may itself hold spaces or ')', so fields are counted from the last ')': utime and stime are fields
 * 14 and 15, i.e. the 12th and 13th after it.
 */
export function ticksOfStat(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  return utime + stime;
}

/** Reads every process that still exists (one that exited is just absent from the result). */
export function readCpu(processes: readonly ProcessRef[]): CpuReading[] {
  const readings: CpuReading[] = [];
  for (const { name, pid } of processes) {
    try {
      readings.push({ name, pid, ticks: ticksOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8')) });
    } catch {
      // Exited between listing and reading: cpuPerRequest reports it as skipped.
    }
  }
  return readings;
}

/** Clock ticks per second (`getconf CLK_TCK`); 100 on Linux when getconf is missing. */
export function clockTicksPerSecond(): number {
  try {
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return hz > 0 ? hz : 100;
  } catch {
    return 100;
  }
}

/** CPU per request between two readings; undefined when nothing was answered (no rate to divide by). */
export function cpuPerRequest(
  before: readonly CpuReading[],
  after: readonly CpuReading[],
  requests: number,
  ticksPerSecond: number,
): CpuPerRequest | undefined {
  if (requests <= 0) return undefined;
  const perProcessUs: Record<string, number> = {};
  const skipped: string[] = [];
  const names = new Set([...before, ...after].map((r) => r.name));
  for (const name of names) {
    const start = before.find((r) => r.name === name);
    const end = after.find((r) => r.name === name);
    // A restarted process has a new pid whose counters began at zero: the difference would mean nothing.
    if (!start || !end || start.pid !== end.pid) {
      skipped.push(name);
      continue;
    }
    perProcessUs[name] = (((end.ticks - start.ticks) / ticksPerSecond) * 1e6) / requests;
  }
  const entries = Object.entries(perProcessUs);
  const totalUs = entries.reduce((sum, [, us]) => sum + us, 0);
  const busiest =
    entries.reduce<[string, number] | undefined>((best, next) => (!best || next[1] > best[1] ? next : best), undefined)?.[0] ?? '';
  return { requests, perProcessUs, totalUs, busiest, skipped };
}
