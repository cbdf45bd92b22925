/** A tiny real ONNX model in a temp dir, and an ensemble of it, for tests that measure. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Ensemble } from '@tutti/manifest';
import type { TensorSpec } from '@tutti/protocol';
import { mlp } from '@tutti/zoo';

export const TINY_INPUTS: TensorSpec[] = [{ name: 'input', datatype: 'FP32', shape: [-1, 8] }];

export interface Workspace {
  dir: string;
  cacheDir: string;
  modelPath: string;
  remove(): void;
}

export function tinyWorkspace(): Workspace {
  const dir = mkdtempSync(path.join(tmpdir(), 'tutti-profiler-'));
  const modelPath = path.join(dir, 'tiny.onnx');
  writeFileSync(modelPath, mlp({ inputSize: 8, hidden: [16], outputs: 4, seed: 1 }));
  return { dir, cacheDir: path.join(dir, 'cache'), modelPath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function tinyEnsemble(workspace: Workspace, memberNames: string[] = ['tiny']): Ensemble {
  return {
    name: 'tiny',
    dir: workspace.dir,
    manifestPath: path.join(workspace.dir, 'manifest.yaml'),
    inputs: TINY_INPUTS,
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 4] }],
    members: memberNames.map((name) => ({ name, path: workspace.modelPath, weight: 1 })),
    rule: { kind: 'builtin', name: 'mean' },
    batching: { maxBatchSize: 4, maxQueueDelayMs: 1, maxQueue: 100, maxQueueBytes: 2 ** 20 },
    endpoint: 'tcp://127.0.0.1:0',
  };
}

/** Short measurements: these tests check structure and caching, not speed. */
export const QUICK = { minRuns: 3, minMs: 10 } as const;
