/** The dry-run's readable report of a plan: the allocation matrix, usage, predictions, steps. */
import { formatBytes, formatRate } from './units.js';
import type { Device, Plan } from './types.js';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Where a device's figures come from: measured here, or a declared device (served in emulation or not). */
export function deviceLabel(device: Device): string {
  const origin = device.emulated ? 'emulated' : device.origin;
  return `${device.id} ${device.kind} ${device.name} (${origin})`;
}

/** The instances of one member on one device, grouped by setting: "2 x b8 t1, 1 x b4 t2", or "-". */
export function matrixCell(plan: Plan, device: string, member: string): string {
  const here = plan.instances.filter((i) => i.device === device && i.member === member);
  if (here.length === 0) return '-';
  const groups = new Map<string, number>();
  for (const i of here) {
    const key = `b${i.batch} t${i.threads}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].map(([key, n]) => `${n} x ${key}`).join(', ');
}

function formatLatency(ms: number, budgetMs: number | undefined): string {
  const over = budgetMs !== undefined && ms > budgetMs * (1 + 1e-9) ? ' (over budget)' : '';
  return `${ms.toFixed(1)} ms${over}`;
}

function matrixSection(plan: Plan): string[] {
  // A plan across hosts says where each device is: the head's own are "head".
  const hosts = plan.devices.some((d) => d.host !== undefined);
  const rows = plan.devices.map((d) => [
    ...(hosts ? [d.host ?? 'head'] : []),
    deviceLabel(d),
    ...plan.members.map((m) => matrixCell(plan, d.id, m)),
  ]);
  const heading = [...(hosts ? ['host'] : []), 'device', ...plan.members];
  return ['Allocation matrix (instances x batch size b, threads t):', table([heading, ...rows])];
}

function devicesSection(plan: Plan): string[] {
  const rows = plan.predicted.devices.map((u) => [
    `  ${u.device}`,
    `memory ${formatBytes(u.memoryBytes)} / ${formatBytes(u.memoryCapacity)}`,
    u.cores === undefined
      ? ''
      : `cores ${u.cores} / ${u.coresCapacity}${u.cores > (u.coresCapacity ?? 1) ? ' (oversubscribed: instances share them)' : ''}`,
  ]);
  return ['Devices (used / capacity):', table(rows)];
}

function membersSection(plan: Plan): string[] {
  const { predicted } = plan;
  const slowest = Math.max(0, ...predicted.members.map((m) => m.batchLatencyMs));
  // A cascade's later stages see only part of the requests: the share each member computes.
  const reach = plan.reach;
  const share = (member: string) => (reach ? [`${((reach[member] ?? 1) * 100).toFixed(0)}%`] : []);
  const rows = [
    ['  member', 'instances', 'rows/s', 'batch latency', ...(reach ? ['of requests'] : [])],
    ...predicted.members.map((m) => [
      `  ${m.member}${m.member === predicted.bottleneck ? ' *' : ''}`,
      String(m.instances),
      formatRate(m.throughput),
      formatLatency(m.batchLatencyMs, plan.latencyBudgetMs),
      ...share(m.member),
    ]),
    // Members run side by side, so the ensemble's batch takes as long as its slowest member's.
    [
      '  ensemble',
      String(plan.instances.length),
      formatRate(predicted.throughput),
      formatLatency(slowest, plan.latencyBudgetMs),
      ...(reach ? [''] : []),
    ],
  ];
  const budget = plan.latencyBudgetMs === undefined ? '' : `; batch latency budget ${plan.latencyBudgetMs} ms`;
  return [`Members (predicted; * = bottleneck${budget}):`, table(rows)];
}

/** The process layout: which members share worker processes, and the predictions it was chosen from. */
function layoutSection(plan: Plan): string[] {
  const { layout } = plan;
  if (!layout) return [];
  const how = layout.decidedBy === 'forced' ? 'forced' : 'chosen';
  const per = formatRate(layout.predicted['per-instance']);
  const grouped = layout.predicted.grouped > 0 ? formatRate(layout.predicted.grouped) : 'n/a';
  const idle = layout.idleMs
    ? `; idle compute latency per-instance ${layout.idleMs['per-instance'].toFixed(1)} ms, grouped ${layout.idleMs.grouped > 0 ? `${layout.idleMs.grouped.toFixed(1)} ms` : 'n/a'}`
    : '';
  const lines = [
    `Process layout: ${layout.kind} (${how}; predicted with serving costs, one-row requests: per-instance ${per} req/s, grouped ${grouped} req/s${idle}; ${(layout.messageCostMs * 1000).toFixed(0)} us of CPU per internal message, measured here)`,
  ];
  for (const g of layout.groups) {
    const hosted = g.members.map((m) => (g.batches?.[m] ? `${m} (b${g.batches[m]})` : m)).join(', ');
    lines.push(
      `  ${g.processes} worker process${g.processes === 1 ? '' : 'es'} on ${g.device}, ${g.threads} thread${g.threads === 1 ? '' : 's'} per session, each hosting ${hosted}: one batch computes at a time`,
    );
  }
  const alone = plan.instances.filter((i) => !layout.groups.some((g) => g.device === i.device && g.members.includes(i.member)));
  if (alone.length > 0)
    lines.push(
      `  ${alone.length} worker process${alone.length === 1 ? '' : 'es'} of one instance each${layout.groups.length > 0 ? ' (the other members)' : ''}`,
    );
  return lines;
}

function stepsSection(plan: Plan): string[] {
  if (plan.steps.length === 0) return plan.strategy === 'greedy' ? ['Greedy steps: none improved the worst-fit start.'] : [];
  const lines = [`Greedy steps (${plan.steps.length}):`];
  plan.steps.forEach((s, k) => {
    const gain = s.throughputBefore > 0 ? `+${((s.throughputAfter / s.throughputBefore - 1) * 100).toFixed(1)}%` : 'from 0';
    lines.push(
      `  ${String(k + 1).padStart(2)}. ${s.move}: ${formatRate(s.throughputBefore)} -> ${formatRate(s.throughputAfter)} rows/s (${gain})`,
    );
  });
  return lines;
}

export function formatPlan(plan: Plan): string {
  const { predicted } = plan;
  const limit = predicted.limitedBy
    ? `bottleneck ${predicted.bottleneck}, limited by the ${predicted.limitedBy} it shares (its members' work fills it)`
    : `bottleneck ${predicted.bottleneck}`;
  const header = [
    `Plan for ${plan.ensemble || 'ensemble'} (${plan.strategy}): predicted ${formatRate(predicted.throughput)} rows/s, ${limit}`,
  ];
  if (plan.devices.some((d) => d.origin === 'declared')) {
    header.push(
      'Declared devices are not measured here: their figures come from profiles (cost model or file); emulated ones are served by CPU workers holding each batch to its profiled time.',
    );
  }
  const sections = [
    header,
    matrixSection(plan),
    devicesSection(plan),
    membersSection(plan),
    layoutSection(plan),
    stepsSection(plan),
  ].filter((s) => s.length > 0);
  return sections.map((s) => s.join('\n')).join('\n\n');
}
