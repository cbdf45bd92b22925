import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifest } from '@tutti/manifest';
import type { PlanPart, WireTensor } from '@tutti/protocol';
import type { Calibration } from '@tutti/rules';
import { CascadeHold, batchRows, cascadeKey, combineStage, combinedRows, partRows, stageParts } from '../../src/combiner/cascade-stage.js';
import { decodeMessage } from '@tutti/protocol';
import { ServedCascade } from '../../src/shared/cascade.js';

const dir = mkdtempSync(join(tmpdir(), 'tutti-cascade-stage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A two-member, two-stage cascade whose calibration says stage 0 may answer rows scoring >= 0.8 for targets up to 0.9. */
async function cascade(): Promise<ServedCascade> {
  const calibration: Calibration = {
    version: 1,
    ensemble: 'two',
    score: 'max-probability',
    output: 'p',
    rows: 100,
    models: {},
    stages: [
      {
        members: ['a'],
        calls: 1,
        points: [
          { threshold: 0.9, rows: 50, correct: 50, accuracy: 1, lower: 0.93 },
          { threshold: 0.8, rows: 80, correct: 78, accuracy: 0.975, lower: 0.91 },
          { threshold: 0.5, rows: 100, correct: 90, accuracy: 0.9, lower: 0.83 },
        ],
      },
      { members: ['b'], calls: 2, points: [{ threshold: 0.5, rows: 100, correct: 95, accuracy: 0.95, lower: 0.89 }] },
    ],
    ensembleAccuracy: 0.95,
  };
  writeFileSync(join(dir, 'calibration.json'), JSON.stringify(calibration));
  writeFileSync(join(dir, 'a.onnx'), '');
  writeFileSync(
    join(dir, 'manifest.yaml'),
    [
      'name: two',
      'inputs: [{ name: x, datatype: FP32, shape: [-1, 2] }]',
      'outputs: [{ name: p, datatype: FP32, shape: [-1, 2] }]',
      'members: [{ name: a, path: a.onnx }, { name: b, path: a.onnx }]',
      'rule: mean',
      'batching: { maxBatchSize: 8, maxQueueDelayMs: 1 }',
      'cascade: { stages: [[a], [b]] }',
    ].join('\n'),
  );
  return ServedCascade.of(await loadManifest(dir, { checkModels: false }))!;
}

const tensor = (rows: number[][]): WireTensor => ({
  name: 'p',
  datatype: 'FP32',
  shape: [rows.length, 2],
  data: new Uint8Array(Float32Array.from(rows.flat()).buffer),
});
const part = (offset: number, count: number, target?: number): PlanPart =>
  ({
    index: offset,
    envelope: [Buffer.from('client')],
    id: 7,
    offset,
    count,
    members: false,
    partial: false,
    deadline: 0,
    arrivedAt: 0,
    ...(target !== undefined && { target }),
  }) as PlanPart;
const floats = (t: WireTensor) => Array.from(new Float32Array(t.data.buffer, t.data.byteOffset, t.data.byteLength / 4));

describe('a cascade stage in the combiner', () => {
  it("takes a part's rows of a member's output, copied", () => {
    const rows = partRows(
      tensor([
        [0.1, 0.9],
        [0.6, 0.4],
        [0.3, 0.7],
      ]),
      part(1, 2),
    );
    expect(rows.shape).toEqual([2, 2]);
    expect(Array.from(new Float32Array(rows.data.buffer, rows.data.byteOffset, 4))).toEqual(
      Array.from(Float32Array.from([0.6, 0.4, 0.3, 0.7])),
    );
    expect(cascadeKey(part(0, 1))).toBe(cascadeKey(part(5, 1)));
  });

  it('exits the parts whose every row reaches the threshold of their target, goes on with the others, and answers all at the last stage', async () => {
    const served = await cascade();
    const sure = new Map([['a', [tensor([[0.85, 0.15]])]]]);
    expect(combineStage(served, 0, [part(0, 1, 0.9)], sure, ['p'])).toMatchObject({ exits: [true], members: ['a'], calls: 1 });
    // For 0.92 only the 0.9 threshold's bound (0.93) is enough.
    expect(combineStage(served, 0, [part(0, 1, 0.92)], sure, ['p']).exits).toEqual([false]);
    const mixed = new Map([
      [
        'a',
        [
          tensor([
            [0.85, 0.15],
            [0.6, 0.4],
          ]),
        ],
      ],
    ]);
    const two = combineStage(served, 0, [part(0, 1, 0.9), part(1, 1, 0.9)], mixed, ['p']);
    expect(two.exits).toEqual([true, false]);
    expect(two.confidence[1]).toBeCloseTo(0.6, 6);
    expect(floats(combinedRows(two, part(1, 1), [{ name: 'p', datatype: 'FP32' }])[0]!)).toEqual(floats(tensor([[0.6, 0.4]])));
    // A request of two rows exits only when both are sure.
    expect(combineStage(served, 0, [part(0, 2, 0.9)], mixed, ['p']).exits).toEqual([false]);
    const both = new Map([
      ['a', [tensor([[0.6, 0.4]])]],
      ['b', [tensor([[0.2, 0.8]])]],
    ]);
    const last = combineStage(served, 1, [part(0, 1, 0.9)], both, ['p']);
    expect(last).toMatchObject({ exits: [true], members: ['a', 'b'], calls: 2 });
    expect(Array.from(last.combined.p!)).toEqual(Array.from(Float32Array.from([0.4, 0.6])));
    expect(() => combineStage(served, 0, [part(0, 1, 0.99)], sure, ['p'])).toThrow(/above what the whole ensemble reaches/);
  });

  it("puts each request's earlier rows back in batch order, zeros for a request with none held", () => {
    const like = tensor([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    const held = [
      new Map([
        [
          'a',
          [
            tensor([
              [0.1, 0.9],
              [0.2, 0.8],
            ]),
          ],
        ],
      ]),
      undefined,
    ];
    const rows = batchRows([part(0, 2), part(2, 1)], held, 'a', like);
    expect(rows.shape).toEqual([3, 2]);
    expect(floats(rows)).toEqual(
      floats(
        tensor([
          [0.1, 0.9],
          [0.2, 0.8],
          [0, 0],
        ]),
      ),
    );
  });

  it('holds what a request had between its stages, and drops it past its deadline', () => {
    const hold = new CascadeHold();
    hold.put('r1', new Map([['a', [tensor([[1, 0]])]]]), 1_000);
    hold.put('r2', new Map(), 0);
    hold.expire(2_000);
    expect(hold.take('r1')).toBeUndefined();
    expect(hold.take('r2')).toEqual(new Map());
    expect(hold.size).toBe(0);
  });

  it('answers each request of a stage batch, sends on the unsure, and names what it cannot answer', async () => {
    const served = await cascade();
    const parts = [0, 1, 2, 3].map((k) => ({ ...part(k, 1, 0.9), id: k, index: k }));
    parts[2] = { ...parts[2]!, deadline: 1_000 };
    const results = [
      {
        member: 'a',
        outputs: [
          tensor([
            [0.95, 0.05],
            [0.6, 0.4],
            [0.9, 0.1],
            [0.99, 0.01],
          ]),
        ],
        computeMs: 1,
      },
    ];
    const plan = { batch: 9, size: 4, stage: 0, parts };
    const held = [new Map(), new Map(), new Map(), undefined];
    const { parts: decided, calls } = stageParts(
      served,
      { name: 'two', outputs: [{ name: 'p', datatype: 'FP32' }] },
      plan,
      results,
      held,
      2_000,
    );
    expect(calls).toBe(1);
    const [sure, unsure, late, lost] = decided;
    expect(sure).toMatchObject({ outcome: 'ok' });
    const reply = decodeMessage((sure as { frames: Buffer[] }).frames.at(-1)!) as { parameters: Record<string, unknown> };
    expect(reply.parameters).toMatchObject({ members_used: ['a'], exit_stage: 0, batch_id: 9 });
    expect('keep' in unsure! && [...unsure.keep.keys()]).toEqual(['a']);
    expect(late).toMatchObject({ outcome: 'DEADLINE_EXCEEDED' });
    expect(lost).toMatchObject({ outcome: 'UNAVAILABLE' });
  });
});
