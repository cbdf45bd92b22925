import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runTutti } from './run-tutti.js';

/** The machines this runs on have no NVIDIA driver; on one that has, these expectations do not hold. */
const gpuHost = spawnSync('nvidia-smi', ['-L']).error === undefined;

describe.skipIf(gpuHost)('tutti doctor', () => {
  it('reports the CPU provider loading and, on these GPU-less machines, no GPU to serve on', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await runTutti(['doctor', '--json']);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as {
      cpu: { cores: number };
      gpus: unknown[];
      noGpu?: string;
      providers: { provider: string; loads: boolean; fix?: string }[];
      gpuReady: boolean;
    };
    expect(report.cpu.cores).toBeGreaterThan(0);
    expect(report.providers.find((p) => p.provider === 'cpu')?.loads).toBe(true);
    const cuda = report.providers.find((p) => p.provider === 'cuda');
    expect(cuda?.loads).toBe(false);
    expect(cuda?.fix).toMatch(/onnxruntime-node-install=cuda12/);
    expect(report.gpuReady).toBe(false);
  });

  it('exits 1 with --require-gpu when no GPU can serve', { timeout: 60_000 }, async () => {
    const { code, stdout } = await runTutti(['doctor', '--require-gpu']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/serving\s+CPU only/);
  });
});
