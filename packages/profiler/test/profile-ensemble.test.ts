import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Device } from '@tutti/allocator';
import { detectCpu, loadProfileFile, profileEnsembleWithSources, saveProfileFile, type ProfileEvent } from '../src/index.js';
import { QUICK, tinyEnsemble, tinyWorkspace, type Workspace } from './support.js';

const EMULATED_GPU: Device = {
  id: 't4-0',
  kind: 'gpu',
  name: 'T4',
  memoryBytes: 16e9,
  origin: 'declared',
  emulated: true,
  speed: { gmacsPerSecond: 4000, memoryGBps: 320, overheadMs: 0.3 },
};

describe('profileEnsemble', () => {
  let workspace: Workspace;
  beforeAll(() => {
    workspace = tinyWorkspace();
  });
  afterAll(() => workspace.remove());

  it('measures the CPU (then reads the cache) and models declared devices, saying which is which', async () => {
    const ensemble = tinyEnsemble(workspace, ['first', 'same-model']);
    const cpu = detectCpu();
    const events: ProfileEvent[] = [];
    const options = { threadOptions: [1], cacheDir: workspace.cacheDir, ...QUICK, onProgress: (e: ProfileEvent) => events.push(e) };
    const result = await profileEnsembleWithSources(ensemble, [cpu, EMULATED_GPU], options);

    expect(result.batchSizes).toEqual([1, 2, 4]); // powers of two up to batching.maxBatchSize
    expect(result.sources).toEqual({
      first: { cpu: 'measured', 't4-0': 'cost-model' },
      'same-model': { cpu: 'cache', 't4-0': 'cost-model' },
    });
    const measured = result.profiles.first!.cpu!;
    expect(measured).toMatchObject({ member: 'first', deviceName: cpu.name, source: 'measured' });
    expect(measured.points.map((p) => p.batch)).toEqual([1, 2, 4]);
    expect(result.profiles['same-model']!.cpu).toEqual({ ...measured, member: 'same-model' });

    const modelled = result.profiles.first!['t4-0']!;
    expect(modelled).toMatchObject({ member: 'first', deviceName: 'T4', source: 'cost-model', modelSha256: measured.modelSha256 });
    expect(modelled.points.map((p) => [p.batch, p.threads])).toEqual([
      [1, 1],
      [2, 1],
      [4, 1],
    ]);
    expect(modelled.memoryBytes).toBeGreaterThan(0);

    expect(events.filter((e) => e.type === 'start').map((e) => [e.member, e.type === 'start' && e.source])).toEqual([
      ['first', 'measured'],
      ['same-model', 'cache'],
    ]);
    expect(events.filter((e) => e.type === 'done')).toHaveLength(4);

    const again = await profileEnsembleWithSources(ensemble, [cpu, EMULATED_GPU], options);
    expect(again.sources.first).toEqual({ cpu: 'cache', 't4-0': 'cost-model' });
    expect(again.profiles).toEqual(result.profiles);
  });

  it("measures a declared CPU with no speed here, under the declared device's name", async () => {
    const host: Device = { id: 'host-0', kind: 'cpu', name: 'host', cores: 1, memoryBytes: 8e9, origin: 'declared' };
    const result = await profileEnsembleWithSources(tinyEnsemble(workspace), [host], {
      batchSizes: [1],
      threadOptions: [1, 2],
      cacheDir: workspace.cacheDir,
      ...QUICK,
    });
    expect(result.profiles.tiny!['host-0']).toMatchObject({ deviceName: 'host', source: 'measured' });
    expect(result.profiles.tiny!['host-0']!.points.map((p) => p.threads)).toEqual([1]); // the declared CPU has 1 core
  });

  it('lets a profile file override measurement and the cost model', async () => {
    const ensemble = tinyEnsemble(workspace);
    const devices = [detectCpu(), EMULATED_GPU];
    const measured = await profileEnsembleWithSources(ensemble, devices, {
      batchSizes: [1],
      threadOptions: [1],
      cacheDir: workspace.cacheDir,
      ...QUICK,
    });
    const file = path.join(workspace.dir, 'profiles.json');
    const slowGpu = { ...measured.profiles.tiny!['t4-0']!, points: [{ batch: 1, threads: 1, latencyMs: 123 }] };
    await saveProfileFile(file, [measured.profiles.tiny!.cpu!, slowGpu]);
    expect(await loadProfileFile(file)).toHaveLength(2);

    const fromFile = await profileEnsembleWithSources(ensemble, devices, {
      batchSizes: [1],
      threadOptions: [1],
      profilesFile: file,
      cacheDir: false,
    });
    expect(fromFile.sources.tiny).toEqual({ cpu: 'file', 't4-0': 'file' });
    expect(fromFile.profiles.tiny!['t4-0']).toMatchObject({ source: 'file', points: [{ batch: 1, threads: 1, latencyMs: 123 }] });
  });

  it('refuses a declared GPU with no speed', async () => {
    const ensemble = tinyEnsemble(workspace);
    const noSpeed: Device = { id: 'x-0', kind: 'gpu', name: 'X', memoryBytes: 1e9, origin: 'declared' };
    await expect(profileEnsembleWithSources(ensemble, [noSpeed], { batchSizes: [1], cacheDir: false })).rejects.toThrow(
      /device x-0 \(X\) declares no speed/,
    );
  });

  it('measures a detected GPU with the CUDA provider: here, with none, it fails naming the fix, never measuring the CPU instead', async () => {
    const ensemble = tinyEnsemble(workspace);
    const detectedGpu: Device = { id: 'gpu0', kind: 'gpu', name: 'Tesla T4', memoryBytes: 16e9, origin: 'detected' };
    await expect(profileEnsembleWithSources(ensemble, [detectedGpu], { batchSizes: [1], cacheDir: false, ...QUICK })).rejects.toThrow(
      /on gpu:0 .*--onnxruntime-node-install=cuda12/,
    );
  });

  it("asks for a detected GPU's profile by its index and name, one thread, and keeps it under the GPU's name", async () => {
    const ensemble = tinyEnsemble(workspace);
    const detectedGpu: Device = { id: 'gpu1', kind: 'gpu', name: 'Tesla T4', memoryBytes: 16e9, origin: 'detected' };
    const asked: unknown[] = [];
    // A fake GPU (there is none here): what the profiler asks of the measurement, and what it makes of the answer.
    const measure: NonNullable<Parameters<typeof profileEnsembleWithSources>[2]>['measure'] = async (_path, _inputs, options) => {
      asked.push({ gpu: options.gpu, deviceName: options.deviceName, threadOptions: options.threadOptions });
      return {
        profile: {
          member: options.member!,
          modelSha256: options.modelSha256!,
          deviceName: 'x',
          source: 'measured',
          memoryBytes: 1,
          points: [{ batch: 1, threads: 1, latencyMs: 0.5 }],
        },
        origin: 'measured',
        seconds: 0,
      };
    };
    const result = await profileEnsembleWithSources(ensemble, [detectedGpu], { batchSizes: [1], cacheDir: false, measure });
    expect(asked).toEqual([{ gpu: 1, deviceName: 'Tesla T4', threadOptions: [1] }]);
    expect(result.sources.tiny).toEqual({ gpu1: 'measured' });
    expect(result.profiles.tiny!.gpu1).toMatchObject({ deviceName: 'Tesla T4', points: [{ batch: 1, threads: 1, latencyMs: 0.5 }] });
    expect(result.skipped).toEqual([]);
  });
});

describe('profile files', () => {
  it('name every problem of a bad file', async () => {
    const workspace = tinyWorkspace();
    try {
      const file = path.join(workspace.dir, 'bad.json');
      writeFileSync(
        file,
        JSON.stringify({
          version: 1,
          profiles: [{ member: 'a', modelSha256: 'xyz', deviceName: 'cpu', source: 'guessed', memoryBytes: 1, points: [] }],
        }),
      );
      const error = await loadProfileFile(file).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      for (const field of ['profiles.0.modelSha256', 'profiles.0.source', 'profiles.0.points']) expect(message).toContain(field);
    } finally {
      workspace.remove();
    }
  });
});
