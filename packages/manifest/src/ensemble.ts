/** The resolved ensemble: what the server runs, with absolute paths and every default filled in. */
import path from 'node:path';
import type { TensorSpec } from '@tutti/onnx';
import type { ZooSpec } from '@tutti/zoo';
import type { BuiltinRule, CascadeScore, ManifestDocument } from './schema.js';

export interface EnsembleMember {
  name: string;
  /** Absolute path of the ONNX model file. */
  path: string;
  /** Weight in weighted-mean; 1 unless the manifest says otherwise. */
  weight: number;
  /** Zoo model generated at `path` when the file is missing. */
  generate?: ZooSpec;
}

export type EnsembleRule = { kind: 'builtin'; name: BuiltinRule } | { kind: 'module'; path: string };

export interface Ensemble {
  name: string;
  description?: string;
  /** Absolute path of the ensemble folder. */
  dir: string;
  /** Absolute path of manifest.yaml. */
  manifestPath: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  members: EnsembleMember[];
  rule: EnsembleRule;
  batching: { maxBatchSize: number; maxQueueDelayMs: number; maxQueue: number; maxQueueBytes: number };
  endpoint: string;
  /** Deadline of a request that gives no timeout_ms (the server's default applies when absent). */
  requestTimeoutMs?: number;
  latencyTarget?: { p99Ms: number };
  /** Early exit across members (schema.ts, cascadeSchema). */
  cascade?: EnsembleCascade;
}

export interface EnsembleCascade {
  /** Member names in ordered stages, cheapest first; every member in exactly one. */
  stages: string[][];
  score: CascadeScore;
  /** The output scored. */
  output: string;
  /** Absolute path of the calibration file (written by tutti calibrate; may not exist yet). */
  calibrationPath: string;
  /** Default accuracy target of a request that sets none. */
  accuracyTarget?: number;
}

/** `rulePath` is the checked absolute path of a custom rule module (see files.ts). */
export function toEnsemble(document: ManifestDocument, manifestPath: string, rulePath: string | undefined): Ensemble {
  const dir = path.dirname(manifestPath);
  const rule: EnsembleRule =
    typeof document.rule === 'string'
      ? { kind: 'builtin', name: document.rule }
      : { kind: 'module', path: rulePath ?? path.resolve(dir, document.rule.module) };
  return {
    name: document.name,
    ...(document.description !== undefined && { description: document.description }),
    dir,
    manifestPath,
    inputs: document.inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape: [...shape] })),
    outputs: document.outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape: [...shape] })),
    members: document.members.map((member) => ({
      name: member.name,
      path: path.resolve(dir, member.path),
      weight: member.weight,
      ...(member.generate && { generate: member.generate }),
    })),
    rule,
    batching: { ...document.batching },
    endpoint: document.endpoint,
    ...(document.requestTimeoutMs !== undefined && { requestTimeoutMs: document.requestTimeoutMs }),
    ...(document.latencyTarget && { latencyTarget: { ...document.latencyTarget } }),
    ...(document.cascade && {
      cascade: {
        stages: document.cascade.stages.map((stage) => [...stage]),
        score: document.cascade.score,
        output: document.cascade.output ?? document.outputs[0]!.name,
        calibrationPath: path.resolve(dir, document.cascade.calibration),
        ...(document.cascade.accuracyTarget !== undefined && { accuracyTarget: document.cascade.accuracyTarget }),
      },
    }),
  };
}
