import type { AllocationInput, Device, MemberProfile } from '../src/index.js';

export const GB = 1e9;

export function gpu(id: string, memoryGB = 32): Device {
  return { id, kind: 'gpu', name: 'V100-32GB', memoryBytes: memoryGB * GB, origin: 'declared', emulated: true };
}

export function cpu(cores = 2, memoryGB = 24): Device {
  return { id: 'cpu', kind: 'cpu', name: 'host', memoryBytes: memoryGB * GB, cores, origin: 'detected' };
}

/** A profile where a batch costs `msPerRow` per row (over threads, at 90% scaling) plus `overheadMs`. */
export function profile(member: string, device: Device, memoryGB: number, msPerRow: number, overheadMs = 1, batchSizes = [1, 2, 4, 8, 16, 32]): MemberProfile {
  const threads = device.kind === 'cpu' ? Array.from({ length: device.cores ?? 1 }, (_, i) => i + 1) : [1];
  return {
    member,
    modelSha256: member,
    deviceName: device.name,
    source: 'cost-model',
    memoryBytes: memoryGB * GB,
    points: threads.flatMap((t) => batchSizes.map((batch) => ({ batch, threads: t, latencyMs: overheadMs + (batch * msPerRow) / t ** 0.9 }))),
  };
}

export function input(devices: Device[], members: { name: string; memoryGB: number; msPerRow: number }[], extra: Partial<AllocationInput> = {}): AllocationInput {
  return {
    devices,
    members: members.map((m) => m.name),
    profiles: Object.fromEntries(members.map((m) => [m.name, Object.fromEntries(devices.map((d) => [d.id, profile(m.name, d, m.memoryGB, m.msPerRow)]))])),
    batchSizes: [1, 2, 4, 8, 16, 32],
    ...extra,
  };
}

/** A small seeded generator (mulberry32), so property-style tests are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
