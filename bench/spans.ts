/**
 * Issue 5: where one idle request's time goes. Serves an ensemble with TUTTI_SPANS on (every process
 * marks its steps, see packages/server/src/shared/spans.ts), sends requests one after another from a real
 * client, stops the server, and prints the p50 and p90 of each step of the path.
 *
 *   npx tsx bench/spans.ts [--ensemble ensembles/digits] [--requests 3000] [--layout grouped|per-instance]
 *
 * --layout grouped (the default) hosts every member in one worker process, as the allocator lays out
 * digits; per-instance gives each member a process; floor serves the floor pipeline instead of tutti
 * (bench/floor-server.ts, direct replies: the same marks, for the same steps). Writes
 * docs/bench/spans-<layout>.{json,txt}.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { TuttiClient, type TensorInput } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { parseMarks, stepsOf, summariseSteps, STEPS, type Mark } from '@tutti/bench';
import { hardwareLine } from '@tutti/profiler';
import { startFloor as startPipeline } from './lib/floor-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    ensemble: { type: 'string', default: 'ensembles/digits' },
    requests: { type: 'string', default: '3000' },
    layout: { type: 'string', default: 'grouped' },
  },
});
if (values.layout !== 'grouped' && values.layout !== 'per-instance' && values.layout !== 'floor')
  throw new Error(`--layout must be grouped, per-instance or floor, got ${values.layout}`);
const count = Number(values.requests);
const ensemble = await loadManifest(join(ROOT, values.ensemble), { generate: true });
const folder = mkdtempSync(join(tmpdir(), 'tutti-spans-'));
// The children read it when they start: set before the server spawns them.
process.env.TUTTI_SPANS = folder;

interface Served {
  endpoint: string;
  /** Worker processes: each marks its own steps. */
  workers: number;
  stop(): Promise<void>;
}

async function startTutti(layout: 'grouped' | 'per-instance'): Promise<Served> {
  const groups = layout === 'grouped' ? [{ device: 'cpu', members: ensemble.members.map((m) => m.name), processes: 1, threads: 1 }] : [];
  const server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', groups, log: () => {} });
  return { endpoint: server.endpoint, workers: server.processes.filter((p) => p.role === 'worker').length, stop: () => server.stop() };
}

/** The floor pipeline on fixed ports (it binds no free port of its own). */
async function startFloor(): Promise<Served> {
  const endpoint = 'tcp://127.0.0.1:5575';
  const pidsFile = join(tmpdir(), `tutti-spans-floor-${process.pid}.pids`);
  const floor = await startPipeline({ ensemble: values.ensemble, endpoint, direct: 'tcp://127.0.0.1:5576', pidsFile });
  return { endpoint, workers: 1, stop: () => floor.stop() };
}

/** One row of zeros per input: the path's cost does not depend on the values. */
const inputs: Record<string, TensorInput> = Object.fromEntries(
  ensemble.inputs.map((spec) => {
    const shape = [1, ...spec.shape.slice(1).map((d) => Math.max(1, d))];
    return [spec.name, { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, datatype: spec.datatype }];
  }),
);

const server = values.layout === 'floor' ? await startFloor() : await startTutti(values.layout);
const client = new TuttiClient(server.endpoint, { timeoutMs: 10_000 });
const windows: [number, number][] = [];
try {
  for (let k = 0; k < 200; k++) await client.infer(inputs); // warm-up, and the direct-reply socket connects
  const now = () => performance.timeOrigin + performance.now();
  for (let k = 0; k < count; k++) {
    const sentAt = now();
    await client.infer(inputs);
    windows.push([sentAt, now()]);
    if ((k + 1) % 500 === 0) process.stderr.write(`\r${k + 1}/${count} requests`);
  }
  process.stderr.write('\n');
} finally {
  client.close();
  await server.stop();
}

const marks: Mark[] = readdirSync(folder).flatMap((file) =>
  parseMarks(readFileSync(join(folder, file), 'utf8'), Number(/spans-(\d+)/.exec(file)![1])),
);
rmSync(folder, { recursive: true, force: true });
marks.sort((a, b) => a.t - b.t);
const instances = server.workers;
const requests = windows.map(([sent, answered]) => stepsOf(sent, answered, marks, instances)).filter((r) => r !== undefined);
const summary = summariseSteps(requests);

const lines = [
  `Where an idle request's time goes: ${ensemble.name}, ${values.layout} layout, ${requests.length} of ${count} requests one after another (${hardwareLine()})`,
  '',
  `${'step'.padEnd(28)} ${'p50 ms'.padStart(8)} ${'p90 ms'.padStart(8)}`,
  ...[...STEPS, 'total' as const].map(
    (step) => `${step.padEnd(28)} ${summary[step].p50.toFixed(3).padStart(8)} ${summary[step].p90.toFixed(3).padStart(8)}`,
  ),
  '',
  'Step p50s do not add up to the total p50 exactly: each is the median of its own step.',
];
console.log(lines.join('\n'));
mkdirSync(join(ROOT, 'docs/bench'), { recursive: true });
writeFileSync(join(ROOT, `docs/bench/spans-${values.layout}.txt`), `${lines.join('\n')}\n`);
writeFileSync(
  join(ROOT, `docs/bench/spans-${values.layout}.json`),
  JSON.stringify({ ensemble: ensemble.name, layout: values.layout, hardware: hardwareLine(), requests: requests.length, summary }, null, 2),
);
