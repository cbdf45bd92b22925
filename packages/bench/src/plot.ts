/** Throughput against p99 latency, one line per system, as a self-contained SVG. */
export interface Series {
  name: string;
  /** The closed-loop sweep: joined by a line. */
  points: { throughput: number; p99: number }[];
  /** The open-loop step (Poisson arrivals): a separate hollow square, not on the sweep's line. */
  open?: { throughput: number; p99: number };
}

/** Shared with the time-series plot so one system keeps its colour across figures. */
export const COLORS = ['#1b6ac9', '#d1495b', '#2a9d55', '#8e5cc4', '#e08a00'];

export function throughputLatencySvg(title: string, series: Series[], computeBound?: number): string {
  const width = 720;
  const height = 440;
  const left = 70;
  const bottom = 50;
  const top = 50;
  const right = 160;
  const all = series.flatMap((s) => [...s.points, ...(s.open ? [s.open] : [])]);
  const measuredMax = Math.max(...all.map((p) => p.throughput));
  // A bound far beyond every measurement (digits: 1.4M req/s of compute against ~15k served) would
  // squash the curves against the axis: it is then named in a note instead of drawn.
  const boundOffChart = computeBound !== undefined && computeBound > measuredMax * 3;
  const maxX = Math.max(boundOffChart ? 0 : (computeBound ?? 0), measuredMax) * 1.05 || 1;
  const ys = all.map((p) => Math.max(p.p99, 0.01));
  const minY = Math.min(...ys) / 1.5;
  const maxY = Math.max(...ys) * 1.5;
  const x = (v: number) => left + (v / maxX) * (width - left - right);
  const y = (v: number) =>
    height -
    bottom -
    ((Math.log10(Math.max(v, minY)) - Math.log10(minY)) / (Math.log10(maxY) - Math.log10(minY))) * (height - top - bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    // A long title (ensemble, then the hardware in parentheses) goes on two lines.
    ...title
      .split(/ (?=\()/)
      .slice(0, 2)
      .map((line, k) => `<text x="${width / 2}" y="${18 + 15 * k}" text-anchor="middle" font-size="${k === 0 ? 14 : 11}">${line}</text>`),
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="black"/>`,
    `<text x="${(left + width - right) / 2}" y="${height - 12}" text-anchor="middle">throughput (requests/s)</text>`,
    `<text x="18" y="${(top + height - bottom) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(top + height - bottom) / 2})">p99 latency (ms, log)</text>`,
  ];
  for (let k = 0; k <= 5; k++) {
    const v = (maxX / 5) * k;
    parts.push(
      `<text x="${x(v)}" y="${height - bottom + 16}" text-anchor="middle">${v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0)}</text>`,
    );
  }
  for (let e = Math.ceil(Math.log10(minY)); e <= Math.floor(Math.log10(maxY)); e++) {
    const v = 10 ** e;
    parts.push(
      `<line x1="${left - 4}" y1="${y(v)}" x2="${width - right}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 8}" y="${y(v) + 4}" text-anchor="end">${v}</text>`,
    );
  }
  if (computeBound && boundOffChart) {
    parts.push(
      `<text x="${width - right}" y="${top + 12}" text-anchor="end">compute bound ${computeBound >= 1000 ? `${(computeBound / 1000).toFixed(0)}k` : computeBound.toFixed(1)} req/s, off the chart</text>`,
    );
  } else if (computeBound) {
    parts.push(
      `<line x1="${x(computeBound)}" y1="${top}" x2="${x(computeBound)}" y2="${height - bottom}" stroke="#555" stroke-dasharray="5,4"/>`,
    );
    parts.push(`<text x="${x(computeBound) + 4}" y="${top + 12}">compute bound</text>`);
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const points = [...s.points].sort((a, b) => a.throughput - b.throughput);
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((p) => `${x(p.throughput).toFixed(1)},${y(p.p99).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const p of points) parts.push(`<circle cx="${x(p.throughput).toFixed(1)}" cy="${y(p.p99).toFixed(1)}" r="3" fill="${color}"/>`);
    if (s.open)
      parts.push(
        `<rect x="${(x(s.open.throughput) - 4).toFixed(1)}" y="${(y(s.open.p99) - 4).toFixed(1)}" width="8" height="8" fill="white" stroke="${color}" stroke-width="2"/>`,
      );
    parts.push(
      `<rect x="${width - right + 14}" y="${top + 20 * i}" width="14" height="4" fill="${color}"/>`,
      `<text x="${width - right + 34}" y="${top + 20 * i + 6}">${s.name}</text>`,
    );
  });
  if (series.some((s) => s.open))
    parts.push(
      `<text x="${width - right + 14}" y="${top + 20 * series.length + 10}" font-size="11">line: closed loop</text>`,
      `<text x="${width - right + 14}" y="${top + 20 * series.length + 24}" font-size="11">square: open loop</text>`,
    );
  parts.push('</svg>');
  return parts.join('\n');
}
