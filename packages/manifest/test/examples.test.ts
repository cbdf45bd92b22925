/** The repository's example ensembles are valid, models and all. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateEnsemble } from '../src/index.js';

const ENSEMBLES = fileURLToPath(new URL('../../../ensembles/', import.meta.url));

describe('example ensembles', () => {
  it('digits validates', async () => {
    const result = await validateEnsemble(`${ENSEMBLES}digits`);
    expect(result.ok ? [] : result.issues).toEqual([]);
    if (result.ok) expect(result.ensemble.members.length).toBeGreaterThan(1);
  });

  it('digits-cascade validates: the digits models in stages', async () => {
    const result = await validateEnsemble(`${ENSEMBLES}digits-cascade`);
    expect(result.ok ? [] : result.issues).toEqual([]);
    if (result.ok) expect(result.ensemble.cascade?.stages.flat().sort()).toEqual(result.ensemble.members.map((m) => m.name).sort());
  });

  // Its models are generated on first use (a few seconds), then cached next to the manifest.
  it('zoo-cnn validates', { timeout: 300_000 }, async () => {
    const result = await validateEnsemble(`${ENSEMBLES}zoo-cnn`, { generate: true });
    expect(result.ok ? [] : result.issues).toEqual([]);
    if (result.ok) expect(result.ensemble.members.every((member) => member.generate?.kind === 'resnet')).toBe(true);
  });
});
