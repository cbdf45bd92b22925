/**
 * What one agent pod asks of Kubernetes, from an allocation plan. An agent runs a copy of the head's
 * worker layout (agent-hub.ts), so its pod needs what the plan's instances use: the cores their
 * intra-op threads take, the memory the plan predicts on its devices plus each worker process's own
 * footprint, and one GPU per GPU device the plan uses. Pure.
 */
import type { Plan } from '@tutti/allocator';

/** A worker process's footprint beside its models (Node, onnxruntime, ZeroMQ): measured 60-110 MiB here. */
export const WORKER_PROCESS_BYTES = 128 * 2 ** 20;
/** The agent process itself. */
export const AGENT_PROCESS_BYTES = 96 * 2 ** 20;
const MIB = 2 ** 20;

export interface PodResources {
  /** Cores (Kubernetes cpu units). */
  cpu: number;
  memoryBytes: number;
  gpus: number;
}

/** Requests of one agent pod for `plan`; with no plan, one core and one worker per member. */
export function agentResources(plan: Plan | undefined, members: number): PodResources {
  if (!plan) return { cpu: 1, memoryBytes: AGENT_PROCESS_BYTES + members * WORKER_PROCESS_BYTES, gpus: 0 };
  const kindOf = new Map(plan.devices.map((d) => [d.id, d.kind]));
  // A group's processes compute its members one after another, each on the group's threads.
  const groups = plan.layout?.groups ?? [];
  const grouped = new Set(groups.flatMap((g) => g.members.map((m) => `${m}@${g.device}`)));
  const cpu =
    groups.filter((g) => kindOf.get(g.device) === 'cpu').reduce((sum, g) => sum + g.processes * g.threads, 0) +
    plan.instances
      .filter((i) => kindOf.get(i.device) === 'cpu' && !grouped.has(`${i.member}@${i.device}`))
      .reduce((sum, i) => sum + i.threads, 0);
  const gpus = new Set(plan.instances.filter((i) => kindOf.get(i.device) === 'gpu').map((i) => i.device)).size;
  const processes =
    groups.reduce((sum, g) => sum + g.processes, 0) + plan.instances.filter((i) => !grouped.has(`${i.member}@${i.device}`)).length;
  const modelBytes = plan.predicted.devices.reduce((sum, d) => sum + d.memoryBytes, 0);
  return { cpu: Math.max(1, cpu), memoryBytes: AGENT_PROCESS_BYTES + processes * WORKER_PROCESS_BYTES + modelBytes, gpus };
}

/** Kubernetes quantities: cpu in millicores, memory in MiB rounded up. */
export function quantities(resources: PodResources): { cpu: string; memory: string } {
  return { cpu: `${Math.ceil(resources.cpu * 1000)}m`, memory: `${Math.ceil(resources.memoryBytes / MIB)}Mi` };
}
