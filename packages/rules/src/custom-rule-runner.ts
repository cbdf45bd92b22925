/**
 * Runs a user's combination rule (a JS or TS module) on worker threads, off the combiner's event
 * loop: a slow or blocking rule must not stop the process answering its broker and heartbeats.
 *
 * The module's default export, or else its export named `combine`, is the rule; it may be async.
 * Each thread loads the module once, when it starts; `create()` waits for that and fails fast when
 * the module is missing, does not load, or exports no function.
 *
 * Data crosses threads once each way: the input arrays are copied into one fresh buffer that is
 * transferred to the worker (structured clone would copy twice, and clone a member's whole backing
 * buffer, e.g. a received message, rather than just its view), and the worker transfers the result
 * buffers back. The caller's arrays are never detached.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { TuttiError, invalidOption } from '@tutti/core';
import { checkCombineInput, elementCount } from './check-input.js';
import type { CombineInput, CombineOutput } from './types.js';
import { workerExecArgv } from './worker-exec-argv.js';

export interface CustomRuleRunnerOptions {
  /** Worker threads, each with its own copy of the module (default 1: cores are the budget). */
  threads?: number;
  /** Batches that may wait for a free thread before run() rejects with RESOURCE_EXHAUSTED (default 1024). */
  maxQueue?: number;
  /**
   * A batch the rule has not combined within this time (waiting for a thread included) fails with
   * INTERNAL, and its thread, stuck in an endless loop perhaps, is replaced (default 10 s).
   */
  timeoutMs?: number;
}

const DEFAULT_MAX_QUEUE = 1024;
const DEFAULT_TIMEOUT_MS = 10_000;
const WORKER_FILE = new URL('./custom-rule-worker.mjs', import.meta.url).href;

/** What the worker answers (see custom-rule-worker.mjs). */
type WorkerAnswer = { ok: true; exportName?: string; outputs?: CombineOutput } | { ok: false; reason: string; stack?: string };

export class CustomRuleRunner {
  /** Absolute path of the rule module. */
  readonly modulePath: string;
  /** Which export is the rule: 'default' or 'combine'. */
  readonly exportName: string;
  readonly threads: number;
  readonly timeoutMs: number;
  #pool: Piscina;
  #closed = false;
  /** Batches running or queued. Counted here: piscina does not bound its queue for tasks that carry an abort signal. */
  #pending = 0;
  #maxPending: number;

  private constructor(modulePath: string, exportName: string, threads: number, timeoutMs: number, maxQueue: number, pool: Piscina) {
    this.modulePath = modulePath;
    this.exportName = exportName;
    this.threads = threads;
    this.timeoutMs = timeoutMs;
    this.#maxPending = threads + maxQueue;
    this.#pool = pool;
  }

