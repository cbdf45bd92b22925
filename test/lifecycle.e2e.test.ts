/**
 * Process lifecycle: a worker that cannot start is reported by name and nothing is left running;
 * `tutti serve` stops every process on SIGTERM and SIGINT; children do not outlive a supervisor
 * killed with SIGKILL.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { DIGITS_DIR } from './support/ensembles.js';
import { expectAllGone, isAlive } from './support/processes.js';

const TUTTI = fileURLToPath(new URL('../packages/cli/bin/tutti.js', import.meta.url));
const started: ChildProcess[] = [];
const startedPids: number[] = [];

afterEach(() => {
  // Whatever a failed test left behind goes: the CLI and every process it reported.
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const pid of startedPids.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
});

/** tutti processes (batcher, worker, combiner entries) started by `pid`; other children such as esbuild's service don't count. */
function childrenOf(pid: number): number[] {
  let lines: string[];
  try {
    lines = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n');
  } catch {
    return []; // ps exits 1 when there are none
  }
  return lines.filter((line) => line.includes('packages/server/src/')).map((line) => Number.parseInt(line, 10));
}

/** Starts `tutti serve` and resolves with its process and the pids it prints once ready. */
async function serveCli(endpoint = 'tcp://127.0.0.1:0'): Promise<{ cli: ChildProcess; pids: number[]; endpoint: string }> {
  const cli = spawn(process.execPath, [TUTTI, 'serve', DIGITS_DIR, '--endpoint', endpoint, '--one-per-member', '--metrics-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(cli);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    cli.stdout!.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Ctrl-C to stop')) resolve();
    });
    cli.stderr!.on('data', (chunk) => (out += chunk));
    cli.once('exit', (code) => reject(new Error(`tutti serve exited with ${code}:\n${out}`)));
  });
  const pids = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
  startedPids.push(...pids);
  return { cli, pids, endpoint: /on (tcp:\/\/\S+)/.exec(out)![1]! };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));

async function waitUntil(condition: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

describe('process lifecycle', () => {
  it('names a worker that fails to start, with its error, and leaves no process behind', async () => {
    const ensemble = await loadManifest(DIGITS_DIR);
    // A file that is there but is no model: the worker itself fails to load it (a missing file is
    // refused before any process starts, see model-files.test.ts).
    const garbage = join(mkdtempSync(join(tmpdir(), 'tutti-lifecycle-')), 'garbage.onnx');
    writeFileSync(garbage, 'not an onnx model');
    ensemble.members[1]!.path = garbage;
    const failure = Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', log: () => {} });
    await expect(failure).rejects.toMatchObject({ code: 'PROCESS_FAILED' });
    await expect(failure).rejects.toThrow(new RegExp(`worker ${ensemble.members[1]!.name}#0 \\(cpu\\) failed to start: .*garbage.onnx`));
    rmSync(dirname(garbage), { recursive: true, force: true });
    await waitUntil(() => childrenOf(process.pid).length === 0, 5_000);
    expect(childrenOf(process.pid)).toEqual([]);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('tutti serve stops every process on %s', async (signal) => {
    const { cli, pids, endpoint } = await serveCli();
    expect(pids.length).toBe(2 + (await loadManifest(DIGITS_DIR)).members.length);
    const client = new TuttiClient(endpoint, { timeoutMs: 10_000 });
    expect((await client.health()).ready).toBe(true);
    client.close();
    cli.kill(signal);
    expect(await exited(cli)).toBe(0);
    expectAllGone(pids);
  });

  it('SIGTERM under load drains: every accepted request is answered, then the same port serves again at once', async () => {
    const { cli, pids, endpoint } = await serveCli();
    const client = new TuttiClient(endpoint, { timeoutMs: 10_000 });
    const outcomes: Record<string, number> = {};
    let running = true;
    const lane = async () => {
      while (running) {
        try {
          await client.infer({ pixels: { data: new Float32Array(64).fill(1), shape: [1, 64] } });
          outcomes.OK = (outcomes.OK ?? 0) + 1;
        } catch (error) {
          const key = /no reply from/.test((error as Error).message) ? 'NO_REPLY' : (error as { code: string }).code;
          outcomes[key] = (outcomes[key] ?? 0) + 1;
          if (key === 'UNAVAILABLE' || key === 'NO_REPLY') return;
        }
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, lane));
    for (let waited = 0; (outcomes.OK ?? 0) < 200 && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    cli.kill('SIGTERM');
    expect(await exited(cli)).toBe(0);
    running = false;
    await load;
    client.close();
    // Answered, or told the server is stopping: nothing else (no timeout, no other error).
    expect(Object.keys(outcomes).filter((key) => key !== 'OK' && key !== 'UNAVAILABLE')).toEqual([]);
    expect(outcomes.OK).toBeGreaterThanOrEqual(200);
    expectAllGone(pids);
    // The endpoint is free again at once.
    const again = await serveCli(endpoint);
    const second = new TuttiClient(again.endpoint, { timeoutMs: 10_000 });
    try {
      expect((await second.infer({ pixels: { data: new Float32Array(64).fill(1), shape: [1, 64] } })).outputs.probabilities!.shape).toEqual(
        [1, 10],
      );
    } finally {
      second.close();
      again.cli.kill('SIGTERM');
      await exited(again.cli);
    }
    expectAllGone(again.pids);
  });

  it('children exit when the supervisor is killed with SIGKILL', async () => {
    const { cli, pids } = await serveCli();
    cli.kill('SIGKILL');
    await exited(cli);
    await waitUntil(() => !pids.some(isAlive), 5_000);
    expectAllGone(pids);
  });
});
