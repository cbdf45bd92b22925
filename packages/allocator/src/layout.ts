/**
 * The process layout: whether the plan's instances each get a worker process (Pochelu et al.) or
 * small members share processes (a grouped layout), decided by predicting each layout's throughput
 * with the serving path's cost in it, not only the models' compute.
 *
 * Serving cost: every internal message (a send, its receive and the process wake-up it causes)
 * costs `messageCostMs` of CPU, measured when profiling (see the profiler's message-cost probe).
 * A batch of B rows fanned out to S shards (a shard: a worker process's members, each its own shard
 * in the per-instance layout, one shard per group when grouped) costs
 * - the batcher: S batch sends (the plan rides in them), S replies received (the one with the
 *   answers, and S - 1 returning the other shards' credits), and each request received (B / r);
 * - the combiner: S results, S replies sent, and each answer sent (B / r);
 * - each shard's worker: its batch and its result (its credit comes back through the combiner).
 * Requests carry r rows (1 in the benchmarks). The batcher and the combiner are one thread each, so
 * each bounds the rate alone; all processes and the models' compute share the device's cores.
 * For digits (five MLPs computing a batch in ~20-100 us) the messages cost more than the models,
 * and one process hosting all five wins; for CNNs (tens of ms a batch) the messages are noise and
 * one process per instance keeps members computing side by side.
 *
 * Pure: no I/O, no clock.
 */
import { TuttiError, invalidOption } from '@tutti/core';
import { latencyOf } from './profiles.js';
import { predict } from './predict.js';
import type { AllocationInput, Instance, Layout, LayoutKind, ProcessGroup } from './types.js';

export interface LayoutOptions {
  /** CPU cost of one internal message, ms (measured by the profiler on this host). */
  messageCostMs: number;
  /** Rows per request (default 1). */
  requestRows?: number;
  /** Force a layout instead of choosing ('auto', the default, chooses). */
  force?: LayoutKind | 'auto';
  /**
   * Layouts predicted within this share of the best rate count as equally fast (default 0.05): among
   * them the lowest predicted idle latency wins, and on equal latency Pochelu's per-instance layout.
   */
  tie?: number;
}

/** Fewer processes are kept while the prediction stays within this share of the best. */
const FEWER_PROCESSES_TIE = 0.01;

export interface LayoutPrediction {
  /** Requests per second, serving costs included. */
  throughput: number;
  /** What limits it: 'batcher', 'combiner', a device id, or 'compute' (the members' capacity). */
  limitedBy: string;
}

/** The members that can share processes on a device: every instance of theirs is on it, on a CPU. */
function groupable(input: AllocationInput, instances: readonly Instance[], device: string): string[] {
  return input.members.filter((member) => {
    const own = instances.filter((i) => i.member === member);
    return own.length > 0 && own.every((i) => i.device === device);
  });
}

/** The batch size a member runs at: its group's, else the plan's (its first instance's). */
function batchOf(instances: readonly Instance[], groups: readonly ProcessGroup[], member: string): number {
  return groups.find((g) => g.members.includes(member))?.batches?.[member] ?? instances.find((i) => i.member === member)!.batch;
}

/** The member's best batch size at `threads` on a device (most rows per second), among the input's sizes. */
function bestBatch(input: AllocationInput, member: string, device: string, threads: number): number {
  const profile = input.profiles[member]![device]!;
  const rate = (b: number) => b / (latencyOf(profile, b, threads) ?? Infinity);
  return input.batchSizes.reduce((best, b) => (rate(b) > rate(best) ? b : best));
}

/** A batch of `rows` through a member running chunks of `batch` rows, ms. */
function chunkedMs(input: AllocationInput, member: string, device: string, rows: number, batch: number, threads: number): number {
  const chunk = Math.min(rows, batch);
  return Math.ceil(rows / chunk) * (latencyOf(input.profiles[member]![device]!, chunk, threads) ?? Infinity);
}

