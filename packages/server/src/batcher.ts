/**
 * The batching process. Owns the client-facing ROUTER: decodes and checks each request, answers
 * metadata/health/errors itself, queues inference requests, and when the policy says a batch is due
 * sends the batch's plan to the combiner and the same encoded batch to every member. Replies come
 * back from the combiner already encoded and are forwarded to clients untouched.
 */
import { Pull, Push, Router } from 'zeromq';
import {
  BATCH,
  PLAN,
  checkInferInputs,
  decodeMessage,
  encodeError,
  encodeErrorOf,
  encodeHeader,
  encodeMessage,
  encodeTensorMessage,
  parseRequest,
  requestIdOf,
  type InferRequest,
  type MetadataReply,
  type PlanHeader,
  type RequestId,
  type WireTensor,
} from '@tutti/protocol';
import type { Ensemble } from '@tutti/manifest';
import { BatchingPolicy, type Queued } from './batching-policy.js';
import type { BatcherConfig } from './config.js';
import { SendQueue } from './send-queue.js';

interface Pending extends Queued {
  envelope: Buffer[];
  id: RequestId;
  tensors: WireTensor[];
  members: boolean;
  deadline: number;
}

/** Largest client message accepted (bytes); larger ones are dropped by libzmq before we see them. */
const MAX_CLIENT_MESSAGE = 256 * 1024 * 1024;

export class Batcher {
  #ensemble: Ensemble;
  #config: BatcherConfig;
  #router = new Router({ linger: 0, maxMessageSize: MAX_CLIENT_MESSAGE });
  #clientQueue = new SendQueue(this.#router, (error) => console.error('batcher: reply to client failed:', error));
  #members = new Map<string, Push>();
  #plans = new Push({ linger: 0, sendHighWaterMark: 0 });
  #replies = new Pull({ linger: 0, receiveHighWaterMark: 0 });
  #policy: BatchingPolicy<Pending>;
  #ready = false;
  #notReadyReason = 'the ensemble is starting';
  #running = true;
  #nextBatch = 0;
  #wakeDispatcher: (() => void) | undefined;

  constructor(config: BatcherConfig) {
    this.#config = config;
    this.#ensemble = config.ensemble;
    this.#policy = new BatchingPolicy(config.ensemble.batching);
    for (const member of config.ensemble.members) {
      // A small high-water mark: a busy member stops taking batches, sends wait, and the queue
      // grows into bigger batches instead of piling up inside ZeroMQ.
      this.#members.set(member.name, new Push({ linger: 0, sendHighWaterMark: 2 }));
    }
  }

  setReady(ready: boolean, reason?: string): void {
    this.#ready = ready;
    this.#notReadyReason = reason ?? 'the ensemble is not ready';
  }

  async start(): Promise<Record<string, string>> {
    const endpoints: Record<string, string> = {};
    for (const [name, socket] of this.#members) {
      await socket.bind(this.#config.bindMembers[name]!);
      endpoints[`member:${name}`] = socket.lastEndpoint!;
    }
    this.#plans.connect(this.#config.combiner.input);
    this.#replies.connect(this.#config.combiner.replies);
    await this.#router.bind(this.#config.clientEndpoint.replace(/:0$/, ':*'));
    endpoints.client = this.#router.lastEndpoint!;
    void this.#receiveLoop();
    void this.#replyLoop();
    void this.#dispatchLoop();
    return endpoints;
  }

  async #receiveLoop(): Promise<void> {
    for await (const frames of this.#router) {
      const payload = frames[frames.length - 1]!;
      const envelope = frames.slice(0, -1);
      let id: RequestId | null = null;
      try {
        const message = decodeMessage(payload);
        id = requestIdOf(message);
        const request = parseRequest(message);
        if (request.op === 'infer') this.#enqueue(envelope, request);
        else this.#reply(envelope, encodeMessage(request.op === 'health' ? { id, live: true, ready: this.#ready } : this.#metadata(request.id)));
      } catch (error) {
        this.#reply(envelope, encodeErrorOf(id, error));
      }
    }
  }

  #metadata(id: RequestId): MetadataReply {
    const { name, inputs, outputs, members, rule } = this.#ensemble;
    return { id, name, inputs, outputs, members: members.map((m) => m.name), rule: rule.kind === 'builtin' ? rule.name : 'custom' };
  }

  #enqueue(envelope: Buffer[], request: InferRequest): void {
    if (!this.#ready) {
      this.#reply(envelope, encodeError(request.id, 'UNAVAILABLE', `${this.#notReadyReason}; retry shortly`));
      return;
    }
    const { tensors, batchSize } = checkInferInputs(request.inputs, this.#ensemble.inputs, this.#ensemble.batching.maxBatchSize);
    const timeout = request.parameters.timeout_ms;
    this.#policy.push({
      envelope,
      id: request.id,
      tensors,
      rows: batchSize,
      arrivedAt: performance.now(),
      members: request.parameters.members === true,
      deadline: timeout ? Date.now() + timeout : 0,
    });
    this.#wakeDispatcher?.();
  }

  #reply(envelope: Buffer[], frame: Buffer): void {
    this.#clientQueue.send([...envelope, frame]);
  }

  async #replyLoop(): Promise<void> {
    for await (const frames of this.#replies) this.#clientQueue.send(frames);
  }

  async #dispatchLoop(): Promise<void> {
    while (this.#running) {
      const due = this.#policy.dueAt();
      const wait = due === undefined ? Infinity : due - performance.now();
      if (wait > 0) {
        await this.#sleep(wait);
        continue;
      }
      this.#expire();
      const items = this.#policy.take();
      if (items.length > 0) await this.#dispatch(items);
    }
  }

  /** Sleeps until `ms` passes or a request arrives, whichever comes first. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeDispatcher = () => {
        this.#wakeDispatcher = undefined;
        done();
      };
    });
  }

  #expire(): void {
    const now = Date.now();
    for (const item of this.#policy.removeWhere((p) => p.deadline !== 0 && p.deadline <= now)) {
      this.#reply(item.envelope, encodeError(item.id, 'DEADLINE_EXCEEDED', `request ${item.id} waited in the queue past its timeout`));
    }
  }

  async #dispatch(items: Pending[]): Promise<void> {
    const batch = this.#nextBatch++;
    let offset = 0;
    const plan: PlanHeader = {
      kind: PLAN,
      batch,
      size: 0,
      parts: items.map((item) => {
        const part = { envelope: item.envelope, id: item.id, offset, count: item.rows, members: item.members, deadline: item.deadline };
        offset += item.rows;
        return part;
      }),
    };
    plan.size = offset;
    const inputs = this.#ensemble.inputs.map((spec, index): WireTensor => {
      const first = items[0]!.tensors[index]!;
      // One request: its bytes go out as received. Several: one copy into the batch buffer.
      const data = items.length === 1 ? first.data : Buffer.concat(items.map((item) => item.tensors[index]!.data));
      return { name: spec.name, datatype: spec.datatype, shape: [offset, ...first.shape.slice(1)], data };
    });
    const frames = encodeTensorMessage(
      { kind: BATCH, batch, inputs: inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })), sentAt: performance.timeOrigin + performance.now() },
      inputs,
    );
    await this.#plans.send(encodeHeader(plan));
    // The same frames go to every member: encoded once, never copied per member.
    await Promise.all([...this.#members.values()].map((socket) => socket.send(frames)));
  }

  async close(): Promise<void> {
    this.#running = false;
    this.#wakeDispatcher?.();
    this.#router.close();
    this.#plans.close();
    this.#replies.close();
    for (const socket of this.#members.values()) socket.close();
  }
}
