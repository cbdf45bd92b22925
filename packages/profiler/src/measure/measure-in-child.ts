/** The parent side of a measurement: forks child-main.ts under tsx and gathers what it reports. */
import { forkChild } from '@tutti/child-process';
import type { ProfilePoint } from '@tutti/allocator';
import { TuttiError } from '@tutti/protocol';
import type { ChildMessage, MeasureRequest } from './messages.js';

const CHILD_ENTRY = new URL('./child-main.ts', import.meta.url);
/** Enough of the child's stderr to explain a crash (onnxruntime prints there before aborting). */
const STDERR_TAIL_CHARS = 2000;

export type MeasureEvent =
  | { type: 'memory'; bytes: number; processBaselineBytes: number }
  /** One round of one point measured (see timing.ts): `done` of `total` rounds. */
  | { type: 'progress'; batch: number; threads: number; roundMedianMs: number; done: number; total: number }
  /** A point's latency, once all its rounds are done: `done` of `total` points. */
  | { type: 'point'; point: ProfilePoint; done: number; total: number };

export interface Measurement {
  /** RSS increase of the child from creating one session and running one batch of the largest size. */
  memoryBytes: number;
  /** RSS of a child process with onnxruntime loaded and no session: what each worker process costs besides. */
  processBaselineBytes: number;
  points: ProfilePoint[];
}

export function measureInChild(request: MeasureRequest, onEvent: (event: MeasureEvent) => void = () => {}): Promise<Measurement> {
  const total = request.batchSizes.length * request.threadOptions.length;
  const points: ProfilePoint[] = [];
  let memory: { bytes: number; baseline: number } | undefined;
  let failure: string | undefined;
  let stderr = '';
  const child = forkChild(CHILD_ENTRY, request, { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
  });
  child.on('message', (message: ChildMessage) => {
    if (message.type === 'memory') {
      memory = { bytes: Math.max(0, message.loadedRssBytes - message.baselineRssBytes), baseline: message.baselineRssBytes };
      onEvent({ type: 'memory', bytes: memory.bytes, processBaselineBytes: memory.baseline });
    } else if (message.type === 'progress') {
      onEvent(message);
    } else if (message.type === 'point') {
      points.push(message.point);
      onEvent({ type: 'point', point: message.point, done: points.length, total });
    } else if (message.type === 'failed') failure = message.error;
  });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new TuttiError('PROCESS_FAILED', `cannot start a measuring process: ${error.message}`)));
    // 'close' rather than 'exit': it comes after the last IPC message and stderr chunk are delivered.
    child.once('close', (code, signal) => {
      if (code === 0 && memory && points.length === total) {
        resolve({ memoryBytes: memory.bytes, processBaselineBytes: memory.baseline, points });
        return;
      }
      const why = failure ?? (stderr.trim() || `the measuring process exited with ${signal ?? `code ${code}`}`);
      reject(new TuttiError(failure ? 'MODEL_ERROR' : 'PROCESS_FAILED', `profiling ${request.modelPath} failed: ${why}`));
    });
  });
}
