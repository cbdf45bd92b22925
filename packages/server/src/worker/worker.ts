/**
 * A prediction worker process: the instances of one shard (one member in the per-instance layout,
 * several small members in a grouped layout, see instances.ts). Its main thread takes batches from
 * the batcher (a DEALER to the batcher's ROUTER), computes every hosted member on each in turn, pushes
 * their results to the combiner as one message, and tells the batcher when a batch is done (its
 * credit returns) and that it is alive (heartbeats, also while an inference thread computes; a model
 * fast enough to run inline delays them by a batch at most: see inference.ts). The batcher sends a
 * process at most `credits` batches at a time: that credit is the back-pressure that makes batches
 * grow under load, and with one batch computing per process it is also what keeps the processes on
 * a CPU from computing more batches at once than the plan gave them cores. A computed batch's credit
 * comes back through the combiner, with its answers (see ReplyHeader.credits): the worker sends the
 * batcher nothing per batch, except for one it drops unanswered.
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
  workerId,
  type HelloHeader,
  type MemberResultHeader,
  type WireTensor,
} from '@tutti/protocol';
import { SendQueue } from '@tutti/protocol';
import type { WorkerConfig } from '../shared/config.js';
import type { InstanceLaunch } from '../supervisor/instances.js';
import type { InferenceThreadData } from './inference-thread.js';
import { EmulatedDevice, sleep } from './emulation.js';
import { startInferenceGroup, type Computed, type InferenceGroup } from './inference.js';
import { computeSeconds } from '../shared/metrics.js';
import { mark } from '../shared/spans.js';
import { DroppedMessages } from '../shared/dropped-messages.js';
import { internalCurveClient } from '../shared/curve.js';
import { TIMING } from '../shared/timing.js';
import { processLog } from '../shared/log.js';

/** Batches a process holds at once: one computing, one waiting, so it never idles between batches. */
export const CREDITS = 2;
/** Heartbeats go out this often; the batcher declares an instance dead after several are missed. */
export const HEARTBEAT_INTERVAL_MS = TIMING.heartbeatIntervalMs;
/** Default bound on one batch's compute before the worker counts as hung (emulated and real devices alike). */
export const DEFAULT_HANG_TIMEOUT_MS = TIMING.hangTimeoutMs;

export class PredictionWorker {
  #config: WorkerConfig;
  #link: Dealer;
  #linkQueue: SendQueue;
  #results = new Push({ sendHighWaterMark: 64, linger: 0 });
  #heartbeat: NodeJS.Timeout | undefined;
  #models: InferenceGroup | undefined;
  #dropped = new DroppedMessages('worker', 'batches');
  /** Per hosted member (in the config's order), its emulated device, if it is served in emulation. */
  #emulated: (EmulatedDevice | undefined)[] = [];
  /** When the batch being computed started (0 when idle), to notice a hung inference. */
  #computingSince = 0;

  constructor(config: WorkerConfig) {
    if (config.members.length === 0) throw new TuttiError('INVALID_OPTION', `worker ${config.shard}#${config.instance} hosts no member`);
    this.#config = config;
    this.#link = new Dealer({ linger: 0, routingId: workerId(config.shard, config.instance) });
    this.#linkQueue = new SendQueue(this.#link, (error) => processLog().error({ err: error }, `${this.label}: send to the batcher failed`));
  }

  get label(): string {
    const emulated = this.#config.members.some((m) => m.emulation) ? ' (emulated)' : '';
    return `${this.#config.shard}#${this.#config.instance} on ${this.#config.device}${emulated}`;
  }

  async start(): Promise<void> {
    this.#models = await startInferenceGroup(this.#config.members.map((launch) => this.#model(launch)));
    this.#emulated = this.#config.members.map((launch) => launch.emulation && new EmulatedDevice(launch.emulation, launch.batchSize));
    internalCurveClient(this.#results, this.#config.internalCurve);
    internalCurveClient(this.#link, this.#config.internalCurve);
    this.#results.connect(this.#config.results);
    this.#link.connect(this.#config.batches);
    const { shard, instance, device } = this.#config;
    // Routing starts from the profile of a one-member process; a group's batch costs the sum of its members'.
    const profile = this.#config.members.length === 1 ? this.#config.members[0]!.profile : undefined;
    const members = this.#config.members.map((m) => m.member);
    const hello: HelloHeader = { kind: HELLO, shard, members, instance, device, credits: CREDITS, ...(profile && { profile }) };
    this.#linkQueue.send(encodeHeader(hello));
    // A restarted batcher learns of this instance from a heartbeat (it repeats the hello): one at once
    // when the link comes back, so the new batcher is ready without waiting for the next beat.
    this.#link.events.on('connect', () => this.#linkQueue.send(encodeHeader({ kind: HEARTBEAT, hello })));
    const hangTimeoutMs = this.#config.hangTimeoutMs ?? DEFAULT_HANG_TIMEOUT_MS;
    this.#heartbeat = setInterval(() => {
      // The main thread beats even while an inference thread computes; a compute that never ends is a
      // hang the heartbeat alone would hide, so the worker exits and the supervisor restarts it.
      if (this.#computingSince && performance.now() - this.#computingSince > hangTimeoutMs) {
        processLog().fatal(`${this.label}: a batch has computed for over ${hangTimeoutMs} ms; exiting to be restarted`);
        process.exit(3);
      }
      this.#linkQueue.send(encodeHeader({ kind: HEARTBEAT, hello }));
    }, HEARTBEAT_INTERVAL_MS);
    void this.#loop();
  }

