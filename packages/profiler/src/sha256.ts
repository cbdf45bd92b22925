/**
 * A model file's sha256 (profiles are cached and matched by content, not by path), remembered in
 * the profile cache by path, size, mtime and inode: a model of several hundred MB is hashed once,
 * not at every `tutti allocate` or `tutti serve`. A file changed in place has a new mtime (or size),
 * so it is hashed again.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const HASHES_FILE = 'file-hashes.json';
/** Bounded: the oldest entries go first past this many files. */
const MAX_ENTRIES = 10_000;

type Remembered = Record<string, { key: string; sha256: string }>;

/** sha256 of a file, in hex; with `cacheDir`, remembered there (see above). */
export async function fileSha256(path: string, cacheDir?: string | false): Promise<string> {
  if (!cacheDir) return hashFile(path);
  const info = await stat(path);
  const key = `${info.size}:${info.mtimeMs}:${info.ino}`;
  const file = join(cacheDir, HASHES_FILE);
  const remembered = await readRemembered(file);
  const known = remembered[path];
  if (known?.key === key) return known.sha256;
  const sha256 = await hashFile(path);
  // Re-read before writing: another process may have remembered other files meanwhile.
  const latest = await readRemembered(file);
  delete latest[path];
  latest[path] = { key, sha256 };
  const entries = Object.entries(latest);
  await writeRemembered(file, Object.fromEntries(entries.slice(Math.max(0, entries.length - MAX_ENTRIES))));
  return sha256;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function readRemembered(file: string): Promise<Remembered> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Remembered) : {};
  } catch {
    // A damaged file only costs hashing again.
    return {};
  }
}

/** Through a temporary file and a rename, so a concurrent reader never sees half of it. */
async function writeRemembered(file: string, remembered: Remembered): Promise<void> {
  const dir = join(file, '..');
  await mkdir(dir, { recursive: true });
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, JSON.stringify(remembered));
  await rename(temporary, file);
}
