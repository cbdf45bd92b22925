/**
 * Measured profiles cached on disk, one JSON file per (model sha256, device name, batch sizes,
 * thread options), so profiling an ensemble a second time reads files instead of measuring:
 *
 *   <cache dir>/<device name as a slug>/<model sha256>-b1.2.4-t1.2.json
 *
 * The cache dir is the `cacheDir` option, else $TUTTI_CACHE_DIR/profiles, else
 * ${XDG_CACHE_HOME:-~/.cache}/tutti/profiles. A file that does not parse, or whose key does not
 * match, is ignored (and overwritten by the next measurement) rather than trusted.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { MemberProfile } from '@tutti/allocator';
import { deviceIdPrefix } from './devices/devices-file.js';
import { memberProfileSchema } from './profile-schema.js';

/** Bumped when what a cached profile means changes (how it is measured), so old files are not reused. */
const CACHE_FORMAT = 2;

export interface ProfileKey {
  modelSha256: string;
  deviceName: string;
  /** Ascending, distinct. */
  batchSizes: number[];
  /** Ascending, distinct. */
  threadOptions: number[];
}

const entrySchema = z.object({
  format: z.literal(CACHE_FORMAT),
  key: z.object({ modelSha256: z.string(), deviceName: z.string(), batchSizes: z.array(z.number()), threadOptions: z.array(z.number()) }),
  profile: memberProfileSchema,
});

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TUTTI_CACHE_DIR) return path.join(env.TUTTI_CACHE_DIR, 'profiles');
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'tutti', 'profiles');
}

export function cacheFilePath(cacheDir: string, key: ProfileKey): string {
  const file = `${key.modelSha256}-b${key.batchSizes.join('.')}-t${key.threadOptions.join('.')}.json`;
  return path.join(cacheDir, deviceIdPrefix(key.deviceName), file);
}

const sameKey = (a: ProfileKey, b: ProfileKey) => JSON.stringify(a) === JSON.stringify(b);

export async function readCachedProfile(cacheDir: string, key: ProfileKey): Promise<MemberProfile | undefined> {
  const text = await readFile(cacheFilePath(cacheDir, key), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const entry = entrySchema.safeParse(json);
  return entry.success && sameKey(entry.data.key, key) ? entry.data.profile : undefined;
}

/** Written to a temporary name then renamed, so a concurrent reader never sees half a file. */
export async function writeCachedProfile(cacheDir: string, key: ProfileKey, profile: MemberProfile): Promise<void> {
  const file = cacheFilePath(cacheDir, key);
  await mkdir(path.dirname(file), { recursive: true });
  // Unique per write: one process may profile the same model twice at once (an agent asked twice).
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ format: CACHE_FORMAT, key, profile }, null, 2)}\n`);
  await rename(temporary, file);
}
