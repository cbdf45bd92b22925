/**
 * A prediction worker: one instance of one member. Its main thread pulls batches from the batcher
 * and pushes results to the combiner; the inference thread computes. It takes the next batch only
 * when the thread is free, so a busy worker leaves batches in ZeroMQ's queue and the batcher's sends
 * slow down: that back-pressure is what makes batches grow under load.
 */
import type { Worker as Thread } from 'node:worker_threads';
import { Pull, Push } from 'zeromq';
import { BATCH, RESULT, TuttiError, decodeHeader, encodeHeader, encodeTensorMessage, tensorsOf, type ResultHeader } from '@tutti/protocol';
import type { WorkerConfig } from './config.js';
import type { InferenceThreadData, ThreadReply, ThreadRequest } from './inference-thread.js';
import { EmulatedDevice, sleep } from './emulation.js';
import { startTsWorker } from './ts-worker.js';

type Computed = Extract<ThreadReply, { id: number }>;

export class PredictionWorker {
  #config: WorkerConfig;
  #batches = new Pull({ receiveHighWaterMark: 2, linger: 0 });
  #results = new Push({ sendHighWaterMark: 64, linger: 0 });
  #thread: Thread | undefined;
  #nextId = 0;
  #waiting = new Map<number, (reply: Computed) => void>();
  #emulated: EmulatedDevice | undefined;

  constructor(config: WorkerConfig) {
    this.#config = config;
    if (config.emulation) this.#emulated = new EmulatedDevice(config.emulation, config.batchSize);
  }

  get label(): string {
    return `${this.#config.member}#${this.#config.instance} on ${this.#config.device}${this.#emulated ? ' (emulated)' : ''}`;
  }

  async start(): Promise<void> {
    const member = this.#config.ensemble.members.find((m) => m.name === this.#config.member);
    if (!member) throw new TuttiError('INVALID_OPTION', `member "${this.#config.member}" is not in ensemble ${this.#config.ensemble.name}`);
    await this.#startThread({
      path: member.path,
      settings: this.#config.settings,
      inputs: this.#config.ensemble.inputs,
      maxRows: this.#config.batchSize,
    });
    this.#batches.connect(this.#config.batches);
    this.#results.connect(this.#config.results);
    void this.#loop();
  }

  #startThread(data: InferenceThreadData): Promise<void> {
    const thread = startTsWorker(new URL('./inference-thread.ts', import.meta.url), { workerData: data });
    this.#thread = thread;
    return new Promise((resolve, reject) => {
      thread.on('message', (reply: ThreadReply) => {
        if ('id' in reply) {
          this.#waiting.get(reply.id)?.(reply);
          this.#waiting.delete(reply.id);
        } else if (reply.type === 'loaded') resolve();
        else reject(new TuttiError('MODEL_ERROR', reply.error));
      });
      thread.on('error', (error) => reject(error));
      thread.on('exit', (code) => reject(new TuttiError('PROCESS_FAILED', `inference thread of ${this.label} exited with code ${code}`)));
    });
  }

  #compute(inputs: ThreadRequest['inputs']): Promise<Computed> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.#thread!.postMessage({ id, inputs } satisfies ThreadRequest);
    });
  }

  async #loop(): Promise<void> {
    for await (const [headerFrame, ...frames] of this.#batches) {
      const header = decodeHeader(headerFrame!);
      if (header.kind !== BATCH) continue;
      const computed = await this.#compute(tensorsOf(header.inputs, frames));
      const emulationLagMs = this.#emulated ? await this.#holdBack(header.inputs[0]!.shape[0]!, computed.computeMs) : undefined;
      const result: ResultHeader = {
        kind: RESULT,
        batch: header.batch,
        member: this.#config.member,
        instance: this.#config.instance,
        outputs: 'outputs' in computed ? computed.outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })) : [],
        computeMs: computed.computeMs,
        ...(emulationLagMs !== undefined && { emulationLagMs }),
      };
      if ('error' in computed) {
        result.error = computed.error;
        await this.#results.send([encodeHeader(result)]);
      } else {
        await this.#results.send(encodeTensorMessage(result, computed.outputs));
      }
    }
  }

  /**
   * Emulation: the device is busy for its profiled time, so the result (and the next batch) waits
   * until then. Returns how late the real compute made it (0 when the CPU kept up).
   */
  async #holdBack(rows: number, computeMs: number): Promise<number> {
    const deviceMs = this.#emulated!.batchLatencyMs(rows);
    if (computeMs < deviceMs) await sleep(deviceMs - computeMs);
    return Math.max(0, computeMs - deviceMs);
  }

  async close(): Promise<void> {
    this.#batches.close();
    this.#results.close();
    await this.#thread?.terminate();
  }
}
