import { describe, expect, it } from 'vitest';
import { BatchingPolicy } from '../../src/batcher/batching-policy.js';

const item = (id: number, rows: number, arrivedMono: number) => ({ id, rows, arrivedMono });

describe('BatchingPolicy', () => {
  it('is not due while empty, and due at the oldest arrival plus the delay', () => {
    const policy = new BatchingPolicy<ReturnType<typeof item>>({ maxBatchSize: 8, maxQueueDelayMs: 5 });
    expect(policy.dueAt()).toBeUndefined();
    policy.push(item(1, 1, 100));
    policy.push(item(2, 1, 103));
    expect(policy.dueAt()).toBe(105);
    expect(policy.isDue(104)).toBe(false);
    expect(policy.isDue(105)).toBe(true);
  });

  it('is due at once when the waiting rows fill a batch', () => {
    const policy = new BatchingPolicy<ReturnType<typeof item>>({ maxBatchSize: 4, maxQueueDelayMs: 1000 });
    policy.push(item(1, 3, 0));
    expect(policy.isDue(1)).toBe(false);
    policy.push(item(2, 1, 1));
    expect(policy.isDue(1)).toBe(true);
  });

  it('takes whole requests in arrival order while they fit', () => {
    const policy = new BatchingPolicy<ReturnType<typeof item>>({ maxBatchSize: 4, maxQueueDelayMs: 0 });
    for (const [id, rows] of [
      [1, 2],
      [2, 1],
      [3, 2],
      [4, 1],
    ] as const)
      policy.push(item(id, rows, id));
    expect(policy.take().map((i) => i.id)).toEqual([1, 2]); // 3 would make 5 rows
    expect(policy.pendingRows).toBe(3);
    expect(policy.take().map((i) => i.id)).toEqual([3, 4]);
    expect(policy.pendingRequests).toBe(0);
    expect(policy.take()).toEqual([]);
  });

  it('removes expired requests without disturbing the order of the rest', () => {
    const policy = new BatchingPolicy<ReturnType<typeof item>>({ maxBatchSize: 10, maxQueueDelayMs: 0 });
    for (let id = 1; id <= 5; id++) policy.push(item(id, 1, id));
    expect(policy.removeWhere((i) => i.id % 2 === 0).map((i) => i.id)).toEqual([2, 4]);
    expect(policy.pendingRows).toBe(3);
    expect(policy.take().map((i) => i.id)).toEqual([1, 3, 5]);
  });

  it('keeps FIFO order across many takes (head index compaction)', () => {
    const policy = new BatchingPolicy<ReturnType<typeof item>>({ maxBatchSize: 3, maxQueueDelayMs: 0 });
    const seen: number[] = [];
    for (let id = 0; id < 5000; id++) {
      policy.push(item(id, 1, id));
      if (id % 2 === 1) seen.push(...policy.take().map((i) => i.id));
    }
    while (policy.pendingRequests) seen.push(...policy.take().map((i) => i.id));
    expect(seen).toEqual([...Array(5000).keys()]);
  });

  it('validates its options and request sizes', () => {
    expect(() => new BatchingPolicy({ maxBatchSize: 0, maxQueueDelayMs: 1 })).toThrow(/maxBatchSize/);
    expect(() => new BatchingPolicy({ maxBatchSize: 4, maxQueueDelayMs: -1 })).toThrow(/maxQueueDelayMs/);
    const policy = new BatchingPolicy<ReturnType<typeof item>>({ maxBatchSize: 4, maxQueueDelayMs: 1 });
    expect(() => policy.push(item(1, 5, 0))).toThrow(/rows/);
  });
});

describe('BatchingPolicy.take with a row limit', () => {
  it('takes whole requests up to the limit, and always at least the oldest', () => {
    const policy = new BatchingPolicy<{ rows: number; arrivedMono: number }>({ maxBatchSize: 16, maxQueueDelayMs: 1 });
    for (const rows of [3, 3, 3, 8]) policy.push({ rows, arrivedMono: rows });
    expect(policy.oldestArrivedMono).toBe(3);
    expect(policy.take(7).map((i) => i.rows)).toEqual([3, 3]);
    expect(policy.take(2).map((i) => i.rows)).toEqual([3]);
    expect(policy.take(100).map((i) => i.rows)).toEqual([8]);
    expect(policy.oldestArrivedMono).toBeUndefined();
  });

  it('counts the bytes waiting, through takes and removals', () => {
    const policy = new BatchingPolicy<{ id: number; rows: number; arrivedMono: number; bytes: number }>({
      maxBatchSize: 4,
      maxQueueDelayMs: 5,
    });
    policy.push({ id: 1, rows: 2, arrivedMono: 0, bytes: 100 });
    policy.push({ id: 2, rows: 2, arrivedMono: 1, bytes: 50 });
    policy.push({ id: 3, rows: 1, arrivedMono: 2, bytes: 7 });
    expect(policy.pendingBytes).toBe(157);
    expect(policy.take().map((i) => i.id)).toEqual([1, 2]);
    expect(policy.pendingBytes).toBe(7);
    policy.removeWhere((i) => i.id === 3);
    expect(policy.pendingBytes).toBe(0);
  });

  it("takes only requests that may share the oldest one's batch (a cascade's stage), leaving the others in place", () => {
    const policy = new BatchingPolicy<{ id: number; rows: number; arrivedMono: number; stage: number }>({
      maxBatchSize: 4,
      maxQueueDelayMs: 0,
    });
    for (const [id, stage] of [
      [1, 0],
      [2, 1],
      [3, 0],
      [4, 1],
      [5, 0],
    ])
      policy.push({ id: id!, rows: 1, arrivedMono: id!, stage: stage! });
    const same = (a: { stage: number }, b: { stage: number }) => a.stage === b.stage;
    expect(policy.take(2, same).map((i) => i.id)).toEqual([1, 3]);
    expect(policy.pendingRows).toBe(3);
    expect(policy.take(4, same).map((i) => i.id)).toEqual([2, 4]);
    // A request going on to its next stage goes first.
    policy.pushFront({ id: 6, rows: 1, arrivedMono: 0, stage: 2 });
    expect(policy.oldestArrivedMono).toBe(0);
    expect(policy.take(4, same).map((i) => i.id)).toEqual([6]);
    expect(policy.take(4, same).map((i) => i.id)).toEqual([5]);
    expect(policy.pendingRequests).toBe(0);
    // All of one stage: as a plain take, the batch's limit respected.
    for (const id of [7, 8, 9]) policy.push({ id, rows: 2, arrivedMono: id, stage: 0 });
    expect(policy.take(4, same).map((i) => i.id)).toEqual([7, 8]);
    expect(policy.take(4, same).map((i) => i.id)).toEqual([9]);
    expect(policy.pendingRows).toBe(0);
  });
});
