/**
 * Predicted throughput of a placement. Every input visits every member, so at an ensemble rate of X
 * rows/s each member processes X, split over its instances in proportion to their capacity c_i
 * (batch / latency, alone). That bounds X three ways:
 * - by each member's capacity: X <= C_m = sum of c_i over its instances;
 * - by each CPU's cores: an instance busy a fraction X / C_m of the time keeps t_i threads busy, so
 *   X * sum(t_i / C_m(i)) <= cores. Work-conserving: a fast member that waits for the slow one leaves
 *   its cores to it, which is what the OS scheduler does with oversubscribed threads;
 * - by each GPU's time: X * sum(1 / C_m(i)) <= 1 (sessions mostly run one after another on a GPU).
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
  const byMember = new Map<string, MemberPrediction>(
    input.members.map((member) => [member, { member, throughput: 0, batchLatencyMs: 0, instances: 0 }]),
  );
  const capacities = instances.map((instance) => {
    const profile = input.profiles[instance.member]?.[instance.device];
    const latencyMs = profile && latencyOf(profile, instance.batch, instance.threads);
    const prediction = byMember.get(instance.member);
    const capacity = latencyMs && latencyMs > 0 ? (instance.batch * 1000) / latencyMs : 0;
    if (prediction) {
      prediction.throughput += capacity;
      // Reported latency: a batch's time when every instance on the device is busy at once (the worst case).
      prediction.batchLatencyMs = Math.max(prediction.batchLatencyMs, (latencyMs ?? Infinity) / (shares.get(instance.device) || 1));
      prediction.instances++;
    }
    return capacity;
  });
  // The work each device does per ensemble row, against what it has: its bound on the ensemble rate.
  // A member a cascade gives only part of the requests (its reach) does that part of a row's work.
  const reach = (member: string) => input.reach?.[member] ?? 1;
  const work = new Map<string, number>();
  instances.forEach((instance, k) => {
    const device = input.devices.find((d) => d.id === instance.device);
    const memberCapacity = byMember.get(instance.member)?.throughput ?? 0;
    if (!device || capacities[k] === 0 || memberCapacity === 0) return;
    const share = ((device.kind === 'cpu' ? instance.threads : 1) * reach(instance.member)) / memberCapacity;
    work.set(device.id, (work.get(device.id) ?? 0) + share);
  });
  const bounds = new Map(
    input.devices.filter((d) => work.has(d.id)).map((d) => [d.id, (d.kind === 'cpu' ? (d.cores ?? 1) : 1) / work.get(d.id)!]),
  );
  // A member goes no faster than its capacity, nor than the devices it shares allow.
  const limits = new Map<string, string>();
  for (const instance of instances) {
    const member = byMember.get(instance.member);
    const bound = bounds.get(instance.device);
    if (member && bound !== undefined && bound * reach(member.member) < member.throughput * (1 - 1e-9)) {
      member.throughput = bound * reach(member.member);
      limits.set(member.member, instance.device);
    }
  }
  // Each member bounds the ensemble at its throughput over its reach (rows it computes per ensemble row).
  const members = [...byMember.values()];
  const rate = (m: MemberPrediction) => m.throughput / reach(m.member);
  let bottleneck = members[0]!;
  for (const m of members) if (rate(m) < rate(bottleneck)) bottleneck = m;
  const prediction: Prediction = {
    throughput: rate(bottleneck),
    bottleneck: bottleneck.member,
    members,
    devices: usageOf(input, byDevice),
  };
  const limitedBy = limits.get(bottleneck.member);
  if (limitedBy) prediction.limitedBy = limitedBy;
  return prediction;
}

/** Whether a placement fits: memory on every device, and CPU threads within the cores. */
export function fits(usage: readonly DeviceUsage[]): boolean {
  return usage.every((u) => u.memoryBytes <= u.memoryCapacity && (u.cores === undefined || u.cores <= (u.coresCapacity ?? 1)));
}
