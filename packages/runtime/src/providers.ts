/**
 * onnxruntime's execution providers on this host: which load, and when one does not, what to do
 * about it. A GPU member never falls back to the CPU quietly: a provider that does not load is an
 * error that names the fix (see docs/GPU.md).
 */
import * as ort from 'onnxruntime-node';

/** The providers onnxruntime-node 1.30 knows on this platform (bundled or installed apart). */
export function knownProviders(): { name: string; bundled: boolean }[] {
  return ort.listSupportedBackends().map(({ name, bundled }) => ({ name, bundled }));
}

/**
 * What to do when `provider` failed to load with `message`. onnxruntime-node ships the CPU (and
 * WebGPU) provider; the CUDA and TensorRT libraries are downloaded by its install script, which this
 * workspace does not run (pnpm-workspace.yaml: ignoredBuiltDependencies).
 */
export function providerFix(provider: string, message: string): string {
  const missingLibrary = /Failed to load (shared )?library|cannot open shared object file/i.test(message);
  if (provider === 'cuda' || provider === 'tensorrt') {
    if (missingLibrary) {
      return (
        "onnxruntime-node's CUDA provider libraries are not installed: on a host with an NVIDIA driver and CUDA 12, run " +
        '`node node_modules/onnxruntime-node/script/install.js --onnxruntime-node-install=cuda12` from packages/runtime ' +
        '(it downloads them from NuGet, Microsoft.ML.OnnxRuntime.Gpu.Linux), then `tutti doctor` again; see docs/GPU.md'
      );
    }
    return "the provider's libraries load but it cannot start: check the NVIDIA driver, CUDA 12 and cuDNN with `nvidia-smi`; see docs/GPU.md";
  }
  if (provider === 'webgpu') return 'no WebGPU adapter on this host (it needs a GPU and Vulkan drivers); tutti does not use WebGPU';
  return 'see the message above';
}

export type ProviderProbe = { provider: string; loads: true } | { provider: string; loads: false; error: string; fix: string };

/** Tries to open `model` (bytes of any small ONNX model) on `provider`: does it load here? */
export async function probeProvider(provider: string, model: Uint8Array): Promise<ProviderProbe> {
  try {
    // Log level 'fatal': a provider that fails also prints its own error lines; the probe reports it once.
    const session = await ort.InferenceSession.create(model, { executionProviders: [provider], logSeverityLevel: 4 });
    await session.release();
    return { provider, loads: true };
  } catch (error) {
    const message = firstLine((error as Error).message);
    return { provider, loads: false, error: message, fix: providerFix(provider, message) };
  }
}

/** The message's first line, without onnxruntime's source location and failed check (the reason follows them). */
function firstLine(text: string): string {
  const line = text.split('\n')[0]!.trim();
  return line.replace(/^\/onnxruntime_src\/.*? was false\. /, '').slice(0, 300);
}
