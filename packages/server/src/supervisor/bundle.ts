/**
 * tutti's child processes as plain JavaScript. Run through tsx, every child transpiled its modules
 * at start and kept tsx's loader (a second V8 isolate on Node 20) for its whole life: ~35 MB of RSS
 * per process for nothing after start. At server start, esbuild bundles each child's entry once
 * (a few hundred ms); children then run plain `node`. Packages from node_modules stay outside the
 * bundle, imported by their resolved absolute paths (native modules, and pnpm's strict layout, which
 * a bundle in a temporary folder could not resolve from); tutti's own packages are inside it.
 * `new URL('./file', import.meta.url)` and `import.meta.resolve('pkg')` are pinned at bundle time to
 * the files they meant in the sources. If bundling fails, children run under tsx as before.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, stop, type Plugin } from 'esbuild';

export type BundledRole = 'combiner' | 'batcher' | 'worker';

const ENTRIES: Record<BundledRole | 'inference-thread', URL> = {
  combiner: new URL('../combiner/combiner-main.ts', import.meta.url),
  batcher: new URL('../batcher/batcher-main.ts', import.meta.url),
  worker: new URL('../worker/worker-main.ts', import.meta.url),
  // A worker's inference thread (inference.ts starts it by URL): bundled too, so threads need no tsx either.
  'inference-thread': new URL('../worker/inference-thread.ts', import.meta.url),
};
/** Source path -> the bundle's file for it, which sits beside every chunk in the flat output folder. */
const BUNDLED = new Map(Object.entries(ENTRIES).map(([name, url]) => [fileURLToPath(url), `./${name}.mjs`]));

const RELATIVE_URL = /new URL\((['"])(\.\.?\/[^'"]+)\1,\s*import\.meta\.url\)/g;
const META_RESOLVE = /import\.meta\.resolve\((['"])([^'"]+)\1\)/g;

/**
 * Keeps packages out of the bundle by absolute path, and pins the sources' own file references:
 * to a file of this bundle when `bundled` maps it (source path -> './name.mjs'), else to the source.
 */
function pinnedPaths(bundled: ReadonlyMap<string, string>): Plugin {
  return {
    name: 'tutti-pinned-paths',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith('node:') || args.path.startsWith('@tutti/') || args.pluginData === 'pinned') return undefined;
        const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'pinned' });
        if (found.errors.length > 0 || !found.path) return undefined;
        return found.external ? undefined : { path: found.path, external: true };
      });
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        let source = await readFile(args.path, 'utf8');
        const dir = dirname(args.path);
        source = source.replace(RELATIVE_URL, (_, _quote, relative: string) => {
          const target = resolve(dir, relative);
          const inBundle = bundled.get(target);
          // A folder's URL keeps its trailing slash: code appends file names to it.
          const href = pathToFileURL(target).href + (relative.endsWith('/') ? '/' : '');
          return inBundle ? `new URL(${JSON.stringify(inBundle)}, import.meta.url)` : `new URL(${JSON.stringify(href)})`;
        });
        const pinned = new Map<string, string>();
        for (const [, , specifier] of source.matchAll(META_RESOLVE)) {
          const found = await b.resolve(specifier!, { kind: 'import-statement', resolveDir: dir, pluginData: 'pinned' });
          if (found.errors.length === 0) pinned.set(specifier!, JSON.stringify(pathToFileURL(found.path).href));
        }
        source = source.replace(META_RESOLVE, (call, _quote, specifier: string) => pinned.get(specifier) ?? call);
        return { contents: source, loader: 'ts' };
      });
    },
  };
}

/** Builds in flight in this process. */
let building = 0;

/** Bundles the three children's entries into `outdir`; returns each role's bundle path. */
export async function bundleChildren(outdir: string): Promise<Record<BundledRole, string>> {
  await bundleEntries(Object.fromEntries(Object.entries(ENTRIES).map(([role, url]) => [role, fileURLToPath(url)])), outdir, BUNDLED);
  return { combiner: resolve(outdir, 'combiner.mjs'), batcher: resolve(outdir, 'batcher.mjs'), worker: resolve(outdir, 'worker.mjs') };
}

/**
 * Bundles TypeScript entries (name -> source path) into `outdir` as `name.mjs` plus shared chunks,
 * the way the children are bundled: also used to build the `tutti` command (scripts/build.ts), whose
 * references to the children's sources stay pinned to the sources, which the server bundles at start.
 */
export async function bundleEntries(
  entryPoints: Record<string, string>,
  outdir: string,
  bundled: ReadonlyMap<string, string> = new Map(),
): Promise<void> {
  building++;
  await build({
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    logLevel: 'silent',
    plugins: [pinnedPaths(bundled)],
  }).finally(() => {
    // esbuild serves builds from a child process of its own; it is not needed again (restarts reuse
    // the bundle), unless another server in this process is bundling right now.
    if (--building === 0) void stop();
  });
}
