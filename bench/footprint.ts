/**
 * What `tutti serve` costs besides speed, as a user starts it: time from the command to ready, and
 * the RSS of every process it runs (the supervisor, i.e. the `tutti serve` process itself, included),
 * for each layout, alternating, several rounds. Writes docs/bench/footprint-<ensemble>.json.
 *
 *   npx tsx bench/footprint.ts [--ensemble ensembles/digits] [--rounds 3] [--label NAME]
 *
 * --label adds a suffix to the file name, e.g. `TUTTI_BUNDLE=0 npx tsx bench/footprint.ts --label tsx`
 * for the children run from their sources under tsx.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { hardwareLine } from '@tutti/profiler';
import { rssOf } from '@tutti/profiler';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    ensemble: { type: 'string', default: 'ensembles/digits' },
    rounds: { type: 'string', default: '3' },
    label: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const layouts = ['grouped', 'per-instance'] as const;

/** Child pids of a process, from /proc. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function once(
  layout: string,
  port: number,
): Promise<{ readySeconds: number; reportedReadySeconds: number; rssMiB: number; supervisorMiB: number; processes: number }> {
  const started = performance.now();
  const serve = spawn(
    process.execPath,
    [
      join(ROOT, 'packages/cli/bin/tutti.js'),
      'serve',
      join(ROOT, values.ensemble),
      '--layout',
      layout,
      '--endpoint',
      `tcp://127.0.0.1:${port}`,
      '--metrics-port',
      'off',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const reported = await new Promise<number>((resolve, reject) => {
      let out = '';
      serve.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const ready = / ready in ([\d.]+) s/.exec(out);
        if (ready && out.includes('Ctrl-C')) resolve(Number(ready[1]));
      });
      serve.once('exit', (code) => reject(new Error(`tutti serve exited with ${code}: ${out}`)));
    });
    const readySeconds = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 1000)); // settle after start, then read memory
    const children = childrenOf(serve.pid!).flatMap((pid) => [pid, ...childrenOf(pid)]);
    const pids = [serve.pid!, ...children];
    const rss = pids.reduce((sum, pid) => sum + rssOf(pid), 0);
    return {
      readySeconds,
      reportedReadySeconds: reported,
      rssMiB: rss / 2 ** 20,
      supervisorMiB: rssOf(serve.pid!) / 2 ** 20,
      processes: pids.length,
    };
  } finally {
    serve.kill('SIGINT');
    await new Promise((resolve) => serve.once('exit', resolve));
  }
}

const results: Record<string, Awaited<ReturnType<typeof once>>[]> = { grouped: [], 'per-instance': [] };
for (let round = 1; round <= rounds; round++) {
  for (const layout of round % 2 ? layouts : [...layouts].reverse()) {
    const result = await once(layout, 6900 + round * 10);
    results[layout]!.push(result);
    console.log(
      `round ${round} ${layout.padEnd(12)}: command to ready ${result.readySeconds.toFixed(1)} s (server start ${result.reportedReadySeconds.toFixed(1)} s), RSS ${result.rssMiB.toFixed(0)} MiB in ${result.processes} processes (supervisor ${result.supervisorMiB.toFixed(0)} MiB)`,
    );
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`\ntutti serve ${values.ensemble}, median of ${rounds} (${hardwareLine()}):`);
for (const [layout, runs] of Object.entries(results)) {
  console.log(
    `  ${layout.padEnd(12)} ready ${median(runs.map((r) => r.reportedReadySeconds)).toFixed(1)} s after profiles and plan (${median(runs.map((r) => r.readySeconds)).toFixed(1)} s from the command), RSS ${median(runs.map((r) => r.rssMiB)).toFixed(0)} MiB in ${runs[0]!.processes} processes`,
  );
}
const out = join(ROOT, `docs/bench/footprint-${basename(values.ensemble)}${values.label ? `-${values.label}` : ''}.json`);
writeFileSync(
  out,
  `${JSON.stringify({ ensemble: values.ensemble, label: values.label, bundled: process.env.TUTTI_BUNDLE !== '0', hardware: hardwareLine(), rounds, results }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
