/**
 * A worker whose batch computes past the hang timeout is taken as hung: it exits, is restarted, and
 * its batch goes to the new instance. Here one member sits on an emulated device that takes 3 s a
 * batch and the hang timeout is 500 ms: the worker says why it exits, and the supervisor restarts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { DIGITS_DIR } from './support/ensembles.js';
import { rememberPids, stopAndExpectAllGone } from './support/processes.js';
import { HOST_CPU, emulatedDevice, fixedLatencyProfile, planOf } from './support/plans.js';
import { waitFor } from './support/wait.js';

const lines: string[] = [];
let server: Server;
let slowMember: string;
const everyPid = new Set<number>();

beforeAll(async () => {
  const ensemble = await loadManifest(DIGITS_DIR);
  const slow = emulatedDevice('slow0', 'SLOW-EMULATED');
  const [first, ...rest] = ensemble.members.map((m) => m.name);
  slowMember = first!;
  const plan = planOf(
    ensemble,
    [HOST_CPU, slow],
    [
      { member: first!, device: 'slow0', batch: 64, threads: 1 },
      ...rest.map((member) => ({ member, device: 'cpu', batch: 64, threads: 1 })),
    ],
  );
  const profiles = { [first!]: { slow0: fixedLatencyProfile(first!, slow, 3_000) } };
  server = await Server.start(ensemble, {
    endpoint: 'tcp://127.0.0.1:0',
    plan,
    profiles,
    hangTimeoutMs: 500,
    maxFailedRestarts: 1,
    log: (line) => lines.push(line),
  });
  rememberPids(server, everyPid);
});

afterAll(async () => {
  await stopAndExpectAllGone(server, everyPid);
});

describe('hang timeout', () => {
  it('makes a worker that computes past it exit to be restarted, saying why', async () => {
    const client = new TuttiClient(server.endpoint, { timeoutMs: 20_000, retry: { tries: 1 } });
    const worker = server.processes.find((p) => p.role === 'worker' && p.name.includes(slowMember))!;
    try {
      void client.infer({ pixels: { data: new Float32Array(64).fill(2), shape: [1, 64] } }).catch(() => undefined);
      await waitFor(`${worker.name} to be restarted`, () => (server.restarts[worker.name] ?? 0) >= 1, { timeoutMs: 20_000 });
      expect(server.restarts[worker.name]).toBeGreaterThanOrEqual(1);
      // Structured logs (JSON: this test's stderr is no terminal): each line names its process, a worker its instance.
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const hung = entries.find((e) => String(e.msg).includes('a batch has computed for over 500 ms; exiting to be restarted'));
      expect(hung).toMatchObject({ level: 60, process: 'worker', instance: `${slowMember}#0`, pid: worker.pid });
      const exited = entries.find((e) => String(e.msg).includes(`${worker.name} (pid ${worker.pid}) exited unexpectedly with code 3`));
      expect(exited).toMatchObject({ level: 50, process: 'supervisor', child: worker.name, code: 3 });
    } finally {
      client.close();
    }
  });
});
