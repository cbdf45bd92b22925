import { access } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifest, validateEnsemble } from '../src/index.js';
import { classifier, TempEnsembles, VALID_MANIFEST } from './fixtures.js';

const ensembles = new TempEnsembles();
afterAll(() => ensembles.removeAll());

const GENERATED = {
  name: 'zoo',
  path: 'models/zoo.onnx',
  generate: { kind: 'mlp', inputSize: 4, hidden: [5], outputs: 3, inputName: 'pixels', seed: 7 },
};

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

describe('members generated from the zoo', () => {
  it('generates a missing model on load, then checks it like any other', async () => {
    const dir = await ensembles.create(
      { ...VALID_MANIFEST, members: [VALID_MANIFEST.members[0], GENERATED] },
      { 'models/a.onnx': classifier(4, 3) },
    );
    const ensemble = await loadManifest(dir, { generate: true });
    expect(ensemble.members[1]).toEqual({
      name: 'zoo',
      path: path.join(dir, 'models/zoo.onnx'),
      weight: 1,
      generate: { ...GENERATED.generate },
    });
    expect(await exists(path.join(dir, 'models/zoo.onnx'))).toBe(true);
  });

  it('leaves a missing generated model alone unless asked (the default), and is still valid', async () => {
    const dir = await ensembles.create({ ...VALID_MANIFEST, members: [GENERATED] });
    expect((await validateEnsemble(dir)).ok).toBe(true);
    expect((await validateEnsemble(dir, { generate: false })).ok).toBe(true);
    await loadManifest(dir);
    expect(await exists(path.join(dir, 'models/zoo.onnx'))).toBe(false);
  });

  it('checks the signature of the generated model against the manifest', async () => {
    const wrong = { ...GENERATED, generate: { ...GENERATED.generate, outputs: 4 } };
    const dir = await ensembles.create({ ...VALID_MANIFEST, members: [wrong] });
    expect(await validateEnsemble(dir, { generate: true })).toMatchObject({
      ok: false,
      issues: [
        { path: 'members[0] (zoo)', message: 'output "probabilities" has shape [-1, 3] in the manifest but [-1, 4] in models/zoo.onnx' },
      ],
    });
  });

  it('reports a bad zoo spec at its field, without generating anything', async () => {
    const bad = { ...GENERATED, generate: { kind: 'mlp', inputSize: 0, outputs: 3, colour: 'red' } };
    const unknownKind = { name: 'x', path: 'models/x.onnx', generate: { kind: 'transformer' } };
    const dir = await ensembles.create({ ...VALID_MANIFEST, members: [bad, unknownKind] });
    const result = await validateEnsemble(dir, { generate: true });
    expect(result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'members[0].generate.inputSize: expected an integer from 1 to 1048576, got 0',
      'members[0].generate.colour: unknown field; expected kind, inputSize, hidden, outputs, activation, seed, inputName or outputName',
      'members[1].generate.kind: unknown zoo model kind "transformer"; expected mlp or resnet',
    ]);
    expect(await exists(path.join(dir, 'models/zoo.onnx'))).toBe(false);
  });
});
