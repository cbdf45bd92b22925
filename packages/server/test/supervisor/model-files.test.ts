import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '@tutti/manifest';
import { Server } from '../../src/index.js';

const DIGITS = join(import.meta.dirname, '../../../../ensembles/digits');

describe('Server.start with a model file missing', () => {
  it('names the member and the fix before starting any process', async () => {
    const ensemble = await loadManifest(DIGITS);
    const [first, ...rest] = ensemble.members;
    const missing = { ...ensemble, members: [{ ...first!, path: join(DIGITS, 'models/gone.onnx') }, ...rest] };
    await expect(Server.start(missing, { endpoint: 'tcp://127.0.0.1:0', log: () => {} })).rejects.toMatchObject({
      code: 'MODEL_ERROR',
      message: expect.stringContaining(`member "${first!.name}": no model file at ${join(DIGITS, 'models/gone.onnx')}`),
    });
    const generated = { ...missing, members: [{ ...missing.members[0]!, generate: { kind: 'mlp', inputSize: 64, outputs: 10 } }, ...rest] };
    await expect(Server.start(generated as never, { log: () => {} })).rejects.toThrow(/load the manifest with \{ generate: true \}/);
  });
});

describe('Server.start with a cascade', () => {
  it('refuses a calibration of other model files, or of other stages, naming the fix, before starting any process', async () => {
    const ensemble = await loadManifest(join(DIGITS, '../digits-cascade'));
    const [first, ...rest] = ensemble.members;
    const other = { ...ensemble, members: [{ ...first!, path: rest[0]!.path }, ...rest] };
    await expect(Server.start(other, { endpoint: 'tcp://127.0.0.1:0', log: () => {} })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining(`the cascade's calibration was made with other model files for ${first!.name}: calibrate again`),
    });
    const restaged = { ...ensemble, cascade: { ...ensemble.cascade!, stages: [ensemble.cascade!.stages.flat()] } };
    await expect(Server.start(restaged, { endpoint: 'tcp://127.0.0.1:0', log: () => {} })).rejects.toThrow(
      /does not fit the manifest: its stages are not the manifest's/,
    );
  });
});
