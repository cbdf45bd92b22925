/**
 * Issue 15: does a second agent host add throughput? Three simulated hosts (network namespaces on
 * one bridge, @tutti/bench's netns.ts): a head serving with no workers of its own, and two agents,
 * each pinned to a core of its own with taskset (this machine has two), so that each agent host has
 * one core as a real host would have its own. The load comes from this process (closed loop,
 * --concurrency requests in flight). Round 1: agent1 alone, then agent2 joins mid-run; later rounds
 * alternate the two phases by cutting agent2's link and bringing it back. A few answers are first
 * checked against onnxruntime run here.
 *
 *   npx tsx bench/multi-host.ts [--ensemble ensembles/zoo-cnn] [--rounds 3] [--seconds 20] [--concurrency 8]
 *                               [--layout grouped|per-instance]
 *
 * --layout: grouped (the allocator's plan, forced grouped; each agent profiles the members on its one
 * core and the head places it: one worker process per agent hosting every member, so a batch
 * crosses the network once per agent) or per-instance (`--one-per-member --threads 1`, no plan: each
 * agent runs a replica of the head's process per member; a batch crosses the network once per member). Needs root. Writes
 * docs/bench/multi-host-<ensemble>-<layout>-c<concurrency>.json.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { TuttiClient, type TensorInput } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { HostProcesses, Network, agentArgs, headArgs, namespacesAvailable, spread, writeCurveKeys } from '@tutti/bench';
import { hardwareLine } from '@tutti/profiler';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TUTTI = join(ROOT, 'packages/cli/bin/tutti.js');
const { values } = parseArgs({
  options: {
    ensemble: { type: 'string', default: 'ensembles/zoo-cnn' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '8' },
    layout: { type: 'string', default: 'grouped' },
  },
});
if (!namespacesAvailable()) throw new Error('bench/multi-host.ts needs root and `ip netns` (it makes network namespaces)');
if (values.layout !== 'grouped' && values.layout !== 'per-instance')
  throw new Error(`--layout must be grouped or per-instance, got ${values.layout}`);
const layoutFlags = values.layout === 'grouped' ? ['--layout', 'grouped'] : ['--one-per-member', '--threads', '1'];
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const ensemble = await loadManifest(join(ROOT, values.ensemble), { generate: true });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const net = Network.create(['head', 'agent1', 'agent2']);
const dir = mkdtempSync(join(tmpdir(), 'tutti-multi-host-'));
const hosts = new HostProcesses(net, ROOT);
const headLog = () => hosts.output('head');

function agent(name: string, core: number): void {
  hosts.start(name, 'taskset', [
    '-c',
    String(core),
    process.execPath,
    TUTTI,
    ...agentArgs({ name, join: `tcp://${net.address('head')}:5700`, dir }),
  ]);
}

/** Requests answered per second over `seconds`, `concurrency` in flight. */
async function throughput(client: TuttiClient, inputs: Record<string, TensorInput>): Promise<number> {
  let answered = 0;
  let failed = 0;
  let measuring = true;
  const started = performance.now();
  const lane = async () => {
    while (measuring) {
      try {
        await client.infer(inputs);
        if (measuring) answered++;
      } catch {
        failed++;
      }
    }
  };
  const lanes = Array.from({ length: concurrency }, lane);
  await sleep(seconds * 1000);
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(lanes);
  if (failed > 0) throw new Error(`${failed} requests failed during a measurement`);
  return answered / elapsed;
}

