import { readdirSync } from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileMember, profileMemberWithOrigin, type MeasureEvent } from '../src/index.js';
import { QUICK, TINY_INPUTS, tinyWorkspace, type Workspace } from './support.js';

describe('profileMember on a tiny real model', () => {
  let workspace: Workspace;
  beforeAll(() => {
    workspace = tinyWorkspace();
  });
  afterAll(() => workspace.remove());

  it('measures every (batch, threads) point and the memory of one instance, then serves it from the cache', async () => {
    const threadOptions = [1, 2].filter((t) => t <= os.availableParallelism());
    const events: MeasureEvent[] = [];
    const options = { batchSizes: [4, 1, 2], threadOptions, cacheDir: workspace.cacheDir, ...QUICK };
    const first = await profileMemberWithOrigin(workspace.modelPath, TINY_INPUTS, { ...options, onProgress: (e) => events.push(e) });

    expect(first.origin).toBe('measured');
    const { profile } = first;
    expect(profile).toMatchObject({ member: 'tiny', source: 'measured' });
    expect(profile.modelSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(profile.memoryBytes).toBeGreaterThan(0);
    expect(profile.points).toHaveLength(3 * threadOptions.length);
    for (const threads of threadOptions) {
      for (const batch of [1, 2, 4]) {
        const point = profile.points.find((p) => p.batch === batch && p.threads === threads);
        expect(point?.latencyMs, `batch ${batch}, ${threads} thread(s)`).toBeGreaterThan(0);
      }
    }
    expect(events[0]).toMatchObject({ type: 'memory' });
    expect(events.filter((e) => e.type === 'point').map((e) => (e.type === 'point' ? e.done : 0))).toEqual(
      profile.points.map((_, i) => i + 1),
    );
    expect(readdirSync(workspace.cacheDir)).toHaveLength(1);

    // Same model, device, batch sizes and threads: read back, nothing measured.
    let measuredAgain = false;
    const second = await profileMemberWithOrigin(workspace.modelPath, TINY_INPUTS, {
      ...options,
      onProgress: () => (measuredAgain = true),
    });
    expect(second.origin).toBe('cache');
    expect(measuredAgain).toBe(false);
    expect(second.profile).toEqual(profile);
  });

  it('names the member as asked even from the cache, and measures again on refresh', async () => {
    const options = { batchSizes: [1], threadOptions: [1], cacheDir: workspace.cacheDir, ...QUICK };
    const measured = await profileMember(workspace.modelPath, TINY_INPUTS, options);
    const renamed = await profileMemberWithOrigin(workspace.modelPath, TINY_INPUTS, { ...options, member: 'other-name' });
    expect(renamed.origin).toBe('cache');
    expect(renamed.profile).toEqual({ ...measured, member: 'other-name' });
    const refreshed = await profileMemberWithOrigin(workspace.modelPath, TINY_INPUTS, { ...options, refresh: true });
    expect(refreshed.origin).toBe('measured');
  });

  it('leaves out thread counts above the cores, and refuses when none is left', async () => {
    const cores = os.availableParallelism();
    const profile = await profileMember(workspace.modelPath, TINY_INPUTS, {
      batchSizes: [1],
      threadOptions: [1, cores + 1],
      cacheDir: false,
      ...QUICK,
    });
    expect(profile.points.map((p) => p.threads)).toEqual([1]);
    await expect(
      profileMember(workspace.modelPath, TINY_INPUTS, { batchSizes: [1], threadOptions: [cores + 1], cacheDir: false }),
    ).rejects.toThrow(/none can be measured/);
  });

  it("reports a model that cannot run with the child's error", async () => {
    const wrongInputs = [{ name: 'not-the-input', datatype: 'FP32' as const, shape: [-1, 8] }];
    await expect(
      profileMember(workspace.modelPath, wrongInputs, { batchSizes: [1], threadOptions: [1], cacheDir: false, ...QUICK }),
    ).rejects.toThrow(/profiling .*tiny\.onnx failed: .*'input'/);
  });
});
