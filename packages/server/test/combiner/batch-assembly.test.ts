import { describe, expect, it } from 'vitest';
import { PLAN, type PlanHeader } from '@tutti/protocol';
import { BatchAssembler } from '../../src/combiner/batch-assembly.js';

const plan = (batch: number): PlanHeader => ({ kind: PLAN, batch, size: 1, parts: [] });
const result = (member: string) => ({ member, outputs: [], computeMs: 1 });

describe('BatchAssembler', () => {
  it('completes a batch when the plan and every member are in, in any order', () => {
    const assembler = new BatchAssembler(['a', 'b', 'c']);
    expect(assembler.addResult(1, result('c'))).toBeUndefined();
    expect(assembler.addPlan(plan(1))).toBeUndefined();
    expect(assembler.addResult(1, result('a'))).toBeUndefined();
    const complete = assembler.addResult(1, result('b'));
    expect(complete?.plan.batch).toBe(1);
    expect(complete?.results.map((r) => r.member)).toEqual(['a', 'b', 'c']);
    expect(assembler.pendingBatches).toBe(0);
  });

  it('keeps batches apart by id, not by arrival order', () => {
    const assembler = new BatchAssembler(['a', 'b']);
    assembler.addPlan(plan(1));
    assembler.addPlan(plan(2));
    assembler.addResult(2, result('a'));
    assembler.addResult(1, result('b'));
    expect(assembler.addResult(2, result('b'))?.plan.batch).toBe(2);
    expect(assembler.addResult(1, result('a'))?.plan.batch).toBe(1);
  });

  it('drops a forgotten batch and ignores its late results and duplicates of finished ones', () => {
    const assembler = new BatchAssembler(['a']);
    assembler.addPlan(plan(1));
    assembler.forget(1);
    expect(assembler.pendingBatches).toBe(0);
    expect(assembler.addResult(1, result('a'))).toBeUndefined();
    assembler.addPlan(plan(2));
    expect(assembler.addResult(2, result('a'))).toBeDefined();
    expect(assembler.addResult(2, result('a'))).toBeUndefined();
    expect(assembler.addPlan(plan(2))).toBeUndefined();
    expect(assembler.pendingBatches).toBe(0);
  });

  it('ignores results from members it does not know', () => {
    const assembler = new BatchAssembler(['a']);
    assembler.addPlan(plan(1));
    expect(assembler.addResult(1, result('zz'))).toBeUndefined();
    expect(assembler.addResult(1, result('a'))).toBeDefined();
  });

  it("completes a cascade's stage batch with its stage's members alone", () => {
    const assembler = new BatchAssembler(['a', 'b', 'c']);
    expect(assembler.addPlan({ ...plan(5), stage: 1, members: ['c', 'b'] })).toBeUndefined();
    expect(assembler.addResult(5, result('c'))).toBeUndefined();
    expect(assembler.addResult(5, result('b'))?.results.map((r) => r.member)).toEqual(['b', 'c']);
  });
});
