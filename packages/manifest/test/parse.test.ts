import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ManifestError, manifestJsonSchema, parseManifest, type ManifestIssue } from '../src/index.js';

const valid = {
  name: 'digits',
  inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 64] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }],
  members: [
    { name: 'logreg', path: 'models/logreg.onnx' },
    { name: 'mlp', path: 'models/mlp.onnx', weight: 2 },
  ],
  rule: 'mean',
  batching: { maxBatchSize: 64, maxQueueDelayMs: 1 },
};

/** The manifest with `changes` applied (undefined deletes a key), as YAML text. */
function manifest(changes: Record<string, unknown> = {}): string {
  const document: Record<string, unknown> = { ...structuredClone(valid), ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete document[key];
  return stringify(document);
}

function issuesOf(text: string): ManifestIssue[] {
  try {
    parseManifest(text, 'test/manifest.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return [...(error as ManifestError).issues];
  }
  throw new Error('expected the manifest to be rejected');
}

describe('parseManifest', () => {
  it('accepts a valid manifest and fills defaults', () => {
    const document = parseManifest(manifest(), 'test/manifest.yaml');
    expect(document.members.map((member) => member.weight)).toEqual([1, 2]);
    expect(document.endpoint).toBe('tcp://127.0.0.1:5555');
    expect(document.latencyTarget).toBeUndefined();
  });

  it('accepts a custom rule module, an ipc endpoint and a latency target', () => {
    const document = parseManifest(
      manifest({ rule: { module: './rules/mine.js' }, endpoint: 'ipc:///tmp/tutti.sock', latencyTarget: { p99Ms: 20 } }),
      'm.yaml',
    );
    expect(document.rule).toEqual({ module: './rules/mine.js' });
    expect(document.latencyTarget).toEqual({ p99Ms: 20 });
  });

  it('accepts a cascade and fills its defaults', () => {
    const document = parseManifest(manifest({ cascade: { stages: [['logreg'], ['mlp']] } }), 'm.yaml');
    expect(document.cascade).toEqual({ stages: [['logreg'], ['mlp']], score: 'max-probability', calibration: 'calibration.json' });
  });

  it('says what is wrong with a cascade: unknown, repeated or missing members, a module rule, one stage, a bad target', () => {
    expect(issuesOf(manifest({ cascade: { stages: [['logreg'], ['mlp', 'nope']] } }))).toMatchObject([
      { path: 'cascade.stages[1][1]', message: 'no member is named "nope"; expected logreg or mlp' },
    ]);
    expect(issuesOf(manifest({ cascade: { stages: [['logreg'], ['logreg']] } }))).toMatchObject([
      { path: 'cascade.stages', message: 'every member must be in a stage; missing mlp' },
      { path: 'cascade.stages[1][0]', message: 'member "logreg" is in stage 1 already; a member belongs to one stage' },
    ]);
    expect(issuesOf(manifest({ rule: { module: 'r.js' }, cascade: { stages: [['logreg'], ['mlp']] } }))).toMatchObject([
      { path: 'rule', message: expect.stringContaining('a cascade combines members with a built-in rule') },
    ]);
    expect(issuesOf(manifest({ cascade: { stages: [['logreg', 'mlp']] } }))).toMatchObject([
      { path: 'cascade.stages', message: expect.stringContaining('at least two stages') },
    ]);
    expect(issuesOf(manifest({ rule: 'vote', cascade: { stages: [['logreg'], ['mlp']] } }))).toMatchObject([
      { path: 'cascade.score', message: expect.stringContaining('use score: agreement') },
    ]);
    expect(issuesOf(manifest({ cascade: { stages: [['logreg'], ['mlp']], output: 'x' } }))).toMatchObject([
      { path: 'cascade.output', message: 'no output is named "x"; expected probabilities' },
    ]);
    expect(issuesOf(manifest({ cascade: { stages: [['logreg'], ['mlp']], accuracyTarget: 1.5 } }))).toMatchObject([
      { path: 'cascade.accuracyTarget', message: expect.stringContaining('a number above 0, at most 1') },
    ]);
    expect(issuesOf(manifest({ cascade: { stages: [['logreg'], ['mlp']], score: 'entropy' } }))).toMatchObject([
      { path: 'cascade.score', message: expect.stringContaining('max-probability, margin or agreement') },
    ]);
  });

  it('names the field of a bad weight, with the value', () => {
    const members = [...valid.members, { name: 'x', path: 'x.onnx', weight: -1 }];
    expect(issuesOf(manifest({ members }))).toMatchObject([{ path: 'members[2].weight', message: 'expected a positive number, got -1' }]);
  });

  it('lists the datatypes when one is unknown', () => {
    const [issue] = issuesOf(manifest({ inputs: [{ name: 'pixels', datatype: 'FLOAT32', shape: [-1, 64] }] }));
    expect(issue?.path).toBe('inputs[0].datatype');
    expect(issue?.message).toMatch(/^unknown datatype "FLOAT32"; expected one of BOOL, UINT8, .*FP32, FP64$/);
  });

  it('rejects an unknown rule, naming the choices', () => {
    expect(issuesOf(manifest({ rule: 'median' }))).toMatchObject([
      { path: 'rule', message: 'unknown rule "median"; expected mean, weighted-mean, vote, max or { module: path }' },
    ]);
    expect(issuesOf(manifest({ rule: { module: 3 } }))).toMatchObject([{ path: 'rule.module', message: 'expected a string, got 3' }]);
    expect(issuesOf(manifest({ rule: {} }))).toMatchObject([{ path: 'rule.module', message: 'required: a string' }]);
    expect(issuesOf(manifest({ rule: 7 }))).toMatchObject([{ path: 'rule', message: expect.stringContaining('unknown rule 7') }]);
  });

  it('rejects shapes whose batch axis is not first and dynamic, or with non-positive dims', () => {
    const issues = issuesOf(manifest({ inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 0] }] }));
    expect(issues.map((issue) => issue.path).sort()).toEqual(['inputs[0].shape[0]', 'inputs[0].shape[1]']);
    expect(issues.find((issue) => issue.path === 'inputs[0].shape[1]')?.message).toBe('expected a positive integer, got 0');
  });

  it('rejects unknown keys, each at its own path', () => {
    const members = [{ name: 'logreg', path: 'models/logreg.onnx', wieght: 2 }];
    expect(issuesOf(manifest({ members, colour: 'blue' }))).toMatchObject([
      { path: 'members[0].wieght', message: 'unknown field; expected name, path, weight or generate' },
      { path: 'colour', message: expect.stringContaining('unknown field; expected name, description, inputs') },
    ]);
  });

  it('rejects duplicate member, input and output names', () => {
    const members = [...valid.members, { name: 'logreg', path: 'other.onnx' }];
    const outputs = [...valid.outputs, ...valid.outputs];
    expect(issuesOf(manifest({ members, outputs }))).toMatchObject([
      { path: 'outputs[1].name', message: 'duplicate output name "probabilities"; outputs[0] has it too' },
      { path: 'members[2].name', message: 'duplicate member name "logreg"; members[0] has it too' },
    ]);
  });

  it('requires FP32 outputs and says why', () => {
    const [issue] = issuesOf(manifest({ outputs: [{ name: 'label', datatype: 'INT64', shape: [-1] }] }));
    expect(issue).toMatchObject({ path: 'outputs[0].datatype' });
    expect(issue?.message).toMatch(/FP32.*"INT64".*float arithmetic/);
  });

  it('checks batching ranges, the endpoint and the name', () => {
    const issues = issuesOf(manifest({ name: 'Digits', batching: { maxBatchSize: 0, maxQueueDelayMs: 20000 }, endpoint: 'http://x:1' }));
    expect(issues).toMatchObject([
      { path: 'name', message: expect.stringContaining('got "Digits"') },
      { path: 'batching.maxBatchSize', message: 'expected an integer from 1 to 65536, got 0' },
      { path: 'batching.maxQueueDelayMs', message: 'expected a number from 0 to 10000, got 20000' },
      { path: 'endpoint', message: 'expected tcp://host:port or ipc://path, got "http://x:1"' },
    ]);
  });

  it('reports every problem at once, in file order, with line numbers', () => {
    const text = [
      'name: digits',
      'inputs:',
      '  - { name: pixels, datatype: FLOAT32, shape: [-1, 64] }',
      'outputs:',
      '  - { name: probabilities, datatype: FP32, shape: [-1, 10] }',
      'members:',
      '  - { name: a, path: a.onnx, weight: -1 }',
      '  - { name: a, path: b.onnx }',
      'rule: median',
      'batching: { maxBatchSize: 64 }',
      'extra: 1',
    ].join('\n');
    expect(issuesOf(text)).toMatchObject([
      { path: 'inputs[0].datatype', line: 3 },
      { path: 'members[0].weight', line: 7, message: 'expected a positive number, got -1' },
      { path: 'members[1].name', line: 8 },
      { path: 'rule', line: 9 },
      { path: 'batching.maxQueueDelayMs', line: 10, message: 'required: a number from 0 to 10000' },
      { path: 'extra', line: 11 },
    ]);
  });

  it('reports missing sections and an empty file', () => {
    expect(issuesOf(manifest({ members: undefined, rule: undefined }))).toMatchObject([
      { path: 'members', message: 'required: a list' },
      { path: 'rule', message: 'required: mean, weighted-mean, vote, max or { module: path }' },
    ]);
    expect(issuesOf(manifest({ inputs: [{ name: 'pixels', shape: [-1, 64] }] }))).toMatchObject([
      { path: 'inputs[0].datatype', message: 'required: a datatype' },
    ]);
    expect(issuesOf('')).toMatchObject([{ path: '', message: expect.stringContaining('empty') }]);
    expect(issuesOf('- a list')).toMatchObject([{ path: '', message: 'expected a mapping, got ["a list"]' }]);
  });

  it('reports YAML syntax errors with their line', () => {
    const issues = issuesOf('name: digits\nname: again\ninputs: [\n');
    expect(issues[0]).toMatchObject({ path: '', line: 2, message: expect.stringContaining('YAML syntax error') });
  });

  it('puts the file and every problem in the error message', () => {
    const error = (() => {
      try {
        parseManifest(manifest({ rule: 'median', batching: { maxBatchSize: 0, maxQueueDelayMs: 1 } }), 'ens/manifest.yaml');
      } catch (caught) {
        return caught as ManifestError;
      }
    })();
    expect(error?.code).toBe('INVALID_MANIFEST');
    expect(error?.message).toMatch(/^invalid manifest ens\/manifest\.yaml \(2 problems\):\n {2}- rule: unknown rule "median"/);
    expect(error?.message).toContain('  - batching.maxBatchSize: expected an integer from 1 to 65536, got 0 (line ');
  });
});

describe('manifestJsonSchema', () => {
  it('describes the manifest for editors, optional fields not required', () => {
    const schema = manifestJsonSchema() as { required: string[]; additionalProperties: boolean; properties: Record<string, unknown> };
    expect(schema.required.sort()).toEqual(['batching', 'inputs', 'members', 'name', 'outputs', 'rule']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toContain('latencyTarget');
  });
});
