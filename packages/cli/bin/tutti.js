#!/usr/bin/env node
// The `tutti` command. It runs the build in ../dist (plain JavaScript: scripts/build.ts, run by
// `pnpm install`) when that build is newer than every source it came from; else (a source edited
// since, or no build) the sources themselves, through tsx's loader, as they were before the build.
import { readdirSync, statSync } from 'node:fs';

const root = new URL('../../../', import.meta.url);
const built = new URL('../dist/BUILT', import.meta.url);

/** The newest modification time of the workspace packages' sources and package.json files, in ms. */
function newestSource() {
  let newest = 0;
  const packages = new URL('packages/', root);
  for (const name of readdirSync(packages)) {
    const dir = new URL(`${name}/`, packages);
    newest = Math.max(newest, mtime(new URL('package.json', dir)));
    let files;
    try {
      files = readdirSync(new URL('src/', dir), { recursive: true });
    } catch {
      continue;
    }
    for (const file of files) newest = Math.max(newest, mtime(new URL(`src/${file}`, dir)));
  }
  return newest;
}

function mtime(url) {
  try {
    return statSync(url).mtimeMs;
  } catch {
    return 0;
  }
}

const builtAt = mtime(built);
if (builtAt > 0 && builtAt >= newestSource() && process.env.TUTTI_FROM_SOURCES !== '1') {
  await import('../dist/main.mjs');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
