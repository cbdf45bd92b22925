/**
 * How long the allocator takes on the paper's larger case: twelve members over four declared GPUs
 * and this host's CPU, every profile from the cost model (so no model is loaded).
 *   npx tsx packages/allocator/bench/allocate.bench.ts
 */
import { cpus, totalmem } from 'node:os';
import { costModelProfile, greedy, worstFit, type AllocationInput, type Device, type Plan } from '../src/index.js';

/** Published multiply-accumulates per 224x224 image and weight sizes of common image classifiers. */
const MODELS = [
  { name: 'vit-b16', gmacs: 17.6, parameterMB: 346 },
  { name: 'vgg16', gmacs: 15.5, parameterMB: 553 },
  { name: 'resnet152', gmacs: 11.5, parameterMB: 240 },
  { name: 'wide-resnet50', gmacs: 11.4, parameterMB: 275 },
  { name: 'resnet101', gmacs: 7.8, parameterMB: 178 },
  { name: 'inception-v3', gmacs: 5.7, parameterMB: 95 },
  { name: 'resnet50', gmacs: 4.1, parameterMB: 102 },
  { name: 'resnet34', gmacs: 3.6, parameterMB: 87 },
  { name: 'densenet121', gmacs: 2.9, parameterMB: 32 },
  { name: 'resnet18', gmacs: 1.8, parameterMB: 47 },
  { name: 'efficientnet-b0', gmacs: 0.39, parameterMB: 21 },
  { name: 'mobilenet-v2', gmacs: 0.3, parameterMB: 14 },
];
const BATCH_SIZES = [1, 2, 4, 8, 16, 32, 64];

const host: Device = {
  id: 'cpu',
  kind: 'cpu',
  name: cpus()[0]?.model.trim() ?? 'host',
  memoryBytes: totalmem(),
  cores: cpus().length,
  origin: 'detected',
  speed: { gmacsPerSecond: 40, memoryGBps: 20, overheadMs: 0.5 },
};
const v100 = (id: string): Device => ({
  id,
  kind: 'gpu',
  name: 'V100-SXM2-32GB',
  memoryBytes: 32e9,
  origin: 'declared',
  emulated: true,
  speed: { gmacsPerSecond: 4000, memoryGBps: 900, overheadMs: 1 },
});
const devices = [host, ...[0, 1, 2, 3].map((i) => v100(`gpu${i}`))];
const threadOptions = Array.from({ length: host.cores! }, (_, i) => i + 1);

const problem: AllocationInput = {
  devices,
  members: MODELS.map((m) => m.name),
  profiles: Object.fromEntries(
    MODELS.map((m) => [
      m.name,
      Object.fromEntries(
        devices.map((d) => [
          d.id,
          costModelProfile(m.name, { macs: m.gmacs * 1e9, parameterBytes: m.parameterMB * 1e6 }, d, BATCH_SIZES, threadOptions),
        ]),
      ),
    ]),
  ),
  batchSizes: BATCH_SIZES,
  latencyBudgetMs: 200,
};

function timed(run: (input: AllocationInput) => Plan): { plan: Plan; medianMs: number; maxMs: number } {
  let plan = run(problem); // warm-up: the first call also compiles
  const times: number[] = [];
  for (let k = 0; k < 11; k++) {
    const start = performance.now();
    plan = run(problem);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { plan, medianMs: times[5]!, maxMs: times.at(-1)! };
}

console.log(`12 members x (4 declared V100 + ${host.cores}-core ${host.name}), batch sizes ${BATCH_SIZES.join('/')}, budget 200 ms`);
for (const [name, run] of [
  ['worst-fit', worstFit],
  ['greedy', greedy],
] as const) {
  const { plan, medianMs, maxMs } = timed(run);
  console.log(
    `${name.padEnd(9)} median ${medianMs.toFixed(1)} ms (max ${maxMs.toFixed(1)}), ${plan.instances.length} instances, ${plan.steps.length} steps, predicted ${plan.predicted.throughput.toFixed(0)} rows/s`,
  );
}
