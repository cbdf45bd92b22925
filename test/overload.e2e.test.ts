/**
 * Sustained overload: for a minute (TUTTI_OVERLOAD_SECONDS), far more requests in flight than the
 * server can queue. Past the queue bound requests get RESOURCE_EXHAUSTED at once; every request is
 * answered; the memory of all server processes stays within a stated bound; and when the load
 * drops, service is normal again.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { digitsVariant, type Variant } from './support/ensembles.js';
import { expectAllGone } from './support/processes.js';

const SECONDS = Number(process.env.TUTTI_OVERLOAD_SECONDS ?? 60);
/**
 * The stated bound on the memory of all server processes together under sustained overload: it
 * grows by less than RSS_GROWTH_BOUND in all (V8's heaps settle at sizes that depend on GC timing:
 * 76-112 MiB measured here, more when the host is busy).
 *
 * Whether it has stopped growing by the end is printed, not asserted: the RSS saw-tooths with V8's
 * major GCs (over a 120 s run alone it rose from -6 to +47 MiB and fell back every ~30 s, its lows
 * flat within 6 MiB), and in full suite runs the second half's low sat 31-45 MiB above the first's
 * while runs of this file alone showed none: a 60 s bound on it failed without telling a leak from
 * GC timing. Over a 150 s soak of the same load, the batcher's JS heap after each full GC stayed at
 * 7.5-9.7 MB (--trace-gc): what RSS gains is native memory (ZeroMQ's buffers, malloc's arenas).
 */
const RSS_GROWTH_BOUND = 160 * 2 ** 20;
let variant: Variant;
let server: Server;

beforeAll(async () => {
  variant = digitsVariant('mean', undefined, { maxQueue: 256 });
  server = await Server.start(await loadManifest(variant.dir), { endpoint: 'tcp://127.0.0.1:0', log: () => {} });
});

afterAll(async () => {
  const pids = server?.processes.map((p) => p.pid) ?? [];
  await server?.stop();
  variant?.remove();
  expectAllGone(pids);
});

function serverRss(): number {
  return server.processes.reduce((sum, p) => {
    const line = readFileSync(`/proc/${p.pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'))!;
    return sum + Number(/(\d+)/.exec(line)![1]) * 1024;
  }, 0);
}

describe('sustained overload', () => {
  it(
    `refuses what it cannot queue for ${SECONDS} s, answers everything, keeps memory within its bound, then recovers`,
    async () => {
      const clients = [0, 1, 2, 3].map(() => new TuttiClient(server.endpoint, { timeoutMs: 30_000 }));
      const pixels = new Float32Array(64).fill(2);
      const counts: Record<string, number> = {};
      let running = true;
      const lane = async (client: TuttiClient) => {
        while (running) {
          try {
            await client.infer({ pixels: { data: pixels, shape: [1, 64] } });
            counts.OK = (counts.OK ?? 0) + 1;
          } catch (error) {
            const key = /no reply from/.test((error as Error).message) ? 'NO_REPLY' : (error as { code: string }).code;
            counts[key] = (counts[key] ?? 0) + 1;
          }
        }
      };
      // 2,000 requests always in flight against a queue of 256: refusals come back at once and are re-sent.
      const load = Promise.all(Array.from({ length: 2000 }, (_, i) => lane(clients[i % 4]!)));
      const samples: number[] = [];
      const started = performance.now();
      await new Promise((r) => setTimeout(r, Math.min(5, SECONDS / 4) * 1000));
      const baseline = serverRss();
      while (performance.now() - started < SECONDS * 1000) {
        await new Promise((r) => setTimeout(r, 1000));
        samples.push(serverRss() - baseline);
      }
      running = false;
      await load;
      const seconds = (performance.now() - started) / 1000;
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      const growth = Math.max(...samples);
      const half = Math.floor(samples.length / 2);
      const lateGrowth = Math.min(...samples.slice(half)) - Math.min(...samples.slice(0, half));
      // Load gone: a plain request is served normally.
      const sent = performance.now();
      const after = await clients[0]!.infer({ pixels: { data: pixels, shape: [1, 64] } });
      const afterMs = performance.now() - sent;
      for (const client of clients) client.close();
      console.log(
        `overload: ${seconds.toFixed(0)} s, offered ${(total / seconds).toFixed(0)} req/s, served ${((counts.OK ?? 0) / seconds).toFixed(0)} req/s, ${JSON.stringify(counts)}; ` +
          `server RSS grew at most ${(growth / 2 ** 20).toFixed(1)} MiB (bound ${RSS_GROWTH_BOUND / 2 ** 20} MiB), ` +
          `${(lateGrowth / 2 ** 20).toFixed(1)} MiB more in the second half's low than the first's; after the load, one request took ${afterMs.toFixed(1)} ms`,
      );
      // The load was beyond capacity: a real share refused (not a fixed ratio: capacity rises as the
      // serving path gets faster: 9.9% were refused in a run at stop 11, with the children bundled).
      // Without the queue bound nothing would be refused at all.
      expect(counts.RESOURCE_EXHAUSTED).toBeGreaterThan(total * 0.02);
      expect(counts.OK).toBeGreaterThan(0);
      expect(counts.NO_REPLY ?? 0).toBe(0);
      expect(Object.keys(counts).sort()).toEqual(['OK', 'RESOURCE_EXHAUSTED']);
      expect(growth).toBeLessThan(RSS_GROWTH_BOUND);
      expect(after.outputs.probabilities!.shape).toEqual([1, 10]);
    },
    (SECONDS + 120) * 1000,
  );
});