  /** A hosted member's model: its file, settings and batch size, and what its profile says of its speed here. */
  #model(launch: InstanceLaunch): { data: InferenceThreadData; choice: { profiledMs?: number } } {
    const model = this.#config.ensemble.members.find((m) => m.name === launch.member);
    if (!model) throw new TuttiError('INVALID_OPTION', `member "${launch.member}" is not in ensemble ${this.#config.ensemble.name}`);
    // An emulated device's profile is the device's time, not this host's compute: it cannot decide.
    const profiledMs = launch.emulation ? undefined : launch.profile?.find((p) => p.batch === launch.batchSize)?.latencyMs;
    return {
      data: { path: model.path, settings: launch.settings, inputs: this.#config.ensemble.inputs, maxRows: launch.batchSize },
      choice: profiledMs === undefined ? {} : { profiledMs },
    };
  }

  async #loop(): Promise<void> {
    for await (const [headerFrame, ...frames] of this.#link) {
      let header;
      try {
        header = decodeHeader(headerFrame!);
      } catch (error) {
        this.#dropped.drop(error);
        continue;
      }
      if (header.kind !== BATCH) {
        this.#dropped.drop(new Error(`a message of kind ${header.kind} came where batches go`));
        continue;
      }
      // Every request of the batch is past its deadline (answered already): drop the work, return the credit.
      if (header.deadline && Date.now() > header.deadline) {
        this.#linkQueue.send(encodeHeader({ kind: CREDIT, batch: header.batch }));
        continue;
      }
      // The batch's plan rides behind its inputs, for the combiner: passed on untouched.
      const planFrame = header.plan ? frames.pop() : undefined;
      let inputs: WireTensor[];
      try {
        inputs = tensorsOf(header.inputs, frames);
      } catch (error) {
        this.#dropped.drop(error);
        continue;
      }
      mark('worker.received', header.batch);
      const startedAt = performance.now();
      this.#computingSince = startedAt;
      const results: MemberResultHeader[] = [];
      const outputs: WireTensor[] = [];
      // The members one after another: one batch computes at a time in this process, on the threads the plan gave it.
      // A cascade's stage batch names the members it is for: the others this process hosts sit it out.
      const only = header.members && this.#config.members.map((launch) => header.members!.includes(launch.member));
      let computedAll: Computed[];
      try {
        computedAll = await this.#models!.run(inputs, only);
      } catch (error) {
        // The inference thread is gone: this process cannot compute any more. It exits so that the
        // supervisor restarts it and the batcher sends its batches again; none is answered with an error.
        processLog().fatal({ err: error }, `${this.label}: ${(error as Error).message}; exiting to be restarted`);
        process.exit(3);
      }
      for (const [k, launch] of this.#config.members.entries()) {
        if (only && !only[k]) continue;
        const computed = computedAll[k]!;
        computeSeconds.observe({ member: launch.member, device: this.#config.device }, computed.computeMs / 1000);
        const emulated = this.#emulated[k];
        const emulationLagMs = emulated ? await holdBack(emulated, inputs[0]!.shape[0]!, computed.computeMs) : undefined;
        const result: MemberResultHeader = {
          member: launch.member,
          outputs: [],
          computeMs: computed.computeMs,
          ...(emulationLagMs !== undefined && { emulationLagMs }),
        };
        if ('error' in computed) result.error = computed.error;
        else {
          result.outputs = computed.outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape }));
          outputs.push(...computed.outputs);
        }
        results.push(result);
      }
      this.#computingSince = 0;
      mark('worker.computed', header.batch);
      const { shard, instance } = this.#config;
      const serviceMs = performance.now() - startedAt;
      const message = encodeTensorMessage(
        { kind: RESULT, batch: header.batch, shard, instance, serviceMs, results, ...(planFrame && { plan: true }) },
        outputs,
      );
      if (planFrame) message.push(planFrame);
      await this.#results.send(message);
      mark('worker.sent', header.batch);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#link.close();
    this.#results.close();
    await this.#models?.close();
  }
}

/**
 * Emulation: the device is busy for its profiled time, so the result (and the next batch) waits
 * until then. Returns how late the real compute made it (0 when the CPU kept up).
 */
async function holdBack(device: EmulatedDevice, rows: number, computeMs: number): Promise<number> {
  const deviceMs = device.batchLatencyMs(rows);
  if (computeMs < deviceMs) await sleep(deviceMs - computeMs);
  return Math.max(0, computeMs - deviceMs);
}