  static async create(modulePath: string, options: CustomRuleRunnerOptions = {}): Promise<CustomRuleRunner> {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) invalidOption('CustomRuleRunner threads', options.threads, 'an integer >= 1');
    const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
    if (!(Number.isInteger(maxQueue) || maxQueue === Infinity) || maxQueue < 0) {
      invalidOption('CustomRuleRunner maxQueue', options.maxQueue, 'an integer >= 0 or Infinity');
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0)) invalidOption('CustomRuleRunner timeoutMs', options.timeoutMs, 'a positive number of ms');
    if (typeof modulePath !== 'string' || modulePath === '') invalidOption('custom rule module path', modulePath, 'a non-empty string');
    const absolutePath = modulePath.startsWith('file:') ? fileURLToPath(modulePath) : resolve(modulePath);
    const found = await stat(absolutePath).catch(() => undefined);
    if (!found?.isFile()) throw new TuttiError('INVALID_OPTION', `custom rule ${absolutePath}: module not found`);

    const pool = new Piscina({
      filename: WORKER_FILE,
      workerData: { modulePath: absolutePath },
      // Every thread starts (and loads the module) now, not on the first busy batch.
      minThreads: threads,
      maxThreads: threads,
      maxQueue,
      execArgv: workerExecArgv(process.execArgv),
    });
    // A thread that dies between tasks is replaced by piscina; without a listener its 'error' event would crash the process.
    pool.on('error', () => {});
    let answer: WorkerAnswer;
    try {
      answer = (await pool.run({ kind: 'describe' })) as WorkerAnswer;
    } catch (error) {
      answer = { ok: false, reason: `worker failed to start: ${(error as Error).message}` };
    }
    if (!answer.ok) {
      await pool.destroy();
      throw new TuttiError('INVALID_OPTION', `custom rule ${absolutePath} ${answer.reason}`, { cause: causeOf(answer) });
    }
    return new CustomRuleRunner(absolutePath, answer.exportName ?? 'default', threads, timeoutMs, maxQueue, pool);
  }

  /**
   * Combines one batch on a worker thread. Rejects with INTERNAL when the rule throws, runs past
   * `timeoutMs`, or returns anything but every output as a Float32Array (or number array) of the right length,
   * RESOURCE_EXHAUSTED when the queue is full, UNAVAILABLE after close().
   */
  async run(input: CombineInput): Promise<CombineOutput> {
    if (this.#closed) throw new TuttiError('UNAVAILABLE', `custom rule ${this.modulePath}: runner is closed`);
    checkCombineInput(input);
    if (this.#pending >= this.#maxPending) {
      throw new TuttiError('RESOURCE_EXHAUSTED', `custom rule ${this.modulePath}: ${this.threads} thread(s) busy and the queue is full`);
    }
    const { task, buffer } = packForWorker(input);
    let answer: WorkerAnswer;
    this.#pending++;
    try {
      // Aborting a running task terminates its thread; piscina starts another in its place.
      answer = (await this.#pool.run(task, { transferList: [buffer], signal: AbortSignal.timeout(this.timeoutMs) })) as WorkerAnswer;
    } catch (error) {
      throw this.#poolError(error);
    } finally {
      this.#pending--;
    }
    if (!answer.ok) throw new TuttiError('INTERNAL', `custom rule ${this.modulePath} ${answer.reason}`, { cause: causeOf(answer) });
    return answer.outputs!;
  }

  /** Lets running batches finish (within piscina's 30 s close timeout), then stops the threads; later run() calls reject with UNAVAILABLE. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
  }

  #poolError(error: unknown): TuttiError {
    const message = error instanceof Error ? error.message : String(error);
    if (this.#closed)
      return new TuttiError('UNAVAILABLE', `custom rule ${this.modulePath}: runner closed before the batch ran`, { cause: error });
    if ((error as Error)?.name === 'AbortError') {
      return new TuttiError(
        'INTERNAL',
        `custom rule ${this.modulePath} did not combine the batch within ${this.timeoutMs} ms (an endless loop?); its thread was replaced`,
        { cause: error },
      );
    }
    // Piscina's messages for a full queue (see piscina's errors.js).
    if (message === 'Task queue is at limit' || message.startsWith('No task queue available')) {
      return new TuttiError('RESOURCE_EXHAUSTED', `custom rule ${this.modulePath}: ${this.threads} thread(s) busy and the queue is full`, {
        cause: error,
      });
    }
    return new TuttiError('INTERNAL', `custom rule ${this.modulePath} failed on its worker thread: ${message}`, { cause: error });
  }
}

/** The worker's stack, so a failure points into the rule module rather than into this file. */
function causeOf(answer: { reason: string; stack?: string }): Error | undefined {
  if (answer.stack === undefined) return undefined;
  const cause = new Error(answer.reason);
  cause.stack = answer.stack;
  return cause;
}

/** Copies every member array into one new buffer (one copy) and builds the task over views of it. */
function packForWorker(input: CombineInput): { task: { kind: 'combine'; input: CombineInput }; buffer: ArrayBuffer } {
  let total = 0;
  for (const { shape } of Object.values(input.outputs)) total += elementCount(shape) * input.members.length;
  const packed = new Float32Array(total);
  const outputs: CombineInput['outputs'] = {};
  let offset = 0;
  for (const [name, { shape, data }] of Object.entries(input.outputs)) {
    const views: Float32Array[] = [];
    for (const array of data) {
      const view = packed.subarray(offset, offset + array.length);
      view.set(array);
      views.push(view);
      offset += array.length;
    }
    outputs[name] = { shape: [...shape], data: views };
  }
  return { task: { kind: 'combine', input: { members: input.members, weights: input.weights, outputs } }, buffer: packed.buffer };
}
