import { describe, expect, it } from 'vitest';
import { RESULT, TuttiError, decodeHeader, encodeHeader, memberOutputs, shardKey, type ResultHeader } from '../src/index.js';

const spec = (name: string) => ({ name, datatype: 'FP32' as const, shape: [1, 2] });
const bytes = (...values: number[]) => new Uint8Array(new Float32Array(values).buffer);

describe('internal messages', () => {
  it('splits one RESULT among the members a process hosts, in order, a failed member taking no frame', () => {
    const header: ResultHeader = {
      kind: RESULT,
      batch: 3,
      shard: shardKey(['a', 'b', 'c']),
      instance: 0,
      serviceMs: 0.3,
      results: [
        { member: 'a', outputs: [spec('p'), spec('q')], computeMs: 0.1 },
        { member: 'b', outputs: [], error: 'boom', computeMs: 0.1 },
        { member: 'c', outputs: [spec('p')], computeMs: 0.1 },
      ],
    };
    const decoded = decodeHeader(encodeHeader(header)) as ResultHeader;
    expect(decoded.shard).toBe('a+b+c');
    const split = memberOutputs(decoded, [bytes(1, 2), bytes(3, 4), bytes(5, 6)]);
    expect(split.map((tensors) => tensors.map((t) => t.name))).toEqual([['p', 'q'], [], ['p']]);
    expect(new Float32Array(split[2]![0]!.data.slice().buffer)).toEqual(new Float32Array([5, 6]));
  });

  it('refuses a RESULT whose frames do not match its specs', () => {
    const header: ResultHeader = {
      kind: RESULT,
      batch: 1,
      shard: 'a',
      instance: 0,
      serviceMs: 0,
      results: [{ member: 'a', outputs: [spec('p')], computeMs: 0 }],
    };
    expect(() => memberOutputs(header, [])).toThrow(TuttiError);
    expect(() => memberOutputs(header, [bytes(1, 2), bytes(3, 4)])).toThrow(/2 tensor frames for 1 tensors/);
  });
});
