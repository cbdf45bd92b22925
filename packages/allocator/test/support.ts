/** Synthetic devices and members for the allocator's tests: profiles come from the cost model. */
import { costModelProfile, type AllocationInput, type Device, type MemberProfile } from '../src/index.js';

export const GB = 1e9;
export const BATCH_SIZES = [1, 2, 4, 8, 16, 32];

/** A V100-like GPU: 4 TMAC/s sustained, 900 GB/s, 1 ms per batch of launch and transfer. */
export function gpu(id: string, memoryGB = 32): Device {
  return {
    id,
    kind: 'gpu',
    name: 'V100-32GB',
    memoryBytes: memoryGB * GB,
    origin: 'declared',
    emulated: true,
    speed: { gmacsPerSecond: 4000, memoryGBps: 900, overheadMs: 1 },
  };
}

/** A host CPU: 40 GMAC/s per core, 20 GB/s, 0.5 ms per batch. */
export function cpu(cores = 2, memoryGB = 24): Device {
  return {
    id: 'cpu',
    kind: 'cpu',
    name: 'host',
    memoryBytes: memoryGB * GB,
    cores,
    origin: 'detected',
    speed: { gmacsPerSecond: 40, memoryGBps: 20, overheadMs: 0.5 },
  };
}

export interface SyntheticMember {
  name: string;
  /** Memory of one instance, on any device. */
  memoryGB: number;
  /** GMACs per row. */
  gmacs: number;
  /** Weights, default a tenth of the memory. */
  parameterGB?: number;
}

/** A member's cost-model profile on a device, every thread count from 1 to the cores on a CPU. */
export function profile(member: SyntheticMember, device: Device, batchSizes = BATCH_SIZES): MemberProfile {
  const threads = Array.from({ length: device.cores ?? 1 }, (_, i) => i + 1);
  const cost = {
    macs: member.gmacs * 1e9,
    parameterBytes: (member.parameterGB ?? member.memoryGB / 10) * GB,
    memoryBytes: member.memoryGB * GB,
    modelSha256: member.name,
  };
  return costModelProfile(member.name, cost, device, batchSizes, threads);
}

/** An allocation input where every member has a profile on every device. */
export function input(devices: Device[], members: SyntheticMember[], extra: Partial<AllocationInput> = {}): AllocationInput {
  return {
    devices,
    members: members.map((m) => m.name),
    profiles: Object.fromEntries(members.map((m) => [m.name, Object.fromEntries(devices.map((d) => [d.id, profile(m, d)]))])),
    batchSizes: BATCH_SIZES,
    ...extra,
  };
}

export function gpus(count: number, memoryGB = 32): Device[] {
  return Array.from({ length: count }, (_, i) => gpu(`gpu${i}`, memoryGB));
}

/** Twelve heavy DNNs, 5 to 11 GB each (96 GB in all), for four 32 GB GPUs. */
export const TWELVE_HEAVY: SyntheticMember[] = Array.from({ length: 12 }, (_, i) => ({
  name: `dnn${i}`,
  memoryGB: 5 + (i % 4) * 2,
  gmacs: 2 + i,
}));

/** tutti's seeded generator (mulberry32), so property-style tests are reproducible. */
export { mulberry32 as seeded } from '@tutti/zoo';

/** A random problem: a CPU of 1 to 8 cores, 0 to 3 GPUs, 1 to 8 members. */
export function randomProblem(random: () => number, extra: Partial<AllocationInput> = {}): AllocationInput {
  const devices = [
    cpu(1 + Math.floor(random() * 8)),
    ...Array.from({ length: Math.floor(random() * 4) }, (_, i) => gpu(`gpu${i}`, 8 + Math.floor(random() * 24))),
  ];
  const members = Array.from({ length: 1 + Math.floor(random() * 8) }, (_, i) => ({
    name: `m${i}`,
    memoryGB: 0.5 + random() * 6,
    gmacs: 0.05 + random() * 10,
  }));
  return input(devices, members, extra);
}
