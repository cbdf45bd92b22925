/**
 * Metrics: served requests show up in the merged Prometheus view of all processes; /live answers;
 * /ready is 503 while a member has no warmed instance and 200 once it has.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { TuttiClient } from '@tutti/client';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { DIGITS_DIR } from './support/ensembles.js';
import { expectAllGone } from './support/processes.js';

let ensemble: Ensemble;
let server: Server;
const pids = new Set<number>();

beforeAll(async () => {
  ensemble = await loadManifest(DIGITS_DIR);
  server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', metricsPort: 0, log: () => {} });
});

afterAll(async () => {
  for (const p of server?.processes ?? []) pids.add(p.pid);
  await server?.stop();
  expectAllGone([...pids]);
});

/** The value of one series in Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics endpoint', () => {
  it('counts served requests, errors, batches and compute time across processes', async () => {
    const client = new TuttiClient(server.endpoint, { timeoutMs: 10_000 });
    const raw = new Dealer({ linger: 0, receiveTimeout: 5_000 });
    raw.connect(server.endpoint);
    try {
      await Promise.all(Array.from({ length: 20 }, () => client.infer({ pixels: { data: new Float32Array(64).fill(1), shape: [1, 64] } })));
      await raw.send(Buffer.from('not msgpack at all'));
      await raw.receive();
    } finally {
      client.close();
      raw.close();
    }
    const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
    expect(sample(text, 'tutti_requests_total{op="infer",outcome="accepted"}')).toBe(20);
    expect(sample(text, 'tutti_requests_total{op="unknown",outcome="INVALID_ARGUMENT"}')).toBe(1);
    expect(sample(text, 'tutti_inferences_total{outcome="ok"}')).toBe(20);
    expect(sample(text, 'tutti_request_duration_seconds_count')).toBe(20);
    expect(sample(text, 'tutti_batch_size_sum')).toBe(20);
    expect(sample(text, 'tutti_ready')).toBe(1);
    for (const member of ensemble.members) {
      expect(sample(text, `tutti_instances{member="${member.name}",device="cpu"}`)).toBe(1);
      expect(sample(text, `tutti_member_compute_seconds_count{member="${member.name}",device="cpu"}`)).toBeGreaterThanOrEqual(1);
    }
  });

  it('answers /live, and /ready only while every member has a warmed instance', async () => {
    expect((await fetch(`${server.metricsUrl}/live`)).status).toBe(200);
    expect((await fetch(`${server.metricsUrl}/ready`)).status).toBe(200);
    const worker = server.processes.find((p) => p.role === 'worker')!;
    pids.add(worker.pid);
    process.kill(worker.pid, 'SIGKILL');
    const seen: number[] = [];
    const start = performance.now();
    while (performance.now() - start < 20_000) {
      const status = (await fetch(`${server.metricsUrl}/ready`)).status;
      if (seen.at(-1) !== status) seen.push(status);
      if (status === 200 && seen.includes(503)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // Possibly 200 first (the kill not yet noticed), then down while the member restarts, up once warmed.
    expect(seen.slice(seen.indexOf(503))).toEqual([503, 200]);
    const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
    expect(sample(text, `tutti_process_restarts_total{process="${worker.name}"}`)).toBe(1);
  });
});
