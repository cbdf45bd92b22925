/** Lines through (x, y) points, one per series, linear axes, as a self-contained SVG (for figures like accuracy against cost). */
import { COLORS } from './plot.js';

export interface XYSeries {
  name: string;
  points: { x: number; y: number }[];
}

export interface XYOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Horizontal reference lines, e.g. the full ensemble's accuracy and its interval. */
  references?: { y: number; label: string }[];
  /** Tick labels of the y axis (default: 3 decimals). */
  formatY?: (v: number) => string;
}

export function xyLinesSvg(series: XYSeries[], options: XYOptions): string {
  const width = 720;
  const height = 440;
  const [left, right, top, bottom] = [70, 200, 50, 50];
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = [...series.flatMap((s) => s.points.map((p) => p.y)), ...(options.references ?? []).map((r) => r.y)];
  const [minX, maxX] = [Math.min(0, ...xs), Math.max(...xs) * 1.05 || 1];
  const padY = (Math.max(...ys) - Math.min(...ys)) * 0.1 || 0.01;
  const [minY, maxY] = [Math.min(...ys) - padY, Math.max(...ys) + padY];
  const x = (v: number) => left + ((v - minX) / (maxX - minX)) * (width - left - right);
  const y = (v: number) => height - bottom - ((v - minY) / (maxY - minY)) * (height - top - bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...options.title
      .split(/ (?=\()/)
      .slice(0, 2)
      .map((line, k) => `<text x="${left}" y="${20 + k * 16}" font-size="${k === 0 ? 14 : 11}">${escape(line)}</text>`),
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="black"/>`,
    `<text x="${(left + width - right) / 2}" y="${height - 12}" text-anchor="middle">${escape(options.xLabel)}</text>`,
    `<text transform="translate(16 ${(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle">${escape(options.yLabel)}</text>`,
  ];
  for (let k = 0; k <= 5; k++) {
    const vx = minX + ((maxX - minX) * k) / 5;
    const vy = minY + ((maxY - minY) * k) / 5;
    parts.push(`<text x="${x(vx)}" y="${height - bottom + 16}" text-anchor="middle">${vx.toFixed(2)}</text>`);
    parts.push(`<text x="${left - 6}" y="${y(vy) + 4}" text-anchor="end">${escape(options.formatY?.(vy) ?? vy.toFixed(3))}</text>`);
  }
  for (const reference of options.references ?? []) {
    parts.push(
      `<line x1="${left}" y1="${y(reference.y)}" x2="${width - right}" y2="${y(reference.y)}" stroke="#888" stroke-dasharray="4 3"/>`,
      `<text x="${left + 6}" y="${y(reference.y) - 5}" fill="#555">${escape(reference.label)}</text>`,
    );
  }
  series.forEach((s, k) => {
    const colour = COLORS[k % COLORS.length]!;
    const path = s.points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const p of s.points) parts.push(`<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3" fill="${colour}"/>`);
    parts.push(`<text x="${width - right + 4}" y="${top + 14 + k * 16}" fill="${colour}">${escape(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
