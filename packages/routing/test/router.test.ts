import { describe, expect, it } from 'vitest';
import { Router, type Route } from '../src/router.js';

const fast = [
  { batch: 1, latencyMs: 1 },
  { batch: 32, latencyMs: 4 },
];
const slow = [
  { batch: 1, latencyMs: 5 },
  { batch: 32, latencyMs: 40 },
];

function idOf(route: Route): string | undefined {
  return route && 'id' in route ? route.id : undefined;
}

function pool(policy: 'fcfs' | 'least-loaded' | 'fastest-finish', rebalance = true) {
  const router = new Router({ policy, rebalance, detector: { windowMs: 100, windows: 2 } });
  router.add({ id: 'slow', member: 'm', credits: 2, profile: slow });
  router.add({ id: 'fast', member: 'm', credits: 2, profile: fast });
  return router;
}

describe('Router', () => {
  it('fcfs takes the first free instance, least-loaded the emptiest, fastest-finish the fastest', () => {
    expect(idOf(pool('fcfs').route('m', 32, 0))).toBe('slow');
    const ll = pool('least-loaded');
    ll.sent('slow', 1, 32, 0);
    expect(idOf(ll.route('m', 32, 0))).toBe('fast');
    expect(idOf(pool('fastest-finish').route('m', 32, 0))).toBe('fast');
  });

  it('fastest-finish queues on a busy fast instance while that still finishes first, then uses the slow one', () => {
    const r = pool('fastest-finish');
    r.sent('fast', 1, 32, 0); // fast busy until 4 ms
    // On fast: 4 + 4 = 8 ms; on slow: 40 ms.
    expect(idOf(r.route('m', 32, 0))).toBe('fast');
    r.sent('fast', 2, 32, 0);
    // For a batch of 1 the slow instance (5 ms) beats fast's queue (8 + 1 ms).
    expect(idOf(r.route('m', 1, 0))).toBe('slow');
    // fast has no credit left and would finish a batch of 32 by 12 ms; slow takes 40 ms. With 20 ms of
    // slack the batch waits for fast; with 50 ms slow meets the target and takes it (fast stays free
    // for what comes next); with no target at all a free instance is never left idle.
    expect(r.route('m', 32, 0, 20)).toEqual({ wait: true });
    expect(idOf(r.route('m', 32, 0, 50))).toBe('slow');
    expect(idOf(r.route('m', 32, 0))).toBe('slow');
  });

  it('least-loaded and fcfs never wait while an instance has a credit', () => {
    for (const policy of ['fcfs', 'least-loaded'] as const) {
      const r = pool(policy);
      r.sent('fast', 1, 32, 0);
      r.sent('fast', 2, 32, 0);
      expect(idOf(r.route('m', 32, 0))).toBe('slow');
    }
  });

  it('says undefined without instances and wait when every instance is full', () => {
    const r = pool('least-loaded');
    expect(r.route('other', 1, 0)).toBeUndefined();
    for (const [id, batch] of [
      ['slow', 1],
      ['slow', 2],
      ['fast', 3],
      ['fast', 4],
    ] as const)
      r.sent(id, batch, 1, 0);
    expect(r.route('m', 1, 0)).toEqual({ wait: true });
  });

  /** Serves `n` batches of 32 on `id` taking `ms` each, starting at `t`; returns the time after. */
  function serve(r: Router, id: string, n: number, ms: number, t: number, first = 0): number {
    for (let k = 0; k < n; k++) {
      r.sent(id, first + k, 32, t);
      t += ms;
      r.done(id, first + k, t, ms);
    }
    return t;
  }

  it('re-balancing shifts work away from an interfered instance and back once it recovers', () => {
    const r = new Router({ policy: 'fastest-finish', probeMs: 1e9, detector: { windowMs: 100, windows: 2 } });
    r.add({ id: 'a', member: 'm', credits: 2, profile: fast });
    r.add({ id: 'b', member: 'm', credits: 2, profile: [{ batch: 32, latencyMs: 6 }] });
    let t = serve(r, 'a', 20, 4, 0);
    t = serve(r, 'b', 20, 6, t, 100);
    expect(idOf(r.route('m', 32, t))).toBe('a');
    // a becomes 3x slower (12 ms a batch) for many windows: detected, and b (6 ms) takes the work.
    t = serve(r, 'a', 60, 12, t, 200);
    expect(r.get('a')!.detector.interfered).toBe(true);
    expect(idOf(r.route('m', 32, t))).toBe('b');
    // Back to 4 ms: cleared after two normal windows, and a is preferred again.
    t = serve(r, 'a', 80, 4, t, 300);
    expect(r.get('a')!.detector.interfered).toBe(false);
    expect(idOf(r.route('m', 32, t))).toBe('a');
  });

  it('without re-balancing the interfered instance is still predicted at its normal speed', () => {
    const r = new Router({ policy: 'fastest-finish', rebalance: false, probeMs: 1e9, detector: { windowMs: 100, windows: 2 } });
    r.add({ id: 'a', member: 'm', credits: 2, profile: fast });
    r.add({ id: 'b', member: 'm', credits: 2, profile: [{ batch: 32, latencyMs: 6 }] });
    let t = serve(r, 'a', 20, 4, 0);
    t = serve(r, 'a', 60, 12, t, 100);
    expect(r.get('a')!.detector.interfered).toBe(true);
    expect(idOf(r.route('m', 32, t))).toBe('a');
  });

  it('probes an instance that has had no batch for a while, interfered with or not', () => {
    const r = new Router({ policy: 'fastest-finish', probeMs: 500, detector: { windowMs: 100, windows: 2 } });
    r.add({ id: 'a', member: 'm', credits: 2, profile: fast });
    r.add({ id: 'b', member: 'm', credits: 2, profile: [{ batch: 32, latencyMs: 6 }] });
    let t = serve(r, 'a', 20, 4, 0);
    t = serve(r, 'a', 60, 12, t, 100);
    expect(idOf(r.route('m', 32, t))).toBe('b');
    expect(idOf(r.route('m', 32, t + 600))).toBe('a');
    // b has served nothing since it joined... and an instance never sent anything is not probed (nothing to re-measure).
    const fresh = new Router({ policy: 'fastest-finish', probeMs: 500 });
    fresh.add({ id: 'a', member: 'm', credits: 2, profile: fast });
    fresh.add({ id: 'b', member: 'm', credits: 2, profile: slow });
    fresh.sent('b', 1, 1, 0);
    fresh.done('b', 1, 5, 5);
    expect(idOf(fresh.route('m', 32, 100))).toBe('a');
    expect(idOf(fresh.route('m', 32, 600))).toBe('b');
  });

  it('refuses an unknown policy and bad detector options when built', () => {
    expect(() => new Router({ policy: 'random' as never })).toThrow(/policy/);
    expect(() => new Router({ detector: { windows: 0 } })).toThrow(/windows/);
  });
});

