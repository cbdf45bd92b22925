/**
 * Time series as a self-contained SVG: panels stacked on one time axis (e.g. throughput over
 * latency), with shaded bands marking when something else was going on, in plot.ts's style.
 */
import { COLORS } from './plot.js';

export interface TimeSeries {
  name: string;
  /** t in seconds; a null/undefined v (or v <= 0 on a log panel) is a gap that breaks the line. */
  points: { t: number; v: number | null | undefined }[];
}

export interface TimePanel {
  /** Y axis label. */
  label: string;
  log?: boolean;
  series: TimeSeries[];
}

export interface TimeHLine {
  /** Index of the panel it is drawn in. */
  panel: number;
  value: number;
  label: string;
}

export interface TimeSeriesOptions {
  /** Intervals (s) drawn as light grey bands across all panels, e.g. "competing process running". */
  shaded?: { from: number; to: number; label: string }[];
  /** Target lines, e.g. a p99 objective. */
  hline?: TimeHLine | TimeHLine[];
  /** End of the time axis (s); by default the last point or band. */
  seconds?: number;
}

const WIDTH = 760;
const LEFT = 70;
const RIGHT = 170;
const TOP = 50;
const PANEL = 150;
const GAP = 25;
const BOTTOM = 45;

/** The x scale the plot uses for an axis from 0 to tMax seconds, exported so tests (and overlays) agree with it. */
export function timeScale(tMax: number): (t: number) => number {
  return (t) => LEFT + (Math.min(Math.max(t, 0), tMax) / tMax) * (WIDTH - LEFT - RIGHT);
}