const results: { round: number; order: string; one: number; two: number; ratio: number }[] = [];
/** The head's last plan across hosts (with a plan, it logs one at each join), as printed. */
let plan: string | undefined;
let checked = 0;
try {
  writeCurveKeys(dir, ['head', 'agent1', 'agent2']);
  const head = net.address('head');
  hosts.start('head', process.execPath, [
    TUTTI,
    ...headArgs({
      ensemble: values.ensemble,
      endpoint: `tcp://${head}:5557`,
      agents: `tcp://${head}:5700`,
      dir,
      agentNames: ['agent1', 'agent2'],
    }),
    ...layoutFlags,
  ]);
  await hosts.until('the head', () => headLog().some((l) => l.includes('ready in')), 120_000);
  agent('agent1', 0);
  const client = new TuttiClient(`tcp://${head}:5557`, { timeoutMs: 60_000 });
  await hosts.until('agent1 to serve', async () => (await client.health().catch(() => ({ ready: false }))).ready, 180_000);

  // A few answers against onnxruntime run here: every member at batch 1, their mean.
  const spec = ensemble.inputs[0]!;
  const shape = [1, ...spec.shape.slice(1)];
  const size = shape.reduce((a, b) => a * b, 1);
  const sessions = await Promise.all(ensemble.members.map((m) => ort.InferenceSession.create(m.path)));
  for (let k = 0; k < 3; k++) {
    const data = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.001 + k));
    const reply = await client.infer({ [spec.name]: { data, shape } });
    const outputs = await Promise.all(sessions.map((s) => s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', data, shape) })));
    const served = reply.outputs[ensemble.outputs[0]!.name]!.data as Float32Array;
    const expected = (c: number) => outputs.reduce((sum, o) => sum + (Object.values(o)[0]!.data as Float32Array)[c]!, 0) / outputs.length;
    const worst = Math.max(...Array.from(served, (v, c) => Math.abs(v - expected(c))));
    if (!(worst < 1e-4)) throw new Error(`answer ${k} differs from onnxruntime's by ${worst}`);
    checked++;
  }
  await Promise.all(sessions.map((s) => s.release()));
  console.log(`${checked} answers equal onnxruntime's (within 1e-4)`);

  const inputs = { [spec.name]: { data: new Float32Array(size).fill(0.5), shape } };
  await throughput(client, inputs); // warm-up
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? ['one', 'two'] : ['two', 'one'];
    const figures: Record<string, number> = {};
    for (const phase of order) {
      if (phase === 'two') {
        if (round === 1) agent('agent2', 1);
        else net.setLink('agent2', true);
        // agent2 serves once its workers have said hello again: wait for the log of its join, then a little.
        await hosts.until('agent2 to join', () => headLog().some((l) => l.includes('agent agent2 joined')), 180_000);
        await sleep(round === 1 ? 15_000 : 3_000);
      } else if (round > 1) {
        net.setLink('agent2', false);
        await sleep(4_000); // past the batcher's 2 s heartbeat timeout: agent2's instances are expired
      }
      figures[phase] = await throughput(client, inputs);
      console.log(`round ${round}: ${phase === 'one' ? 'one agent ' : 'two agents'} ${figures[phase]!.toFixed(2)} req/s`);
    }
    results.push({ round, order: order.join(' then '), one: figures.one!, two: figures.two!, ratio: figures.two! / figures.one! });
  }
  client.close();
  const logged = headLog()
    .filter((l) => l.includes('plan across hosts'))
    .at(-1);
  plan = logged && (JSON.parse(logged.slice(logged.indexOf('{'))) as { msg: string }).msg;
  if (plan) console.log(`\n${plan}`);
} finally {
  await hosts.stopAll();
  net.remove();
  rmSync(dir, { recursive: true, force: true });
}

const ratios = spread(results.map((r) => r.ratio))!;
const summary = {
  ensemble: ensemble.name,
  hardware: hardwareLine(),
  how: 'three network namespaces on one bridge; the head serves with no workers of its own; each agent pinned to one core with taskset -c (agent1 core 0, agent2 core 1); load from the root namespace, closed loop',
  layout: values.layout,
  seconds,
  concurrency,
  answersChecked: checked,
  ...(plan && { plan: plan.split('\n') }),
  rounds: results,
  ratio: ratios,
};
console.log(
  `\n${ensemble.name}: two agents / one agent, median ${ratios.median.toFixed(2)} (${ratios.min.toFixed(2)}-${ratios.max.toFixed(2)}) over ${rounds} rounds (${hardwareLine()})`,
);
const out = join(ROOT, `docs/bench/multi-host-${ensemble.name}-${values.layout}-c${concurrency}.json`);
writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
console.log(`wrote ${out}`);
