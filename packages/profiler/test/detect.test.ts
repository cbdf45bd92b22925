import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { detectDevices, parseNvidiaSmiCsv, probeGpus } from '../src/index.js';

// Recorded from `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits` on a 2-GPU host.
const RECORDED = `0, Tesla V100-SXM2-32GB, 32768
1, NVIDIA A100-SXM4-40GB, 40960
`;

describe('parseNvidiaSmiCsv', () => {
  it('reads one GPU per line, memory in MiB', () => {
    expect(parseNvidiaSmiCsv(RECORDED)).toEqual([
      { id: 'gpu0', kind: 'gpu', name: 'Tesla V100-SXM2-32GB', memoryBytes: 32768 * 2 ** 20, origin: 'detected' },
      { id: 'gpu1', kind: 'gpu', name: 'NVIDIA A100-SXM4-40GB', memoryBytes: 40960 * 2 ** 20, origin: 'detected' },
    ]);
  });

  it('keeps commas inside a name, and skips lines that do not parse', () => {
    const csv = '2, Odd, Name GPU, 1024\r\nnot a gpu\n3, Broken, [N/A]\n\n';
    expect(parseNvidiaSmiCsv(csv)).toEqual([
      { id: 'gpu2', kind: 'gpu', name: 'Odd, Name GPU', memoryBytes: 1024 * 2 ** 20, origin: 'detected' },
    ]);
  });
});

describe('detectDevices', () => {
  it("lists this host's CPU first, with cores and memory, and no speed", () => {
    const [cpu] = detectDevices();
    expect(cpu).toMatchObject({ id: 'cpu', kind: 'cpu', origin: 'detected', cores: os.availableParallelism(), memoryBytes: os.totalmem() });
    expect(cpu!.name.length).toBeGreaterThan(0);
    expect(cpu!.speed).toBeUndefined();
  });
});

describe('probeGpus', () => {
  it('lists the GPUs nvidia-smi reports, through the runner it is given', () => {
    const probe = probeGpus(() => '0, NVIDIA A100-SXM4-40GB, 40960\n');
    expect(probe.why).toBeUndefined();
    expect(probe.gpus.map((g) => [g.id, g.name, g.memoryBytes])).toEqual([['gpu0', 'NVIDIA A100-SXM4-40GB', 40960 * 2 ** 20]]);
  });

  it('says why there is no GPU: no nvidia-smi, a failing one, or an empty list', () => {
    const missing = Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' });
    expect(
      probeGpus(() => {
        throw missing;
      }),
    ).toEqual({ gpus: [], why: 'nvidia-smi not found: no NVIDIA driver on this host' });
    const failing = Object.assign(new Error('Command failed'), {
      status: 9,
      stderr: 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.\nMore',
    });
    expect(
      probeGpus(() => {
        throw failing;
      }).why,
    ).toBe('nvidia-smi failed: NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.');
    expect(probeGpus(() => '')).toEqual({ gpus: [], why: 'nvidia-smi lists no GPU' });
  });
});
