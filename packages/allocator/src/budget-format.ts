/** The readable report of a hardware search: the ranking of mixes, then what to make of it. */
import type { HardwareChoice, RankedMix } from './budget-types.js';
import { formatRate } from './units.js';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c >= 2 && c < r.length ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const dollars = (value: number) => `$${value.toFixed(2)}`;

function heading(choice: HardwareChoice): string {
  const budget = choice.budgetPerHour === undefined ? '' : ` within ${dollars(choice.budgetPerHour)}/h`;
  const counted = `${choice.enumerated} mix${choice.enumerated === 1 ? '' : 'es'}${budget}`;
  const unusable = choice.unusable > 0 ? ` (${choice.unusable} leave some member without a device it can run on)` : '';
  const planned = choice.ranking.length + choice.failed.length;
  if (choice.mode === 'max-throughput')
    return `Hardware for the highest throughput: ${counted}${unusable}; the ${planned} best by upper bound planned, ranked by predicted throughput:`;
  const [aim, order] = choice.minimise === 'power' ? ['least power', 'fewest watts'] : ['least cost', 'cheapest'];
  return `Hardware at ${aim} for ${formatRate(choice.demand!)} rows/s: ${counted}${unusable}; ${planned} planned, ${order} first among those whose bound reaches the demand; those serving it ranked first:`;
}

/**
 * The ranking table (the first `top` rows) and notes: rank, mix, $/h, watts when known, predicted
 * rows/s, the upper bound, rows/s per $/h, and in the min-cost mode whether the mix serves the demand.
 */
export function formatHardwareChoice(choice: HardwareChoice, top = 10): string {
  const shown = choice.ranking.slice(0, Math.max(1, top));
  const withWatts = shown.some((m) => m.watts !== undefined);
  const minimising = choice.mode === 'min-cost';
  const header = [
    'rank',
    'mix',
    '$/h',
    ...(withWatts ? ['W'] : []),
    'rows/s',
    'bound',
    'rows/s per $/h',
    ...(minimising ? ['serves demand'] : []),
  ];
  const row = (m: RankedMix, k: number) => [
    String(k + 1),
    m.label,
    m.pricePerHour.toFixed(2),
    ...(withWatts ? [m.watts === undefined ? '-' : String(Math.round(m.watts))] : []),
    formatRate(m.throughput),
    formatRate(m.bound),
    Number.isFinite(m.perDollar) ? formatRate(m.perDollar) : '-',
    ...(minimising ? [m.meetsDemand ? 'yes' : 'no'] : []),
  ];
  const lines = [heading(choice), table([header, ...shown.map(row)])];
  if (choice.ranking.length > shown.length) lines.push(`(${choice.ranking.length - shown.length} more planned mixes not shown)`);
  const notes: string[] = [];
  notes.push('bound: what no plan on the mix can exceed (device time split among the members at their best settings; memory ignored).');
  if (choice.unexplored > 0)
    notes.push(
      `${choice.unexplored} unplanned mix(es) have a bound above the best prediction: planning more candidates might find a faster one.`,
    );
  if (choice.failed.length > 0)
    notes.push(
      `${choice.failed.length} planned mix(es) could not hold the ensemble, e.g. ${choice.failed[0]!.mix.label}: ${choice.failed[0]!.reason}`,
    );
  const best = choice.best;
  const watts = best.watts === undefined ? '' : `, ${Math.round(best.watts)} W`;
  notes.push(`Best: ${best.label} at ${dollars(best.pricePerHour)}/h${watts}, predicted ${formatRate(best.throughput)} rows/s.`);
  return [...lines, '', ...notes].join('\n');
}