/** Legend names and labels come from ensemble and system names, so they are escaped, not trusted. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** 1, 2 or 5 times a power of ten, at least `raw`: tick steps people can read. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw * (1 - 1e-9))!;
}

function format(v: number): string {
  if (Math.abs(v) >= 1000) return `${Number((v / 1000).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

const f = (v: number) => v.toFixed(1);

interface YScale {
  y: (v: number) => number;
  ticks: number[];
  valid: (v: number | null | undefined) => v is number;
}

function yScale(panel: TimePanel, extra: number[], top: number): YScale {
  const log = panel.log ?? false;
  const valid = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v) && (!log || v > 0);
  const values = [...panel.series.flatMap((s) => s.points.map((p) => p.v)), ...extra].filter(valid);
  const bottom = top + PANEL;
  if (log) {
    const lo = values.length ? Math.min(...values) / 1.5 : 1;
    const hi = values.length ? Math.max(...values) * 1.5 : 10;
    const y = (v: number) => bottom - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PANEL;
    // Decades when the range spans two or more, otherwise 1-2-5 so the axis is never bare.
    const candidates = (ms: number[]) => {
      const out: number[] = [];
      for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
        for (const m of ms) if (m * 10 ** e >= lo && m * 10 ** e <= hi) out.push(m * 10 ** e);
      return out;
    };
    const decades = candidates([1]);
    return { y, ticks: decades.length >= 2 ? decades : candidates([1, 2, 5]), valid };
  }
  // Linear panels start at zero (throughput, latency) unless the data goes below it.
  const lo = Math.min(0, ...values);
  const max = Math.max(lo, ...values);
  const hi = max > lo ? max + (max - lo) * 0.1 : lo + 1;
  const y = (v: number) => bottom - ((v - lo) / (hi - lo)) * PANEL;
  const step = niceStep((hi - lo) / 4);
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) ticks.push(Number(v.toPrecision(12)));
  return { y, ticks, valid };
}

/** One path per series: a gap starts a new subpath; round caps make an isolated point a visible dot. */
function pathOf(series: TimeSeries, x: (t: number) => number, scale: YScale): string {
  let d = '';
  let pen = false;
  for (const p of [...series.points].sort((a, b) => a.t - b.t)) {
    if (!scale.valid(p.v)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${f(x(p.t))},${f(scale.y(p.v))}${pen ? '' : ' l0,0'} `;
    pen = true;
  }
  return d.trim();
}

export function timeSeriesSvg(title: string, panels: TimePanel[], options: TimeSeriesOptions = {}): string {
  const hlines = options.hline === undefined ? [] : Array.isArray(options.hline) ? options.hline : [options.hline];
  const shaded = options.shaded ?? [];
  const lastT = Math.max(0, ...panels.flatMap((p) => p.series.flatMap((s) => s.points.map((q) => q.t))), ...shaded.map((b) => b.to));
  const tMax = options.seconds ?? (lastT || 1);
  const x = timeScale(tMax);
  const height = TOP + panels.length * PANEL + Math.max(0, panels.length - 1) * GAP + BOTTOM;
  const plotBottom = height - BOTTOM;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  // Bands first, so lines and axes are drawn over them.
  for (const band of shaded) {
    const x0 = x(band.from);
    const x1 = x(band.to);
    parts.push(
      `<rect class="band" x="${f(x0)}" y="${TOP}" width="${f(Math.max(0, x1 - x0))}" height="${plotBottom - TOP}" fill="#e4e4e4"/>`,
      `<text x="${f(x0 + 3)}" y="${TOP - 6}" font-size="11" fill="#555">${escapeXml(band.label)}</text>`,
    );
  }
  panels.forEach((panel, k) => {
    const top = TOP + k * (PANEL + GAP);
    const bottom = top + PANEL;
    const mine = hlines.filter((h) => h.panel === k);
    const scale = yScale(
      panel,
      mine.map((h) => h.value),
      top,
    );
    const mid = (top + bottom) / 2;
    parts.push(
      `<line x1="${LEFT}" y1="${bottom}" x2="${WIDTH - RIGHT}" y2="${bottom}" stroke="black"/>`,
      `<line x1="${LEFT}" y1="${top}" x2="${LEFT}" y2="${bottom}" stroke="black"/>`,
      `<text x="18" y="${mid}" text-anchor="middle" transform="rotate(-90 18 ${mid})">${escapeXml(panel.label)}${panel.log ? ' (log)' : ''}</text>`,
    );
    for (const v of scale.ticks) {
      const y = f(scale.y(v));
      parts.push(
        `<line x1="${LEFT - 4}" y1="${y}" x2="${WIDTH - RIGHT}" y2="${y}" stroke="#ddd"/>`,
        `<text x="${LEFT - 8}" y="${f(scale.y(v) + 4)}" text-anchor="end">${format(v)}</text>`,
      );
    }
    for (const h of mine) {
      const y = f(scale.y(h.value));
      parts.push(
        `<line x1="${LEFT}" y1="${y}" x2="${WIDTH - RIGHT}" y2="${y}" stroke="#555" stroke-dasharray="5,4"/>`,
        `<text x="${WIDTH - RIGHT - 4}" y="${f(scale.y(h.value) - 4)}" text-anchor="end" fill="#555">${escapeXml(h.label)}</text>`,
      );
    }
    panel.series.forEach((s, i) => {
      const color = COLORS[i % COLORS.length]!;
      parts.push(
        `<path fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round" d="${pathOf(s, x, scale)}"/>`,
        `<rect x="${WIDTH - RIGHT + 14}" y="${top + 20 * i}" width="14" height="4" fill="${color}"/>`,
        `<text x="${WIDTH - RIGHT + 34}" y="${top + 20 * i + 6}">${escapeXml(s.name)}</text>`,
      );
    });
  });
  // The shared time axis, labelled once under the bottom panel.
  const step = niceStep(tMax / 8);
  for (let n = 0; n * step <= tMax * (1 + 1e-9); n++) {
    const tick = Number((n * step).toPrecision(12));
    parts.push(
      `<line x1="${f(x(tick))}" y1="${plotBottom}" x2="${f(x(tick))}" y2="${plotBottom + 4}" stroke="black"/>`,
      `<text x="${f(x(tick))}" y="${plotBottom + 17}" text-anchor="middle">${format(tick)}</text>`,
    );
  }
  parts.push(`<text x="${(LEFT + WIDTH - RIGHT) / 2}" y="${height - 10}" text-anchor="middle">time (s)</text>`, '</svg>');
  return parts.join('\n');
}
