/**
 * Zoo specs as manifests name them ({ kind: 'mlp' | 'resnet', ... }): checking, a stable hash, and
 * building the model a spec describes.
 */
import { createHash } from 'node:crypto';

import { TuttiError } from '@tutti/core';

import { mlp, normalizeMlpSpec, type MlpSpec } from './mlp.js';
import { normalizeResnetSpec, resnet, type ResnetSpec } from './resnet.js';
import { checkObject } from './spec-checks.js';

export type ZooSpec = ({ kind: 'mlp' } & MlpSpec) | ({ kind: 'resnet' } & ResnetSpec);

/**
 * Part of every spec's hash: bump it when a builder changes what it writes for a given spec, so
 * models cached by an older version are regenerated.
 */
export const ZOO_GENERATOR_VERSION = 1;

/** Metadata key under which a zoo model stores its normalized spec (as JSON). */
export const ZOO_SPEC_METADATA_KEY = 'tutti.zoo.spec';

/** The spec checked and with its defaults filled in; two specs describing the same model normalize equally. */
export function normalizeZooSpec(spec: unknown): Required<ZooSpec> {
  checkObject('zoo spec', spec);
  switch (spec.kind) {
    case 'mlp':
      return { kind: 'mlp', ...normalizeMlpSpec(spec, 'zoo spec (mlp)') };
    case 'resnet':
      return { kind: 'resnet', ...normalizeResnetSpec(spec, 'zoo spec (resnet)') };
    default:
      throw new TuttiError('INVALID_OPTION', `zoo spec kind must be 'mlp' or 'resnet', got ${JSON.stringify(spec.kind)}`);
  }
}

/** JSON with object keys sorted, so the hash does not depend on the order a manifest lists fields in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 (hex) of the normalized spec and the generator version: equal hashes mean equal model bytes. */
export function zooSpecHash(spec: unknown): string {
  const normalized = normalizeZooSpec(spec);
  return createHash('sha256')
    .update(canonicalJson({ generator: ZOO_GENERATOR_VERSION, spec: normalized }))
    .digest('hex');
}

/** ONNX bytes of the model a spec describes; the normalized spec is stored in the model's metadata. */
export function buildZooModel(spec: ZooSpec): Uint8Array {
  const normalized = normalizeZooSpec(spec);
  const metadata = { [ZOO_SPEC_METADATA_KEY]: canonicalJson(normalized), 'tutti.zoo.generator': String(ZOO_GENERATOR_VERSION) };
  return normalized.kind === 'mlp' ? mlp(normalized, { metadata }) : resnet(normalized, { metadata });
}
