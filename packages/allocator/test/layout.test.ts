import { describe, expect, it } from 'vitest';
import { TuttiError } from '@tutti/core';
import { chooseLayout, greedy, predictLayout, type Device } from '../src/index.js';
import { input } from './support.js';

/** A 2-core host whose batches have almost no fixed cost, as the digits MLPs have here. */
const host: Device = {
  id: 'cpu',
  kind: 'cpu',
  name: 'host',
  memoryBytes: 24e9,
  cores: 2,
  origin: 'detected',
  speed: { gmacsPerSecond: 40, overheadMs: 0.01 },
};
/** Five MLP-sized members (~20k MACs a row) and five CNN-sized ones (~2 GMACs a row). */
const tiny = input(
  [host],
  Array.from({ length: 5 }, (_, i) => ({ name: `mlp${i}`, memoryGB: 0.01, gmacs: 2e-5 })),
);
const large = input(
  [host],
  Array.from({ length: 5 }, (_, i) => ({ name: `cnn${i}`, memoryGB: 0.2, gmacs: 2 })),
);

describe('process layout', () => {
  it('groups tiny members: their messages cost more than their compute', () => {
    const plan = greedy(tiny);
    const layout = chooseLayout(tiny, plan.instances, { messageCostMs: 0.05 });
    expect(layout.kind).toBe('grouped');
    expect(layout.decidedBy).toBe('chosen');
    expect(layout.groups).toHaveLength(1);
    expect(layout.groups[0]!.members).toEqual(tiny.members);
    expect(layout.predicted.grouped).toBeGreaterThan(layout.predicted['per-instance'] * 1.05);
  });

  it('schedules large members that oversubscribe the cores: one process computing them in turn on every core answers an idle request sooner', () => {
    // Four CNNs of unequal cost, the largest 7x the smallest (as zoo-cnn): the largest, time-sliced with the others, finishes last.
    const cnns = input(
      [host],
      [0.5, 1, 1.7, 3.6].map((gmacs, i) => ({ name: `cnn${i}`, memoryGB: 0.2, gmacs })),
    );
    const plan = greedy(cnns);
    const layout = chooseLayout(cnns, plan.instances, { messageCostMs: 0.05 });
    expect(layout.kind).toBe('grouped');
    expect(layout.groups[0]).toMatchObject({ processes: 1, threads: 2 });
    expect(layout.idleMs!.grouped).toBeLessThan(layout.idleMs!['per-instance'] * 0.95);
    expect(layout.predicted.grouped).toBeGreaterThanOrEqual(layout.predicted['per-instance'] * 0.95);
  });

  it('keeps one process per instance for large members that fit the cores: they compute side by side', () => {
    const two = input(
      [host],
      Array.from({ length: 2 }, (_, i) => ({ name: `cnn${i}`, memoryGB: 0.2, gmacs: 2 })),
    );
    const instances = two.members.map((member) => ({ member, device: 'cpu', batch: 8, threads: 1 }));
    const layout = chooseLayout(two, instances, { messageCostMs: 0.05 });
    expect(layout.kind).toBe('per-instance');
    expect(layout.idleMs!['per-instance']).toBeLessThan(layout.idleMs!.grouped);
  });

  it('keeps per-instance when messages cost nothing (no serving cost to save)', () => {
    const plan = greedy(tiny);
    expect(chooseLayout(tiny, plan.instances, { messageCostMs: 0 }).kind).toBe('per-instance');
  });

  it('predicts fewer requests per second as messages cost more, and the grouped layout losing less', () => {
    const { instances } = greedy(tiny);
    const groups = [{ device: 'cpu', members: tiny.members, processes: 2, threads: 1 }];
    const cheap = {
      per: predictLayout(tiny, instances, [], { messageCostMs: 0.01 }),
      grouped: predictLayout(tiny, instances, groups, { messageCostMs: 0.01 }),
    };
    const dear = {
      per: predictLayout(tiny, instances, [], { messageCostMs: 0.1 }),
      grouped: predictLayout(tiny, instances, groups, { messageCostMs: 0.1 }),
    };
    expect(dear.per.throughput).toBeLessThan(cheap.per.throughput);
    expect(dear.grouped.throughput).toBeLessThan(cheap.grouped.throughput);
    expect(dear.grouped.throughput / dear.per.throughput).toBeGreaterThan(cheap.grouped.throughput / cheap.per.throughput);
    // The batcher receives every request: at 0.1 ms a message it cannot pass 10k requests/s.
    expect(dear.grouped.throughput).toBeLessThan(10_000);
  });

  it('can be forced either way, and says when grouping is impossible', () => {
    const { instances } = greedy(large);
    const forced = chooseLayout(large, instances, { messageCostMs: 0.05, force: 'grouped' });
    expect(forced).toMatchObject({ kind: 'grouped', decidedBy: 'forced' });
    expect(chooseLayout(tiny, greedy(tiny).instances, { messageCostMs: 0.05, force: 'per-instance' })).toMatchObject({
      kind: 'per-instance',
      decidedBy: 'forced',
      groups: [],
    });
    const one = input([host], [{ name: 'only', memoryGB: 0.01, gmacs: 2e-5 }]);
    expect(() => chooseLayout(one, greedy(one).instances, { messageCostMs: 0.05, force: 'grouped' })).toThrow(TuttiError);
    expect(() => chooseLayout(tiny, greedy(tiny).instances, { messageCostMs: -1 })).toThrow(/messageCostMs/);
    expect(() => chooseLayout(tiny, greedy(tiny).instances, { messageCostMs: 0.05, force: 'sideways' as 'grouped' })).toThrow(/layout/);
  });

  it('never groups members on declared (emulated) devices', () => {
    const gpu: Device = {
      id: 'gpu0',
      kind: 'gpu',
      name: 'V100',
      memoryBytes: 32e9,
      origin: 'declared',
      emulated: true,
      speed: { gmacsPerSecond: 4000, overheadMs: 0.01 },
    };
    const mixed = input(
      [gpu],
      Array.from({ length: 3 }, (_, i) => ({ name: `m${i}`, memoryGB: 0.01, gmacs: 2e-5 })),
    );
    expect(chooseLayout(mixed, greedy(mixed).instances, { messageCostMs: 0.05 }).kind).toBe('per-instance');
  });
});

describe('processes of a group', () => {
  it('hosts tiny members in one process when one keeps up: more would only split the batches', () => {
    const layout = chooseLayout(tiny, greedy(tiny).instances, { messageCostMs: 0.05 });
    expect(layout.groups[0]).toMatchObject({ processes: 1, threads: 1 });
  });

  it('adds processes when one process cannot keep up with the batcher', () => {
    // Members of ~0.5 ms a batch: five in turn take longer than the batcher needs to pass a batch on.
    const medium = input(
      [host],
      Array.from({ length: 5 }, (_, i) => ({ name: `m${i}`, memoryGB: 0.01, gmacs: 2e-3 })),
    );
    const layout = chooseLayout(medium, greedy(medium).instances, { messageCostMs: 0.05, force: 'grouped' });
    expect(layout.groups[0]!.processes * layout.groups[0]!.threads).toBe(2);
  });
});
