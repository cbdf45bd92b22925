import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { decodeModel, readSignature } from '@tutti/onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ZOO_SPEC_METADATA_KEY, buildZooModel, ensureZooModel, specSidecarPath, zooSpecHash, type ZooSpec } from '../src/index.js';
import { runModel, sineData } from './reference.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tutti-zoo-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const resnetSpec: ZooSpec = { kind: 'resnet', inputSize: 32, channels: 3, width: 4, stages: [1, 1], classes: 10, seed: 1 };
const mlpSpec: ZooSpec = { kind: 'mlp', inputSize: 8, hidden: [4], outputs: 3, seed: 2 };

describe('zooSpecHash', () => {
  it('ignores field order and spelled-out defaults, and sees every real difference', () => {
    const hash = zooSpecHash(resnetSpec);
    expect(zooSpecHash({ seed: 1, classes: 10, stages: [1, 1], width: 4, channels: 3, inputSize: 32, kind: 'resnet' })).toBe(hash);
    expect(zooSpecHash({ ...resnetSpec, stemKernel: 7, inputName: 'image', outputName: 'probabilities' })).toBe(hash);
    const { seed: _seed, ...withoutSeed } = resnetSpec;
    expect(zooSpecHash(withoutSeed as ZooSpec)).toBe(hash);
    for (const change of [{ seed: 2 }, { stages: [1, 2] }, { width: 5 }, { classes: 11 }, { stemKernel: 3 }, { inputName: 'x' }]) {
      expect(zooSpecHash({ ...resnetSpec, ...change } as ZooSpec)).not.toBe(hash);
    }
  });
});

describe('buildZooModel', () => {
  it('builds either kind, with the normalized spec in the metadata', async () => {
    const model = decodeModel(buildZooModel(resnetSpec));
    const stored = model.metadataProps?.find((p) => p.key === ZOO_SPEC_METADATA_KEY)?.value;
    expect(JSON.parse(stored!)).toMatchObject({ ...resnetSpec, stemKernel: 7, inputName: 'image' });
    const { probabilities } = await runModel(buildZooModel(mlpSpec), { input: { data: sineData(8), dims: [1, 8] } });
    expect(probabilities!.dims).toEqual([1, 3]);
  });

  it('rejects specs of unknown kind or with unknown fields, as INVALID_OPTION', () => {
    expect(() => buildZooModel({ kind: 'vgg' } as unknown as ZooSpec)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('vgg') }),
    );
    expect(() => buildZooModel({ ...mlpSpec, classes: 3 } as ZooSpec)).toThrow(/unknown field\(s\) classes/);
    expect(() => buildZooModel(null as unknown as ZooSpec)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});

describe('ensureZooModel', () => {
  it('writes a missing model (creating folders), then leaves it alone while the spec is the same', async () => {
    const path = join(dir, 'nested', 'models', 'small.onnx');
    expect(await ensureZooModel(resnetSpec, path)).toEqual({ path, generated: true });
    expect(new Uint8Array(await readFile(path))).toEqual(new Uint8Array(buildZooModel(resnetSpec)));
    expect(JSON.parse(await readFile(specSidecarPath(path), 'utf8')).hash).toBe(zooSpecHash(resnetSpec));
    expect((await readSignature(path)).outputs).toEqual([{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }]);
    const { probabilities } = await runModel(new Uint8Array(await readFile(path)), {
      image: { data: sineData(3 * 32 * 32), dims: [1, 3, 32, 32] },
    });
    expect(probabilities!.dims).toEqual([1, 10]);

    const written = (await stat(path)).mtimeMs;
    expect(await ensureZooModel({ ...resnetSpec }, path)).toEqual({ path, generated: false });
    expect((await stat(path)).mtimeMs).toBe(written);
  });

  it('rewrites the model when the spec changes, the sidecar is missing or damaged, or the model is gone', async () => {
    const path = join(dir, 'changing.onnx');
    await ensureZooModel(resnetSpec, path);
    const reseeded = { ...resnetSpec, seed: 9 };
    expect((await ensureZooModel(reseeded, path)).generated).toBe(true);
    expect(new Uint8Array(await readFile(path))).toEqual(new Uint8Array(buildZooModel(reseeded)));

    await rm(specSidecarPath(path));
    expect((await ensureZooModel(reseeded, path)).generated).toBe(true);
    await writeFile(specSidecarPath(path), '{ not json');
    expect((await ensureZooModel(reseeded, path)).generated).toBe(true);
    await rm(path);
    expect((await ensureZooModel(reseeded, path)).generated).toBe(true);
    expect((await ensureZooModel(reseeded, path)).generated).toBe(false);
  });

  it('gives one intact model when several calls race for the same file', async () => {
    const path = join(dir, 'raced.onnx');
    const results = await Promise.all([1, 2, 3, 4].map(() => ensureZooModel(mlpSpec, path)));
    expect(results.every((result) => result.path === path)).toBe(true);
    expect(new Uint8Array(await readFile(path))).toEqual(new Uint8Array(buildZooModel(mlpSpec)));
    expect((await ensureZooModel(mlpSpec, path)).generated).toBe(false);
  });

  it('checks the spec before touching the file system', async () => {
    const path = join(dir, 'never.onnx');
    await expect(ensureZooModel({ ...mlpSpec, outputs: -1 }, path)).rejects.toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
    await expect(ensureZooModel(mlpSpec, '')).rejects.toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('reports a path it cannot write as MODEL_ERROR', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'x');
    await expect(ensureZooModel(mlpSpec, join(blocker, 'model.onnx'))).rejects.toThrow(
      expect.objectContaining({ code: 'MODEL_ERROR', message: expect.stringContaining('a-file') }),
    );
  });
});
