import { describe, expect, it } from 'vitest';
import { mlp } from '@tutti/zoo';
import { knownProviders, probeProvider, providerFix } from '../src/index.js';

describe('execution providers', () => {
  it('knows the CPU provider, bundled, and that it loads here', async () => {
    expect(knownProviders()).toContainEqual({ name: 'cpu', bundled: true });
    expect(await probeProvider('cpu', mlp({ inputSize: 4, outputs: 2 }))).toEqual({ provider: 'cpu', loads: true });
  });

  it('reports a provider that does not load with its error and a fix, never as loading', async () => {
    // No GPU and no CUDA provider libraries on these machines: the probe must say so, and how to get them.
    const probe = await probeProvider('cuda', mlp({ inputSize: 4, outputs: 2 }));
    expect(probe.loads).toBe(false);
    if (probe.loads) return;
    expect(probe.error).toMatch(/Cuda/i);
    expect(probe.fix).toMatch(/--onnxruntime-node-install=cuda12/);
  });

  it('names the fix from the error: missing libraries, or a provider that cannot start', () => {
    expect(providerFix('cuda', 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library')).toMatch(
      /CUDA provider libraries are not installed.*docs\/GPU.md/,
    );
    expect(providerFix('tensorrt', 'libcudnn.so.9: cannot open shared object file')).toMatch(/not installed/);
    expect(providerFix('cuda', 'CUDA failure 100: no CUDA-capable device is detected')).toMatch(/nvidia-smi/);
    expect(providerFix('webgpu', 'Failed to get a WebGPU adapter')).toMatch(/does not use WebGPU/);
  });
});
