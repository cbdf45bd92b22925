/**
 * This host's devices: its CPU from `os`, and NVIDIA GPUs from `nvidia-smi` when that command
 * exists. Detected devices carry no speed: their profiles are measured, not modelled.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { Device } from '@tutti/allocator';

/** The id of this host's CPU in every inventory. */
export const DETECTED_CPU_ID = 'cpu';

const NVIDIA_SMI_ARGS = ['--query-gpu=index,name,memory.total', '--format=csv,noheader,nounits'];
const MIB = 1024 * 1024;

export function detectCpu(): Device {
  // Containers sometimes report an empty model string; the name keys cached profiles, so never leave it blank.
  const model = os.cpus()[0]?.model.replace(/\s+/g, ' ').trim();
  return {
    id: DETECTED_CPU_ID,
    kind: 'cpu',
    name: model || 'unknown CPU',
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    origin: 'detected',
  };
}

/**
 * GPUs from `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits` output:
 * one line per GPU, memory in MiB. Lines that do not parse are skipped rather than guessed at.
 */
export function parseNvidiaSmiCsv(csv: string): Device[] {
  const gpus: Device[] = [];
  for (const line of csv.split(/\r?\n/)) {
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length < 3) continue;
    // A GPU name may itself contain commas: index is first and memory last.
    const index = Number(fields[0]);
    const memoryMiB = Number(fields.at(-1));
    const name = fields.slice(1, -1).join(', ');
    if (!Number.isInteger(index) || index < 0 || !Number.isFinite(memoryMiB) || memoryMiB <= 0 || !name) continue;
    gpus.push({ id: `gpu${index}`, kind: 'gpu', name, memoryBytes: memoryMiB * MIB, origin: 'detected' });
  }
  return gpus;
}

/** How to run nvidia-smi: its output, or a throw (ENOENT when it is not installed). Tests give their own. */
export type RunNvidiaSmi = (args: readonly string[]) => string;

const runNvidiaSmi: RunNvidiaSmi = (args) =>
  execFileSync('nvidia-smi', args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });

/** NVIDIA GPUs on this host, and when there are none, why (for `tutti doctor`). */
export function probeGpus(run: RunNvidiaSmi = runNvidiaSmi): { gpus: Device[]; why?: string } {
  let csv: string;
  try {
    csv = run(NVIDIA_SMI_ARGS);
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: string };
    if (code === 'ENOENT') return { gpus: [], why: 'nvidia-smi not found: no NVIDIA driver on this host' };
    const detail = String(stderr ?? (error as Error).message ?? '')
      .split('\n')[0]!
      .trim();
    return { gpus: [], why: `nvidia-smi failed${detail ? `: ${detail}` : ''}` };
  }
  const gpus = parseNvidiaSmiCsv(csv);
  return gpus.length > 0 ? { gpus } : { gpus, why: 'nvidia-smi lists no GPU' };
}

/** NVIDIA GPUs on this host; none (quietly) when nvidia-smi is missing or fails. */
export function detectGpus(): Device[] {
  return probeGpus().gpus;
}

/** This host's CPU, then its GPUs. */
export function detectDevices(): Device[] {
  return [detectCpu(), ...detectGpus()];
}
