import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifest, ManifestError, validateEnsemble, type ManifestIssue } from '../src/index.js';
import { classifier, modelWith, TempEnsembles, VALID_MANIFEST } from './fixtures.js';

const ensembles = new TempEnsembles();
afterAll(() => ensembles.removeAll());

async function issuesOf(dir: string): Promise<ManifestIssue[]> {
  const result = await validateEnsemble(dir);
  if (result.ok) throw new Error('expected the ensemble to be rejected');
  return [...result.issues];
}

describe('loadManifest', () => {
  it('resolves a valid ensemble: absolute paths, defaults filled', async () => {
    const dir = await ensembles.valid();
    const ensemble = await loadManifest(dir);
    expect(ensemble).toEqual({
      name: 'tiny',
      dir,
      manifestPath: path.join(dir, 'manifest.yaml'),
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
      members: [
        { name: 'a', path: path.join(dir, 'models/a.onnx'), weight: 1 },
        { name: 'b', path: path.join(dir, 'models/b.onnx'), weight: 2 },
      ],
      rule: { kind: 'builtin', name: 'mean' },
      batching: { maxBatchSize: 8, maxQueueDelayMs: 1, maxQueue: 4096, maxQueueBytes: 256 * 2 ** 20 },
      endpoint: 'tcp://127.0.0.1:5555',
    });
    // The manifest file itself works as well as its folder.
    expect((await loadManifest(path.join(dir, 'manifest.yaml'))).name).toBe('tiny');
  });

  it('resolves a custom rule module inside the folder', async () => {
    const dir = await ensembles.valid({ rule: { module: './rules/my-rule.js' } }, { 'rules/my-rule.js': 'export default () => {};' });
    expect((await loadManifest(dir)).rule).toEqual({ kind: 'module', path: path.join(dir, 'rules/my-rule.js') });
  });

  it('reports a missing model file, naming the member', async () => {
    const dir = await ensembles.create(VALID_MANIFEST, { 'models/a.onnx': classifier(4, 3) });
    expect(await issuesOf(dir)).toMatchObject([
      { path: 'members[1] (b)', message: `model file models/b.onnx not found (looked for ${path.join(dir, 'models/b.onnx')})` },
    ]);
  });

  it('reports a member whose model input disagrees with the manifest, giving both shapes', async () => {
    const dir = await ensembles.valid({}, { 'models/b.onnx': classifier(5, 3) });
    expect(await issuesOf(dir)).toEqual([
      {
        path: 'members[1] (b)',
        message: 'input "pixels" has shape [-1, 4] in the manifest but [-1, 5] in models/b.onnx',
        line: 17,
        column: 5,
      },
    ]);
  });

  it('reports datatype mismatches, missing tensors and inputs the ensemble does not provide', async () => {
    const odd = modelWith(
      [
        ['pixels', 'FP64', ['batch', 4]],
        ['mask', 'BOOL', ['batch', 4]],
      ],
      [['logits', 'FP32', [-1, 3]]],
    );
    const dir = await ensembles.valid({}, { 'models/a.onnx': odd });
    expect((await issuesOf(dir)).map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'members[0] (a): input "pixels" has datatype FP32 in the manifest but FP64 in models/a.onnx',
      'members[0] (a): output "probabilities" is not in models/a.onnx, whose outputs are "logits" (FP32 [-1, 3])',
      'members[0] (a): models/a.onnx requires input "mask" (BOOL [-1, 4]), which the manifest\'s inputs do not provide',
    ]);
  });

  it('accepts dynamic model dimensions but not a fixed batch size', async () => {
    const dynamic = modelWith([['pixels', 'FP32', ['n', 'features']]], [['probabilities', 'FP32', [-1, 3]]]);
    const fixed = modelWith([['pixels', 'FP32', [1, 4]]], [['probabilities', 'FP32', [1, 3]]]);
    const dir = await ensembles.valid({}, { 'models/a.onnx': dynamic, 'models/b.onnx': fixed });
    const issues = await issuesOf(dir);
    expect(issues.map((issue) => issue.path)).toEqual(['members[1] (b)', 'members[1] (b)']);
    expect(issues[0]?.message).toMatch(/^input "pixels" has a fixed batch size of 1 in models\/b\.onnx .*must be dynamic$/);
  });

  it('reports a model file that is not ONNX', async () => {
    const dir = await ensembles.valid({}, { 'models/a.onnx': 'not a model' });
    expect(await issuesOf(dir)).toMatchObject([
      { path: 'members[0] (a)', message: expect.stringMatching(/^cannot read models\/a\.onnx as an ONNX model: /) },
    ]);
  });

  it('refuses a custom rule outside the ensemble folder', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'tutti-outside-'));
    await writeFile(path.join(outside, 'evil.js'), 'export default () => {};');
    const escape = await ensembles.valid({ rule: { module: `../${path.basename(outside)}/evil.js` } });
    expect(await issuesOf(escape)).toMatchObject([
      {
        path: 'rule.module',
        message: expect.stringMatching(/resolves to .*evil\.js, outside the ensemble folder .*must live inside the ensemble folder$/),
      },
    ]);
    const absolute = await ensembles.valid({ rule: { module: path.join(outside, 'evil.js') } });
    expect((await issuesOf(absolute))[0]?.message).toContain('outside the ensemble folder');
    // A symlink inside the folder that leads out of it is refused too.
    const linkedRule = await ensembles.valid({ rule: { module: './link.js' } });
    await symlink(path.join(outside, 'evil.js'), path.join(linkedRule, 'link.js'));
    expect((await issuesOf(linkedRule))[0]?.message).toMatch(/is a link to .*evil\.js, outside the ensemble folder/);
  });

  it('reports a custom rule module that does not exist', async () => {
    const dir = await ensembles.valid({ rule: { module: './rules/missing.js' } });
    expect(await issuesOf(dir)).toMatchObject([
      { path: 'rule.module', message: expect.stringContaining('rule module "./rules/missing.js" not found') },
    ]);
  });

  it('reports schema, file and model problems together, in file order', async () => {
    const manifest = {
      ...VALID_MANIFEST,
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 4] }],
      members: [
        { name: 'a', path: 'models/a.onnx' },
        { name: 'b', path: 'models/gone.onnx', weight: -1 },
        { name: 'c', path: 'models/missing.onnx' },
        { name: 'a', path: 'models/a.onnx' },
      ],
      rule: { module: '../escape.js' },
      batching: { maxBatchSize: 8, maxQueueDelayMs: 1, extra: true },
    };
    const dir = await ensembles.create(manifest, { 'models/a.onnx': classifier(4, 7), 'models/b.onnx': classifier(4, 3) });
    expect((await issuesOf(dir)).map((issue) => issue.path)).toEqual([
      'members[0] (a)', // output shape [-1, 7] in the model
      'members[1] (b)', // its file is checked despite the bad weight
      'members[1].weight',
      'members[2] (c)', // missing file
      'members[3] (a)', // same model, same mismatch
      'members[3].name', // duplicate
      'rule.module',
      'batching.extra',
    ]);
  });

  it('skips model checks when asked to, for callers that only need settings', async () => {
    const dir = await ensembles.create(VALID_MANIFEST);
    expect((await loadManifest(dir, { checkModels: false })).members).toHaveLength(2);
  });

  it('throws a ManifestError for a folder without a manifest', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tutti-empty-'));
    const error = await loadManifest(dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ManifestError);
    expect(error).toMatchObject({ code: 'INVALID_MANIFEST', issues: [{ path: '', message: `no manifest.yaml in ${dir}` }] });
    expect(await validateEnsemble(path.join(dir, 'nope'))).toMatchObject({
      ok: false,
      issues: [{ message: expect.stringContaining('no such file or folder') }],
    });
  });
});
