/**
 * How long the allocator takes on the paper's larger case: twelve members over four GPUs and a CPU.
 *   npx tsx packages/allocator/bench/allocate.bench.ts
 */
import { cpus } from 'node:os';
import { greedy, worstFit } from '../src/index.js';
import { cpu, gpu, input } from '../test/support.js';

const problem = input([cpu(16, 256), ...[0, 1, 2, 3].map((i) => gpu(`gpu${i}`))], Array.from({ length: 12 }, (_, i) => ({ name: `dnn${i}`, memoryGB: 3 + (i % 5), msPerRow: 1 + i })));
for (const [name, run] of [['worst-fit', worstFit], ['greedy', greedy]] as const) {
  const times: number[] = [];
  let plan = run(problem);
  for (let k = 0; k < 10; k++) {
    const start = performance.now();
    plan = run(problem);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(9)} 12 members x (4 GPUs + 16-core CPU): median ${times[5]!.toFixed(1)} ms, ${plan.instances.length} instances, ${plan.steps.length} steps, predicted ${plan.predicted.throughput.toFixed(0)} rows/s`);
}
console.log(`on ${cpus()[0]?.model.trim()}`);
