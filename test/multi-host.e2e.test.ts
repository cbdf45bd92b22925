/**
 * Issue 15: tutti across hosts, for real, on simulated hosts: Linux network namespaces on one
 * bridge (netns.ts in @tutti/bench). The head (`tutti serve --agents --no-local-workers`, with the
 * plan it allocates) runs in one, two agents (`tutti agent --join`) in two others, each fetching the
 * model files from the head over CurveZMQ into a cache of its own, profiling the members on its
 * devices and being placed by the head's allocator (one plan across hosts); the test's clients reach
 * the head from this process's namespace. Answers are compared with onnxruntime run here. Then one
 * agent's link is cut under load, until the head takes it as gone: retrying clients lose nothing
 * and get no wrong answer, and the server stays ready (the other agent holds an instance of every
 * member); the link comes back, the agent joins again with the same workers and takes work again.
 *
 * Needs root (CI runs as root); skipped elsewhere. Every process and namespace is removed, also
 * when a check fails.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { HostProcesses, Network, agentArgs, headArgs, namespacesAvailable, writeCurveKeys } from '@tutti/bench';
import { digitsLoad, sleep, type DigitsLoad } from './support/digits-load.js';
import { ROOT } from '../packages/cli/test/run-tutti.js';

const TUTTI = join(ROOT, 'packages/cli/bin/tutti.js');
const HOSTS = ['head', 'agent1', 'agent2'];

describe.skipIf(!namespacesAvailable())('across hosts (network namespaces)', () => {
  let net: Network;
  let dir: string;
  let digits: DigitsLoad;
  let hosts: HostProcesses;
  let endpoint: string;
  let headCommand: string[];

  /** Starts `tutti ARGS` on `host`. */
  const tutti = (host: string, args: string[]) => hosts.start(host, process.execPath, [TUTTI, ...args]);
  const until = (what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number) => hosts.until(what, condition, timeoutMs);

  /** The head's count of batches routed to each instance, read from its /metrics inside its namespace. */
  async function routedByInstance(): Promise<Record<string, number>> {
    const text = await hosts.fetch('head', 'http://127.0.0.1:9464/metrics');
    const counts: Record<string, number> = {};
    for (const match of text.matchAll(/^tutti_batches_routed_total\{instance="([^"]+)"\} (\d+)/gm)) counts[match[1]!] = Number(match[2]);
    return counts;
  }

  /** The worker ids the head assigned to `agent`, from its last join line (JSON log). */
  const workersOf = (agent: string): string[] => {
    const line = hosts
      .output('head')
      .filter((l) => l.includes(`agent ${agent} joined`))
      .at(-1);
    return line ? (JSON.parse(line.slice(line.indexOf('{'))) as { workers: string[] }).workers : [];
  };

  /** Batches routed to `agent`'s worker processes. */
  const routedTo = (counts: Record<string, number>, agent: string) => {
    const ids = new Set(workersOf(agent));
    return Object.entries(counts)
      .filter(([id]) => ids.has(id))
      .reduce((sum, [, n]) => sum + n, 0);
  };

  beforeAll(async () => {
    net = Network.create(HOSTS);
    hosts = new HostProcesses(net, ROOT);
    dir = mkdtempSync(join(tmpdir(), 'tutti-hosts-'));
    writeCurveKeys(dir, HOSTS);
    digits = await digitsLoad(60);
    const head = net.address('head');
    endpoint = `tcp://${head}:5555`;
    headCommand = [
      ...headArgs({ ensemble: 'ensembles/digits', endpoint, agents: `tcp://${head}:5700`, dir, agentNames: ['agent1', 'agent2'] }),
      '--metrics-port',
      '9464',
    ];
    const server = tutti('head', headCommand);
    await until('the head to serve', () => server.output.some((l) => l.includes('ready in')), 90_000);
    // One after the other: the second is placed knowing the first.
    for (const agent of ['agent1', 'agent2']) {
      tutti(agent, [...agentArgs({ name: agent, join: `tcp://${head}:5700`, dir }), '--health-port', '9465']);
      await until(`${agent} to join`, () => server.output.some((l) => l.includes(`agent ${agent} joined`)), 90_000);
    }
  }, 120_000);

  afterAll(async () => {
    await hosts?.stopAll();
    net?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('serves digits from two agent hosts, each answer equal to onnxruntime run directly', { timeout: 120_000 }, async () => {
    const client = new TuttiClient(endpoint, { timeoutMs: 10_000 });
    try {
      await until(
        'the ensemble to be ready with the agents',
        async () => (await client.health().catch(() => ({ ready: false }))).ready,
        90_000,
      );
      for (let row = 0; row < digits.rows; row++) {
        const reply = await client.infer({ pixels: { data: digits.pixelsOf(row), shape: [1, 64] } });
        expect(digits.isCorrect(row, reply.outputs.probabilities!.data as Float32Array), `row ${row}`).toBe(true);
      }
      // Both agents fetched every model from the head, into caches of their own.
      for (const agent of ['agent1', 'agent2']) {
        expect(readdirSync(join(dir, `cache-${agent}`)).filter((f) => f.endsWith('.onnx'))).toHaveLength(digits.ensemble.members.length);
      }
      // Each agent was placed by the head's allocator on its own CPU: the plan across hosts names them.
      const plans = hosts.output('head').filter((l) => l.includes('plan across hosts'));
      expect(plans.at(-1)).toMatch(/agent1\s+agent1\/cpu cpu .*\(detected\)/);
      expect(plans.at(-1)).toMatch(/agent2\s+agent2\/cpu cpu .*\(detected\)/);
      for (const agent of ['agent1', 'agent2']) {
        expect(hosts.output(agent).some((l) => l.includes('profiling'))).toBe(true);
        expect(workersOf(agent).length).toBeGreaterThan(0);
      }
      const counts = await routedByInstance();
      expect(routedTo(counts, 'agent1') + routedTo(counts, 'agent2')).toBeGreaterThan(0);
      // Each agent's health endpoint, as a kubelet would probe it: its workers run.
      for (const agent of ['agent1', 'agent2']) expect(await hosts.fetch(agent, 'http://127.0.0.1:9465/ready')).toBe('200\nready\n');
    } finally {
      client.close();
    }
  });

  it(
    'loses nothing when an agent is cut off under load, stays ready, and the agent takes work again when back',
    { timeout: 180_000 },
    async () => {
      const clients = [0, 1].map(() => new TuttiClient(endpoint, { timeoutMs: 20_000, retry: { tries: 3, perTryTimeoutMs: 8_000 } }));
      const probe = new TuttiClient(endpoint, { timeoutMs: 5_000 });
      const tally = { correct: 0, wrong: 0, failed: 0 };
      let phase: 'before' | 'cut' | 'back' = 'before';
      const correctIn = { before: 0, cut: 0, back: 0 };
      let running = true;
      const lane = async (client: TuttiClient, seed: number) => {
        for (let k = seed; running; k++) {
          const row = k % digits.rows;
          try {
            const reply = await client.infer({ pixels: { data: digits.pixelsOf(row), shape: [1, 64] } });
            if (digits.isCorrect(row, reply.outputs.probabilities!.data as Float32Array)) {
              tally.correct++;
              correctIn[phase]++;
            } else tally.wrong++;
          } catch {
            tally.failed++;
          }
        }
      };
      const notReady: string[] = [];
      let watching = true;
      const watch = (async () => {
        while (watching) {
          const health = await probe.health().catch((error: Error) => ({ ready: false, why: error.message }));
          if (!health.ready) notReady.push(`${phase}: ${JSON.stringify(health)}`);
          await sleep(250);
        }
      })();
      try {
        const load = Promise.all(clients.flatMap((client, c) => [0, 1, 2, 3].map((k) => lane(client, c * 17 + k * 5))));
        await until('answers before the cut', () => correctIn.before >= 100, 60_000);
        phase = 'cut';
        net.setLink('agent1', false);
        const cutCounts = await routedByInstance();
        const before = workersOf('agent1');
        // Until the head takes agent1 as gone (no beat for 5 s; the batcher expired its workers after 2 s).
        await until('the head to take agent1 as gone', () => hosts.output('head').some((l) => l.includes('agent agent1 is gone')), 60_000);
        await until('answers while agent1 is cut off', () => correctIn.cut >= 300, 60_000);
        const whileCut = await routedByInstance();
        phase = 'back';
        const joins = hosts.output('head').filter((l) => l.includes('agent agent1 joined')).length;
        net.setLink('agent1', true);
        await until(
          'agent1 to join again',
          () => hosts.output('head').filter((l) => l.includes('agent agent1 joined')).length > joins,
          60_000,
        );
        // It is given its workers back, and keeps them running.
        expect(workersOf('agent1')).toEqual(before);
        expect(hosts.output('agent1').some((l) => /\(\d+ kept, 0 started, 0 stopped\)/.test(l))).toBe(true);
        await until(
          'agent1 to take work again',
          async () => routedTo(await routedByInstance(), 'agent1') > routedTo(whileCut, 'agent1'),
          60_000,
        );
        await until('answers after the link is back', () => correctIn.back >= 100, 60_000);
        running = false;
        await load;
        expect(routedTo(whileCut, 'agent2')).toBeGreaterThan(routedTo(cutCounts, 'agent2'));
      } finally {
        running = false;
        watching = false;
        await watch;
        for (const client of [...clients, probe]) client.close();
      }
      expect(tally.wrong).toBe(0);
      expect(tally.failed).toBe(0);
      expect(notReady).toEqual([]);
    },
  );
  it(
    'is joined again by its agents when the head restarts, and serves from them without fetching the models again',
    { timeout: 180_000 },
    async () => {
      const old = hosts.all.find((r) => r.host === 'head')!;
      old.child.kill('SIGTERM');
      await new Promise((resolve) => (old.child.exitCode !== null ? resolve(undefined) : old.child.once('exit', resolve)));
      const head = tutti('head', headCommand);
      await until('the new head to serve', () => head.output.some((l) => l.includes('ready in')), 90_000);
      // The new head does not know the agents: their next beat is answered REJOIN, and they join it.
      for (const agent of ['agent1', 'agent2']) {
        await until(`${agent} to join the new head`, () => head.output.some((l) => l.includes(`agent ${agent} joined`)), 90_000);
      }
      const client = new TuttiClient(endpoint, { timeoutMs: 10_000 });
      try {
        await until('the ensemble to be ready again', async () => (await client.health().catch(() => ({ ready: false }))).ready, 90_000);
        for (let row = 0; row < digits.rows; row++) {
          const reply = await client.infer({ pixels: { data: digits.pixelsOf(row), shape: [1, 64] } });
          expect(digits.isCorrect(row, reply.outputs.probabilities!.data as Float32Array), `row ${row}`).toBe(true);
        }
      } finally {
        client.close();
      }
      // Each agent fetched each model once, at its first join: the rejoin found them in its cache.
      for (const agent of ['agent1', 'agent2']) {
        const fetched = hosts.output(agent).filter((l) => l.includes('fetching model'));
        expect(fetched).toHaveLength(digits.ensemble.members.length);
      }
    },
  );
});
