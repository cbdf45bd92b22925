/**
 * Where a worker runs its model. `session.run()` blocks its JS thread for the whole inference, so a
 * model that computes for long runs on an inference thread, leaving the worker's main thread free
 * to move messages. A model that computes in well under a millisecond (the digits MLPs: 20–100 µs a
 * batch) runs inline on the main thread: the hop to a thread and back cost ~0.5 ms a batch on this
 * kind of host (two wake-ups and two structured clones), ten times the compute it carried.
 *
 * A process hosting several members (a grouped layout) starts them as one group: the fast ones
 * inline, the others on one shared inference thread, so a batch crosses to a thread once, not once
 * per member (for zoo-cnn's four ResNets that saved three copies of every batch and three threads).
 *
 * Which one is decided by measuring, not guessing. When the instance's profile (measured on this
 * host) gives its batch latency, that decides, and the model is loaded once, where it will run.
 * Without one, the session is loaded on the main thread and warmed up at the instance's batch size;
 * if a warm batch takes longer than `inlineMaxMs`, it is released and loaded again on a thread.
 */
import type { Worker as Thread } from 'node:worker_threads';
import { ModelSession } from '@tutti/runtime';
import { TuttiError, type WireTensor } from '@tutti/protocol';
import { runInChunks, warmupInputs } from './batch-run.js';
import type { InferenceThreadData, ThreadReply, ThreadRequest } from './inference-thread.js';
import { startTsWorker } from './ts-worker.js';

export type Computed = { outputs: WireTensor[]; computeMs: number } | { error: string; computeMs: number };

/**
 * Longest warm batch that still runs inline. A batch this long delays the main thread's heartbeats
 * and reads by as much, far inside the batcher's 2 s heartbeat timeout.
 */
export const DEFAULT_INLINE_MAX_MS = 2;
/** Warm-up batches timed to decide (the first one also plans onnxruntime's allocations). */
const WARMUP_RUNS = 3;

export interface Inference {
  /** 'inline' (main thread) or 'thread' (inference thread), for logs and tests. */
  readonly where: 'inline' | 'thread';
  /** The warm batch latency measured at start, ms. */
  readonly warmMs: number;
  run(inputs: WireTensor[]): Promise<Computed>;
  close(): Promise<void>;
}

export interface InferenceChoice {
  /** Longest warm batch that runs inline (default DEFAULT_INLINE_MAX_MS). */
  inlineMaxMs?: number;
  /** The batch latency at the instance's batch size from its profile on this host, when known. */
  profiledMs?: number;
}

/** Where one model will run: inline (a session loaded and warmed here), or on a thread (to be loaded there). */
type Placement = { inline: InlineInference } | { thread: InferenceThreadData; warmMs: number };

async function place(data: InferenceThreadData, choice: InferenceChoice): Promise<Placement> {
  const inlineMaxMs = choice.inlineMaxMs ?? DEFAULT_INLINE_MAX_MS;
  if (choice.profiledMs !== undefined && choice.profiledMs > inlineMaxMs) return { thread: data, warmMs: choice.profiledMs };
  const session = await ModelSession.load(data.path, data.settings);
  const warm = warmupInputs(data.inputs, data.maxRows);
  const times: number[] = [];
  for (let k = 0; k < WARMUP_RUNS; k++) {
    const started = performance.now();
    await session.run(warm);
    times.push(performance.now() - started);
  }
  const warmMs = Math.min(...times.slice(1));
  if (warmMs <= inlineMaxMs) return { inline: new InlineInference(session, data.maxRows, warmMs) };
  await session.close();
  return { thread: data, warmMs };
}

export async function startInference(data: InferenceThreadData, choice: InferenceChoice = {}): Promise<Inference> {
  const placed = await place(data, choice);
  if ('inline' in placed) return placed.inline;
  const thread = await InferenceThread.start([placed.thread]);
  return { where: 'thread', warmMs: placed.warmMs, run: async (inputs) => (await thread.run(inputs))[0]!, close: () => thread.close() };
}

/** The models of one worker process, computed one after another on each batch. */
export interface InferenceGroup {
  /** Where each model runs, in the order given. */
  readonly where: ('inline' | 'thread')[];
  /** One result per model, in the order given; with `only`, the models it marks false are not run (their result is empty). */
  run(inputs: WireTensor[], only?: readonly boolean[]): Promise<Computed[]>;
  close(): Promise<void>;
}

