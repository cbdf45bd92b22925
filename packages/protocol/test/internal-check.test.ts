import { describe, expect, it } from 'vitest';
import { CREDIT, HEARTBEAT, HELLO, PLAN, REPLY, RESULT, decodeHeader, encodeHeader, type InternalHeader } from '../src/index.js';

const part = {
  index: 0,
  envelope: [Buffer.from('tutti-a')],
  id: 7,
  offset: 0,
  count: 2,
  members: false,
  partial: false,
  deadline: 0,
  arrivedAt: 1.5,
};
const hello = { kind: HELLO, shard: 'a+b', members: ['a', 'b'], instance: 0, device: 'cpu', credits: 2 } as const;
const roundTrip = (header: unknown) => decodeHeader(encodeHeader(header as InternalHeader));

describe('internal headers are checked on arrival', () => {
  it('lets well-formed headers of every kind through', () => {
    const good = [
      { kind: PLAN, batch: 2 ** 33, size: 2, parts: [part] },
      {
        kind: RESULT,
        batch: 1,
        shard: 'a',
        instance: 0,
        serviceMs: 0.3,
        results: [{ member: 'a', outputs: [{ name: 'p', datatype: 'FP32', shape: [2, 10] }], computeMs: 0.2 }],
      },
      {
        kind: RESULT,
        batch: 1,
        shard: 'a',
        instance: 0,
        serviceMs: 0,
        results: [{ member: 'a', outputs: [], error: 'boom', computeMs: 0 }],
      },
      hello,
      { kind: HEARTBEAT, hello },
      { kind: CREDIT, batch: 3, serviceMs: 1 },
      { kind: REPLY, batch: 3, parts: [0], frames: [2], last: true, direct: [1], unsure: [2] },
      { kind: PLAN, batch: 4, size: 2, parts: [{ ...part, target: 0.97 }], stage: 1, members: ['b'] },
      { kind: REPLY, batch: 4, parts: [], frames: [], last: true, continued: [0] },
      { kind: REPLY, batch: 5, parts: [], frames: [], last: false, credits: [{ worker: 'a#0', serviceMs: 0.4 }] },
    ];
    for (const header of good) expect(roundTrip(header)).toEqual(header);
  });

  it('refuses, naming the problem, headers that decode but are not what their kind says', () => {
    const bad: [unknown, RegExp][] = [
      [{ kind: 99 }, /unknown kind 99/],
      [{ kind: PLAN, batch: 1, size: 1, parts: [part] }, /PLAN header: a part has no valid index, offset or count/],
      [{ kind: PLAN, batch: 1, size: 2, parts: [{ ...part, envelope: 'x' }] }, /PLAN header: a part has no envelope/],
      [{ kind: PLAN, batch: 1, size: 2, parts: 'none' }, /parts is not a list/],
      [{ kind: RESULT, batch: 1, shard: 'a', instance: 0, serviceMs: 1, results: 'no' }, /RESULT header: results is not a list/],
      [{ kind: RESULT, batch: 1, shard: 'a', instance: 0, results: [] }, /RESULT header: serviceMs is not a number/],
      [
        {
          kind: RESULT,
          batch: 1,
          shard: 'a',
          instance: 0,
          serviceMs: 1,
          results: [{ member: 'a', outputs: [{ name: 'p' }], computeMs: 1 }],
        },
        /without name and datatype/,
      ],
      [{ kind: HEARTBEAT }, /HEARTBEAT header: no hello/],
      [{ ...hello, credits: 0 }, /HELLO header: instance, device or credits missing/],
      [{ kind: CREDIT, batch: 'x' }, /CREDIT header: batch is not a number/],
      [{ kind: REPLY, batch: 1, parts: [0, 1], frames: [2], last: true }, /REPLY header: parts and frames do not match/],
      [{ kind: PLAN, batch: 1, size: 2, parts: [part], stage: 1 }, /PLAN header: a stage without its members/],
      [{ kind: PLAN, batch: 1, size: 2, parts: [{ ...part, target: 2 }] }, /PLAN header: a part has a target that is no accuracy/],
      [{ kind: REPLY, batch: 1, parts: [], frames: [], last: true, continued: ['x'] }, /REPLY header: continued is not a list of parts/],
      [
        { kind: REPLY, batch: 1, parts: [], frames: [], last: false, credits: [{ worker: 'a#0' }] },
        /REPLY header: credits is not a list of workers and service times/,
      ],
    ];
    for (const [header, message] of bad) expect(() => roundTrip(header)).toThrow(message);
  });
});
