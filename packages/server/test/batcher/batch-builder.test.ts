import { describe, expect, it } from 'vitest';
import { PLAN, decodeHeader, tensorsOf, type BatchHeader, type PlanHeader } from '@tutti/protocol';
import { buildBatch, type BatchItem } from '../../src/batcher/batch-builder.js';

const spec = { name: 'x', datatype: 'FP32' as const, shape: [-1, 2] };

function item(id: number, rows: number, arrivedMono: number, deadline: number): BatchItem {
  const data = Buffer.from(new Float32Array(Array.from({ length: rows * 2 }, (_, k) => id * 100 + k)).buffer);
  return {
    envelope: [Buffer.from(`c${id}`)],
    id,
    tensors: [{ name: 'x', datatype: 'FP32', shape: [rows, 2], data }],
    rows,
    arrivedMono,
    members: false,
    partial: id === 2,
    deadline,
  };
}

describe('buildBatch', () => {
  it('plans each request at its offset and stacks the rows in order, encoded once, the plan riding last', () => {
    const items = [item(1, 2, 10, 5000), item(2, 1, 5, 9000)];
    const { plan, frames, oldestArrivalMono } = buildBatch(7, items, [spec], 1_000_000, 20, undefined, 2);
    expect(plan.size).toBe(3);
    expect(plan.parts.map((p) => [p.id, p.offset, p.count, p.partial, p.arrivedAt])).toEqual([
      [1, 0, 2, false, 1_000_010],
      [2, 2, 1, true, 1_000_005],
    ]);
    expect(oldestArrivalMono).toBe(5);
    const header = decodeHeader(frames[0]!) as BatchHeader;
    expect(header.batch).toBe(7);
    expect(header.deadline).toBe(9000);
    expect(header.plan).toBe(true);
    expect(decodeHeader(frames.at(-1)!)).toEqual({ ...plan, kind: PLAN, generation: 2 } satisfies PlanHeader);
    const [tensor] = tensorsOf(header.inputs, frames.slice(1, -1));
    expect(tensor!.shape).toEqual([3, 2]);
    expect([...new Float32Array(tensor!.data.buffer, tensor!.data.byteOffset, 6)]).toEqual([100, 101, 102, 103, 200, 201]);
  });
});
