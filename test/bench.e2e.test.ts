/**
 * The load generator against a real server: separate client processes in a closed loop and in an
 * open (Poisson) loop; what they count must match what the server's metrics counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { histogramSums, runStep } from '@tutti/bench';
import { loadManifest, type Ensemble } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { DIGITS_DIR } from './support/ensembles.js';
import { expectAllGone } from './support/processes.js';

let ensemble: Ensemble;
let server: Server;

beforeAll(async () => {
  ensemble = await loadManifest(DIGITS_DIR);
  server = await Server.start(ensemble, { endpoint: 'tcp://127.0.0.1:0', metricsPort: 0, log: () => {} });
});

afterAll(async () => {
  const pids = server?.processes.map((p) => p.pid) ?? [];
  await server?.stop();
  expectAllGone(pids);
});

const served = async () =>
  histogramSums(await (await fetch(`${server.metricsUrl}/metrics`)).text()).get('tutti_request_duration_seconds')?.count ?? 0;

describe('load generator', () => {
  it('closed loop: counts answered requests, errors none, and the server agrees on the total', async () => {
    const before = await served();
    const step = await runStep({
      endpoint: server.endpoint,
      inputs: ensemble.inputs,
      mode: 'closed',
      load: 8,
      processes: 2,
      warmupSeconds: 0.5,
      seconds: 1.5,
    });
    const after = await served();
    expect(step.errors).toEqual({});
    expect(step.requests).toBeGreaterThan(10);
    expect(step.latency.count).toBe(step.requests);
    expect(step.latency.p50).toBeGreaterThan(0);
    // The server also answered the warm-up requests, which the generator does not count.
    expect(after - before).toBeGreaterThanOrEqual(step.requests);
    // answeredAll is every answer the clients got, warm-up included: exactly what the server answered.
    expect(after - before).toBe(step.answeredAll);
  });

  it('open loop: sends at the asked Poisson rate', async () => {
    const step = await runStep({
      endpoint: server.endpoint,
      inputs: ensemble.inputs,
      mode: 'open',
      load: 200,
      processes: 2,
      warmupSeconds: 0.5,
      seconds: 2,
    });
    // 400 expected over 2 s; a Poisson count has sd 20: 5 sd either way.
    expect(step.requests).toBeGreaterThan(300);
    expect(step.requests).toBeLessThan(500);
    expect(step.errors).toEqual({});
    // 200/s is far below what digits serves here: answered within the window, no backlog growth.
    expect(step.fellBehind).toBe(false);
  });
});
