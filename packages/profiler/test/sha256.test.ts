import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSha256 } from '../src/sha256.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tutti-sha256-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('fileSha256', () => {
  it('hashes a file once per content: remembered by path, size and mtime in the cache folder', async () => {
    const model = join(dir, 'model.onnx');
    const cache = join(dir, 'cache');
    await writeFile(model, 'weights v1');
    expect(await fileSha256(model, cache)).toBe(sha('weights v1'));
    expect(await fileSha256(model)).toBe(sha('weights v1'));

    // Proof that the second call does not read the file: it answers what the cache says.
    const remembered = JSON.parse(await readFile(join(cache, 'file-hashes.json'), 'utf8')) as Record<
      string,
      { key: string; sha256: string }
    >;
    remembered[model]!.sha256 = 'remembered';
    await writeFile(join(cache, 'file-hashes.json'), JSON.stringify(remembered));
    expect(await fileSha256(model, cache)).toBe('remembered');

    // Changed in place (new size and mtime): hashed again.
    await writeFile(model, 'weights v2, longer');
    expect(await fileSha256(model, cache)).toBe(sha('weights v2, longer'));
  });

  it('treats a damaged cache file as empty', async () => {
    const model = join(dir, 'other.onnx');
    const cache = join(dir, 'damaged');
    await writeFile(model, 'x');
    await fileSha256(model, cache);
    await writeFile(join(cache, 'file-hashes.json'), '{not json');
    expect(await fileSha256(model, cache)).toBe(sha('x'));
  });
});
