import { describe, expect, it } from 'vitest';
import { fellBehind, WindowTally } from '../src/window.js';

describe('WindowTally', () => {
  it('counts as answered only what comes back within the window, whenever it was sent', () => {
    const tally = new WindowTally(1000, 2000);
    const requests = [
      { sent: 900, done: 1100 }, // sent in the warm-up, answered in the window: counts
      { sent: 1200, done: 1300 }, // inside: counts
      { sent: 1900, done: 2500 }, // sent inside, answered after: does not count as answered
      { sent: 500, done: 800 }, // warm-up only
    ];
    for (const r of requests) tally.send(r.sent);
    for (const r of requests) tally.finish(r.done, true);
    expect(tally.sent).toBe(2);
    expect(tally.answered).toBe(2);
    expect(tally.answeredAll).toBe(4);
    // In flight at 1000: the one sent at 900. At 2000: the one sent at 1900.
    expect(tally.backlog()).toEqual({ start: 1, end: 1 });
  });

  it('does not count a failure as answered, but it leaves the backlog', () => {
    const tally = new WindowTally(0, 100);
    tally.send(10);
    expect(tally.finish(20, false)).toBe(false);
    expect(tally.answered).toBe(0);
    expect(tally.answeredAll).toBe(0);
    expect(tally.backlog()).toEqual({ start: 0, end: 0 });
  });

  it('shows a backlog that grows when sends outpace answers', () => {
    const tally = new WindowTally(0, 1000);
    // One send every 10 ms, each answered 20 ms after the previous answer: the queue builds.
    for (let i = 0; i < 100; i++) {
      tally.send(i * 10);
      tally.finish(20 * (i + 1), true);
    }
    expect(tally.sent).toBe(100);
    expect(tally.answered).toBe(49); // answers at 20, 40, ..., 980
    expect(tally.backlog()).toEqual({ start: 0, end: 51 });
  });
});

describe('fellBehind', () => {
  it('is false for a server that answers what is sent with a steady backlog', () => {
    expect(fellBehind({ sent: 1000, answered: 998, backlog: { start: 5, end: 7 } })).toBe(false);
  });

  it('is true when under 95% of what was sent is answered', () => {
    expect(fellBehind({ sent: 1000, answered: 940, backlog: { start: 5, end: 5 } })).toBe(true);
  });

  it('is true when the backlog grows past noise even though 95% was answered', () => {
    expect(fellBehind({ sent: 1000, answered: 960, backlog: { start: 4, end: 44 } })).toBe(true);
  });

  it('is true for the growing queue the tally saw', () => {
    const tally = new WindowTally(0, 1000);
    for (let i = 0; i < 100; i++) {
      tally.send(i * 10);
      tally.finish(20 * (i + 1), true);
    }
    expect(fellBehind({ sent: tally.sent, answered: tally.answered, backlog: tally.backlog() })).toBe(true);
  });
});
