/**
 * A process that keeps failing is not restarted forever: after `maxFailedRestarts` failed restarts
 * in a row the server gives up on it, says so, and reports not ready. Here a worker's model file
 * disappears under a running server; the worker is killed and cannot start again. Kills from
 * outside (SIGKILL) are restarted however many there are: they say nothing of the process. And while the
 * combiner is down (its rule module gone), requests still end at their deadline: the batcher answers
 * DEADLINE_EXCEEDED itself, for those it holds in batches as for those still queued.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { digitsVariant, type Variant } from './support/ensembles.js';
import { rememberPids, stopAndExpectAllGone } from './support/processes.js';
import { digitsLoad } from './support/digits-load.js';
import { waitFor } from './support/wait.js';

let variant: Variant;
let server: Server;
const lines: string[] = [];
const gaveUp: string[] = [];
const everyPid = new Set<number>();

beforeAll(async () => {
  variant = digitsVariant('mean');
  server = await Server.start(await loadManifest(variant.dir), {
    endpoint: 'tcp://127.0.0.1:0',
    metricsPort: 0,
    maxFailedRestarts: 2,
    log: (line) => lines.push(line),
    onGiveUp: (name) => gaveUp.push(name),
  });
});

afterAll(async () => {
  await stopAndExpectAllGone(server, everyPid);
  variant?.remove();
});

describe('restart limits', () => {
  it('restarts a worker killed from outside more times than maxFailedRestarts, and serves correctly after', async () => {
    const client = new TuttiClient(server.endpoint, { timeoutMs: 20_000 });
    try {
      for (let kill = 1; kill <= 4; kill++) {
        const worker = server.processes.find((p) => p.role === 'worker' && p.name.includes('mlp-relu-32'))!;
        everyPid.add(worker.pid);
        process.kill(worker.pid, 'SIGKILL');
        await waitFor(`restart ${kill} of ${worker.name}`, () => (server.restarts[worker.name] ?? 0) >= kill, {
          timeoutMs: 30_000,
          detail: () => lines.join('\n'),
        });
      }
      expect(server.givenUp).toEqual([]);
      // The variant serves digits' own models with their rule: its answers are digits' reference answers.
      const digits = await digitsLoad(20);
      for (let row = 0; row < digits.rows; row++) {
        const answer = await client.infer({ pixels: { data: digits.pixelsOf(row), shape: [1, 64] } });
        expect(digits.isCorrect(row, answer.outputs.probabilities!.data as Float32Array)).toBe(true);
      }
    } finally {
      client.close();
    }
  });

  it('gives up on a worker that cannot start again, after 3 failed restarts, and reports not ready', async () => {
    const ready = async () => (await fetch(`${server.metricsUrl}/ready`)).status;
    expect(await ready()).toBe(200);
    const worker = server.processes.find((p) => p.role === 'worker' && p.name.includes('logreg'))!;
    rmSync(join(variant.dir, 'models', 'logreg.onnx'));
    everyPid.add(worker.pid);
    process.kill(worker.pid, 'SIGKILL');
    await waitFor('the server to give up on the worker', () => gaveUp.length > 0, { timeoutMs: 30_000, detail: () => lines.join('\n') });
    expect(gaveUp).toEqual([worker.name]);
    expect(server.givenUp).toEqual([worker.name]);
    // The first death was a kill from outside (not counted); the three failed starts after it were.
    expect(server.restarts[worker.name]).toBe(3);
    expect(lines.filter((line) => line.includes(`restarting ${worker.name} failed`))).toHaveLength(3);
    expect(lines.some((line) => line.includes(`giving up on ${worker.name}: it died 3 times in a row`))).toBe(true);
    expect(await ready()).not.toBe(200);
  });
});

describe('deadlines while the combiner is down', () => {
  it('answers DEADLINE_EXCEEDED from the batcher, for requests in batches and in the queue; none waits past its deadline', async () => {
    const rules = digitsVariant('geometric-mean');
    const downServer = await Server.start(await loadManifest(rules.dir), {
      endpoint: 'tcp://127.0.0.1:0',
      maxFailedRestarts: 2,
      log: () => {},
    });
    rememberPids(downServer, everyPid);
    // The client's own timer waits 200 ms past the 2 s deadline: the server's answer must come first.
    const client = new TuttiClient(downServer.endpoint, { timeoutMs: 2_000 });
    const outcomes: string[] = [];
    let running = true;
    let killed = false;
    const lane = async () => {
      while (running) {
        const sentAfterKill = killed;
        try {
          await client.infer({ pixels: { data: new Float32Array(64).fill(3), shape: [1, 64] } });
          outcomes.push(sentAfterKill ? 'ok after kill' : 'ok');
        } catch (error) {
          outcomes.push((error as Error).message.replace(/request \d+/, 'request N'));
        }
      }
    };
    const lanes = Promise.all(Array.from({ length: 8 }, lane));
    try {
      while (outcomes.length < 200) await new Promise((resolve) => setTimeout(resolve, 10));
      rmSync(join(rules.dir, 'rules'), { recursive: true });
      const combiner = downServer.processes.find((p) => p.role === 'combiner')!;
      everyPid.add(combiner.pid);
      killed = true;
      process.kill(combiner.pid, 'SIGKILL');
      const start = outcomes.length;
      while (outcomes.length < start + 24) await new Promise((resolve) => setTimeout(resolve, 10));
      running = false;
      await lanes;
      const after = outcomes.slice(start);
      const counts = Object.fromEntries([...new Set(after)].map((o) => [o, after.filter((x) => x === o).length]));
      console.log(`combiner down: outcomes after the kill ${JSON.stringify(counts)}`);
      expect(after.filter((o) => o.startsWith('no reply from'))).toEqual([]);
      expect(after.filter((o) => o === 'ok after kill')).toEqual([]);
      expect(after.some((o) => o === 'request N passed its timeout while the combiner was restarting')).toBe(true);
      expect(after.some((o) => o === 'request N waited in the queue past its timeout')).toBe(true);
    } finally {
      running = false;
      await lanes;
      client.close();
      rememberPids(downServer, everyPid);
      await downServer.stop();
      rules.remove();
    }
  });
});
