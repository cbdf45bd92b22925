/** The dry-run's readable report of a plan: the allocation matrix, usage, predictions, steps. */
import { formatBytes, formatRate } from './units.js';
import type { Device, Plan } from './types.js';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

export function deviceLabel(device: Device): string {
  const origin = device.emulated ? 'declared, EMULATED here' : device.origin;
  return `${device.id} ${device.kind} ${device.name} (${origin})`;
}

function cell(plan: Plan, device: string, member: string): string {
  const here = plan.instances.filter((i) => i.device === device && i.member === member);
  if (here.length === 0) return '-';
  const groups = new Map<string, number>();
  for (const i of here) {
    const key = `b${i.batch} t${i.threads}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].map(([key, n]) => `${n} x ${key}`).join(', ');
}

export function formatPlan(plan: Plan): string {
  const lines: string[] = [];
  const { predicted } = plan;
  lines.push(`Plan for ${plan.ensemble || 'ensemble'} (${plan.strategy}): predicted ${formatRate(predicted.throughput)} rows/s, bottleneck ${predicted.bottleneck}`);
  if (plan.devices.some((d) => d.emulated || d.origin === 'declared')) {
    lines.push('Declared devices are not measured here: their figures come from profiles (cost model or file); emulated ones are served by CPU workers holding batches to those times.');
  }
  lines.push('', 'Allocation matrix (instances x batch size, threads):');
  lines.push(table([['device', ...plan.members], ...plan.devices.map((d) => [deviceLabel(d), ...plan.members.map((m) => cell(plan, d.id, m))])]));
  lines.push('', 'Devices:');
  lines.push(
    table(
      predicted.devices.map((u) => [
        `  ${u.device}`,
        `memory ${formatBytes(u.memoryBytes)} / ${formatBytes(u.memoryCapacity)}`,
        u.cores === undefined ? '' : `cores ${u.cores} / ${u.coresCapacity}`,
      ]),
    ),
  );
  lines.push('', 'Members (predicted):');
  lines.push(
    table([
      ['  member', 'instances', 'rows/s', 'batch latency'],
      ...predicted.members.map((m) => [`  ${m.member}${m.member === predicted.bottleneck ? ' *' : ''}`, String(m.instances), formatRate(m.throughput), `${m.batchLatencyMs.toFixed(1)} ms`]),
      ['  ensemble', String(plan.instances.length), formatRate(predicted.throughput), `* = bottleneck`],
    ]),
  );
  if (plan.steps.length > 0) {
    lines.push('', `Greedy steps (${plan.steps.length}):`);
    plan.steps.forEach((s, k) => {
      const gain = s.throughputBefore > 0 ? ((s.throughputAfter / s.throughputBefore - 1) * 100).toFixed(1) : 'inf';
      lines.push(`  ${String(k + 1).padStart(2)}. ${s.move}: ${formatRate(s.throughputBefore)} -> ${formatRate(s.throughputAfter)} rows/s (+${gain}%)`);
    });
  } else if (plan.strategy === 'greedy') lines.push('', 'Greedy steps: none improved the worst-fit start by more than 1%.');
  return lines.join('\n');
}
