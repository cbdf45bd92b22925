/**
 * `tutti demo`: serves the digits ensemble, sends it the held-out digits from several concurrent
 * clients over the real protocol, prints member and ensemble accuracy, throughput and latency
 * percentiles, then stops every process.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { descriptionOf } from './index.js';
import * as hdr from 'hdr-histogram-js';
import { TuttiClient, type InferResult } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { progressReporter } from '@tutti/profiler';
import { Server } from '@tutti/server';
import { planEnsemble } from '@tutti/planner';
import { rssOf } from '@tutti/profiler';
import { readDigits, testSplit } from '../../../../ensembles/digits/data.js';
import { ENSEMBLES_DIR } from '../repo.js';
import { ruleName } from './serve.js';

interface DemoFlags {
  clients: number;
  inFlight: number;
  passes: number;
}

const int = (v: string) => Number.parseInt(v, 10);

export function demoCommand(): Command {
  return new Command('demo')
    .description(descriptionOf('demo'))
    .option('-c, --clients <n>', 'concurrent clients, each with its own socket', int, 8)
    .option('-i, --in-flight <n>', 'requests in flight per client', int, 4)
    .option('-p, --passes <n>', 'passes over the held-out digits (accuracy is scored on the first)', int, 10)
    .addHelpText('after', '\nExample:\n  tutti demo --clients 16 --passes 20')
    .action(async (flags: DemoFlags) => {
      const ensemble = await loadManifest(join(ENSEMBLES_DIR, 'digits'));
      const digits = readDigits();
      const split = testSplit();
      console.log(
        `tutti demo: ${ensemble.name}, ${ensemble.members.length} members (${ensemble.members.map((m) => m.name).join(', ')}), rule ${ruleName(ensemble.rule)}`,
      );
      // Served as `tutti serve` would: on the allocator's plan, whose layout puts these tiny members in one worker process.
      console.log('planning (profiles measured once, then cached)...');
      const reporter = progressReporter(process.stderr);
      let planned;
      try {
        planned = await planEnsemble(ensemble, { onProgress: reporter.onProgress });
      } finally {
        reporter.stop();
      }
      const { plan, profiles } = planned;
      console.log(
        `layout: ${plan.layout?.kind ?? 'per-instance'}${plan.layout?.groups.map((g) => ` (${g.processes} process${g.processes === 1 ? '' : 'es'} hosting ${g.members.length} members)`).join('') ?? ''}; starting processes...`,
      );
      const started = performance.now();
      const server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', plan, profiles });
      console.log(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      try {
        console.log(`serving on ${server.endpoint}: ${server.processes.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`);
        console.log(
          `memory: ${(server.processes.reduce((sum, p) => sum + rssOf(p.pid), 0) / 2 ** 20).toFixed(0)} MiB RSS in ${server.processes.length} processes (supervisor not counted)`,
        );
        const run = await query(server.endpoint, digits, split, flags);
        report(
          run,
          ensemble.members.map((m) => m.name),
          split.length,
          flags,
        );
      } finally {
        await server.stop();
        console.log(`stopped all ${server.processes.length} processes`);
      }
    });
}

interface Run {
  seconds: number;
  requests: number;
  errors: Map<string, number>;
  latencyUs: hdr.Histogram;
  correct: Map<string, number>;
}

async function query(endpoint: string, digits: ReturnType<typeof readDigits>, split: number[], flags: DemoFlags): Promise<Run> {
  const total = split.length * flags.passes;
  const run: Run = {
    seconds: 0,
    requests: 0,
    errors: new Map(),
    latencyUs: hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 }),
    correct: new Map(),
  };
  const score = (name: string, probabilities: Float32Array, label: number) => {
    let best = 0;
    for (let c = 1; c < probabilities.length; c++) if (probabilities[c]! > probabilities[best]!) best = c;
    if (best === label) run.correct.set(name, (run.correct.get(name) ?? 0) + 1);
  };
  const clients = Array.from({ length: flags.clients }, () => new TuttiClient(endpoint, { timeoutMs: 10_000 }));
  let next = 0;
  // Progress on a terminal only: a log file gets the final report, not hundreds of \r lines.
  const progress = setInterval(() => {
    if (process.stderr.isTTY) process.stderr.write(`\r  ${run.requests}/${total} requests answered`);
  }, 250);
  const started = performance.now();
  const lane = async (client: TuttiClient) => {
    for (let n = next++; n < total; n = next++) {
      const index = split[n % split.length]!;
      const firstPass = n < split.length;
      const sent = performance.now();
      let result: InferResult;
      try {
        result = await client.infer({ pixels: { data: digits.pixels[index]!, shape: [1, 64] } }, { members: firstPass });
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'ERROR';
        run.errors.set(code, (run.errors.get(code) ?? 0) + 1);
        continue;
      }
      run.latencyUs.recordValue(Math.max(1, Math.round((performance.now() - sent) * 1000)));
      run.requests++;
      if (!firstPass) continue;
      const label = digits.labels[index]!;
      score('ensemble', result.outputs.probabilities!.data as Float32Array, label);
      for (const [member, outputs] of Object.entries(result.members ?? {}))
        score(member, outputs.probabilities!.data as Float32Array, label);
    }
  };
  try {
    await Promise.all(clients.flatMap((client) => Array.from({ length: flags.inFlight }, () => lane(client))));
  } finally {
    run.seconds = (performance.now() - started) / 1000;
    clearInterval(progress);
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    for (const client of clients) client.close();
  }
  return run;
}

function report(run: Run, members: string[], heldOut: number, flags: DemoFlags): void {
  const pct = (name: string) => `${(((run.correct.get(name) ?? 0) / heldOut) * 100).toFixed(2)}%`;
  const width = Math.max(10, ...members.map((m) => m.length));
  console.log(`\nAccuracy on the ${heldOut} held-out digits (served answers):`);
  for (const member of members) console.log(`  member   ${member.padEnd(width)} ${pct(member)}`);
  console.log(`  ensemble ${'(combined)'.padEnd(width)} ${pct('ensemble')}`);
  const ms = (q: number) => (run.latencyUs.getValueAtPercentile(q) / 1000).toFixed(2);
  console.log(
    `\n${run.requests} requests (one digit each) from ${flags.clients} clients x ${flags.inFlight} in flight in ${run.seconds.toFixed(2)} s`,
  );
  console.log(`  throughput ${(run.requests / run.seconds).toFixed(0)} requests/s`);
  console.log(`  latency    p50 ${ms(50)} ms   p90 ${ms(90)} ms   p99 ${ms(99)} ms   max ${(run.latencyUs.maxValue / 1000).toFixed(2)} ms`);
  console.log(`  errors     ${run.errors.size === 0 ? 'none' : [...run.errors].map(([code, n]) => `${code} x${n}`).join(', ')}`);
}
