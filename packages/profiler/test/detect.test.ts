import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { detectDevices, parseNvidiaSmiCsv } from '../src/index.js';

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
