/**
 * Issue 12: what one idle request costs each process, in thread wake-ups and CPU. Serves digits,
 * sends requests one after another from a real client (in this process, with the supervisor), and
 * reads every thread's context switches and CPU ticks from /proc around them. On this host (a VM
 * where a context switch is dear) an idle request's CPU follows its wake-ups: each message between
 * two processes wakes the sender's ZeroMQ I/O thread, the receiver's, and the receiver's main thread.
 *
 *   npx tsx bench/wakeups.ts [--requests 2000] [--layout grouped|per-instance]
 *
 * Writes docs/bench/wakeups-<layout>.json.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { TuttiClient, type TensorInput } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { hardwareLine } from '@tutti/profiler';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: { requests: { type: 'string', default: '2000' }, layout: { type: 'string', default: 'grouped' } },
});
if (values.layout !== 'grouped' && values.layout !== 'per-instance')
  throw new Error(`--layout must be grouped or per-instance, got ${values.layout}`);
const count = Number(values.requests);
const ensemble = await loadManifest(join(ROOT, 'ensembles/digits'), { generate: true });
const inputs: Record<string, TensorInput> = Object.fromEntries(
  ensemble.inputs.map((spec) => {
    const shape = [1, ...spec.shape.slice(1).map((d) => Math.max(1, d))];
    return [spec.name, { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, datatype: spec.datatype }];
  }),
);

interface ThreadCounts {
  name: string;
  switches: number;
  involuntary: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

function threadsOf(pid: number): Map<string, ThreadCounts> {
  const threads = new Map<string, ThreadCounts>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)![1]);
      const involuntary = field('nonvoluntary_ctxt_switches');
      threads.set(tid, {
        // Node names all its threads "node": the main thread is the one whose id is the process's.
        name: tid === String(pid) ? 'main' : /Name:\s+(.*)/.exec(status)![1]!,
        switches: field('\\bvoluntary_ctxt_switches') + involuntary,
        involuntary,
        ticks: Number(fields[11]) + Number(fields[12]),
      });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux
const groups =
  values.layout === 'grouped' ? [{ device: 'cpu', members: ensemble.members.map((m) => m.name), processes: 1, threads: 1 }] : [];
const server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', groups, log: () => {} });
const client = new TuttiClient(server.endpoint, { timeoutMs: 10_000 });
let report;
try {
  for (let k = 0; k < 300; k++) await client.infer(inputs); // warm-up, and the direct-reply socket connects
  const processes = [...server.processes, { name: 'supervisor and client (this process)', role: 'bench', pid: process.pid }];
  const before = processes.map((p) => threadsOf(p.pid));
  const latencies: number[] = [];
  for (let k = 0; k < count; k++) {
    const sent = performance.now();
    await client.infer(inputs);
    latencies.push(performance.now() - sent);
    if ((k + 1) % 500 === 0) process.stderr.write(`\r${k + 1}/${count} requests`);
  }
  process.stderr.write('\n');
  const after = processes.map((p) => threadsOf(p.pid));
  latencies.sort((a, b) => a - b);
  report = {
    ensemble: ensemble.name,
    layout: values.layout,
    hardware: hardwareLine(),
    requests: count,
    p50Ms: latencies[Math.floor(count / 2)],
    processes: processes.map((p, i) => {
      const threads = [...after[i]!].map(([tid, a]) => {
        const b = before[i]!.get(tid) ?? { switches: 0, involuntary: 0, ticks: 0 };
        return {
          thread: a.name,
          wakeupsPerRequest: (a.switches - b.switches) / count,
          involuntaryPerRequest: (a.involuntary - b.involuntary) / count,
          cpuUsPerRequest: ((a.ticks - b.ticks) * TICK_US) / count,
        };
      });
      const sum = (key: 'wakeupsPerRequest' | 'cpuUsPerRequest') => threads.reduce((s, t) => s + t[key], 0);
      return {
        name: p.name,
        role: p.role,
        wakeupsPerRequest: sum('wakeupsPerRequest'),
        cpuUsPerRequest: sum('cpuUsPerRequest'),
        threads: threads.filter((t) => t.wakeupsPerRequest >= 0.05 || t.cpuUsPerRequest >= 5),
      };
    }),
  };
} finally {
  client.close();
  await server.stop();
}

console.log(
  `One idle request after another: ${ensemble.name}, ${values.layout} layout, ${count} requests (${report.hardware}); p50 ${report.p50Ms!.toFixed(3)} ms`,
);
console.log(`${'process'.padEnd(44)} ${'wake-ups'.padStart(9)} ${'CPU us'.padStart(8)}   (per request; threads: wake-ups)`);
for (const p of report.processes) {
  const threads = p.threads.map((t) => `${t.thread} ${t.wakeupsPerRequest.toFixed(2)}`).join(', ');
  console.log(
    `${p.name.slice(0, 44).padEnd(44)} ${p.wakeupsPerRequest.toFixed(2).padStart(9)} ${p.cpuUsPerRequest.toFixed(0).padStart(8)}   ${threads}`,
  );
}
const out = join(ROOT, `docs/bench/wakeups-${values.layout}.json`);
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${out}`);
