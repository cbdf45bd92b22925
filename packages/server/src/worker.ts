/**
 * A prediction worker: one instance of one member. Its main thread takes batches from the batcher
 * (a DEALER to the batcher's ROUTER), pushes results to the combiner, and tells the batcher when a
 * batch is done (its credit returns) and that it is alive (heartbeats, also while an inference
 * thread computes; a model fast enough to run inline delays them by a batch at most: see
 * inference.ts). The batcher sends an instance at most `credits` batches at a time: that credit is
 * the back-pressure that makes batches grow under load.
 */
import { Dealer, Push } from 'zeromq';
import {
  BATCH,
  CREDIT,
  HEARTBEAT,
  HELLO,
  RESULT,
  TuttiError,
  decodeHeader,
  encodeHeader,
  encodeTensorMessage,
  tensorsOf,
  type HelloHeader,
  type ResultHeader,
} from '@tutti/protocol';
import { SendQueue } from './send-queue.js';
import type { WorkerConfig } from './config.js';
import { EmulatedDevice, sleep } from './emulation.js';
import { startInference, type Inference } from './inference.js';
import { computeSeconds } from './metrics.js';
import { mark } from './spans.js';

/** Batches an instance holds at once: one computing, one waiting, so it never idles between batches. */
export const CREDITS = 2;
/** Heartbeats go out this often; the batcher declares an instance dead after several are missed. */
export const HEARTBEAT_INTERVAL_MS = 500;
/** Default bound on one batch's compute before the worker counts as hung (emulated and real devices alike). */
export const DEFAULT_HANG_TIMEOUT_MS = 60_000;

/** The worker's ZeroMQ routing id, by which the batcher addresses it (stable across restarts). */
export function workerId(member: string, instance: number): string {
  return `${member}#${instance}`;
}

export class PredictionWorker {
  #config: WorkerConfig;
  #link: Dealer;
  #linkQueue: SendQueue;
  #results = new Push({ sendHighWaterMark: 64, linger: 0 });
  #heartbeat: NodeJS.Timeout | undefined;
  #inference: Inference | undefined;
  #emulated: EmulatedDevice | undefined;
  /** When the batch being computed started (0 when idle), to notice a hung inference. */
  #computingSince = 0;

  constructor(config: WorkerConfig) {
    this.#config = config;
    this.#link = new Dealer({ linger: 0, routingId: workerId(config.member, config.instance) });
    this.#linkQueue = new SendQueue(this.#link, (error) => console.error(`worker ${this.label}: send to batcher failed:`, error));
    if (config.emulation) this.#emulated = new EmulatedDevice(config.emulation, config.batchSize);
  }

  get label(): string {
    return `${this.#config.member}#${this.#config.instance} on ${this.#config.device}${this.#emulated ? ' (emulated)' : ''}`;
  }

  async start(): Promise<void> {
    const model = this.#config.ensemble.members.find((m) => m.name === this.#config.member);
    if (!model) throw new TuttiError('INVALID_OPTION', `member "${this.#config.member}" is not in ensemble ${this.#config.ensemble.name}`);
    // An emulated device's profile is the device's time, not this host's compute: it cannot decide.
    const profiledMs = this.#config.emulation ? undefined : this.#config.profile?.find((p) => p.batch === this.#config.batchSize)?.latencyMs;
    this.#inference = await startInference(
      { path: model.path, settings: this.#config.settings, inputs: this.#config.ensemble.inputs, maxRows: this.#config.batchSize },
      profiledMs === undefined ? {} : { profiledMs },
    );
    this.#results.connect(this.#config.results);
    this.#link.connect(this.#config.batches);
    const { member, instance, device, profile } = this.#config;
    const hello: HelloHeader = { kind: HELLO, member, instance, device, credits: CREDITS, ...(profile && { profile }) };
    this.#linkQueue.send(encodeHeader(hello));
    const hangTimeoutMs = this.#config.hangTimeoutMs ?? DEFAULT_HANG_TIMEOUT_MS;
    this.#heartbeat = setInterval(() => {
      // The main thread beats even while an inference thread computes; a compute that never ends is a
      // hang the heartbeat alone would hide, so the worker exits and the supervisor restarts it.
      if (this.#computingSince && performance.now() - this.#computingSince > hangTimeoutMs) {
        console.error(`worker ${this.label}: a batch has computed for over ${hangTimeoutMs} ms; exiting to be restarted`);
        process.exit(3);
      }
      this.#linkQueue.send(encodeHeader({ kind: HEARTBEAT, hello }));
    }, HEARTBEAT_INTERVAL_MS);
    void this.#loop();
  }

  async #loop(): Promise<void> {
    for await (const [headerFrame, ...frames] of this.#link) {
      const header = decodeHeader(headerFrame!);
      if (header.kind !== BATCH) continue;
      // Every request of the batch is past its deadline (answered already): drop the work, return the credit.
      if (header.deadline && Date.now() > header.deadline) {
        this.#linkQueue.send(encodeHeader({ kind: CREDIT, batch: header.batch }));
        continue;
      }
      mark('worker.received', header.batch);
      const startedAt = performance.now();
      this.#computingSince = startedAt;
      const computed = await this.#inference!.run(tensorsOf(header.inputs, frames));
      this.#computingSince = 0;
      mark('worker.computed', header.batch);
      computeSeconds.observe({ member: this.#config.member, device: this.#config.device }, computed.computeMs / 1000);
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
      mark('worker.sent', header.batch);
      this.#linkQueue.send(encodeHeader({ kind: CREDIT, batch: header.batch, serviceMs: performance.now() - startedAt }));
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
    clearInterval(this.#heartbeat);
    this.#link.close();
    this.#results.close();
    await this.#inference?.close();
  }
}
