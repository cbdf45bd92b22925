/**
 * Generates the zoo-cnn members (if missing) and measures each one alone: MACs and parameters per
 * image, and images/s in onnxruntime-node on the CPU at batch 1 and 8 with one intra-op thread,
 * and at batch 1 with two. Each figure is the best of three timed windows, since other processes
 * sharing the cores only ever make a window slower. The figures in README.md come from this script:
 *
 *   npx tsx ensembles/zoo-cnn/measure.ts [seconds per window, default 2]
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

import { countModelCost, ensureZooModel, type ZooSpec } from '@tutti/zoo';
import * as ort from 'onnxruntime-node';
import { parse } from 'yaml';

const DIR = fileURLToPath(new URL('./', import.meta.url));

interface Member {
  name: string;
  path: string;
  generate: ZooSpec;
}

async function imagesPerSecond(path: string, batch: number, threads: number, seconds: number): Promise<number> {
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  try {
    const data = Float32Array.from({ length: batch * 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.37));
    const feeds = { image: new ort.Tensor('float32', data, [batch, 3, 224, 224]) };
    for (let i = 0; i < 3; i++) await session.run(feeds); // warm-up: first runs allocate and pick kernels
    let best = 0;
    for (let window = 0; window < 3; window++) {
      let runs = 0;
      const started = performance.now();
      while (performance.now() - started < seconds * 1000) {
        await session.run(feeds);
        runs++;
      }
      best = Math.max(best, (runs * batch * 1000) / (performance.now() - started));
    }
    return best;
  } finally {
    await session.release();
  }
}

const seconds = Number(process.argv[2] ?? 2);
console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} cores`);
const manifest = parse(readFileSync(new URL('./manifest.yaml', import.meta.url), 'utf8')) as { members: Member[] };
console.log('| member | stages | width | MMACs/image | parameters | images/s b1 1 thread | images/s b8 1 thread | images/s b1 2 threads |');
console.log('|---|---|---|---:|---:|---:|---:|---:|');
for (const member of manifest.members) {
  const path = `${DIR}${member.path}`;
  const { generated } = await ensureZooModel(member.generate, path);
  if (generated) console.error(`generated ${member.path}`);
  const cost = countModelCost(readFileSync(path));
  const spec = member.generate as Extract<ZooSpec, { kind: 'resnet' }>;
  const speeds = [await imagesPerSecond(path, 1, 1, seconds), await imagesPerSecond(path, 8, 1, seconds), await imagesPerSecond(path, 1, 2, seconds)];
  console.log(`| ${member.name} | [${spec.stages.join(', ')}] | ${spec.width} | ${(cost.macs / 1e6).toFixed(0)} | ${(cost.parameters / 1e6).toFixed(2)}M | ${speeds.map((s) => s.toFixed(1)).join(' | ')} |`);
}