/** Requests per second of a layout, serving costs included. */
export function predictLayout(
  input: AllocationInput,
  instances: readonly Instance[],
  groups: readonly ProcessGroup[],
  options: LayoutOptions,
): LayoutPrediction {
  const m = options.messageCostMs;
  const rows = options.requestRows ?? 1;
  const grouped = new Set(groups.flatMap((g) => g.members));
  const shards = groups.length + input.members.filter((member) => !grouped.has(member)).length;
  // At saturation a batch carries the largest batch size a member runs at; members with smaller ones run it in chunks.
  const batch = Math.max(...input.members.map((member) => batchOf(instances, groups, member)));
  const perRow = (messagesPerBatch: number, messagesPerRequest: number) => (m * messagesPerBatch) / batch + (m * messagesPerRequest) / rows;
  const bounds: LayoutPrediction[] = [
    { limitedBy: 'batcher', throughput: 1000 / perRow(2 * shards, 1) / rows },
    { limitedBy: 'combiner', throughput: 1000 / perRow(2 * shards, 1) / rows },
  ];
  // Compute: the per-instance members as the allocator predicts them; each group's processes each compute a batch of every member in turn.
  const single = instances.filter((i) => !grouped.has(i.member));
  if (single.length > 0) {
    const alone = predict({ ...input, members: input.members.filter((member) => !grouped.has(member)) }, single);
    bounds.push({ limitedBy: 'compute', throughput: alone.throughput / rows });
  }
  for (const group of groups) {
    const device = input.devices.find((d) => d.id === group.device)!;
    const batchMs =
      group.members.reduce(
        (sum, member) => sum + chunkedMs(input, member, group.device, batch, batchOf(instances, groups, member), group.threads),
        0,
      ) +
      2 * m;
    const share = device.kind === 'cpu' ? Math.min(1, (device.cores ?? 1) / (group.processes * group.threads)) : 1 / group.processes;
    bounds.push({ limitedBy: 'compute', throughput: (group.processes * share * batch * 1000) / batchMs / rows });
  }
  // Every process shares the CPU's cores: the models' core-time per row plus every message's.
  const cpu = input.devices.find((d) => d.kind === 'cpu');
  if (cpu) {
    // Per batch: the batcher's 2S, the combiner's 2S, the workers' 2S; per request: its receipt and its answer.
    let coreMsPerRow = perRow(6 * shards, 2);
    for (const group of groups.filter((g) => g.device === cpu.id)) {
      for (const member of group.members)
        coreMsPerRow +=
          (chunkedMs(input, member, cpu.id, batch, batchOf(instances, groups, member), group.threads) * group.threads) / batch;
    }
    for (const member of input.members.filter((name) => !grouped.has(name))) {
      const own = single.filter((i) => i.member === member && i.device === cpu.id);
      const first = own[0];
      if (first)
        coreMsPerRow +=
          ((latencyOf(input.profiles[member]![cpu.id]!, first.batch, first.threads) ?? Infinity) * first.threads) / first.batch;
    }
    bounds.push({ limitedBy: cpu.id, throughput: ((cpu.cores ?? 1) * 1000) / coreMsPerRow / rows });
  }
  return bounds.reduce((low, next) => (next.throughput < low.throughput ? next : low));
}

/**
 * The grouped candidates on a CPU: every groupable member in one group, hosted by the fewest
 * one-thread processes that reach the best predicted rate (each extra process splits the batches,
 * so each carries fewer rows for the same messages, and is one more process to wake and hold in
 * memory), or by one process with every core.
 */
function groupedCandidates(input: AllocationInput, instances: readonly Instance[], options: LayoutOptions): ProcessGroup[][] {
  const candidates: ProcessGroup[][] = [];
  for (const device of input.devices.filter((d) => d.kind === 'cpu' && !d.emulated && d.origin === 'detected')) {
    const members = groupable(input, instances, device.id);
    if (members.length < 2) continue;
    const cores = device.cores ?? 1;
    const batchesAt = (threads: number) =>
      Object.fromEntries(members.map((member) => [member, bestBatch(input, member, device.id, threads)]));
    const byProcesses = Array.from({ length: cores }, (_, k) => {
      const groups = [{ device: device.id, members, processes: k + 1, threads: 1, batches: batchesAt(1) }];
      return { groups, throughput: predictLayout(input, instances, groups, options).throughput };
    });
    const best = Math.max(...byProcesses.map((c) => c.throughput));
    candidates.push(byProcesses.find((c) => c.throughput >= best * (1 - FEWER_PROCESSES_TIE))!.groups);
    if (cores > 1) candidates.push([{ device: device.id, members, processes: 1, threads: cores, batches: batchesAt(cores) }]);
  }
  return candidates;
}

