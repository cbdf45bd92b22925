/**
 * The transport's floor for one idle request: a message goes round a ring of processes over ZeroMQ
 * (ipc), one at a time, doing no work. With one relay it takes 2 hops, as a one-process server
 * (client -> server -> client); with three relays it takes 4, as tutti's path (client -> batcher ->
 * worker -> combiner -> client). Whatever a server adds, it cannot go below its ring's latency.
 * The two rings alternate, several rounds; medians and ranges are printed and written as JSON.
 *
 *   npx tsx bench/hop-floor.ts [--messages 2000] [--rounds 3]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { Pull, Push } from 'zeromq';
import { hardwareLine } from '@tutti/profiler';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = import.meta.resolve('tsx');
const { values } = parseArgs({ options: { messages: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '3' } } });
const messages = Number(values.messages);
const rounds = Number(values.rounds);

async function ring(relays: number): Promise<{ p50: number; p99: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tutti-hops-'));
  const at = (k: number) => `ipc://${join(dir, String(k))}`;
  const children: ChildProcess[] = [];
  const push = new Push({ linger: 0 });
  const pull = new Pull({ linger: 0 });
  try {
    await pull.bind(at(relays));
    for (let k = 0; k < relays; k++) {
      const child = fork(fileURLToPath(new URL('./lib/relay-main.ts', import.meta.url)), [at(k), at(k + 1)], {
        execArgv: ['--import', TSX],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      await new Promise((resolve) => child.once('message', resolve));
    }
    push.connect(at(0));
    const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 });
    const payload = Buffer.alloc(600, 1);
    for (let k = 0; k < messages + 200; k++) {
      const sent = performance.now();
      await push.send(payload);
      await pull.receive();
      if (k >= 200) histogram.recordValue(Math.round((performance.now() - sent) * 1000));
    }
    return { p50: histogram.getValueAtPercentile(50) / 1000, p99: histogram.getValueAtPercentile(99) / 1000 };
  } finally {
    push.close();
    pull.close();
    for (const child of children) child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: Record<string, { p50: number; p99: number }[]> = { '2 hops (one-process server)': [], "4 hops (tutti's path)": [] };
for (let round = 1; round <= rounds; round++) {
  const order = round % 2 === 1 ? [1, 3] : [3, 1];
  for (const relays of order) {
    const result = await ring(relays);
    results[relays === 1 ? '2 hops (one-process server)' : "4 hops (tutti's path)"]!.push(result);
    console.log(`round ${round}: ${relays + 1} hops: p50 ${result.p50.toFixed(3)} ms  p99 ${result.p99.toFixed(3)} ms`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `\nIdle round trip through a ring of processes, ZeroMQ ipc, no work (${hardwareLine()}), median (min-max) of ${rounds} rounds:`,
);
for (const [name, runs] of Object.entries(results)) {
  const p50s = runs.map((r) => r.p50);
  console.log(
    `  ${name.padEnd(28)} p50 ${median(p50s).toFixed(3)} (${Math.min(...p50s).toFixed(3)}-${Math.max(...p50s).toFixed(3)}) ms   p99 ${median(runs.map((r) => r.p99)).toFixed(3)} ms`,
  );
}
const out = join(ROOT, 'docs/bench/hop-floor.json');
writeFileSync(out, `${JSON.stringify({ hardware: hardwareLine(), messages, rounds, results }, null, 2)}\n`);
console.log(`wrote ${out}`);
