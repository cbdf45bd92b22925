/** `tutti profile`, run as a real process the way a user runs it, with its cache in a temp dir. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runTutti } from './run-tutti.js';
const DIGITS_MEMBERS = ['logreg', 'mlp-relu-32', 'mlp-tanh-64', 'mlp-relu-48-24', 'mlp-sigmoid-32-subset'];

describe('tutti profile', () => {
  let cacheDir: string;
  const tutti = (...args: string[]) => runTutti(args, { TUTTI_CACHE_DIR: cacheDir });

  beforeAll(async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'tutti-profile-cli-'));
  });
  afterAll(() => rm(cacheDir, { recursive: true, force: true }));

  it('measures each member, prints its memory and latency table, then answers from the cache', async () => {
    const first = await tutti('profile', 'ensembles/digits', '--batch-sizes', '1,8', '--threads', '1');
    expect(first.stderr).not.toMatch(/Error/);
    expect(first.code).toBe(0);
    for (const member of DIGITS_MEMBERS) {
      expect(first.stdout).toMatch(new RegExp(`^${member}$`, 'm'));
      expect(first.stderr).toContain(`${member} on cpu: measured 2 points`);
    }
    expect(first.stdout.match(/measured here; memory per instance \d+/g)).toHaveLength(DIGITS_MEMBERS.length);
    expect(first.stdout).toMatch(/^ +batch +ms +rows\/s$/m);
    expect(first.stdout).toMatch(/^ +8 +[\d.]+ +\d+$/m);
    expect(first.stdout).toMatch(/profiled digits: 5 member\(s\) on 1 device\(s\) in [\d.]+ s \(5 measured here\)/);

    const profilesFile = path.join(cacheDir, 'digits.profiles.json');
    const second = await tutti(
      'profile',
      'ensembles/digits',
      '--batch-sizes',
      '1,8',
      '--threads',
      '1',
      '--json',
      '--profiles',
      profilesFile,
    );
    expect(second.code).toBe(0);
    const json = JSON.parse(second.stdout) as {
      sources: Record<string, Record<string, string>>;
      profiles: Record<string, Record<string, { points: unknown[] }>>;
    };
    expect(Object.keys(json.sources)).toEqual(DIGITS_MEMBERS);
    for (const member of DIGITS_MEMBERS) {
      expect(json.sources[member]).toEqual({ cpu: 'cache' });
      expect(json.profiles[member]!.cpu!.points).toHaveLength(2);
    }
    const saved = JSON.parse(await readFile(profilesFile, 'utf8')) as { version: number; profiles: { member: string }[] };
    expect(saved.version).toBe(1);
    expect(saved.profiles.map((p) => p.member)).toEqual(DIGITS_MEMBERS);
  });

  it('models declared GPUs without measuring anything', async () => {
    const run = await tutti('profile', 'ensembles/digits', '--devices', 'devices/4-gpus-32gb.yaml', '--batch-sizes', '1,8');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('on v100-sxm2-32gb-0 .. v100-sxm2-32gb-3 (4 x V100-SXM2-32GB): cost model');
    expect(run.stdout).toMatch(/\(5 cost model\)/);
  });

  it('lists every problem of a bad devices file and exits 1', async () => {
    const file = path.join(cacheDir, 'bad-devices.yaml');
    await writeFile(file, 'devices:\n  - { kind: gpu, name: V100, memory: lots }\n  - { kind: cpu, name: host, memory: 1GB }\n');
    const run = await tutti('profile', 'ensembles/digits', '--devices', file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('INVALID_OPTION');
    expect(run.stderr).toContain('devices[0] (V100).memory');
    expect(run.stderr).toContain('devices[1] (host).cores: required');
  });
});
