import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CustomRuleRunner, type CombineInput } from '../src/index.js';
import { rejected, rounded, singleOutput } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const runners: CustomRuleRunner[] = [];
async function runner(name: string, options?: { threads?: number; maxQueue?: number; timeoutMs?: number }): Promise<CustomRuleRunner> {
  const created = await CustomRuleRunner.create(fixture(name), options);
  runners.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(runners.splice(0).map((created) => created.close()));
});

describe('CustomRuleRunner', () => {
  it('runs a default-export rule and gives the hand-computed answer, on two outputs', async () => {
    const rule = await runner('geometric-mean.mjs');
    expect(rule.exportName).toBe('default');
    expect(rule.modulePath).toBe(fixture('geometric-mean.mjs'));
    const input: CombineInput = {
      members: ['a', 'b', 'c'],
      weights: [1, 1, 1],
      outputs: {
        // Geometric means: cbrt(1 * 2 * 4) = 2, cbrt(1 * 1 * 8) = 2, cbrt(3 * 9 * 1) = 3, cbrt(5 * 5 * 5) = 5.
        probs: { shape: [2, 2], data: [Float32Array.of(1, 1, 3, 5), Float32Array.of(2, 1, 9, 5), Float32Array.of(4, 8, 1, 5)] },
        // cbrt(10 * 100 * 1000) = 100.
        score: { shape: [1], data: [Float32Array.of(10), Float32Array.of(100), Float32Array.of(1000)] },
      },
    };
    const result = await rule.run(input);
    expect(Object.keys(result)).toEqual(['probs', 'score']);
    expect(result.probs).toBeInstanceOf(Float32Array);
    expect(rounded(result.probs, 4)).toEqual([2, 2, 3, 5]);
    expect(rounded(result.score, 3)).toEqual([100]);
    // The caller's arrays are copied, never transferred away.
    expect([...input.outputs.probs!.data[0]!]).toEqual([1, 1, 3, 5]);
  });

  it("runs on a worker thread, not the caller's", async () => {
    const rule = await runner('whoami.mjs');
    expect(rule.exportName).toBe('combine');
    const result = await rule.run(singleOutput([2], [[0, 0]]));
    const [workerThreadId, isMainThread] = [...result.probs!];
    expect(workerThreadId).toBeGreaterThan(0);
    expect(workerThreadId).not.toBe(threadId);
    expect(isMainThread).toBe(0);
  });

  it('keeps the event loop free while a rule blocks its thread, and spreads batches over threads', async () => {
    const rule = await runner('busy-thread-id.mjs', { threads: 2 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    // Each batch spins its thread for 150 ms; the two run on different threads.
    const [first, second] = await Promise.all([rule.run(singleOutput([1], [[0]])), rule.run(singleOutput([1], [[0]]))]);
    clearInterval(timer);
    // Had the rule run on this thread, no tick could fire until it finished.
    expect(ticks).toBeGreaterThan(0);
    expect(first.probs![0]).not.toBe(second.probs![0]);
    expect(first.probs![0]).not.toBe(threadId);
  });

  it('loads an async TypeScript rule and awaits it', async () => {
    const rule = await runner('trimmed-mean-async.ts');
    // Drop each element's lowest and highest: {1, 2, 3, 100} -> (2 + 3) / 2 = 2.5; {10, 20, 30, -5} -> (10 + 20) / 2 = 15;
    // {100, 0, 50, 60} -> (50 + 60) / 2 = 55.
    const input = singleOutput(
      [3],
      [
        [1, 10, 100],
        [2, 20, 0],
        [3, 30, 50],
        [100, -5, 60],
      ],
    );
    expect(rounded((await rule.run(input)).probs)).toEqual([2.5, 15, 55]);
  });

  it('converts number arrays from a CommonJS rule', async () => {
    const rule = await runner('number-array.cjs');
    const result = await rule.run(
      singleOutput(
        [2],
        [
          [1, 2],
          [10, 20],
          [100, 200],
        ],
      ),
    );
    expect(result.probs).toBeInstanceOf(Float32Array);
    expect([...result.probs!]).toEqual([111, 222]);
  });

  it('copies results that are views into the input, even one array returned twice', async () => {
    const rule = await runner('first-member.mjs');
    const two: CombineInput = {
      members: ['a', 'b'],
      weights: [1, 1],
      outputs: {
        x: { shape: [2], data: [Float32Array.of(1, 2), Float32Array.of(3, 4)] },
        y: { shape: [2], data: [Float32Array.of(5, 6), Float32Array.of(7, 8)] },
      },
    };
    const result = await rule.run(two);
    expect([...result.x!]).toEqual([1, 2]);
    expect([...result.y!]).toEqual([1, 2]);
    expect(result.x!.buffer.byteLength).toBe(8);
    const one = await rule.run(
      singleOutput(
        [3],
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ),
    );
    expect([...one.probs!]).toEqual([1, 2, 3]);
    expect(one.probs!.buffer.byteLength).toBe(12);
  });

  it('rejects with INTERNAL naming the module when the rule throws, and keeps working', async () => {
    const rule = await runner('throws.mjs');
    const error = await rejected(rule.run(singleOutput([1], [[1]])));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe(`custom rule ${fixture('throws.mjs')} threw: RangeError: boom in rule`);
    expect(String((error.cause as Error).stack)).toContain('throws.mjs');
    // The thread survives a throwing rule.
    expect((await rejected(rule.run(singleOutput([1], [[1]])))).code).toBe('INTERNAL');
  });

  it('fails a batch the rule never finishes with INTERNAL, replaces the stuck thread, and keeps combining', async () => {
    const rule = await runner('endless.mjs', { timeoutMs: 300 });
    const error = await rejected(rule.run(singleOutput([2], [[42, 0]])));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe(
      `custom rule ${fixture('endless.mjs')} did not combine the batch within 300 ms (an endless loop?); its thread was replaced`,
    );
    expect(rounded((await rule.run(singleOutput([2], [[0.25, 0.75]]))).probs)).toEqual([0.25, 0.75]);
  });

  it('rejects with INTERNAL when the rule returns the wrong length', async () => {
    const rule = await runner('wrong-length.mjs');
    const error = await rejected(rule.run(singleOutput([2, 3], [[1, 2, 3, 4, 5, 6]])));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe(
      `custom rule ${fixture('wrong-length.mjs')} returned output "probs" with 5 values, expected 6 for shape [2,3]`,
    );
  });

  it.each([
    ['null', /returned null, expected an object of Float32Arrays keyed by output name/],
    ['missing', /returned no output "probs"/],
    ['unknown', /returned unknown output "extra" \(expected probs\)/],
    ['int32', /returned output "probs" as an Int32Array, expected a Float32Array or an array of numbers/],
    ['strings', /returned output "probs" as an array holding non-numbers/],
  ])('rejects with INTERNAL when the rule returns garbage: %s', async (kind, message) => {
    const rule = await runner('garbage.mjs');
    const input = singleOutput([2], [[0, 1]]);
    input.members = [kind];
    const error = await rejected(rule.run(input));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toMatch(message);
  });

  it('fails fast at create() when the module is missing, does not load, or exports no function', async () => {
    const missing = await rejected(CustomRuleRunner.create(fixture('no-such-rule.mjs')));
    expect(missing.code).toBe('INVALID_OPTION');
    expect(missing.message).toBe(`custom rule ${fixture('no-such-rule.mjs')}: module not found`);

    const loadThrows = await rejected(CustomRuleRunner.create(fixture('load-throws.mjs')));
    expect(loadThrows.code).toBe('INVALID_OPTION');
    expect(loadThrows.message).toMatch(/load-throws\.mjs failed to load: Error: cannot initialise this rule/);

    const noFunction = await rejected(CustomRuleRunner.create(fixture('no-function.mjs')));
    expect(noFunction.code).toBe('INVALID_OPTION');
    expect(noFunction.message).toMatch(
      /no-function\.mjs has no function export: expected a default export or an export named "combine", found exports \[combine, default\]/,
    );
  });

  it('checks its options and its input', async () => {
    expect((await rejected(CustomRuleRunner.create(fixture('whoami.mjs'), { threads: 0 }))).code).toBe('INVALID_OPTION');
    expect((await rejected(CustomRuleRunner.create(fixture('whoami.mjs'), { maxQueue: -1 }))).code).toBe('INVALID_OPTION');
    const rule = await runner('whoami.mjs');
    const error = await rejected(rule.run({ members: ['a'], weights: [1, 1], outputs: {} }));
    expect(error.message).toMatch(/1 members but 2 weights/);
  });

  it('rejects with RESOURCE_EXHAUSTED when the queue is full', async () => {
    const rule = await runner('busy-thread-id.mjs', { threads: 1, maxQueue: 1 });
    const runs = [0, 1, 2].map(() =>
      rule.run(singleOutput([1], [[0]])).then(
        () => 'ok',
        (error: { code: string }) => error.code,
      ),
    );
    expect(await Promise.all(runs)).toEqual(['ok', 'ok', 'RESOURCE_EXHAUSTED']);
  });

  it('lets a running batch finish on close()', async () => {
    const rule = await CustomRuleRunner.create(fixture('busy-thread-id.mjs'));
    const running = rule.run(singleOutput([1], [[0]]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await rule.close();
    expect((await running).probs!.length).toBe(1);
  });

  it('rejects with UNAVAILABLE after close()', async () => {
    const rule = await CustomRuleRunner.create(fixture('whoami.mjs'));
    await rule.close();
    expect((await rejected(rule.run(singleOutput([2], [[0, 0]])))).code).toBe('UNAVAILABLE');
    await rule.close();
  });
});
