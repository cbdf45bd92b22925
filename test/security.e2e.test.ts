/**
 * CurveZMQ on the client endpoint: a client whose public key is on the allow-list is served over an
 * encrypted connection; a client with another key, and a plaintext client, are refused (never
 * answered) and counted in the batcher's log. The combiner's port for direct replies is guarded the
 * same way: the allowed client's replies come straight from it.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer, curveKeyPair } from 'zeromq';
import { TuttiClient } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { DIGITS_DIR } from './support/ensembles.js';
import { expectAllGone } from './support/processes.js';

const serverKeys = curveKeyPair();
const alice = curveKeyPair();
const mallory = curveKeyPair();
const lines: string[] = [];
let server: Server;

beforeAll(async () => {
  server = await Server.start(await loadManifest(DIGITS_DIR), {
    endpoint: 'tcp://127.0.0.1:0',
    curve: { ...serverKeys, allowedClients: [alice.publicKey] },
    metricsPort: 0,
    log: (line) => lines.push(line),
  });
});

afterAll(async () => {
  const pids = server?.processes.map((p) => p.pid) ?? [];
  await server?.stop();
  expectAllGone(pids);
});

const request = (client: TuttiClient) => client.infer({ pixels: { data: new Float32Array(64).fill(4), shape: [1, 64] } });

describe('CurveZMQ with an allow-list', () => {
  it('serves an allowed client, with direct replies over CurveZMQ too', async () => {
    const client = new TuttiClient(server.endpoint, { timeoutMs: 10_000, curve: { serverPublicKey: serverKeys.publicKey, ...alice } });
    try {
      expect((await request(client)).outputs.probabilities!.shape).toEqual([1, 10]);
      expect(client.directReplies).toBe(true);
      const direct = async () =>
        Number(/^tutti_replies_total\{path="direct"\} (\d+)/m.exec(await (await fetch(`${server.metricsUrl}/metrics`)).text())?.[1] ?? 0);
      // Until the second socket's CURVE handshake is done, replies come the other way: wait for one that went direct.
      for (let tries = 0; ; tries++) {
        const was = await direct();
        await request(client);
        if ((await direct()) > was) break;
        if (tries === 200) throw new Error('no reply ever went direct');
      }
      const before = await direct();
      for (let k = 0; k < 5; k++) expect((await request(client)).outputs.probabilities!.shape).toEqual([1, 10]);
      expect((await direct()) - before).toBe(5);
    } finally {
      client.close();
    }
  });

  it('refuses and counts a client with an unknown key, and a plaintext client', async () => {
    const stranger = new TuttiClient(server.endpoint, { timeoutMs: 1_500, curve: { serverPublicKey: serverKeys.publicKey, ...mallory } });
    const plain = new TuttiClient(server.endpoint, { timeoutMs: 1_500 });
    try {
      await expect(request(stranger)).rejects.toThrow(/no reply/);
      await expect(request(plain)).rejects.toThrow(/no reply/);
    } finally {
      stranger.close();
      plain.close();
    }
    const refused = lines.filter((line) => line.includes('refused client key'));
    expect(refused.some((line) => line.includes(mallory.publicKey))).toBe(true);
    expect(refused.some((line) => line.includes(alice.publicKey))).toBe(false);
  });

  it('guards the direct-reply port with the same allow-list', async () => {
    const allowed = new TuttiClient(server.endpoint, { timeoutMs: 10_000, curve: { serverPublicKey: serverKeys.publicKey, ...alice } });
    const { replies } = await allowed.metadata();
    allowed.close();
    // Mallory goes straight for the combiner's port, under a routing id of its choosing.
    const thief = new Dealer({
      linger: 0,
      routingId: 'tutti-thief',
      curveServerKey: serverKeys.publicKey,
      curvePublicKey: mallory.publicKey,
      curveSecretKey: mallory.secretKey,
    });
    thief.connect(replies!);
    try {
      const refusedHere = () => lines.some((line) => line.includes('direct-reply port') && line.includes(mallory.publicKey));
      for (let waited = 0; !refusedHere() && waited < 5_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(refusedHere()).toBe(true);
    } finally {
      thief.close();
    }
  });

  it('keeps its ipc sockets in a directory only its own user can open', () => {
    const { workers, combinerInput } = server.internalEndpoints;
    for (const endpoint of [workers, combinerInput]) {
      expect(endpoint).toMatch(/^ipc:\/\//);
      expect(statSync(dirname(endpoint.slice('ipc://'.length))).mode & 0o777).toBe(0o700);
    }
  });

  it("keeps the configuration, secret key included, off every process's command line (ps shows it to any user)", () => {
    expect(server.processes.length).toBeGreaterThanOrEqual(3);
    for (const { pid, name } of server.processes) {
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\u0000', ' ');
      expect(commandLine, name).not.toContain(serverKeys.secretKey);
      expect(commandLine, name).not.toContain('"role"');
    }
  });
});
