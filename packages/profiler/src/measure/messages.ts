/** What the parent asks a measuring child process, and what the child reports back over IPC. */
import type { ProfilePoint } from '@tutti/allocator';
import type { TensorSpec } from '@tutti/protocol';
import type { RunLimits } from './timing.js';

export interface MeasureRequest {
  modelPath: string;
  inputs: TensorSpec[];
  /** Ascending, distinct. */
  batchSizes: number[];
  /** Ascending, distinct, each at most this host's cores. */
  threadOptions: number[];
  limits: RunLimits;
  /** Where to measure: this host's CPU (default) or one of its GPUs, with onnxruntime's CUDA provider. */
  gpu?: number;
}

export type ChildMessage =
  | {
      type: 'memory';
      /** RSS of the child once onnxruntime is imported, before the session exists. */
      baselineRssBytes: number;
      /** RSS after creating the session and running one batch of the largest size. */
      loadedRssBytes: number;
    }
  /** One round of one point done: `done` of `total` (points x rounds). */
  | { type: 'progress'; batch: number; threads: number; roundMedianMs: number; done: number; total: number }
  /** A point's final latency, sent once every round is done. */
  | { type: 'point'; point: ProfilePoint }
  | { type: 'done' }
  | { type: 'failed'; error: string };
