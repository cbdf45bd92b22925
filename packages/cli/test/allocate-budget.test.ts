/**
 * `tutti allocate --budget/--demand --catalog`, run as a real process on ensembles/digits with the
 * example catalogue. This host's CPU gets a profile from a file written here (nothing is measured,
 * so the test is quick and its figures known): 2 + 0.5 x batch ms at one thread, so within the
 * digits latency budget (19 ms) a member does at most 32 / 18 ms = 1778 rows/s per core.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlan } from '@tutti/allocator';
import { detectCpu } from '@tutti/profiler';
import { runTutti } from './run-tutti.js';

const DIGITS_MEMBERS = ['logreg', 'mlp-relu-32', 'mlp-tanh-64', 'mlp-relu-48-24', 'mlp-sigmoid-32-subset'];
const CATALOG = 'devices/catalog-cloud.yaml';
/** Four CPUs of this host's cores, every member at 1778 rows/s per core at best: no CPU-only mix can beat this. */
const CPU_ONLY_BOUND = (4 * detectCpu().cores!) / (DIGITS_MEMBERS.length / (32 / 0.018));

interface Row {
  rank: number;
  mix: string;
  price: number;
  rowsPerSecond: number;
  bound: number;
}

/** The ranking table's rows: rank, mix, $/h, W, rows/s, bound, rows/s per $/h. */
function rankingRows(stdout: string): Row[] {
  const lines = stdout.split('\n');
  const header = lines.findIndex((l) => /^rank +mix +\$\/h +W +rows\/s +bound +rows\/s per \$\/h$/.test(l));
  expect(header).toBeGreaterThanOrEqual(0);
  const rows: Row[] = [];
  for (const line of lines.slice(header + 1)) {
    const match = /^(\d+) +(.+?) +(\d+\.\d\d) +(\d+) +([\d.]+) +([\d.]+) +([\d.]+)$/.exec(line);
    if (!match) break;
    rows.push({
      rank: Number(match[1]),
      mix: match[2]!,
      price: Number(match[3]),
      rowsPerSecond: Number(match[5]),
      bound: Number(match[6]),
    });
  }
  return rows;
}

function countsOf(mix: string): Map<string, number> {
  return new Map(mix.split(' + ').map((part) => [part.replace(/^\d+x /, ''), Number(/^(\d+)x /.exec(part)![1])]));
}

