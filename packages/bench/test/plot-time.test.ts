import { describe, expect, it } from 'vitest';
import { timeScale, timeSeriesSvg, type TimePanel } from '../src/plot-time.js';

/** Enough of an XML check for our own output: tags balance, attributes are quoted, text has no raw < or &. */
function checkWellFormed(svg: string): void {
  expect(svg.startsWith('<svg')).toBe(true);
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < svg.length) {
    if (svg[i] === '<') {
      tag.lastIndex = i;
      const m = tag.exec(svg);
      if (!m) throw new Error(`malformed tag at ${i}: ${svg.slice(i, i + 60)}`);
      const [whole, close, name, , selfClose] = m;
      if (close) expect(stack.pop(), `closing ${name}`).toBe(name);
      else if (!selfClose) stack.push(name!);
      i += whole.length;
    } else {
      const next = svg.indexOf('<', i);
      const text = svg.slice(i, next === -1 ? undefined : next);
      expect(text).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
      i = next === -1 ? svg.length : next;
    }
  }
  expect(stack).toEqual([]);
}

const panels: TimePanel[] = [
  {
    label: 'completed (req/s)',
    series: [
      { name: 'tutti <fastest-finish>', points: [0, 1, 2, 3, 4].map((t) => ({ t, v: 100 + t })) },
      {
        name: 'naive & slow',
        points: [
          { t: 0, v: 50 },
          { t: 1, v: null },
          { t: 2, v: 40 },
          { t: 3, v: 45 },
        ],
      },
    ],
  },
  {
    label: 'p99 (ms)',
    log: true,
    series: [
      { name: 'tutti <fastest-finish>', points: [0, 1, 2, 3, 4].map((t) => ({ t, v: 10 * (t + 1) })) },
      {
        name: 'naive & slow',
        points: [
          { t: 0, v: 200 },
          { t: 1, v: undefined },
          { t: 2, v: 300 },
        ],
      },
    ],
  },
];

describe('time-series plot', () => {
  const svg = timeSeriesSvg('interference "test"', panels, {
    shaded: [{ from: 1.5, to: 3, label: 'competing process running' }],
    hline: { panel: 1, value: 50, label: 'p99 target' },
    seconds: 5,
  });

  it('is well-formed SVG with one path per series per panel and escaped names', () => {
    checkWellFormed(svg);
    expect(svg.match(/<path /g)).toHaveLength(4);
    expect(svg).toContain('>tutti &lt;fastest-finish&gt;<');
    expect(svg).toContain('>naive &amp; slow<');
    expect(svg).toContain('interference &quot;test&quot;');
    expect(svg).toContain('p99 target');
    expect(svg).toContain('competing process running');
  });

  it('breaks a line at a gap', () => {
    const paths = [...svg.matchAll(/<path [^>]* d="([^"]*)"/g)].map((m) => m[1]!);
    // The naive throughput line: a lone point, then a new subpath after the gap.
    expect(paths[1]!.match(/M/g)).toHaveLength(2);
    expect(paths[0]!.match(/M/g)).toHaveLength(1);
  });

  it('places the band between the x positions of its start and end, across all panels', () => {
    const band = svg.match(/<rect class="band" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/);
    expect(band).not.toBeNull();
    const x = timeScale(5);
    const [, bx, by, bw, bh] = band!.map(Number);
    expect(bx).toBeCloseTo(x(1.5), 1);
    expect(bx! + bw!).toBeCloseTo(x(3), 0);
    // From the top of the first panel to the bottom of the last.
    const height = Number(svg.match(/<svg [^>]*height="(\d+)"/)![1]);
    expect(by! + bh!).toBeGreaterThan(height / 2);
    expect(by).toBeLessThan(height / 4);
  });

  it('copes with no data at all', () => {
    const empty = timeSeriesSvg('empty', [
      { label: 'x', series: [{ name: 'a', points: [] }] },
      { label: 'y', log: true, series: [] },
    ]);
    checkWellFormed(empty);
    expect(empty).not.toContain('NaN');
    expect(empty).not.toContain('Infinity');
  });
});
