/**
 * Overload: bursts far beyond what the server can queue. Past the queue bound new requests get
 * RESOURCE_EXHAUSTED at once; every request is answered; the batcher's memory stays flat.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TuttiClient } from '@tutti/client';
import { loadManifest } from '@tutti/manifest';
import { Server } from '@tutti/server';
import { digitsVariant, type Variant } from './support/ensembles.js';
import { expectAllGone } from './support/processes.js';

let variant: Variant;
let server: Server;

beforeAll(async () => {
  variant = digitsVariant('mean', undefined, { maxQueue: 32 });
  server = await Server.start(await loadManifest(variant.dir), { endpoint: 'tcp://127.0.0.1:0', log: () => {} });
});

afterAll(async () => {
  const pids = server?.processes.map((p) => p.pid) ?? [];
  await server?.stop();
  variant?.remove();
  expectAllGone(pids);
});

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

describe('overload', () => {
  it('refuses what it cannot queue with RESOURCE_EXHAUSTED, answers everything, and keeps memory flat', async () => {
    const clients = [0, 1].map(() => new TuttiClient(server.endpoint, { timeoutMs: 30_000 }));
    const batcher = server.processes.find((p) => p.role === 'batcher')!.pid;
    const pixels = new Float32Array(64).fill(2);
    const burst = async () => {
      const settled = await Promise.allSettled(Array.from({ length: 4000 }, (_, i) => clients[i % 2]!.infer({ pixels: { data: pixels, shape: [1, 64] } })));
      const codes: Record<string, number> = {};
      for (const s of settled) {
        const code = s.status === 'fulfilled' ? 'OK' : ((s.reason as { code?: string }).code ?? 'ERROR');
        codes[code] = (codes[code] ?? 0) + 1;
      }
      return codes;
    };
    try {
      const first = await burst();
      const before = rssBytes(batcher);
      const totals: Record<string, number> = { ...first };
      for (let round = 0; round < 5; round++) for (const [code, n] of Object.entries(await burst())) totals[code] = (totals[code] ?? 0) + n;
      const growth = rssBytes(batcher) - before;
      console.log(`overload: ${JSON.stringify(totals)} over 24000 requests; batcher RSS grew ${(growth / 2 ** 20).toFixed(1)} MiB`);
      expect(totals.RESOURCE_EXHAUSTED).toBeGreaterThan(0);
      expect(totals.OK).toBeGreaterThan(0);
      expect(Object.keys(totals).sort()).toEqual(['OK', 'RESOURCE_EXHAUSTED']); // nothing unanswered, nothing else
      expect(growth).toBeLessThan(64 * 2 ** 20);
    } finally {
      for (const client of clients) client.close();
    }
  });
});
