import { describe, expect, it } from 'vitest';
import { PLAN, type PlanHeader } from '@tutti/protocol';
import { InFlightBatches } from '../../src/batcher/in-flight.js';

function plan(batch: number, parts: number): PlanHeader {
  return {
    kind: PLAN,
    batch,
    size: parts,
    parts: Array.from({ length: parts }, (_, index) => ({
      index,
      id: index,
      envelope: [],
      offset: index,
      count: 1,
      arrivedAt: 0,
      deadline: 0,
    })),
  } as unknown as PlanHeader;
}

describe('InFlightBatches', () => {
  it('knows which members still owe a batch their result', () => {
    const batches = new InFlightBatches(['a', 'b']);
    batches.add({ plan: plan(7, 2), frames: [], oldestArrivalMono: 0 });
    expect(batches.needs(7, 'a')).toBe(true);
    batches.memberDone(7, 'a');
    expect(batches.needs(7, 'a')).toBe(false);
    expect(batches.needs(7, 'b')).toBe(true);
    expect(batches.needs(8, 'b')).toBe(false);
  });

  it('answers each request once, and forgets a finished batch', () => {
    const batches = new InFlightBatches(['a']);
    batches.add({ plan: plan(1, 3), frames: [], oldestArrivalMono: 0 });
    expect(batches.answer(1, 0)).toBe(true);
    expect(batches.answer(1, 0)).toBe(false);
    expect(batches.size).toBe(1);
    batches.finish(1);
    expect(batches.size).toBe(0);
    expect(batches.get(1)).toBeUndefined();
  });

  it('after a combiner restart, plans only the unanswered requests again, owed by every member', () => {
    const batches = new InFlightBatches(['a', 'b']);
    batches.add({ plan: plan(1, 3), frames: [], oldestArrivalMono: 0 });
    batches.add({ plan: plan(2, 1), frames: [], oldestArrivalMono: 0 });
    batches.memberDone(1, 'a');
    batches.memberDone(1, 'b');
    batches.answer(1, 1);
    const again = batches.restartAll();
    expect(again.map((p) => [p.batch, p.parts.map((part) => part.index)])).toEqual([
      [1, [0, 2]],
      [2, [0]],
    ]);
    expect(batches.needs(1, 'a') && batches.needs(1, 'b')).toBe(true);
    // The requests answered before the restart stay answered: their second copy is not forwarded.
    expect(batches.answer(1, 1)).toBe(false);
  });

  it('hands over the requests past their deadline once each, saying when that finishes their batch', () => {
    const batches = new InFlightBatches(['a']);
    const withDeadlines = plan(3, 3);
    withDeadlines.parts.forEach((part, k) => (part.deadline = [100, 200, 0][k]!));
    batches.add({ plan: withDeadlines, frames: [], oldestArrivalMono: 0 });
    batches.answer(3, 1);
    expect(batches.takeExpired(150).map((e) => [e.part.index, e.batchDone])).toEqual([[0, false]]);
    expect(batches.takeExpired(10_000)).toEqual([]); // part 1 was answered, part 2 has no deadline
    batches.answer(3, 2);
    const other = plan(4, 1);
    other.parts[0]!.deadline = 50;
    batches.add({ plan: other, frames: [], oldestArrivalMono: 0 });
    expect(batches.takeExpired(60).map((e) => [e.batch, e.part.index, e.batchDone])).toEqual([[4, 0, true]]);
  });

  it("owes a cascade's stage batch only by the shards it went to, also after a combiner restart", () => {
    const batches = new InFlightBatches(['a', 'b', 'c']);
    batches.add({ plan: plan(3, 1), frames: [], oldestArrivalMono: 0 }, ['b']);
    expect(batches.shardsOf(3)).toEqual(['b']);
    expect([batches.needs(3, 'a'), batches.needs(3, 'b')]).toEqual([false, true]);
    batches.memberDone(3, 'b');
    batches.restartAll();
    expect([batches.needs(3, 'a'), batches.needs(3, 'b'), batches.needs(3, 'c')]).toEqual([false, true, false]);
  });
});
