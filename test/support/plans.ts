/**
 * Hand-written allocation plans for end-to-end tests: this host's CPU plus one emulated device whose
 * profile holds every batch for a fixed time, so tests control exactly where members run and how slow.
 */
import type { Device, Instance, MemberProfile, Plan } from '@tutti/allocator';
import type { Ensemble } from '@tutti/manifest';

export const HOST_CPU: Device = { id: 'cpu', kind: 'cpu', name: 'this host', memoryBytes: 8e9, cores: 2, origin: 'detected' };

export function emulatedDevice(id: string, name: string): Device {
  return { id, kind: 'gpu', name, memoryBytes: 16e9, origin: 'declared', emulated: true };
}

export function planOf(ensemble: Ensemble, devices: Device[], instances: Instance[]): Plan {
  return {
    version: 1,
    ensemble: ensemble.name,
    strategy: 'greedy',
    devices,
    members: ensemble.members.map((m) => m.name),
    instances,
    predicted: { throughput: 0, bottleneck: instances[0]!.member, members: [], devices: [] },
    steps: [],
  };
}

/** A profile in which every batch, from 1 to 64 rows, takes `latencyMs` on the device. */
export function fixedLatencyProfile(member: string, device: Device, latencyMs: number): MemberProfile {
  return {
    member,
    modelSha256: 'test',
    deviceName: device.name,
    source: 'cost-model',
    memoryBytes: 1e8,
    points: [1, 64].map((batch) => ({ batch, threads: 1, latencyMs })),
  };
}
