import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleChildren, bundleEntries } from '../../src/supervisor/bundle.js';

const outdir = mkdtempSync(join(tmpdir(), 'tutti-bundle-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('bundled children', () => {
  it('writes plain JavaScript for every process and the inference thread, importing packages by absolute path', async () => {
    const bundles = await bundleChildren(outdir);
    for (const file of Object.values(bundles)) expect(existsSync(file)).toBe(true);
    expect(existsSync(join(outdir, 'inference-thread.mjs'))).toBe(true);
    const code = readdirSync(outdir)
      .map((file) => readFileSync(join(outdir, file), 'utf8'))
      .join('\n');
    // Every import is a chunk beside it, a Node built-in, or a resolved file: nothing that needs node_modules next to the bundle.
    const specifiers = [...code.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1]!);
    expect(specifiers.length).toBeGreaterThan(5);
    expect(specifiers.filter((s) => !s.startsWith('./') && !s.startsWith('node:') && !s.startsWith('/'))).toEqual([]);
    expect(code).not.toMatch(/import\.meta\.resolve\(/);
    expect(code).toContain('new URL("./inference-thread.mjs", import.meta.url)');
    expect(code).not.toMatch(/from\s+"[^"]*\.ts"/);
  });
});

describe('bundleEntries', () => {
  it("pins a source's file and folder URLs to the sources, a folder keeping its trailing slash", async () => {
    const sources = mkdtempSync(join(tmpdir(), 'tutti-bundle-src-'));
    try {
      // As ensembles/digits/data.ts does: a folder URL, then a file name appended to its path.
      writeFileSync(
        join(sources, 'entry.ts'),
        "export const folder = new URL('./data/', import.meta.url).href;\nexport const file = new URL('./data/x.csv', import.meta.url).href;\n",
      );
      const out = join(sources, 'out');
      await bundleEntries({ entry: join(sources, 'entry.ts') }, out);
      const built = (await import(join(out, 'entry.mjs'))) as { folder: string; file: string };
      expect(built.folder).toBe(`file://${sources}/data/`);
      expect(built.file).toBe(`file://${sources}/data/x.csv`);
    } finally {
      rmSync(sources, { recursive: true, force: true });
    }
  });
});
