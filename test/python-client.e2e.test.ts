/**
 * The Python client (clients/python) against a real server: metadata, health, many requests in
 * flight and one with every member's outputs, answers compared with onnxruntime; direct replies;
 * a bad input refused by name; its own timeout when no server answers; CurveZMQ; and its retries
 * while the batcher is killed under its load (no failed, wrong or duplicate answer). Needs python3
 * with pyzmq, msgpack and numpy (.ci/run installs Debian's); skipped, saying so, without them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curveKeyPair } from 'zeromq';
import { Server } from '@tutti/server';
import { TuttiClient } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { digitsLoad, type DigitsLoad } from './support/digits-load.js';
import { expectAllGone } from './support/processes.js';

const CLIENT_DIR = fileURLToPath(new URL('../clients/python/', import.meta.url));
const python = ['/usr/bin/python3', 'python3'].find(
  (candidate) => spawnSync(candidate, ['-c', 'import zmq, msgpack, numpy'], { stdio: 'ignore' }).status === 0,
);
if (!python)
  console.warn(
    'python client tests skipped: no python3 with zmq, msgpack and numpy (apt-get install python3-zmq python3-msgpack python3-numpy)',
  );

let digits: DigitsLoad;
let dir: string;
let casesPath: string;
const everyPid = new Set<number>();
const servers: Server[] = [];

beforeAll(async () => {
  digits = await digitsLoad(50);
  dir = mkdtempSync(join(tmpdir(), 'tutti-python-'));
  casesPath = join(dir, 'cases.json');
  const rows = Array.from({ length: digits.rows }, (_, k) => k);
  writeFileSync(
    casesPath,
    JSON.stringify({ pixels: rows.map((k) => [...digits.pixelsOf(k)]), expected: rows.map((k) => [...digits.expectedOf(k)]) }),
  );
});

afterAll(async () => {
  for (const server of servers) {
    for (const p of server.processes) everyPid.add(p.pid);
    await server.stop();
  }
  expectAllGone([...everyPid]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs check_server.py; `onLoop` is called when its closed loop starts. Resolves with its summary. */
function runCheck(args: string[], onLoop?: () => void): Promise<Record<string, unknown>> {
  const child = spawn(python!, ['check_server.py', ...args], { cwd: CLIENT_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    if (line === 'LOOP') onLoop?.();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`check_server.py exited with ${code}: ${lines.join('\n')}`));
      else resolve(JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>);
    });
  });
}

describe.skipIf(!python)('the Python client', () => {
  it('passes its own unit tests (tensors, endpoints, options)', () => {
    const run = spawnSync(python!, ['-m', 'unittest', '-v', 'test_tutti_client'], { cwd: CLIENT_DIR, encoding: 'utf8' });
    expect(run.stderr).toMatch(/^OK$/m);
    expect(run.status).toBe(0);
  });

  it('answers like onnxruntime, takes direct replies, names errors, times out alone, and retries through a batcher kill', async () => {
    const server = await Server.start(digits.ensemble, { endpoint: 'tcp://127.0.0.1:0', log: () => {} });
    servers.push(server);
    for (const p of server.processes) everyPid.add(p.pid);
    const summary = await runCheck([server.endpoint, casesPath, '--loop', '3000'], () => {
      const batcher = server.processes.find((p) => p.role === 'batcher')!;
      everyPid.add(batcher.pid);
      process.kill(batcher.pid, 'SIGKILL');
    });
    console.log(`python client: ${JSON.stringify(summary)}; batcher restarts ${server.restarts.batcher}`);
    expect(summary).toMatchObject({
      model: 'digits',
      ready: true,
      direct: true,
      bad_shape: 'INVALID_ARGUMENT',
      nobody: 'DEADLINE_EXCEEDED',
    });
    expect(summary.max_diff as number).toBeLessThan(1e-5);
    expect(summary.members).toEqual([...digits.ensemble.members.map((m) => m.name)].sort());
    expect(summary.loop).toMatchObject({ wrong: 0, failed: {} });
    expect((summary.loop as { answered: number }).answered).toBeGreaterThanOrEqual(3000);
    expect(summary.counts).toMatchObject({ duplicates: 0, late: 0, unknown: 0 });
    expect(server.restarts.batcher).toBe(1);
  });

  it('asks a cascade for an accuracy target, and reads the stage that answered, as the TypeScript client does', async () => {
    const ensemble = await loadManifest(fileURLToPath(new URL('../ensembles/digits-cascade/', import.meta.url)));
    const server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', log: () => {} });
    servers.push(server);
    for (const p of server.processes) everyPid.add(p.pid);
    const pixels = [...digits.pixelsOf(3)];
    const script = [
      'import json, sys',
      'import numpy as np',
      'from tutti_client import TuttiClient',
      'client = TuttiClient(sys.argv[1])',
      'x = np.array([json.loads(sys.argv[2])], dtype=np.float32)',
      'early = client.infer({"pixels": x}, accuracy_target=0.97)',
      'full = client.infer({"pixels": x}, cascade=False)',
      'print(json.dumps({"stage": early.exit_stage, "used": early.members_used, "p": early.outputs["probabilities"][0].tolist(), "full": full.exit_stage}))',
      'client.close()',
    ].join('\n');
    const run = spawnSync(python!, ['-c', script, server.endpoint, JSON.stringify(pixels)], {
      cwd: CLIENT_DIR,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const answer = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { stage: number; used: string[]; p: number[]; full: number | null };
    const client = new TuttiClient(server.endpoint, { timeoutMs: 10_000 });
    try {
      const reply = await client.infer({ pixels: { data: Float32Array.from(pixels), shape: [1, 64] } }, { accuracyTarget: 0.97 });
      expect(answer.stage).toBe(reply.cascade!.exitStage);
      expect(answer.used).toEqual(reply.membersUsed);
      const served = reply.outputs.probabilities!.data as Float32Array;
      expect(Math.max(...answer.p.map((v, c) => Math.abs(v - served[c]!)))).toBeLessThan(1e-6);
      expect(answer.full).toBeNull();
    } finally {
      client.close();
    }
  });

  it('speaks CurveZMQ to a server with an allow-list', async () => {
    const serverKeys = curveKeyPair();
    const alice = curveKeyPair();
    const server = await Server.start(digits.ensemble, {
      endpoint: 'tcp://127.0.0.1:0',
      curve: { ...serverKeys, allowedClients: [alice.publicKey] },
      log: () => {},
    });
    servers.push(server);
    const summary = await runCheck([server.endpoint, casesPath, '--curve', serverKeys.publicKey, alice.publicKey, alice.secretKey]);
    expect(summary).toMatchObject({ model: 'digits', direct: true, bad_shape: 'INVALID_ARGUMENT' });
    expect(summary.max_diff as number).toBeLessThan(1e-5);
  });
});
