/**
 * Profiles of declared devices that cannot be measured here, modelled from the model's size and the
 * device's speed. A batch costs a fixed overhead plus the larger of its compute time and the time to
 * stream the weights once (a roofline: small batches are bandwidth-bound, large ones compute-bound).
 */
import { TuttiError } from '@tutti/core';
import type { Device, MemberProfile, ProfilePoint } from './types.js';

export interface ModelCost {
  /** Multiply-accumulates for one row (one sample). */
  macs: number;
  /** Bytes of weights. */
  parameterBytes: number;
  /** Memory one loaded instance takes; estimated from the weights when absent. */
  memoryBytes?: number;
  /** sha256 of the ONNX file, so cached profiles can be found by content. Default ''. */
  modelSha256?: string;
}

/**
 * Runtime memory beyond twice the weights (weights plus activations and workspace of about the same
 * size). On a CPU, 80 MB: with it a ResNet-18 (47 MB of weights) comes to 174 MB, the ~173 MB one
 * onnxruntime session was measured at. On a GPU, 300 MB for the CUDA context and cuDNN workspace.
 */
export const RUNTIME_OVERHEAD_BYTES = { cpu: 80e6, gpu: 300e6 } as const;

/**
 * Speed-up of `threads` intra-op threads over one: near-linear, losing 5% per doubling
 * (2 threads 1.9x, 4 threads 3.6x, 16 threads 13x). onnxruntime measured 1.95x at 2 threads for CNNs;
 * a per-doubling loss keeps the curve rising on many-core hosts where a per-thread one would turn down.
 */
export function threadSpeedup(threads: number): number {
  return threads * 0.95 ** Math.log2(threads);
}

export function estimatedMemoryBytes(parameterBytes: number, device: Device): number {
  return parameterBytes * 2 + RUNTIME_OVERHEAD_BYTES[device.kind];
}

function check(cost: ModelCost, device: Device, batchSizes: readonly number[]): void {
  const problems: string[] = [];
  if (!device.speed) problems.push(`device ${device.id} declares no speed (gmacsPerSecond)`);
  else if (!(device.speed.gmacsPerSecond > 0)) problems.push(`device ${device.id}: gmacsPerSecond must be positive`);
  if (!(cost.macs >= 0) || !(cost.parameterBytes >= 0)) problems.push('macs and parameterBytes must be numbers >= 0');
  if (batchSizes.length === 0 || batchSizes.some((b) => !Number.isInteger(b) || b < 1))
    problems.push(`batch sizes must be integers >= 1, got ${JSON.stringify(batchSizes)}`);
  if (problems.length > 0) throw new TuttiError('INVALID_OPTION', `cannot model a profile: ${problems.join('; ')}`);
}

/** Thread counts to model: 1 on a GPU; on a CPU the requested ones that fit its cores. */
function modelledThreads(device: Device, threadOptions: readonly number[]): number[] {
  if (device.kind === 'gpu') return [1];
  const cores = device.cores ?? 1;
  const threads = [...new Set(threadOptions)].filter((t) => Number.isInteger(t) && t >= 1 && t <= cores).sort((a, b) => a - b);
  if (threads.length === 0)
    throw new TuttiError(
      'INVALID_OPTION',
      `cannot model a profile: no thread count in ${JSON.stringify(threadOptions)} fits the ${cores} cores of ${device.id}`,
    );
  return threads;
}

/** The modelled latency profile of one member on a declared device (source 'cost-model'). */
export function costModelProfile(
  member: string,
  cost: ModelCost,
  device: Device,
  batchSizes: readonly number[],
  threadOptions: readonly number[],
): MemberProfile {
  check(cost, device, batchSizes);
  const { gmacsPerSecond, memoryGBps, overheadMs = 0 } = device.speed!;
  // Without a bandwidth the weights are taken as free to read: the compute term alone.
  const weightsSeconds = memoryGBps ? cost.parameterBytes / (memoryGBps * 1e9) : 0;
  const points: ProfilePoint[] = [];
  for (const threads of modelledThreads(device, threadOptions)) {
    const parallelism = device.kind === 'cpu' ? threadSpeedup(threads) : 1;
    for (const batch of [...new Set(batchSizes)].sort((a, b) => a - b)) {
      const computeSeconds = (batch * cost.macs) / (gmacsPerSecond * 1e9 * parallelism);
      points.push({ batch, threads, latencyMs: overheadMs + Math.max(computeSeconds, weightsSeconds) * 1000 });
    }
  }
  return {
    member,
    modelSha256: cost.modelSha256 ?? '',
    deviceName: device.name,
    source: 'cost-model',
    memoryBytes: cost.memoryBytes ?? estimatedMemoryBytes(cost.parameterBytes, device),
    points,
  };
}
