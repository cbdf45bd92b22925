import { describe, expect, it } from 'vitest';
import {
  joinHost,
  repairPlan,
  formatPlan,
  greedy,
  groupsOnDevices,
  onHost,
  profilesOnHost,
  type AllocationInput,
  type Device,
  type Instance,
  type Plan,
} from '../src/index.js';
import { expectHonestPrediction } from './expectations.js';
import { cpu, gpu, input, profile, randomProblem, seeded, type SyntheticMember } from './support.js';

const MEMBERS: SyntheticMember[] = [
  { name: 'a', memoryGB: 0.5, gmacs: 0.4 },
  { name: 'b', memoryGB: 0.5, gmacs: 0.2 },
  { name: 'c', memoryGB: 1, gmacs: 0.8 },
];

/** The head's CPU and a joining host's devices, with every member profiled on each. */
function cluster(headCores: number, joining: Device[], host = 'box-1'): AllocationInput {
  const head = input([cpu(headCores)], MEMBERS);
  const devices = onHost(host, joining);
  const local = Object.fromEntries(MEMBERS.map((m) => [m.name, Object.fromEntries(joining.map((d) => [d.id, profile(m, d)]))]));
  const remote = profilesOnHost(host, local);
  return {
    ...head,
    devices: [...head.devices, ...devices],
    profiles: Object.fromEntries(MEMBERS.map((m) => [m.name, { ...head.profiles[m.name], ...remote[m.name] }])),
  };
}

const key = (instances: readonly Instance[]) => instances.map((i) => `${i.member}@${i.device}:b${i.batch}t${i.threads}`).sort();

describe('devices on other hosts', () => {
  it('get ids unique across hosts, and carry their host', () => {
    const [device] = onHost('box-1', [cpu(4)]);
    expect(device).toMatchObject({ id: 'box-1/cpu', host: 'box-1', kind: 'cpu', cores: 4 });
    const profiles = profilesOnHost('box-1', { a: { cpu: profile(MEMBERS[0]!, cpu(4)) } });
    expect(Object.keys(profiles.a!)).toEqual(['box-1/cpu']);
  });
});

describe('joinHost and repairPlan', () => {
  it('places instances on a host that joins, keeps the running ones as they are, and raises throughput', () => {
    const all = cluster(2, [cpu(4)]);
    const head = greedy({ ...all, devices: [all.devices[0]!] });
    const plan = joinHost(all, head.instances, ['box-1/cpu']);
    expect(key(plan.instances.filter((i) => i.device === 'cpu'))).toEqual(key(head.instances));
    expect(plan.instances.some((i) => i.device === 'box-1/cpu')).toBe(true);
    expect(plan.predicted.throughput).toBeGreaterThan(head.predicted.throughput * 1.5);
    expect(plan.predicted.devices.find((d) => d.device === 'box-1/cpu')!.cores).toBeLessThanOrEqual(4);
    expectHonestPrediction(all, plan);
  });

  it('places every member on the first host when none runs yet (a head without workers)', () => {
    const all = cluster(2, [cpu(2)]);
    const plan = joinHost(all, [], ['box-1/cpu']);
    expect(new Set(plan.instances.map((i) => i.member))).toEqual(new Set(['a', 'b', 'c']));
    expect(plan.instances.every((i) => i.device === 'box-1/cpu')).toBe(true);
  });

  it('repairs: a member whose host left is placed again on the hosts that remain', () => {
    const all = cluster(2, [cpu(2)], 'box-1');
    const first = joinHost(all, [], ['box-1/cpu']);
    // box-2 took member c only; then box-2 left: c must come back on box-1, whose other instances stay.
    const box2 = onHost('box-2', [cpu(2)])[0]!;
    const withBox2 = {
      ...all,
      devices: [...all.devices, box2],
      profiles: Object.fromEntries(MEMBERS.map((m) => [m.name, { ...all.profiles[m.name], [box2.id]: profile(m, box2) }])),
    };
    const running = [...first.instances.filter((i) => i.member !== 'c'), { member: 'c', device: 'box-2/cpu', batch: 8, threads: 1 }];
    const remaining = { ...withBox2, devices: withBox2.devices.filter((d) => d.host !== 'box-2') };
    const repaired = repairPlan(remaining, running, ['box-1/cpu']);
    expect(repaired.instances.some((i) => i.member === 'c' && i.device === 'box-1/cpu')).toBe(true);
    expect(repaired.instances.every((i) => i.device !== 'box-2/cpu')).toBe(true);
  });

  it('never changes instances off the devices it places on, on many seeded problems', () => {
    const random = seeded(7);
    for (let trial = 0; trial < 30; trial++) {
      const problem = randomProblem(random);
      let head: Plan;
      try {
        head = greedy(problem);
      } catch {
        continue; // members that fit nowhere on the head: not this test's concern
      }
      const extra = onHost('box-1', [cpu(1 + Math.floor(random() * 4)), gpu('gpu0', 16)]);
      const all: AllocationInput = {
        ...problem,
        devices: [...problem.devices, ...extra],
        profiles: Object.fromEntries(
          problem.members.map((m) => {
            const member = { name: m, memoryGB: problem.profiles[m]!.cpu!.memoryBytes / 1e9, gmacs: 1 };
            return [m, { ...problem.profiles[m], ...Object.fromEntries(extra.map((d) => [d.id, profile(member, d)])) }];
          }),
        ),
      };
      const plan = joinHost(
        all,
        head.instances,
        extra.map((d) => d.id),
      );
      expect(key(plan.instances.filter((i) => !i.device.startsWith('box-1/')))).toEqual(key(head.instances));
      expect(plan.predicted.throughput).toBeGreaterThanOrEqual(head.predicted.throughput);
    }
  });

  it('names an unknown device, and says when nothing is left to place a member on', () => {
    const all = cluster(2, [cpu(2)]);
    expect(() => joinHost(all, [], ['box-9/cpu'])).toThrow(/unknown device.*box-9\/cpu/);
    expect(() => repairPlan(all, [], [])).toThrow(/no device to place a, b, c on/);
  });
});

