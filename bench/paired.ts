/**
 * Servers compared paired: every server runs at once (an idle server costs nothing), and one client
 * process loads each in turn with short blocks, the order alternated per round. A host that slows
 * down (other tenants, kdamond) slows every server in the same minute, so the ratio of two servers'
 * figures in one round stands where figures from separate runs do not (successive runs of one
 * checkout's idle p50 differed by 45% here, more than most changes under test).
 *
 *   npx tsx bench/paired.ts [--ensemble ensembles/digits] [--rounds 8] [--loads 1,256] [--seconds 2] [--out FILE.json] SYSTEM...
 *
 * A SYSTEM is a checkout of tutti (a folder with its own `pnpm install`), served by its own `tutti
 * serve ENSEMBLE`, or `floor` (bench/floor-server.ts, direct replies; digits only); LABEL=SYSTEM names
 * it, and SYSTEM?NAME=VALUE&... sets environment variables for its processes. The first system is
 * the reference of the ratios. Each block is closed-loop at one load (requests in flight, from
 * this process, on direct replies) for --seconds after a short warm-up; it yields req/s, p50
 * latency, and the CPU per answered request of every server process (from /proc), in all and in the
 * busiest one. Prints medians and ranges over rounds, of the figures and of their ratio to the
 * reference in the same round, and writes every block to --out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { TuttiClient } from '@tutti/client';
import {
  LatencyRecorder,
  clockTicksPerSecond,
  cpuPerRequest,
  formatSpread,
  readCpu,
  roundOrder,
  spread,
  type ProcessRef,
} from '@tutti/bench';
import { loadManifest } from '@tutti/manifest';
import { hardwareLine } from '@tutti/profiler';
import { startFloor } from './lib/floor-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ensemble: { type: 'string', default: 'ensembles/digits' },
    rounds: { type: 'string', default: '8' },
    loads: { type: 'string', default: '1,256' },
    seconds: { type: 'string', default: '2' },
    out: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const loads = values.loads.split(',').map(Number);
const seconds = Number(values.seconds);
if (!(rounds >= 1) || !(seconds > 0) || !loads.every((l) => Number.isInteger(l) && l >= 1))
  throw new Error('--rounds must be >= 1, --seconds > 0, --loads a list of integers >= 1');
if (positionals.length < 2) throw new Error('give at least two systems: checkout folders or floor, as [LABEL=]SYSTEM[?ENV=VALUE&...]');

const WARMUP_MS = 300;
const CLIENTS = 4;
const hz = clockTicksPerSecond();
// One row of every input, zeros but for a ramp (the path's cost does not depend on the values).
const ensemble = await loadManifest(join(ROOT, values.ensemble), { generate: true });
const input = Object.fromEntries(
  ensemble.inputs.map((spec) => {
    const shape = spec.shape.map((d, k) => (k === 0 ? 1 : Math.max(1, d)));
    const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, k) => (k % 17) / 17);
    return [spec.name, { data, shape, datatype: 'FP32' as const }];
  }),
);

interface Block {
  round: number;
  load: number;
  requestsPerSecond: number;
  p50Ms: number;
  cpuUs: number;
  busiestUs: number;
}

interface System {
  label: string;
  endpoint: string;
  child: ChildProcess;
  processes: ProcessRef[];
  clients: TuttiClient[];
  blocks: Block[];
}

/** Starts a system on port 5600 + 10k, waiting for its "ready in" line; reads its processes' ids. */
async function start(spec: string, k: number): Promise<System> {
  const [label, where] = spec.includes('=') ? [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)] : [spec, spec];
  const [folder, query] = where.split('?', 2) as [string, string | undefined];
  const env = { ...process.env, ...Object.fromEntries(new URLSearchParams(query ?? '')) };
  const port = 5600 + 10 * k;
  const endpoint = `tcp://127.0.0.1:${port}`;
  const pidsFile = join(tmpdir(), `tutti-paired-${process.pid}-${k}.pids`);
  if (folder === 'floor') {
    const floor = await startFloor({ ensemble: values.ensemble, endpoint, direct: `tcp://127.0.0.1:${port + 1}`, pidsFile, env });
    return { label, endpoint, child: floor.child, processes: floor.processes, clients: [], blocks: [] };
  }
  const child = spawn(
    join(resolve(folder), 'node_modules/.bin/tutti'),
    ['serve', values.ensemble, '--endpoint', endpoint, '--metrics-port', 'off'],
    {
      cwd: resolve(folder),
      stdio: ['ignore', 'pipe', 'inherit'],
      env,
    },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  // tutti lists its processes after its "ready in" line, and ends the list with "Ctrl-C to stop".
  while (!out.includes('Ctrl-C to stop')) {
    if (child.exitCode !== null) throw new Error(`${label} exited with ${child.exitCode}: ${out}`);
    await Promise.race([once(child.stdout, 'data'), once(child, 'exit')]);
  }
  const processes = [...out.matchAll(/^\s+(\w+)\s.*\bpid (\d+)/gm)].map(([, name, pid]) => ({ name: name!, pid: Number(pid) }));
  return { label, endpoint, child, processes, clients: [], blocks: [] };
}

