/**
 * A process that keeps failing is not restarted forever: after `maxFailedRestarts` failed restarts
 * in a row the server gives up on it, says so, and reports not ready. Here a worker's model file
 * disappears under a running server; the worker is killed and cannot start again.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { digitsVariant, type Variant } from './support/ensembles.js';
import { expectAllGone } from './support/processes.js';

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
  for (const p of server?.processes ?? []) everyPid.add(p.pid);
  await server?.stop();
  expectAllGone([...everyPid]);
  variant?.remove();
});

describe('restart limits', () => {
  it('gives up on a worker that cannot start again, after 2 failed restarts, and reports not ready', async () => {
    const ready = async () => (await fetch(`${server.metricsUrl}/ready`)).status;
    expect(await ready()).toBe(200);
    const worker = server.processes.find((p) => p.role === 'worker' && p.name.includes('logreg'))!;
    rmSync(join(variant.dir, 'models', 'logreg.onnx'));
    everyPid.add(worker.pid);
    process.kill(worker.pid, 'SIGKILL');
    for (let waited = 0; gaveUp.length === 0; waited += 50) {
      if (waited > 30_000) throw new Error(`not given up after 30 s:\n${lines.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(gaveUp).toEqual([worker.name]);
    expect(server.givenUp).toEqual([worker.name]);
    expect(server.restarts[worker.name]).toBe(2);
    expect(lines.filter((line) => line.includes(`restarting ${worker.name} failed`))).toHaveLength(2);
    expect(lines.some((line) => line.includes(`giving up on ${worker.name}: it died 3 times in a row`))).toBe(true);
    expect(await ready()).not.toBe(200);
  });
});
