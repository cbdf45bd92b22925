import { describe, expect, it } from 'vitest';
import type { Ensemble } from '@tutti/manifest';
import { MemberSends } from '../../src/batcher/member-sends.js';
import { WorkerPool } from '../../src/batcher/worker-pool.js';

const ensemble = { members: [{ name: 'a' }, { name: 'b' }], batching: { maxBatchSize: 8 } } as unknown as Ensemble;

describe('MemberSends', () => {
  it('sends copies in order per member, holds one member without holding the other, and drops what is no longer needed', () => {
    const pool = new WorkerPool(['a', 'b'], { heartbeatTimeoutMs: 1000, routing: { policy: 'least-loaded' } });
    pool.hello('a#0', { member: 'a', instance: 0, device: 'cpu', credits: 1 }, 0);
    pool.hello('b#0', { member: 'b', instance: 0, device: 'cpu', credits: 3 }, 0);
    const sends = new MemberSends(ensemble, ['a', 'b'], pool);
    const sent: string[] = [];
    const needed = new Set(['1a', '1b', '2a', '2b', '3b']);
    const lookup = (batch: number) => ({ rows: 1, oldestArrivalMono: 0, needs: (member: string) => needed.has(`${batch}${member}`) });
    for (const batch of [1, 2, 3]) sends.addBatch(batch);
    sends.flush(lookup, (id, batch) => sent.push(`${batch}->${id}`), 0);
    // a has one credit: batch 1 goes, 2 waits (and 3, not needed by a, is dropped); b takes all it needs.
    expect(sent).toEqual(['1->a#0', '1->b#0', '2->b#0', '3->b#0']);
    expect(sends.waiting).toBe(1);
    pool.completed('a#0', 1, 5);
    sends.flush(lookup, (id, batch) => sent.push(`${batch}->${id}`), 5);
    expect(sent.at(-1)).toBe('2->a#0');
    expect(sends.waiting).toBe(0);
  });

  it('sends a batch once to a shard of several members hosted together', () => {
    const pool = new WorkerPool(['a+b'], { heartbeatTimeoutMs: 1000 });
    pool.hello('a+b#0', { member: 'a+b', instance: 0, device: 'cpu', credits: 2 }, 0);
    const sends = new MemberSends(ensemble, ['a+b'], pool);
    const sent: string[] = [];
    sends.addBatch(7);
    sends.flush(
      () => ({ rows: 1, oldestArrivalMono: 0, needs: () => true }),
      (id, batch) => sent.push(`${batch}->${id}`),
      0,
    );
    expect(sent).toEqual(['7->a+b#0']);
  });

  it('has no slack without a latency target, and slack shrinking with age with one', () => {
    const pool = new WorkerPool(['a', 'b'], { heartbeatTimeoutMs: 1000 });
    expect(new MemberSends(ensemble, ['a', 'b'], pool).slackOf(0, 10)).toBeUndefined();
    const targeted = new MemberSends({ ...ensemble, latencyTarget: { p99Ms: 100 } } as Ensemble, ['a', 'b'], pool);
    expect(targeted.slackOf(0, 10)).toBeCloseTo(81);
    expect(targeted.slackOf(0, 60)).toBeLessThan(targeted.slackOf(0, 10)!);
  });
});