describe('Router.batchLimit', () => {
  it('cuts the batch to what a free slow instance finishes within the slack while the fast one is busy', () => {
    const r = pool('fastest-finish');
    // Nothing busy: a full batch goes to fast.
    expect(r.batchLimit('m', 32, 0, 30)).toBe(32);
    r.sent('fast', 1, 32, 0);
    r.sent('fast', 2, 32, 0);
    // slow: 5 ms at 1 row, 40 ms at 32 (linear between): within 20 ms it finishes (20 - 5) / (35 / 31) + 1 = 14 rows.
    expect(r.batchLimit('m', 32, 0, 20)).toBe(14);
    // No slack at all fits: the batch keeps its full size and waits for fast.
    expect(r.batchLimit('m', 32, 0, 2)).toBe(32);
    // Without a target, or for another policy, nothing is cut.
    expect(r.batchLimit('m', 32, 0)).toBe(32);
    const ll = pool('least-loaded');
    ll.sent('fast', 1, 32, 0);
    ll.sent('fast', 2, 32, 0);
    expect(ll.batchLimit('m', 32, 0, 20)).toBe(32);
  });
});

describe('Router with an interfered instance', () => {
  it('gives it one batch at a time while re-balancing, its full credits otherwise', () => {
    for (const rebalance of [true, false]) {
      const r = new Router({ policy: 'fastest-finish', rebalance, detector: { windowMs: 100, windows: 2 } });
      r.add({ id: 'a', member: 'm', credits: 2, profile: fast });
      let t = 0;
      for (let k = 0; k < 60; k++) {
        r.sent('a', k, 32, t);
        t += k < 20 ? 4 : 12;
        r.done('a', k, t, k < 20 ? 4 : 12);
      }
      expect(r.get('a')!.detector.interfered).toBe(true);
      r.sent('a', 100, 32, t);
      expect(r.route('m', 32, t)).toEqual(rebalance ? { wait: true } : { id: 'a' });
    }
  });
});
