import { describe, expect, it } from 'vitest';
import type { Device, MemberProfile, Plan } from '@tutti/allocator';
import type { Ensemble } from '@tutti/manifest';
import { defaultInstances, instancesFromPlan, shardsOf, workerLaunches, type InstanceLaunch } from '../../src/supervisor/instances.js';

const ensemble = {
  name: 'e',
  members: [{ name: 'a' }, { name: 'b' }],
  batching: { maxBatchSize: 16, maxQueueDelayMs: 1 },
} as unknown as Ensemble;

const cpu: Device = { id: 'cpu', kind: 'cpu', name: 'host', memoryBytes: 8e9, cores: 4, origin: 'detected' };
const v100: Device = { id: 'gpu0', kind: 'gpu', name: 'V100', memoryBytes: 32e9, origin: 'declared', emulated: true };
const profile: MemberProfile = {
  member: 'b',
  modelSha256: 'x',
  deviceName: 'V100',
  source: 'cost-model',
  memoryBytes: 1e8,
  points: [{ batch: 1, threads: 1, latencyMs: 2 }],
};

function plan(instances: Plan['instances'], devices: Device[] = [cpu, v100]): Plan {
  return {
    version: 1,
    ensemble: 'e',
    strategy: 'greedy',
    devices,
    members: ['a', 'b'],
    instances,
    predicted: {} as Plan['predicted'],
    steps: [],
  };
}

describe('instances to start', () => {
  it('defaults to one CPU instance per member sharing the cores', () => {
    expect(defaultInstances(ensemble, 4)).toEqual([
      { member: 'a', instance: 0, device: 'cpu', settings: { intraOpThreads: 2 }, batchSize: 16 },
      { member: 'b', instance: 0, device: 'cpu', settings: { intraOpThreads: 2 }, batchSize: 16 },
    ]);
    expect(defaultInstances(ensemble, 1)[0]!.settings.intraOpThreads).toBe(1);
  });

  it('follows a plan: instances numbered per member, threads and batch per instance, emulation profiles attached', () => {
    const launches = instancesFromPlan(
      ensemble,
      plan([
        { member: 'a', device: 'cpu', batch: 4, threads: 1 },
        { member: 'a', device: 'cpu', batch: 8, threads: 3 },
        { member: 'b', device: 'gpu0', batch: 1, threads: 1 },
      ]),
      { b: { gpu0: profile } },
    );
    expect(launches.map((l) => [l.member, l.instance, l.device, l.batchSize, l.settings.intraOpThreads])).toEqual([
      ['a', 0, 'cpu', 4, 1],
      ['a', 1, 'cpu', 8, 3],
      ['b', 0, 'gpu0', 1, 1],
    ]);
    expect(launches[2]!.emulation).toBe(profile);
  });

  it('says what is wrong with a plan it cannot serve', () => {
    const onCpu = (member: string) => ({ member, device: 'cpu', batch: 1, threads: 1 });
    expect(() => instancesFromPlan(ensemble, plan([onCpu('a')]))).toThrow(/members without any instance: b/);
    expect(() => instancesFromPlan(ensemble, plan([onCpu('a'), onCpu('b'), onCpu('z')]))).toThrow(/does not have: z/);
    expect(() => instancesFromPlan(ensemble, plan([onCpu('a'), { ...onCpu('b'), device: 'tpu' }]))).toThrow(/device "tpu"/);
    expect(() => instancesFromPlan(ensemble, plan([onCpu('a'), { ...onCpu('b'), device: 'gpu0' }]))).toThrow(
      /no profile of b on emulated device gpu0/,
    );
    const declared = { ...v100, emulated: false };
    expect(() => instancesFromPlan(ensemble, plan([onCpu('a'), { ...onCpu('b'), device: 'gpu0' }], [cpu, declared]))).toThrow(
      /declare it with emulate: true/,
    );
    const remote = { ...cpu, id: 'box-1/cpu', host: 'box-1' };
    expect(() => instancesFromPlan(ensemble, plan([onCpu('a'), { ...onCpu('b'), device: 'box-1/cpu' }], [cpu, remote]))).toThrow(
      /device box-1\/cpu is on host box-1: serve with --agents and start `tutti agent --join` there/,
    );
  });

  it("takes one host's share of a plan across hosts: the members it runs, on its devices", () => {
    const remote = { ...cpu, id: 'box-1/cpu', host: 'box-1' };
    const share = instancesFromPlan(
      ensemble,
      plan([{ member: 'b', device: 'box-1/cpu', batch: 4, threads: 2 }], [remote]),
      {},
      { share: true },
    );
    expect(share).toEqual([{ member: 'b', instance: 0, device: 'box-1/cpu', batchSize: 4, settings: { intraOpThreads: 2 } }]);
  });
});

describe('worker processes of a layout', () => {
  const launch = (member: string, instance = 0, device = 'cpu'): InstanceLaunch => ({
    member,
    instance,
    device,
    settings: { intraOpThreads: 1 },
    batchSize: 8,
  });

  it('gives every instance its own process in the per-instance layout', () => {
    const launches = workerLaunches([launch('a'), launch('a', 1), launch('b')]);
    expect(launches.map((l) => [l.shard, l.instance, l.members.length])).toEqual([
      ['a', 0, 1],
      ['a', 1, 1],
      ['b', 0, 1],
    ]);
    expect(shardsOf(launches)).toEqual([['a'], ['b']]);
  });

  it('hosts a group in its processes, each with one instance of every member, threads from the group', () => {
    const launches = workerLaunches(
      [launch('a'), launch('a', 1), launch('b'), launch('c')],
      [{ device: 'cpu', members: ['a', 'b'], processes: 3, threads: 2 }],
    );
    expect(launches.map((l) => [l.shard, l.instance, l.members.map((m) => m.member)])).toEqual([
      ['a+b', 0, ['a', 'b']],
      ['a+b', 1, ['a', 'b']],
      ['a+b', 2, ['a', 'b']],
      ['c', 0, ['c']],
    ]);
    expect(launches[1]!.members.every((m) => m.settings.intraOpThreads === 2 && m.instance === 1)).toBe(true);
    expect(shardsOf(launches)).toEqual([['a', 'b'], ['c']]);
  });

  it('refuses a group naming a member with no instance on its device, or a member in two shards', () => {
    expect(() => workerLaunches([launch('a'), launch('b', 0, 'gpu0')], [{ device: 'cpu', members: ['a', 'b'], processes: 1 }])).toThrow(
      /b has no instance there/,
    );
    expect(() => workerLaunches([launch('a')], [{ device: 'cpu', members: ['a'], processes: 0 }])).toThrow(/processes/);
    const twice = [
      ...workerLaunches([launch('a'), launch('b')], [{ device: 'cpu', members: ['a', 'b'], processes: 1 }]),
      { shard: 'a', instance: 0, device: 'gpu0', members: [launch('a', 0, 'gpu0')] },
    ];
    expect(() => shardsOf(twice)).toThrow(/two worker groups/);
  });
});