/**
 * A request's latency on an idle server, compute only (one row): a group computes its members one
 * after another in one process; instances of their own compute side by side, but when their threads
 * outnumber the device's cores, each runs slowed by that oversubscription for as long as it computes
 * (time-slicing, measured: zoo-cnn's four ResNets on two cores took 66-111 ms at 1 in flight as five
 * 1-thread processes, 60 ms as one 2-thread process computing them in turn).
 */
export function idleLatencyMs(input: AllocationInput, instances: readonly Instance[], groups: readonly ProcessGroup[]): number {
  const grouped = new Set(groups.flatMap((g) => g.members));
  let worst = 0;
  for (const group of groups) {
    worst = Math.max(
      worst,
      group.members.reduce((sum, member) => sum + (latencyOf(input.profiles[member]![group.device]!, 1, group.threads) ?? Infinity), 0),
    );
  }
  for (const device of input.devices) {
    const here = input.members
      .filter((m) => !grouped.has(m))
      .map((m) => instances.find((i) => i.member === m && i.device === device.id))
      .filter((i): i is Instance => i !== undefined);
    if (here.length === 0) continue;
    const threads =
      here.reduce((sum, i) => sum + (device.kind === 'cpu' ? i.threads : 1), 0) +
      groups.filter((g) => g.device === device.id).reduce((sum, g) => sum + g.threads, 0);
    const slowdown = Math.max(1, threads / (device.kind === 'cpu' ? (device.cores ?? 1) : 1));
    for (const i of here) worst = Math.max(worst, (latencyOf(input.profiles[i.member]![device.id]!, 1, i.threads) ?? Infinity) * slowdown);
  }
  return worst;
}

/** Chooses (or, forced, describes) the layout of a plan's instances. */
export function chooseLayout(input: AllocationInput, instances: readonly Instance[], options: LayoutOptions): Layout {
  if (!(options.messageCostMs >= 0)) invalidOption('messageCostMs', options.messageCostMs, 'a number of ms >= 0');
  const force = options.force ?? 'auto';
  if (!['auto', 'per-instance', 'grouped'].includes(force)) invalidOption('layout', force, '"auto", "per-instance" or "grouped"');
  const tie = options.tie ?? 0.05;
  const rated = (groups: ProcessGroup[]) => ({
    groups,
    throughput: predictLayout(input, instances, groups, options).throughput,
    idleMs: idleLatencyMs(input, instances, groups),
  });
  const perInstance = rated([]);
  const candidates = groupedCandidates(input, instances, options).map(rated);
  // Among layouts about as fast as the fastest, the quickest to answer an idle request; earlier (per-instance, then fewer threads) on a tie.
  const pick = (pool: ReturnType<typeof rated>[]) => {
    const top = Math.max(...pool.map((c) => c.throughput));
    return pool
      .filter((c) => c.throughput >= top * (1 - tie))
      .reduce((best, next) => (next.idleMs < best.idleMs * (1 - tie) ? next : best));
  };
  const bestGrouped = candidates.length > 0 ? pick(candidates) : undefined;
  const predicted = { 'per-instance': perInstance.throughput, grouped: bestGrouped?.throughput ?? 0 };
  const idleMs = { 'per-instance': perInstance.idleMs, grouped: bestGrouped?.idleMs ?? 0 };
  const base = { messageCostMs: options.messageCostMs, predicted, idleMs };
  if (force === 'per-instance') return { kind: 'per-instance', groups: [], ...base, decidedBy: 'forced' };
  if (force === 'grouped') {
    if (!bestGrouped)
      throw new TuttiError(
        'INVALID_OPTION',
        'layout "grouped": no members can share a worker process here: a grouped layout needs two or more members whose instances are all on one CPU of this host; use --layout per-instance or auto',
      );
    return { kind: 'grouped', groups: bestGrouped.groups, ...base, decidedBy: 'forced' };
  }
  const chosen = pick([perInstance, ...candidates]);
  return chosen === perInstance
    ? { kind: 'per-instance', groups: [], ...base, decidedBy: 'chosen' }
    : { kind: 'grouped', groups: chosen.groups, ...base, decidedBy: 'chosen' };
}
