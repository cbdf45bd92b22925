import { describe, expect, it } from 'vitest';
import { InterferenceDetector } from '../src/interference.js';

/** Feeds `perWindow` batches with the given slowdown into each of `windows` windows starting at `t0`. */
function feed(detector: InterferenceDetector, slowdowns: number[], t0: number, perWindow = 5) {
  const events = [];
  let t = t0;
  for (const s of slowdowns) {
    for (let k = 0; k < perWindow; k++) {
      const e = detector.observe(s, t + (k * detector.windowMs) / perWindow);
      if (e) events.push({ ...e, t });
    }
    t += detector.windowMs;
  }
  return { events, t };
}

describe('InterferenceDetector', () => {
  it('fires on a sustained slowdown only after the required consecutive windows, then clears after', () => {
    const d = new InterferenceDetector({ windowMs: 100, enter: 1.5, exit: 1.2, windows: 3 });
    const normal = feed(d, [1, 1, 1, 1], 0);
    expect(normal.events).toEqual([]);
    const slow = feed(d, [2, 2, 2, 2, 2], normal.t);
    expect(d.interfered).toBe(true);
    expect(slow.events).toHaveLength(1);
    expect(slow.events[0]!.kind).toBe('interfered');
    // Detected when the third slow window closes, which happens at the first sample of the fourth.
    expect(slow.events[0]!.t).toBe(normal.t + 3 * 100);
    expect(d.slowdown).toBeCloseTo(2);
    const back = feed(d, [1, 1, 1, 1], slow.t);
    expect(back.events.map((e) => e.kind)).toEqual(['cleared']);
    expect(d.interfered).toBe(false);
    expect(d.slowdown).toBe(1);
  });

  it('ignores one slow batch, and a lone slow window, in a normal run', () => {
    const d = new InterferenceDetector({ windowMs: 100, windows: 3 });
    // One batch 20x slower per window: the median does not move.
    for (let w = 0; w < 10; w++) {
      for (let k = 0; k < 5; k++) d.observe(k === 2 ? 20 : 1, w * 100 + k * 20);
    }
    expect(d.interfered).toBe(false);
    const { events } = feed(d, [3, 1, 3, 1, 3, 1], 1000);
    expect(events).toEqual([]);
    expect(d.interfered).toBe(false);
  });

  it('does not flap at the threshold: a slowdown between exit and enter keeps the current state', () => {
    const d = new InterferenceDetector({ windowMs: 100, enter: 1.5, exit: 1.2, windows: 2 });
    feed(d, [2, 2, 2], 0);
    expect(d.interfered).toBe(true);
    const { events } = feed(d, [1.4, 1.3, 1.45, 1.35, 1.4, 1.3], 300);
    expect(events).toEqual([]);
    expect(d.interfered).toBe(true);
  });

  it('empty windows neither confirm nor cancel a streak', () => {
    const d = new InterferenceDetector({ windowMs: 100, windows: 3 });
    feed(d, [2, 2], 0);
    // 1 s of silence, then one more slow window completes the streak.
    const { events } = feed(d, [2, 2], 1200);
    expect(events.map((e) => e.kind)).toEqual(['interfered']);
  });

  it('refuses options that cannot work, naming them', () => {
    expect(() => new InterferenceDetector({ enter: 0.9 })).toThrow(/enter/);
    expect(() => new InterferenceDetector({ enter: 1.5, exit: 1.6 })).toThrow(/exit/);
    expect(() => new InterferenceDetector({ windows: 0 })).toThrow(/windows/);
    expect(() => new InterferenceDetector({ windowMs: -1 })).toThrow(/windowMs/);
  });
});
