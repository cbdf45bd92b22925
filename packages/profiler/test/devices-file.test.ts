import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TuttiError } from '@tutti/protocol';
import { loadDevicesFile, parseDevicesFile, parseMemorySize } from '../src/index.js';

const DEVICES_DIR = fileURLToPath(new URL('../../../devices/', import.meta.url));

function problemsOf(text: string): string[] {
  try {
    parseDevicesFile(text, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(TuttiError);
    return (error as Error).message
      .split('\n')
      .slice(1)
      .map((line) => line.replace(/^ {2}- /, ''));
  }
  throw new Error('expected the file to be rejected');
}

describe('parseMemorySize', () => {
  it('reads decimal and binary units, decimals and bare bytes', () => {
    expect(parseMemorySize('32GB')).toBe(32e9);
    expect(parseMemorySize('512 MB')).toBe(512e6);
    expect(parseMemorySize('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(parseMemorySize('64kib')).toBe(65536);
    expect(parseMemorySize(1024)).toBe(1024);
    expect(parseMemorySize('2048')).toBe(2048);
  });

  it('refuses what is not a size', () => {
    for (const bad of ['32XB', 'GB', '', '-1GB', 0, -5, Number.NaN, null, {}]) expect(parseMemorySize(bad)).toBeUndefined();
  });
});

describe('parseDevicesFile', () => {
  it('expands count into numbered ids and keeps speed, emulation and price', () => {
    const devices = parseDevicesFile(`
devices:
  - { kind: gpu, name: V100-SXM2-32GB, count: 4, memory: 32GB, speed: { gmacsPerSecond: 14000, memoryGBps: 900, overheadMs: 0.4 }, emulate: true, pricePerHour: 2.48 }
  - { kind: cpu, name: host, cores: 2, memory: 24GB }
`);
    expect(devices.map((d) => d.id)).toEqual(['v100-sxm2-32gb-0', 'v100-sxm2-32gb-1', 'v100-sxm2-32gb-2', 'v100-sxm2-32gb-3', 'host-0']);
    expect(devices[3]).toEqual({
      id: 'v100-sxm2-32gb-3',
      kind: 'gpu',
      name: 'V100-SXM2-32GB',
      memoryBytes: 32e9,
      origin: 'declared',
      emulated: true,
      speed: { gmacsPerSecond: 14000, memoryGBps: 900, overheadMs: 0.4 },
      pricePerHour: 2.48,
    });
    expect(devices[4]).toEqual({ id: 'host-0', kind: 'cpu', name: 'host', memoryBytes: 24e9, cores: 2, origin: 'declared' });
  });

  it('puts a device on another host under an id unique across hosts, and refuses a host name with a slash', () => {
    const devices = parseDevicesFile('devices:\n  - { kind: cpu, name: EPYC, cores: 8, memory: 32GB, host: box-2, count: 2 }\n');
    expect(devices.map((d) => [d.id, d.host])).toEqual([
      ['box-2/epyc-0', 'box-2'],
      ['box-2/epyc-1', 'box-2'],
    ]);
    expect(() => parseDevicesFile('devices:\n  - { kind: cpu, name: EPYC, cores: 8, memory: 32GB, host: a/b }\n')).toThrow(
      /devices\[0\] \(EPYC\)\.host: expected a host name/,
    );
  });

  it("includes this host's CPU for `detected: cpu`, and takes an id prefix", () => {
    const devices = parseDevicesFile(
      'devices:\n  - detected: cpu\n  - { kind: gpu, name: T4, id: t4, count: 2, memory: 16GiB, speed: { gmacsPerSecond: 4000 } }\n',
    );
    expect(devices.map((d) => [d.id, d.origin])).toEqual([
      ['cpu', 'detected'],
      ['t4-0', 'declared'],
      ['t4-1', 'declared'],
    ]);
    expect(devices[1]!.memoryBytes).toBe(16 * 2 ** 30);
  });

  it('lists every problem at once, each naming its field', () => {
    const problems = problemsOf(`
devices:
  - { kind: gpu, name: V100, count: 0, memory: 32XB, speed: { gmacsPerSecond: -1 }, emulte: true }
  - { kind: cpu, name: host, memory: 24GB }
  - { kind: tpu, name: x, memory: 1GB }
  - { detected: gpu }
`);
    expect(problems).toHaveLength(7);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^devices\[0\] \(V100\)\.count: /),
        expect.stringMatching(/^devices\[0\] \(V100\)\.memory: expected a size like 32GB.*"32XB"/),
        expect.stringMatching(/^devices\[0\] \(V100\)\.speed\.gmacsPerSecond: /),
        'devices[0] (V100).emulte: unknown field',
        'devices[1] (host).cores: required (number)',
        expect.stringMatching(/^devices\[2\] \(x\)\.kind: .*'cpu' \| 'gpu'/),
        expect.stringMatching(/^devices\[3\]\.detected: /),
      ]),
    );
  });

  it('reports duplicate ids, a missing devices list and broken YAML', () => {
    expect(problemsOf('devices:\n  - { kind: gpu, name: T4, memory: 1GB }\n  - { kind: gpu, name: t4, memory: 1GB }\n')).toEqual([
      'devices: id "t4-0" is used twice (give one entry an `id:` prefix)',
    ]);
    expect(problemsOf('device: []')).toEqual(['devices: required (array)', 'device: unknown field']);
    expect(problemsOf('devices: [ {')[0]).toMatch(/^YAML: /);
  });
});

describe('the example devices files', () => {
  it('all load', () => {
    expect(loadDevicesFile(`${DEVICES_DIR}4-gpus-32gb.yaml`).map((d) => d.id)).toEqual([
      'v100-sxm2-32gb-0',
      'v100-sxm2-32gb-1',
      'v100-sxm2-32gb-2',
      'v100-sxm2-32gb-3',
    ]);
    expect(loadDevicesFile(`${DEVICES_DIR}16-gpus.yaml`).map((d) => d.id)).toEqual(Array.from({ length: 16 }, (_, i) => `v100-${i}`));
    const mixed = loadDevicesFile(`${DEVICES_DIR}emulated-gpu-and-cpu.yaml`);
    expect(mixed.map((d) => [d.id, d.origin, d.emulated])).toEqual([
      ['cpu', 'detected', undefined],
      ['t4-16gb-0', 'declared', true],
    ]);
  });

  it('names the file that cannot be read', () => {
    expect(() => loadDevicesFile('/nonexistent/devices.yaml')).toThrow(/cannot read devices file \/nonexistent\/devices.yaml/);
  });
});
