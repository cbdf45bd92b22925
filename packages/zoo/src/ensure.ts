/**
 * Generate-on-first-use for zoo models: a model file is (re)written when it is missing or was
 * written from a different spec. The spec's hash lives in a sidecar file next to the model, so the
 * check reads a few hundred bytes rather than decoding a large model.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { writeModel } from '@tutti/onnx';
import { TuttiError } from '@tutti/core';

import { buildZooModel, normalizeZooSpec, zooSpecHash, type ZooSpec } from './zoo-spec.js';

export interface EnsuredModel {
  path: string;
  /** True when the model was written by this call, false when the file already matched the spec. */
  generated: boolean;
}

/** The sidecar recording which spec a zoo model file was written from. */
export function specSidecarPath(modelPath: string): string {
  return `${modelPath}.spec.json`;
}

async function recordedHash(modelPath: string): Promise<string | undefined> {
  try {
    const modelStat = await stat(modelPath);
    if (!modelStat.isFile()) return undefined;
    const sidecar: unknown = JSON.parse(await readFile(specSidecarPath(modelPath), 'utf8'));
    return typeof sidecar === 'object' && sidecar !== null && 'hash' in sidecar && typeof sidecar.hash === 'string'
      ? sidecar.hash
      : undefined;
  } catch {
    // Missing model, missing or unreadable sidecar: either way the file cannot be trusted to match.
    return undefined;
  }
}

/**
 * Makes sure `path` holds the model `spec` describes, building and writing it if not. Safe when
 * several processes do it at once: each writes through a temporary file and renames it into place,
 * and the model goes in before the sidecar that vouches for it.
 */
export async function ensureZooModel(spec: ZooSpec, path: string): Promise<EnsuredModel> {
  if (typeof path !== 'string' || path.length === 0)
    throw new TuttiError('INVALID_OPTION', `zoo model path must be a non-empty string, got ${JSON.stringify(path)}`);
  const hash = zooSpecHash(spec);
  if ((await recordedHash(path)) === hash) return { path, generated: false };

  const bytes = buildZooModel(spec);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeModel(path, bytes);
    const sidecar = `${specSidecarPath(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(sidecar, `${JSON.stringify({ hash, spec: normalizeZooSpec(spec) }, null, 2)}\n`);
    await rename(sidecar, specSidecarPath(path));
  } catch (error) {
    throw new TuttiError('MODEL_ERROR', `cannot write zoo model ${path}: ${(error as Error).message}`, { cause: error });
  }
  return { path, generated: true };
}
