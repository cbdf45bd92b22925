/**
 * Predicted throughput of a placement. Every input visits every member, so the ensemble goes at the
 * pace of its slowest member, whose speed is the sum of its instances'. Devices are shared: on a CPU
 * the cores are a budget split among the instances' threads (oversubscribed threads slow everyone
 * down proportionally); on a GPU the instances time-share the device, each getting 1/n of it.
 */
import { instanceThroughput, latencyOf } from './profiles.js';
import type { AllocationInput, DeviceUsage, Instance, MemberPrediction, Prediction } from './types.js';

export function deviceUsage(input: AllocationInput, instances: readonly Instance[]): DeviceUsage[] {
  return input.devices.map((device) => {
    const here = instances.filter((i) => i.device === device.id);
    const memoryBytes = here.reduce((sum, i) => sum + (input.profiles[i.member]?.[device.id]?.memoryBytes ?? 0), 0);
    const usage: DeviceUsage = { device: device.id, memoryBytes, memoryCapacity: device.memoryBytes };
    if (device.kind === 'cpu') {
      usage.cores = here.reduce((sum, i) => sum + i.threads, 0);
      usage.coresCapacity = device.cores ?? 1;
    }
    return usage;
  });
}

/** The share of its own speed an instance gets on each device, given who else is there. */
function deviceShares(input: AllocationInput, usage: DeviceUsage[], instances: readonly Instance[]): Map<string, number> {
  const shares = new Map<string, number>();
  for (const device of input.devices) {
    const used = usage.find((u) => u.device === device.id)!;
    if (device.kind === 'cpu') shares.set(device.id, Math.min(1, (used.coresCapacity ?? 1) / Math.max(1, used.cores ?? 0)));
    else shares.set(device.id, 1 / Math.max(1, instances.filter((i) => i.device === device.id).length));
  }
  return shares;
}

export function predict(input: AllocationInput, instances: readonly Instance[]): Prediction {
  const usage = deviceUsage(input, instances);
  const shares = deviceShares(input, usage, instances);
  const members: MemberPrediction[] = input.members.map((member) => {
    let throughput = 0;
    let batchLatencyMs = 0;
    let count = 0;
    for (const instance of instances) {
      if (instance.member !== member) continue;
      const profile = input.profiles[member]?.[instance.device];
      const share = shares.get(instance.device) ?? 0;
      if (!profile || share === 0) continue;
      throughput += (instanceThroughput(profile, instance.batch, instance.threads) ?? 0) * share;
      batchLatencyMs = Math.max(batchLatencyMs, (latencyOf(profile, instance.batch, instance.threads) ?? Infinity) / share);
      count++;
    }
    return { member, throughput, batchLatencyMs, instances: count };
  });
  let bottleneck = members[0]!;
  for (const m of members) if (m.throughput < bottleneck.throughput) bottleneck = m;
  return { throughput: bottleneck.throughput, bottleneck: bottleneck.member, members, devices: usage };
}

/** Whether a placement fits: memory on every device, and CPU threads within the cores. */
export function fits(usage: readonly DeviceUsage[]): boolean {
  return usage.every((u) => u.memoryBytes <= u.memoryCapacity && (u.cores === undefined || u.cores <= (u.coresCapacity ?? 1)));
}
