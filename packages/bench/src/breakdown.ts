/**
 * Where a request's time went on the server, from the Prometheus text before and after a step:
 * mean time queued in the batcher, computing in each member, in the combination rule, and in all.
 */
export type Sums = Map<string, { sum: number; count: number }>;

/** Histogram `_sum` and `_count` series by base name and labels. */
export function histogramSums(text: string): Sums {
  const sums: Sums = new Map();
  for (const line of text.split('\n')) {
    const match = /^(\w+)_(sum|count)(\{[^}]*\})? ([\d.eE+-]+)$/.exec(line);
    if (!match) continue;
    const key = `${match[1]}${match[3] ?? ''}`;
    const entry = sums.get(key) ?? { sum: 0, count: 0 };
    entry[match[2] as 'sum' | 'count'] = Number(match[4]);
    sums.set(key, entry);
  }
  return sums;
}

/**
 * Mean of each histogram over what was recorded between two readings: durations in ms, and
 * tutti_batch_size in rows (how much each batch carried: its messages' cost is shared by that many).
 */
export function meansBetween(before: Sums, after: Sums): Record<string, number> {
  const means: Record<string, number> = {};
  for (const [key, end] of after) {
    const scale = key.includes('_seconds') ? 1000 : key === 'tutti_batch_size' ? 1 : undefined;
    if (scale === undefined) continue;
    const start = before.get(key) ?? { sum: 0, count: 0 };
    const count = end.count - start.count;
    if (count > 0) means[key] = ((end.sum - start.sum) / count) * scale;
  }
  return means;
}

export interface AddedLatency {
  /** The longest member's mean compute per batch (ms): the compute on the critical path if members run side by side. */
  slowestMemberMs: number;
  /** All members' mean compute added up (ms): the critical path if they take turns on one core. */
  allMembersMs: number;
  /** Client p50 minus the slowest member: what the serving path adds when members run in parallel. */
  addedMs: number;
  /** Client p50 minus every member's compute: what the serving path adds at the very least. */
  addedAtLeastMs: number;
}

/**
 * What the serving path adds to one request on an idle server: the client's p50 minus the members'
 * compute, from a step's breakdown (tutti_member_compute_seconds per member). Undefined without it.
 */
export function addedLatency(p50Ms: number, breakdown: Record<string, number>): AddedLatency | undefined {
  const members = Object.entries(breakdown)
    .filter(([key]) => key.startsWith('tutti_member_compute_seconds'))
    .map(([, ms]) => ms);
  if (members.length === 0) return undefined;
  const slowestMemberMs = Math.max(...members);
  const allMembersMs = members.reduce((a, b) => a + b, 0);
  return { slowestMemberMs, allMembersMs, addedMs: p50Ms - slowestMemberMs, addedAtLeastMs: p50Ms - allMembersMs };
}
