import { describe, expect, it } from 'vitest';
import { firstBatchOf } from '@tutti/protocol';
import { ReplyGuard } from '../../src/combiner/reply-guard.js';

const old = (k: number) => firstBatchOf(0) + k;
const fresh = (k: number) => firstBatchOf(1) + k;

describe('ReplyGuard', () => {
  it('within one epoch lets every answer through and records nothing', () => {
    const guard = new ReplyGuard({ lingerMs: 1_000 });
    expect(guard.planned(old(0), [old(0)])).toEqual([]);
    expect(guard.planned(old(1), [old(0), old(1)])).toEqual([]);
    expect(guard.idle).toBe(true);
    expect(guard.admit('a', old(0), 0)).toBe('send');
    expect(guard.admit('a', old(1), 0)).toBe('send');
  });

  it("a newer epoch's first plan makes the open batches orphans; a late plan of an older epoch is one too", () => {
    const guard = new ReplyGuard({ lingerMs: 1_000 });
    guard.planned(old(0), [old(0)]);
    expect(guard.planned(fresh(0), [old(0), fresh(0)])).toEqual([old(0)]);
    expect(guard.planned(old(1), [old(0), fresh(0), old(1)])).toEqual([old(1)]);
    expect(guard.isOrphan(fresh(0))).toBe(false);
    expect(guard.orphans).toBe(2);
    guard.closed(old(0));
    guard.closed(old(1));
    expect(guard.idle).toBe(true);
  });

  it('lets the first of two answers to one request through, from either side', () => {
    const guard = new ReplyGuard({ lingerMs: 1_000 });
    guard.planned(old(0), [old(0)]);
    guard.planned(fresh(0), [old(0), fresh(0)]);
    // Orphan first: it reached its client, so the re-sent copy's answer is refused (once).
    expect(guard.admit('a', old(0), 0)).toBe('send');
    guard.delivered('a', 0);
    expect(guard.admit('a', fresh(0), 1)).toBe('refuse');
    expect(guard.admit('a', fresh(0), 2)).toBe('send');
    // New batch first: the orphan's answer is refused.
    expect(guard.admit('b', fresh(0), 3)).toBe('send');
    expect(guard.admit('b', old(0), 4)).toBe('refuse');
    // An orphan's answer that did not reach its client (not delivered) refuses nothing.
    expect(guard.admit('c', old(0), 5)).toBe('send');
    expect(guard.admit('c', fresh(0), 6)).toBe('send');
  });

  it("forgets an orphan's answer after the linger, and new batches' answers once no orphan is open", () => {
    const guard = new ReplyGuard({ lingerMs: 1_000 });
    guard.planned(old(0), [old(0)]);
    guard.planned(fresh(0), [old(0), fresh(0)]);
    guard.delivered('a', 0);
    expect(guard.admit('b', fresh(0), 0)).toBe('send');
    guard.closed(old(0));
    expect(guard.idle).toBe(false);
    expect(guard.admit('a', fresh(1), 1_000)).toBe('send'); // lingered out
    expect(guard.idle).toBe(true);
    guard.planned(firstBatchOf(2), [fresh(1), firstBatchOf(2)]);
    expect(guard.admit('b', fresh(1), 1_001)).toBe('send'); // 'b' was forgotten when the last orphan closed
  });

  it("holds back, once, a replanned batch's answer to a request the dead combiner journaled", () => {
    const guard = new ReplyGuard({ lingerMs: 1_000 });
    guard.journaled(['a', 'b'], 0);
    guard.planned(old(0), [old(0)], true);
    guard.planned(old(1), [old(0), old(1)]);
    expect(guard.admit('a', old(1), 1)).toBe('send'); // not replanned: a new request under that key
    expect(guard.admit('a', old(0), 2)).toBe('unsure');
    expect(guard.admit('a', old(0), 3)).toBe('send');
    expect(guard.admit('b', old(0), 1_000)).toBe('send'); // lingered out
    expect(guard.idle).toBe(true);
  });

  it('checks its options', () => {
    expect(() => new ReplyGuard({ lingerMs: 0 })).toThrow(/lingerMs/);
  });
});
