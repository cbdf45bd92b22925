import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/batcher/worker-pool.js';

function pick(pool: WorkerPool, member: string): string {
  const route = pool.route(member, 1, 0);
  if (!route || !('id' in route)) throw new Error(`no instance of ${member} free`);
  return route.id;
}

const info = (member: string, instance = 0, credits = 2) => ({ member, instance, device: 'cpu', credits });

describe('WorkerPool', () => {
  it('is ready and can dispatch once every member has a live instance with a free credit', () => {
    const pool = new WorkerPool(['a', 'b'], { heartbeatTimeoutMs: 1000 });
    expect(pool.missingMembers()).toEqual(['a', 'b']);
    pool.hello('a#0', info('a', 0, 1), 0);
    expect(pool.canDispatch()).toBe(false);
    pool.hello('b#0', info('b'), 0);
    expect(pool.missingMembers()).toEqual([]);
    expect(pool.canDispatch()).toBe(true);
    pool.assign('a#0', 1, 1, 0);
    expect(pool.canDispatch()).toBe(false); // a#0 has one credit, in use
    pool.completed('a#0', 1, 10);
    expect(pool.canDispatch()).toBe(true);
  });

  it('routes to the instance holding the fewest rows, and says wait when every credit is in use', () => {
    const pool = new WorkerPool(['a'], { heartbeatTimeoutMs: 1000, routing: { policy: 'least-loaded' } });
    pool.hello('a#0', info('a', 0), 0);
    pool.hello('a#1', info('a', 1), 0);
    pool.assign(pick(pool, 'a'), 1, 8, 0);
    expect(pick(pool, 'a')).toBe('a#1');
    pool.assign('a#1', 2, 4, 0);
    expect(pick(pool, 'a')).toBe('a#1');
    pool.assign('a#1', 3, 4, 0);
    pool.assign(pick(pool, 'a'), 4, 1, 0);
    expect(pool.route('a', 1, 0)).toEqual({ wait: true });
    expect(pool.route('b', 1, 0)).toBeUndefined();
  });

  it('expires silent instances and returns the batches they held', () => {
    const pool = new WorkerPool(['a'], { heartbeatTimeoutMs: 100 });
    pool.hello('a#0', info('a', 0), 0);
    pool.hello('a#1', info('a', 1), 0);
    pool.assign('a#0', 7, 1, 0);
    pool.assign('a#0', 8, 1, 0);
    pool.completed('a#0', 7, 50);
    pool.seen('a#1', 120);
    expect(pool.expire(151)).toEqual([{ id: 'a#0', member: 'a', batches: [8] }]);
    expect(pool.instances('a').map((i) => i.instance)).toEqual([1]);
  });

  it('treats a second hello from the same id as a restart that lost its batches', () => {
    const pool = new WorkerPool(['a'], { heartbeatTimeoutMs: 100 });
    pool.hello('a#0', info('a'), 0);
    pool.assign('a#0', 3, 1, 0);
    expect(pool.hello('a#0', info('a'), 5)).toEqual({ id: 'a#0', member: 'a', batches: [3] });
    expect(pick(pool, 'a')).toBe('a#0');
  });

  it('ignores workers of members it does not serve, and validates its options', () => {
    const pool = new WorkerPool(['a'], { heartbeatTimeoutMs: 100 });
    pool.hello('z#0', info('z'), 0);
    expect(pool.isKnown('z#0')).toBe(false);
    expect(() => new WorkerPool(['a'], { heartbeatTimeoutMs: 0 })).toThrow(/heartbeatTimeoutMs/);
  });
});
