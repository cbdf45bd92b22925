/**
 * @tutti/manifest: the ensemble manifest (manifest.yaml) — its schema, its checks against the
 * files it names, and the resolved Ensemble the server runs.
 */
export { parseManifest } from './parse.js';
export { loadManifest, validateEnsemble, type LoadOptions, type ValidationResult } from './load.js';
export { ManifestError, formatIssue, formatIssues, type ManifestIssue } from './issues.js';
export type { Ensemble, EnsembleCascade, EnsembleMember, EnsembleRule } from './ensemble.js';
export {
  BUILTIN_RULES,
  DEFAULT_ENDPOINT,
  MANIFEST_FILE,
  manifestJsonSchema,
  manifestSchema,
  CASCADE_SCORES,
  type CascadeScore,
  type BuiltinRule,
  type ManifestDocument,
} from './schema.js';
export { formatShape } from './signature.js';
export type { TensorSpec } from '@tutti/onnx';
