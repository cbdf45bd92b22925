/**
 * Predicted throughput of a placement. Every input visits every member, so the ensemble goes at the
 * pace of its slowest member, whose speed is the sum of its instances'. Devices are shared: on a CPU
 * the cores are a budget split among the instances' threads (oversubscribed threads slow everyone
 * down proportionally); on a GPU the instances time-share the device, each getting 1/n of it.
 * The greedy search calls this for every neighbour, so it makes one pass over the instances.
 */
import { latencyOf } from './profiles.js';
import type { AllocationInput, DeviceUsage, Instance, MemberPrediction, Prediction } from './types.js';

interface DeviceLoad {
  memoryBytes: number;
  threads: number;
  instances: number;
}

function loads(input: AllocationInput, instances: readonly Instance[]): Map<string, DeviceLoad> {
  const byDevice = new Map(input.devices.map((d) => [d.id, { memoryBytes: 0, threads: 0, instances: 0 }]));
  for (const i of instances) {
    const load = byDevice.get(i.device);
    if (!load) continue;
    load.memoryBytes += input.profiles[i.member]?.[i.device]?.memoryBytes ?? 0;
    load.threads += i.threads;
    load.instances++;
  }
  return byDevice;
}

function usageOf(input: AllocationInput, byDevice: Map<string, DeviceLoad>): DeviceUsage[] {
  return input.devices.map((device) => {
    const load = byDevice.get(device.id)!;
    const usage: DeviceUsage = { device: device.id, memoryBytes: load.memoryBytes, memoryCapacity: device.memoryBytes };
    if (device.kind === 'cpu') {
      usage.cores = load.threads;
      usage.coresCapacity = device.cores ?? 1;
    }
    return usage;
  });
}

function sharesOf(input: AllocationInput, byDevice: Map<string, DeviceLoad>): Map<string, number> {
  const shares = new Map<string, number>();
  for (const device of input.devices) {
    const load = byDevice.get(device.id)!;
    if (device.kind === 'cpu') shares.set(device.id, Math.min(1, (device.cores ?? 1) / Math.max(1, load.threads)));
    else shares.set(device.id, 1 / Math.max(1, load.instances));
  }
  return shares;
}

/** Memory and cores used on each device, against capacity. */
export function deviceUsage(input: AllocationInput, instances: readonly Instance[]): DeviceUsage[] {
  return usageOf(input, loads(input, instances));
}

/**
 * The share of its own (profiled, alone) speed an instance gets on each device, given who else is
 * there: on a CPU, cores / threads when the threads oversubscribe the cores; on a GPU, 1 / instances,
 * since kernels of different sessions mostly run one after another rather than side by side.
 */
export function deviceShares(input: AllocationInput, instances: readonly Instance[]): Map<string, number> {
  return sharesOf(input, loads(input, instances));
}

export function predict(input: AllocationInput, instances: readonly Instance[]): Prediction {
  const byDevice = loads(input, instances);
  const shares = sharesOf(input, byDevice);
  const byMember = new Map<string, MemberPrediction>(input.members.map((member) => [member, { member, throughput: 0, batchLatencyMs: 0, instances: 0 }]));
  for (const instance of instances) {
    const prediction = byMember.get(instance.member);
    const profile = input.profiles[instance.member]?.[instance.device];
    const share = shares.get(instance.device) ?? 0;
    if (!prediction || !profile || share === 0) continue;
    const latencyMs = latencyOf(profile, instance.batch, instance.threads);
    if (latencyMs !== undefined && latencyMs > 0) prediction.throughput += ((instance.batch * 1000) / latencyMs) * share;
    prediction.batchLatencyMs = Math.max(prediction.batchLatencyMs, (latencyMs ?? Infinity) / share);
    prediction.instances++;
  }
  const members = [...byMember.values()];
  let bottleneck = members[0]!;
  for (const m of members) if (m.throughput < bottleneck.throughput) bottleneck = m;
  return { throughput: bottleneck.throughput, bottleneck: bottleneck.member, members, devices: usageOf(input, byDevice) };
}

/** Whether a placement fits: memory on every device, and CPU threads within the cores. */
export function fits(usage: readonly DeviceUsage[]): boolean {
  return usage.every((u) => u.memoryBytes <= u.memoryCapacity && (u.cores === undefined || u.cores <= (u.coresCapacity ?? 1)));
}
