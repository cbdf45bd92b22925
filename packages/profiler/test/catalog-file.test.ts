import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TuttiError } from '@tutti/protocol';
import { detectCpu, loadCatalogFile, parseCatalogFile } from '../src/index.js';

const DEVICES_DIR = fileURLToPath(new URL('../../../devices/', import.meta.url));

function problemsOf(text: string): string[] {
  try {
    parseCatalogFile(text, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(TuttiError);
    return (error as Error).message
      .split('\n')
      .slice(1)
      .map((line) => line.replace(/^ {2}- /, ''));
  }
  throw new Error('expected the file to be rejected');
}

describe('parseCatalogFile', () => {
  it('reads declared types with price, watts and max, and the detected CPU priced', () => {
    const types = parseCatalogFile(`
types:
  - { detected: cpu, pricePerHour: 0.1, max: 4 }
  - { kind: gpu, name: T4-16GB, memory: 16GB, speed: { gmacsPerSecond: 4000 }, emulate: true, pricePerHour: 0.53, watts: 70 }
  - { kind: cpu, name: Big Box, id: box, cores: 64, memory: 256GB, pricePerHour: 3 }
`);
    expect(types.map((t) => t.id)).toEqual(['cpu', 't4-16gb', 'box']);
    const { id: _id, ...host } = detectCpu();
    expect(types[0]).toEqual({ id: 'cpu', label: 'cpu', device: host, pricePerHour: 0.1, max: 4 });
    expect(types[1]).toEqual({
      id: 't4-16gb',
      device: { kind: 'gpu', name: 'T4-16GB', memoryBytes: 16e9, origin: 'declared', emulated: true, speed: { gmacsPerSecond: 4000 } },
      pricePerHour: 0.53,
      watts: 70,
    });
    expect(types[2]!.device).toEqual({ kind: 'cpu', name: 'Big Box', cores: 64, memoryBytes: 256e9, origin: 'declared' });
  });

  it('lists every problem, each named by its field', () => {
    const problems = problemsOf(`
types:
  - { kind: gpu, name: T4, memory: 16GB }
  - { detected: cpu, pricePerHour: 0.1, max: 0 }
  - { kind: gpu, name: X, memory: 1GB, pricePerHour: -1, watts: 0, count: 2 }
  - { kind: gpu, name: t4, memory: 16GB, pricePerHour: 1 }
  - { kind: gpu, name: T4, memory: 16GB, pricePerHour: 1 }
`);
    expect(problems).toContain('types[0] (T4).pricePerHour: required (number)');
    expect(problems.some((p) => p.startsWith('types[1].max:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('types[2] (X).pricePerHour:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('types[2] (X).watts:'))).toBe(true);
    expect(problems).toContain('types[2] (X).count: unknown field');
    expect(problems).toContain('types: id "t4" is used twice (give one entry an `id:`)');
  });

  it('refuses a devices file given as a catalogue', () => {
    expect(problemsOf('devices:\n  - { detected: cpu }\n')).toEqual(
      expect.arrayContaining(['types: required (array)', 'devices: unknown field']),
    );
  });

  it('loads the example catalogue', () => {
    const types = loadCatalogFile(`${DEVICES_DIR}catalog-cloud.yaml`);
    expect(types.map((t) => [t.id, t.pricePerHour, t.max])).toEqual([
      ['cpu', 0.1, 4],
      ['t4', 0.53, 4],
      ['a10g', 1, undefined],
      ['v100', 2.48, undefined],
    ]);
    expect(types.slice(1).every((t) => t.device.emulated === true && t.device.origin === 'declared')).toBe(true);
    expect(types.every((t) => t.watts! > 0)).toBe(true);
  });
});