/**
 * Starts a process's models: the fast ones inline, the others on one shared inference thread, so a
 * batch crosses to a thread at most once whatever the number of members.
 */
export async function startInferenceGroup(
  models: readonly { data: InferenceThreadData; choice?: InferenceChoice }[],
): Promise<InferenceGroup> {
  const placed: Placement[] = [];
  for (const model of models) placed.push(await place(model.data, model.choice ?? {}));
  const threaded = placed.flatMap((p) => ('thread' in p ? [p.thread] : []));
  const thread = threaded.length > 0 ? await InferenceThread.start(threaded) : undefined;
  return {
    where: placed.map((p) => ('inline' in p ? 'inline' : 'thread')),
    async run(inputs, only) {
      const threadOnly = only && placed.flatMap((p, k) => ('thread' in p ? [only[k]!] : []));
      const fromThread = thread && (!threadOnly || threadOnly.some(Boolean)) ? await thread.run(inputs, threadOnly) : [];
      let next = 0;
      const results: Computed[] = [];
      for (const [k, p] of placed.entries()) {
        if ('inline' in p) results.push(only && !only[k] ? { outputs: [], computeMs: 0 } : await p.inline.run(inputs));
        else results.push(fromThread[next++] ?? { outputs: [], computeMs: 0 });
      }
      return results;
    },
    async close() {
      for (const p of placed) if ('inline' in p) await p.inline.close();
      await thread?.close();
    },
  };
}

class InlineInference implements Inference {
  readonly where = 'inline';
  readonly warmMs: number;
  #session: ModelSession;
  #maxRows: number;

  constructor(session: ModelSession, maxRows: number, warmMs: number) {
    this.#session = session;
    this.#maxRows = maxRows;
    this.warmMs = warmMs;
  }

  async run(inputs: WireTensor[]): Promise<Computed> {
    const started = performance.now();
    try {
      const outputs = await runInChunks(this.#session, inputs, this.#maxRows);
      return { outputs, computeMs: performance.now() - started };
    } catch (error) {
      return { error: (error as Error).message, computeMs: performance.now() - started };
    }
  }

  close(): Promise<void> {
    return this.#session.close();
  }
}

/** An inference thread hosting one or more sessions (inference-thread.ts). */
class InferenceThread {
  #thread: Thread;
  #nextId = 0;
  #waiting = new Map<number, { resolve: (results: Computed[]) => void; reject: (error: Error) => void }>();
  /** Why the thread is gone, once it is: runs then fail at once instead of waiting for a reply that cannot come. */
  #gone: TuttiError | undefined;

  private constructor(thread: Thread) {
    this.#thread = thread;
  }

  static start(data: InferenceThreadData[]): Promise<InferenceThread> {
    const thread = startTsWorker(new URL('./inference-thread.ts', import.meta.url), { workerData: data });
    const inference = new InferenceThread(thread);
    return new Promise((resolve, reject) => {
      thread.on('message', (reply: ThreadReply) => {
        if ('id' in reply) {
          inference.#waiting.get(reply.id)?.resolve(reply.results);
          inference.#waiting.delete(reply.id);
        } else if (reply.type === 'loaded') resolve(inference);
        else reject(new TuttiError('MODEL_ERROR', reply.error));
      });
      const gone = (why: string) => {
        const error = new TuttiError('PROCESS_FAILED', why);
        inference.#gone ??= error;
        reject(error);
        for (const waiting of inference.#waiting.values()) waiting.reject(error);
        inference.#waiting.clear();
      };
      thread.on('error', (error) => gone(`inference thread failed: ${error.message}`));
      thread.on('exit', (code) => gone(`inference thread exited with code ${code}`));
    });
  }

  /** Rejects (at once, with PROCESS_FAILED) when the thread is gone or goes while computing. */
  run(inputs: WireTensor[], only?: boolean[]): Promise<Computed[]> {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#thread.postMessage({ id, inputs, ...(only && { only }) } satisfies ThreadRequest);
    });
  }

  async close(): Promise<void> {
    await this.#thread.terminate();
  }
}
