/**
 * Builds the `tutti` command into plain JavaScript: packages/cli/dist/main.mjs (and chunks, one per
 * command, loaded only when that command runs), bundled like the server's children (bundleEntries).
 * Run by `pnpm install` (the root package's prepare script) and by `pnpm build`; bin/tutti.js runs
 * this build when it is newer than every source, else the sources under tsx.
 *
 *   npx tsx scripts/build.ts
 */
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleEntries } from '@tutti/server';

const started = performance.now();
const outdir = fileURLToPath(new URL('../packages/cli/dist/', import.meta.url));
rmSync(outdir, { recursive: true, force: true });
await bundleEntries({ main: fileURLToPath(new URL('../packages/cli/src/main.ts', import.meta.url)) }, outdir);
// Written last: the build's time for bin/tutti.js's freshness check is this file's.
writeFileSync(`${outdir}/BUILT`, `${new Date().toISOString()}\n`);
console.log(`built packages/cli/dist in ${((performance.now() - started) / 1000).toFixed(1)} s`);