async function stop(system: System): Promise<void> {
  for (const client of system.clients) client.close();
  if (system.child.exitCode !== null) return;
  system.child.kill('SIGINT');
  await once(system.child, 'exit');
}

/** One closed-loop block: `load` requests in flight for WARMUP_MS, then measured for `seconds`. */
async function block(system: System, load: number, round: number): Promise<Block> {
  const recorder = new LatencyRecorder();
  let measuring = false;
  let done = false;
  let answered = 0;
  const lane = async (client: TuttiClient) => {
    while (!done) {
      const sent = performance.now();
      await client.infer(input);
      if (measuring) {
        answered++;
        recorder.record(performance.now() - sent);
      }
    }
  };
  const lanes = Array.from({ length: load }, (_, n) => lane(system.clients[n % CLIENTS]!));
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const before = readCpu(system.processes);
  const startedAt = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - startedAt) / 1000;
  const cpu = cpuPerRequest(before, readCpu(system.processes), answered, hz);
  done = true;
  await Promise.all(lanes);
  return {
    round,
    load,
    requestsPerSecond: answered / elapsed,
    p50Ms: recorder.summary().p50,
    cpuUs: cpu?.totalUs ?? NaN,
    busiestUs: cpu ? cpu.perProcessUs[cpu.busiest]! : NaN,
  };
}

const systems: System[] = [];
try {
  for (const [k, spec] of positionals.entries()) systems.push(await start(spec, k));
  for (const system of systems) {
    system.clients = Array.from({ length: CLIENTS }, () => new TuttiClient(system.endpoint, { timeoutMs: 30_000 }));
    // Warm: the direct-reply sockets connect, and every process's code is compiled.
    // (200 requests a socket, or 3 s for a slow ensemble.)
    const until = performance.now() + 3_000;
    for (const client of system.clients) for (let n = 0; n < 200 && (n < 2 || performance.now() < until); n++) await client.infer(input);
  }
  for (let round = 1; round <= rounds; round++) {
    for (const load of loads) for (const system of roundOrder(systems, round)) system.blocks.push(await block(system, load, round));
    process.stderr.write(`\rround ${round}/${rounds}`);
  }
  process.stderr.write('\n');
} finally {
  await Promise.all(systems.map(stop));
}

const reference = systems[0]!;
const FIGURES = [
  ['requestsPerSecond', 'req/s', 0],
  ['p50Ms', 'p50 ms', 3],
  ['cpuUs', 'cpu us/req', 1],
  ['busiestUs', 'busiest us/req', 1],
] as const;
console.log(`${rounds} paired rounds, ${seconds} s per block, closed loop on direct replies (${hardwareLine()})`);
const summary = loads.map((load) => {
  console.log(`${load} in flight: median (range) over rounds; ratio to ${reference.label} in the same round`);
  const of = (system: System) => system.blocks.filter((b) => b.load === load);
  return {
    load,
    systems: systems.map((system) => {
      const figures = Object.fromEntries(
        FIGURES.map(([key, name, digits]) => {
          const own = of(system).map((b) => b[key]);
          const ratios = of(system).map((b, n) => b[key] / of(reference)[n]![key]);
          return [key, { name, digits, value: spread(own), ratio: spread(ratios) }];
        }),
      );
      const cells = Object.values(figures).map(
        ({ name, digits, value, ratio }) => `${name} ${formatSpread(value, digits)} [${formatSpread(ratio, 2)}]`,
      );
      console.log(`  ${system.label.padEnd(14)} ${cells.join('   ')}`);
      return { label: system.label, figures };
    }),
  };
});
if (values.out) {
  const blocks = Object.fromEntries(systems.map((s) => [s.label, s.blocks]));
  writeFileSync(
    values.out,
    `${JSON.stringify({ hardware: hardwareLine(), rounds, seconds, reference: reference.label, summary, blocks }, null, 2)}\n`,
  );
}
