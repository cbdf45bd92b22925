import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePlan } from '@tutti/allocator';
import { runTutti } from './run-tutti.js';

const dir = mkdtempSync(join(tmpdir(), 'tutti-hosts-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tutti allocate over devices on several hosts', () => {
  it('prints the allocation matrix with a host column, and writes a plan whose devices carry their host', async () => {
    // Declared devices only: profiles from the cost model, nothing measured, the same plan on any machine.
    const devices = join(dir, 'hosts.yaml');
    writeFileSync(
      devices,
      [
        'devices:',
        '  - { kind: cpu, name: small, cores: 2, memory: 8GB, speed: { gmacsPerSecond: 20 }, host: box-1 }',
        '  - { kind: gpu, name: T4, memory: 16GB, speed: { gmacsPerSecond: 4000, overheadMs: 0.3 }, host: box-2, count: 2 }',
      ].join('\n'),
    );
    const out = join(dir, 'plan.json');
    const run = await runTutti(['allocate', 'ensembles/digits', '--devices', devices, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const header = run.stdout.split('\n').find((l) => l.startsWith('host '));
    expect(header).toMatch(/^host\s+device\s+logreg/);
    expect(run.stdout).toMatch(/^box-1\s+box-1\/small-0 cpu small \(declared\)/m);
    expect(run.stdout).toMatch(/^box-2\s+box-2\/t4-1 gpu T4 \(declared\)/m);
    const plan = parsePlan(readFileSync(out, 'utf8'));
    expect(plan.devices.map((d) => [d.id, d.host])).toEqual([
      ['box-1/small-0', 'box-1'],
      ['box-2/t4-0', 'box-2'],
      ['box-2/t4-1', 'box-2'],
    ]);
    expect(plan.instances.every((i) => plan.devices.some((d) => d.id === i.device))).toBe(true);
  });
});