describe('groupsOnDevices', () => {
  it("serves a head group's members together on another host, giving a missing member an instance", () => {
    const all = cluster(2, [cpu(4)]);
    const instances: Instance[] = [
      { member: 'a', device: 'box-1/cpu', batch: 8, threads: 1 },
      { member: 'a', device: 'box-1/cpu', batch: 8, threads: 1 },
      { member: 'c', device: 'box-1/cpu', batch: 4, threads: 2 },
    ];
    const { instances: out, groups } = groupsOnDevices(
      all,
      instances,
      [{ device: 'cpu', members: ['a', 'b'], processes: 1, threads: 1 }],
      ['box-1/cpu'],
    );
    expect(groups).toEqual([{ device: 'box-1/cpu', members: ['a', 'b'], processes: 2, threads: 1 }]);
    expect(out.filter((i) => i.member === 'b')).toEqual([expect.objectContaining({ device: 'box-1/cpu', threads: 1 })]);
    expect(out.filter((i) => i.member === 'c')).toHaveLength(1);
  });

  it('makes no group on a device with none of its members', () => {
    const all = cluster(2, [cpu(4)]);
    const { groups } = groupsOnDevices(
      all,
      [{ member: 'c', device: 'box-1/cpu', batch: 4, threads: 2 }],
      [{ device: 'cpu', members: ['a', 'b'], processes: 1, threads: 1 }],
      ['box-1/cpu'],
    );
    expect(groups).toEqual([]);
  });
});

describe('a plan across hosts, printed', () => {
  it('has a host column in the allocation matrix', () => {
    const all = cluster(2, [cpu(2)]);
    const plan = joinHost(all, greedy({ ...all, devices: [all.devices[0]!] }).instances, ['box-1/cpu']);
    const matrix = formatPlan(plan).split('\n');
    expect(matrix[matrix.indexOf('Allocation matrix (instances x batch size b, threads t):') + 1]).toMatch(/^host\s+device\s+a\s+b\s+c/);
    expect(matrix.find((l) => l.startsWith('head '))).toMatch(/cpu cpu host \(detected\)/);
    expect(matrix.find((l) => l.startsWith('box-1 '))).toMatch(/box-1\/cpu cpu host \(detected\)/);
  });
});
