import { describe, expect, it } from 'vitest';
import { costModelProfile, greedy, type Device, type MemberProfile, type Plan } from '@tutti/allocator';
import { Cluster } from '../../src/supervisor/cluster.js';

const BATCHES = [1, 2, 4, 8];
const MEMBERS = ['a', 'b', 'c'];

function cpu(cores: number, name = 'box'): Device {
  return { id: 'cpu', kind: 'cpu', name, memoryBytes: 8e9, cores, origin: 'detected', speed: { gmacsPerSecond: 20, overheadMs: 0.2 } };
}

function gpuOnly(): Device {
  return { id: 'gpu0', kind: 'gpu', name: 'T4', memoryBytes: 16e9, origin: 'declared', emulated: true, speed: { gmacsPerSecond: 4000 } };
}

/** Cost-model profiles of the members on `devices` (keyed by their ids); `only` limits which members can run there. */
function profiles(devices: Device[], only = MEMBERS): Record<string, Record<string, MemberProfile>> {
  return Object.fromEntries(
    only.map((m, k) => [
      m,
      Object.fromEntries(
        devices.map((d) => [
          d.id,
          costModelProfile(
            m,
            { macs: (k + 1) * 1e7, parameterBytes: 1e6, memoryBytes: 1e8, modelSha256: m },
            d,
            BATCHES,
            Array.from({ length: d.cores ?? 1 }, (_, i) => i + 1),
          ),
        ]),
      ),
    ]),
  );
}

function headPlan(): { plan: Plan; profiles: Record<string, Record<string, MemberProfile>> } {
  const devices = [cpu(2, 'head')];
  const own = profiles(devices);
  return { plan: { ...greedy({ devices, members: MEMBERS, profiles: own, batchSizes: BATCHES }), ensemble: 'e' }, profiles: own };
}

describe('Cluster', () => {
  it('places a joining host on its own devices, and gives it back the same placement when it returns', () => {
    const { plan, profiles: own } = headPlan();
    const cluster = new Cluster({ plan, profiles: own, batchSizes: BATCHES, headRuns: true });
    const placed = cluster.join('one', [cpu(4)], profiles([cpu(4)]));
    expect(placed.instances.length).toBeGreaterThan(0);
    expect(placed.instances.every((i) => i.device === 'one/cpu')).toBe(true);
    const whole = cluster.plan();
    expect(whole.instances.filter((i) => i.device === 'cpu')).toEqual(plan.instances);
    expect(whole.predicted.throughput).toBeGreaterThan(plan.predicted.throughput);
    expect(whole.devices.map((d) => [d.id, d.host])).toEqual([
      ['cpu', undefined],
      ['one/cpu', 'one'],
    ]);
    cluster.leave('one');
    expect(cluster.plan().instances).toEqual(plan.instances);
    expect(cluster.rejoin('one', [cpu(4)])).toEqual(placed);
    expect(cluster.rejoin('one', [cpu(8)])).toBeUndefined();
  });

  it('without workers on the head, counts a member missing until a host runs it', () => {
    const { plan, profiles: own } = headPlan();
    const cluster = new Cluster({ plan, profiles: own, batchSizes: BATCHES, headRuns: false });
    expect(cluster.missing()).toEqual(MEMBERS);
    cluster.join('one', [cpu(2)], profiles([cpu(2)]));
    expect(cluster.missing()).toEqual([]);
    cluster.leave('one');
    expect(cluster.missing()).toEqual(MEMBERS);
  });

  it('plans the members a host can run, and after a host leaves, every member a present host can run has an instance', () => {
    const { plan, profiles: own } = headPlan();
    const cluster = new Cluster({ plan, profiles: own, batchSizes: BATCHES, headRuns: false });
    // "gpus" can run only c: it takes c, and a and b wait for a host that can run them.
    const gpus = cluster.join('gpus', [gpuOnly()], profiles([gpuOnly()], ['c']));
    expect(gpus.instances.map((i) => i.member)).toEqual(['c']);
    expect(cluster.missing()).toEqual(['a', 'b']);
    cluster.join('one', [cpu(2)], profiles([cpu(2)]));
    expect(cluster.missing()).toEqual([]);
    const changed = cluster.leave('gpus');
    expect(cluster.missing()).toEqual([]);
    for (const [host, placement] of changed) expect(placement.instances.every((i) => i.device.startsWith(`${host}/`))).toBe(true);
    expect(cluster.placementOf('one')!.instances.some((i) => i.member === 'c')).toBe(true);
  });

  it('says which members no present host can run once the only one that could has left', () => {
    const { plan, profiles: own } = headPlan();
    const cluster = new Cluster({ plan, profiles: own, batchSizes: BATCHES, headRuns: false });
    cluster.join('gpus', [gpuOnly()], profiles([gpuOnly()], ['c']));
    cluster.join('cpus', [cpu(2)], profiles([cpu(2)], ['a', 'b']));
    expect(cluster.missing()).toEqual([]);
    expect(cluster.leave('gpus').size).toBe(0);
    expect(cluster.missing()).toEqual(['c']);
  });

  it("keeps the head's groups on another host: a grouped member is served with its whole group", () => {
    const { plan, profiles: own } = headPlan();
    const grouped: Plan = {
      ...plan,
      layout: {
        kind: 'grouped',
        groups: [{ device: 'cpu', members: ['a', 'b'], processes: 1, threads: 1 }],
        messageCostMs: 0.05,
        predicted: { 'per-instance': 1, grouped: 2 },
        decidedBy: 'chosen',
      },
    };
    const cluster = new Cluster({ plan: grouped, profiles: own, batchSizes: BATCHES, headRuns: true });
    const placed = cluster.join('one', [cpu(4)], profiles([cpu(4)]));
    const group = placed.groups.find((g) => g.members.join() === 'a,b');
    if (placed.instances.some((i) => i.member === 'a' || i.member === 'b')) {
      expect(group).toMatchObject({ device: 'one/cpu' });
      expect(placed.instances.some((i) => i.member === 'a')).toBe(true);
      expect(placed.instances.some((i) => i.member === 'b')).toBe(true);
    } else expect(group).toBeUndefined();
  });
});