describe('tutti allocate --catalog', () => {
  let dir: string;
  let profiles: string;
  const tutti = (...args: string[]) => runTutti(args, { TUTTI_CACHE_DIR: dir });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tutti-budget-cli-'));
    profiles = path.join(dir, 'host.profiles.json');
    const points = [1, 2, 4, 8, 16, 32, 64].map((batch) => ({ batch, threads: 1, latencyMs: 2 + 0.5 * batch }));
    const file = DIGITS_MEMBERS.map((member) => ({
      member,
      modelSha256: '',
      deviceName: detectCpu().name,
      source: 'file',
      memoryBytes: 20e6,
      points,
    }));
    await writeFile(profiles, JSON.stringify({ version: 1, profiles: file }));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("--dry-run ranks the mixes within the budget, best first, and prints the top mix's plan", async () => {
    const run = await tutti('allocate', 'ensembles/digits', '--budget', '3', '--catalog', CATALOG, '--profiles', profiles, '--dry-run');
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Hardware for the highest throughput: \d+ mixes within \$3\.00\/h; the 20 best by upper bound planned/m);
    const rows = rankingRows(run.stdout);
    expect(rows.map((r) => r.rank)).toEqual(Array.from({ length: 10 }, (_, k) => k + 1));
    for (const [k, row] of rows.entries()) {
      expect(row.mix).toMatch(/^\d+x [\w-]+( \+ \d+x [\w-]+)*$/);
      expect(row.price).toBeLessThanOrEqual(3);
      expect(row.bound).toBeGreaterThanOrEqual(row.rowsPerSecond * 0.999);
      const next = rows[k + 1];
      // Sorted by rows/s; a slightly faster (0.1%) mix may follow a cheaper one.
      if (next)
        expect(next.rowsPerSecond <= row.rowsPerSecond || (next.rowsPerSecond <= row.rowsPerSecond * 1.001 && next.price > row.price)).toBe(
          true,
        );
    }
    const top = rows[0]!;
    // GPUs beat every CPU-only mix here (see the file comment), so the best mix has one.
    expect(top.mix).toMatch(/T4|A10G|V100/);
    expect(top.rowsPerSecond).toBeGreaterThan(CPU_ONLY_BOUND);
    expect(run.stdout).toContain(`Top mix: ${top.mix}`);
    expect(run.stdout).toMatch(new RegExp(`^Plan for digits \\(greedy\\): predicted ${top.rowsPerSecond} rows/s`, 'm'));
    // The matrix has one row per device of the mix: t4-0 .., cpu-0 ..
    const ids = { 'T4-16GB': 't4', 'A10G-24GB': 'a10g', 'V100-SXM2-16GB': 'v100', cpu: 'cpu' } as Record<string, string>;
    for (const [type, count] of countsOf(top.mix)) {
      const matrixRows = run.stdout.split('\n').filter((l) => new RegExp(`^${ids[type]}-\\d+ (cpu|gpu) `).test(l));
      expect(matrixRows).toHaveLength(count);
    }
    expect(run.stdout).toContain('(emulated)');
    expect(run.stderr).toMatch(/\d+ mixes bounded and 20 planned in [\d.]+ s/);
  });

  it("writes the top mix's plan without --dry-run, its GPUs emulated", async () => {
    const out = path.join(dir, 'plan.json');
    const run = await tutti(
      'allocate',
      'ensembles/digits',
      '--budget',
      '1',
      '--catalog',
      CATALOG,
      '--profiles',
      profiles,
      '--out',
      out,
      '--top',
      '3',
    );
    expect(run.code).toBe(0);
    expect(rankingRows(run.stdout)).toHaveLength(3);
    const top = rankingRows(run.stdout)[0]!;
    expect(run.stderr).toContain(`plan for ${top.mix} written to ${out}`);
    const plan = parsePlan(await readFile(out, 'utf8'));
    expect(plan.ensemble).toBe('digits');
    expect(plan.devices.reduce((sum, d) => sum + (d.pricePerHour ?? 0), 0)).toBeLessThanOrEqual(1 + 1e-9);
    expect(plan.devices.length).toBe([...countsOf(top.mix).values()].reduce((a, b) => a + b, 0));
    for (const device of plan.devices) expect(device.kind === 'cpu' ? device.origin === 'detected' : device.emulated === true).toBe(true);
  });

  it('--demand picks the cheapest mix that serves it, and refuses one no mix can', async () => {
    const run = await tutti(
      'allocate',
      'ensembles/digits',
      '--demand',
      String(Math.round(CPU_ONLY_BOUND * 2)),
      '--budget',
      '3',
      '--catalog',
      CATALOG,
      '--profiles',
      profiles,
      '--dry-run',
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Hardware at least cost for \d+ rows\/s/m);
    // CPU-only mixes (at most $0.40) cannot: their bound is half the demand. The cheapest GPU, one
    // T4 ($0.53), can: the cost model gives these tiny models ~0.3 ms batches of 64 on it.
    expect(run.stdout).toMatch(/^1 +1x T4-16GB +0\.53 +70 +\d+ +\d+ +\d+ +yes$/m);
    expect(run.stdout).toContain('Top mix: 1x T4-16GB');
    const impossible = await tutti(
      'allocate',
      'ensembles/digits',
      '--demand',
      '1e12',
      '--budget',
      '3',
      '--catalog',
      CATALOG,
      '--profiles',
      profiles,
      '--dry-run',
    );
    expect(impossible.code).toBe(1);
    expect(impossible.stderr).toMatch(/ALLOCATION_FAILED: no mix within \$3\/h and the types' max counts can serve/);
  });

  it('refuses --budget without a catalogue, naming the flag', async () => {
    const run = await tutti('allocate', 'ensembles/digits', '--budget', '3', '--dry-run');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('INVALID_OPTION: --budget and --demand choose among the device types of a catalogue: give --catalog FILE');
    const bad = await tutti('allocate', 'ensembles/digits', '--budget', 'lots', '--catalog', CATALOG, '--dry-run');
    expect(bad.stderr).toContain('INVALID_OPTION: --budget must be dollars per hour > 0, got "lots"');
  });
});
