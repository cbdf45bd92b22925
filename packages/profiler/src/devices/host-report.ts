/**
 * What this host offers tutti, for `tutti doctor`: its CPU, its NVIDIA GPUs (or why none), and which
 * of onnxruntime's execution providers load, each tried on a tiny generated model.
 */
import { knownProviders, probeProvider, type ProviderProbe } from '@tutti/runtime';
import { mlp } from '@tutti/zoo';
import { detectCpu, probeGpus, type RunNvidiaSmi } from './detect.js';
import { hardwareLine } from '../host.js';

export interface HostReport {
  host: string;
  cpu: { name: string; cores: number; memoryBytes: number };
  gpus: { id: string; name: string; memoryBytes: number }[];
  /** Why no GPU was found, when none was. */
  noGpu?: string;
  providers: (ProviderProbe & { bundled: boolean })[];
  /** Whether GPU members can be served for real here: a GPU and a CUDA provider that loads. */
  gpuReady: boolean;
}

export async function hostReport(options: { runNvidiaSmi?: RunNvidiaSmi } = {}): Promise<HostReport> {
  const cpu = detectCpu();
  const { gpus, why } = probeGpus(options.runNvidiaSmi);
  const model = mlp({ inputSize: 4, outputs: 2 });
  const providers: HostReport['providers'] = [];
  for (const { name, bundled } of knownProviders()) providers.push({ ...(await probeProvider(name, model)), bundled });
  return {
    host: hardwareLine(),
    cpu: { name: cpu.name, cores: cpu.cores ?? 1, memoryBytes: cpu.memoryBytes },
    gpus: gpus.map(({ id, name, memoryBytes }) => ({ id, name, memoryBytes })),
    ...(why && { noGpu: why }),
    providers,
    gpuReady: gpus.length > 0 && providers.some((p) => p.provider === 'cuda' && p.loads),
  };
}
