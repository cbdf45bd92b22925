import { describe, expect, it } from 'vitest';
import { PLAN, decodeHeader, encodeHeader, type PlanHeader } from '@tutti/protocol';
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

/** How long before a batch's earliest deadline the combiner must have its plan, in these tests. */
const LEAD = 1_000;

describe('InFlightBatches', () => {
  it('knows which members still owe a batch their result', () => {
    const batches = new InFlightBatches(['a', 'b'], LEAD);
    batches.add({ plan: plan(7, 2), frames: [], oldestArrivalMono: 0, keys: [] });
    expect(batches.needs(7, 'a')).toBe(true);
    batches.memberDone(7, 'a');
    expect(batches.needs(7, 'a')).toBe(false);
    expect(batches.needs(7, 'b')).toBe(true);
    expect(batches.needs(8, 'b')).toBe(false);
  });

  it('answers each request once, and forgets a finished batch', () => {
    const batches = new InFlightBatches(['a'], LEAD);
    batches.add({ plan: plan(1, 3), frames: [], oldestArrivalMono: 0, keys: [] });
    expect(batches.answer(1, 0)).toBe(true);
    expect(batches.answer(1, 0)).toBe(false);
    expect(batches.size).toBe(1);
    batches.finish(1);
    expect(batches.size).toBe(0);
    expect(batches.get(1)).toBeUndefined();
  });

  it('after a combiner restart, plans only the unanswered requests again, owed by every member', () => {
    const batches = new InFlightBatches(['a', 'b'], LEAD);
    const inputs = Buffer.from('inputs');
    batches.add({ plan: plan(1, 3), frames: [inputs, encodeHeader(plan(1, 3))], oldestArrivalMono: 0, keys: [] });
    batches.add({ plan: plan(2, 1), frames: [inputs, encodeHeader(plan(2, 1))], oldestArrivalMono: 0, keys: [] });
    batches.memberDone(1, 'a');
    batches.memberDone(1, 'b');
    batches.answer(1, 1);
    const again = batches
      .restartAll(3, encodeHeader)
      .map(({ batch, planFrame }) => [batch, decodeHeader(planFrame) as PlanHeader] as const);
    expect(again.map(([batch, p]) => [batch, p.parts.map((part) => part.index), p.generation, p.replanned])).toEqual([
      [1, [0, 2], 3, true],
      [2, [0], 3, true],
    ]);
    // The copies sent again to the workers carry the new plan in place of the old one.
    const [first, replanned] = batches.get(1)!.frames;
    expect(first).toBe(inputs);
    expect(decodeHeader(replanned!)).toEqual(again[0]![1]);
    expect(batches.needs(1, 'a') && batches.needs(1, 'b')).toBe(true);
    // The requests answered before the restart stay answered: their second copy is not forwarded.
    expect(batches.answer(1, 1)).toBe(false);
  });

  it('hands over the requests past their deadline once each, saying when that finishes their batch', () => {
    const batches = new InFlightBatches(['a'], LEAD);
    const withDeadlines = plan(3, 3);
    withDeadlines.parts.forEach((part, k) => (part.deadline = [100, 200, 0][k]!));
    batches.add({ plan: withDeadlines, frames: [], oldestArrivalMono: 0, keys: [] });
    batches.answer(3, 1);
    expect(batches.takeExpired(150).map((e) => [e.part.index, e.batchDone])).toEqual([[0, false]]);
    expect(batches.takeExpired(10_000)).toEqual([]); // part 1 was answered, part 2 has no deadline
    batches.answer(3, 2);
    const other = plan(4, 1);
    other.parts[0]!.deadline = 50;
    batches.add({ plan: other, frames: [], oldestArrivalMono: 0, keys: [] });
    expect(batches.takeExpired(60).map((e) => [e.batch, e.part.index, e.batchDone])).toEqual([[4, 0, true]]);
  });

  it('hands over, once, the batches whose plan the combiner must have by now: a deadline within the lead', () => {
    const batches = new InFlightBatches(['a'], LEAD);
    const soon = plan(5, 2);
    soon.parts[0]!.deadline = 10_000;
    soon.parts[1]!.deadline = 4_000;
    batches.add({ plan: soon, frames: [], oldestArrivalMono: 0, keys: [] });
    batches.add({ plan: plan(6, 1), frames: [], oldestArrivalMono: 0, keys: [] }); // no deadline: never
    expect(batches.takePlansDue(2_999)).toEqual([]);
    expect(batches.takePlansDue(3_000).map((f) => f.plan.batch)).toEqual([5]);
    expect(batches.takePlansDue(1e12)).toEqual([]);
  });

  it("owes a cascade's stage batch only by the shards it went to, also after a combiner restart", () => {
    const batches = new InFlightBatches(['a', 'b', 'c'], LEAD);
    batches.add({ plan: plan(3, 1), frames: [], oldestArrivalMono: 0, keys: [] }, ['b']);
    expect(batches.shardsOf(3)).toEqual(['b']);
    expect([batches.needs(3, 'a'), batches.needs(3, 'b')]).toEqual([false, true]);
    batches.memberDone(3, 'b');
    batches.restartAll(1, encodeHeader);
    expect([batches.needs(3, 'a'), batches.needs(3, 'b'), batches.needs(3, 'c')]).toEqual([false, true, false]);
  });
});
