/**
 * The batching process. Its client endpoint (client-endpoint.ts) decodes each request and answers
 * metadata, health and errors; the batcher checks and queues inference requests, and when the policy
 * says a batch is due and every member has an instance with a free credit, sends the batch's plan to
 * the combiner and the same encoded batch to one instance of every member. The combiner answers
 * clients directly when they connected for it; other replies come back from it already encoded and
 * are forwarded to clients untouched.
 *
 * It keeps each batch until the combiner has answered all of it, so a batch held by a worker that
 * died is sent again to another instance (or the restarted one), and after a combiner restart every
 * unanswered batch is sent again: each request is answered exactly once, by the combiner (the
 * journal of a dead combiner's direct answers and the clients' re-sends settle the doubtful ones, see
 * resend-ledger.ts). While the combiner is down, this process answers deadlines itself. A batcher
 * restarted after a crash starts a new epoch of batch ids; its predecessor's batches are the
 * combiner's to finish (reply-guard.ts).
 */
import { Pull, Push, Router } from 'zeromq';
import {
  CREDIT,
  HEARTBEAT,
  HELLO,
  REPLY,
  checkInferInputs,
  decodeHeader,
  encodeError,
  encodeHeader,
  firstBatchOf,
  shardKey,
  TuttiError,
  type HelloHeader,
  type InferRequest,
  type InternalHeader,
  type ReplyHeader,
} from '@tutti/protocol';
import type { Ensemble } from '@tutti/manifest';
import { BatchingPolicy, type Queued } from './batching-policy.js';
import { buildBatch, type BatchItem } from './batch-builder.js';
import { requestKey, splitReply } from '../shared/replies.js';
import { ResendLedger } from './resend-ledger.js';
import { DroppedMessages } from '../shared/dropped-messages.js';
import { internalCurveClient, internalCurveServer } from '../shared/curve.js';
import { MemberSends } from './member-sends.js';
import { InFlightBatches } from './in-flight.js';
import type { BatcherConfig } from '../shared/config.js';
import { SendQueue } from '@tutti/protocol';
import { WorkerPool, type Lost } from './worker-pool.js';
import { ClientEndpoint, clientRouter } from './client-endpoint.js';
import { mark } from '../shared/spans.js';
import type { InterferenceChange } from '@tutti/routing';
import {
  batchRows,
  batchesRoutedTotal,
  inferencesTotal,
  instancesGauge,
  interferedGauge,
  interferenceEventsTotal,
  pendingRequests,
  queueSeconds,
  readyGauge,
  requestsTotal,
} from '../shared/metrics.js';
import { TIMING } from '../shared/timing.js';
import { processLog } from '../shared/log.js';
import { ServedCascade } from '../shared/cascade.js';

type Pending = Queued & BatchItem;

/** The shard of a worker id (see workerId). */
function shardOf(worker: string): string {
  return worker.slice(0, worker.lastIndexOf('#'));
}

/** The batcher's sockets: clients' ROUTER, workers' ROUTER, the PUSH of plans and the PULL of replies from the combiner. */
export interface BatcherSockets {
  clients: Router;
  workers: Router;
  plans: Push;
  replies: Pull;
}

function batcherSockets(config: BatcherConfig): BatcherSockets {
  return {
    clients: clientRouter(config.ensemble, config.curve),
    workers: new Router({ linger: 0 }),
    plans: new Push({ linger: 0, sendHighWaterMark: 0 }),
    replies: new Pull({ linger: 0, receiveHighWaterMark: 0 }),
  };
}

export class Batcher {
  #ensemble: Ensemble;
  #config: BatcherConfig;
  #clients: ClientEndpoint;
  #workers: Router;
  #workerQueue: SendQueue;
  #plans: Push;
  #planQueue: SendQueue;
  #replies: Pull;
  #policy: BatchingPolicy<Pending>;
  #shards: readonly string[];
  #pool: WorkerPool;
  #inFlight: InFlightBatches;
  /** Copies of batches not yet sent to an instance of a member: waiting for a credit, a faster instance, or a restart. */
  #unsent: MemberSends;
  #combinerUp = true;
  /** How many times the combiner has restarted (see PlanHeader.generation). */
  #combinerGeneration: number;
  #everReady = false;
  #draining: (() => void) | undefined;
  #running = true;
  #nextBatch: number;
  /**
   * Clients' requests queued or in a batch here, by client and request id: a client that re-sends a
   * request it has no answer for yet (see PROTOCOL.md, retries) must not get it computed twice.
   */
  #ledger = new ResendLedger<Pending>(TIMING.recoveryWindowMs);
  #dropped = { workers: new DroppedMessages('batcher', 'workers'), replies: new DroppedMessages('batcher', 'replies') };
  #housekeeping: NodeJS.Timeout | undefined;
  /** While the combiner is down: the deadline check (see combinerDown). */
  #deadlineWatch: NodeJS.Timeout | undefined;
  /** The dispatch timer: set for when the next batch is due, while requests wait for it (see #pump). */
  #dueTimer: NodeJS.Timeout | undefined;
  #dueTimerAt = Infinity;
  /** Set while #pump runs: a pump asked for meanwhile is the same pass. */
  #pumping = false;
  /** The ensemble's cascade, when it has one: requests then go through its stages (issue 16). */
  #cascade: ServedCascade | undefined;
  /** Per cascade stage, the shards hosting its members: a stage's batch goes only to those. */
  #stageShards: string[][] = [];
  /** A stage batch's requests, by part index: those the combiner continues are queued again at the next stage. */
  #stageItems = new Map<number, Pending[]>();

  /** `sockets` are ZeroMQ's unless a test gives its own. */
  constructor(config: BatcherConfig, sockets: BatcherSockets = batcherSockets(config)) {
    this.#workers = sockets.workers;
    this.#workerQueue = new SendQueue(this.#workers, (error) => processLog().error({ err: error }, 'send to a worker failed'));
    this.#plans = sockets.plans;
    this.#planQueue = new SendQueue(this.#plans, (error) => processLog().error({ err: error }, 'send to the combiner failed'));
    this.#replies = sockets.replies;
    this.#config = config;
    this.#ensemble = config.ensemble;
    this.#nextBatch = firstBatchOf(config.epoch ?? 0);
    // A restarted batcher serves an ensemble that was ready: requests wait the moment its workers
    // take to re-announce themselves (their next heartbeat) instead of being refused.
    this.#everReady = (config.epoch ?? 0) > 0;
    this.#clients = new ClientEndpoint({
      ensemble: config.ensemble,
      endpoint: config.clientEndpoint,
      ...(config.curve && { curve: config.curve }),
      ...(config.combiner.clients && { directReplies: config.combiner.clients }),
      ready: () => this.ready,
      onInfer: (envelope, request) => this.#enqueue(envelope, request),
      socket: sockets.clients,
    });
    this.#policy = new BatchingPolicy(config.ensemble.batching);
    // Batches go to shards: a member, or the members one worker process hosts together. Their
    // results and credits come back per shard, so everything below counts shards, not members.
    const shardLists = config.shards ?? config.ensemble.members.map((m) => [m.name]);
    const shards = shardLists.map(shardKey);
    this.#shards = shards;
    this.#cascade = ServedCascade.of(config.ensemble);
    this.#stageShards = (this.#cascade?.spec.stages ?? []).map((stage) =>
      shards.filter((_, k) => shardLists[k]!.some((m) => stage.includes(m))),
    );
    this.#pool = new WorkerPool(shards, {
      heartbeatTimeoutMs: TIMING.heartbeatTimeoutMs,
      ...(config.routing && { routing: config.routing }),
    });
    this.#unsent = new MemberSends(config.ensemble, shards, this.#pool);
    this.#inFlight = new InFlightBatches(shards, TIMING.planLeadMs);
    this.#combinerGeneration = config.combinerGeneration ?? 0;
  }

  get ready(): boolean {
    return this.#combinerUp && this.#pool.missingMembers().length === 0;
  }

  async start(): Promise<Record<string, string>> {
    const { internalCurve } = this.#config;
    internalCurveServer(this.#workers, internalCurve);
    internalCurveClient(this.#plans, internalCurve);
    internalCurveClient(this.#replies, internalCurve);
    await this.#workers.bind(this.#config.bindWorkers);
    this.#plans.connect(this.#config.combiner.input);
    this.#replies.connect(this.#config.combiner.replies);
    const client = await this.#clients.start();
    void this.#workerLoop();
    void this.#replyLoop();
    this.#housekeeping = setInterval(() => this.#housekeep(), TIMING.housekeepingMs);
    return { client, workers: this.#workers.lastEndpoint! };
  }

  /** The supervisor saw a worker process exit: its batches go elsewhere now, not after a heartbeat timeout. */
  workerDown(id: string): void {
    const lost = this.#pool.drop(id);
    if (lost) this.#requeue([lost]);
    this.#updateGauges();
  }

  combinerDown(): void {
    this.#ledger.recover(Date.now());
    this.#combinerUp = false;
    // Nothing is dispatched or answered by a combiner meanwhile: deadlines are kept here, finely
    // enough that the answer beats the client's own timer (it waits 100 ms past the deadline).
    clearInterval(this.#deadlineWatch);
    this.#deadlineWatch = setInterval(() => {
      this.#expire();
      this.#expireWhileCombinerDown();
    }, TIMING.combinerDownDeadlineCheckMs);
    this.#updateGauges();
  }

  /**
   * A new combiner (the `generation`th restart) knows nothing: every batch not fully answered is
   * planned and computed again. Its plans go to it on their own, and ride in the batches sent again;
   * plans passed on from before (an older generation's) it does not use.
   */
  combinerRestarted(generation: number): void {
    this.#ledger.recover(Date.now());
    this.#combinerUp = true;
    this.#combinerGeneration = generation;
    clearInterval(this.#deadlineWatch);
    this.#updateGauges();
    this.#unsent.clear();
    for (const { batch, planFrame } of this.#inFlight.restartAll(generation, encodeHeader)) {
      this.#pool.forget(batch);
      this.#planQueue.send(planFrame);
      for (const shard of this.#inFlight.shardsOf(batch)) this.#unsent.add(batch, shard);
    }
    this.#pump();
  }

  /** Graceful stop: refuse new requests, send every queued one now, resolve when all are answered. */
  drain(): Promise<void> {
    return new Promise((resolve) => {
      this.#draining = resolve;
      this.#pump();
      this.#checkDrained();
    });
  }

  #checkDrained(): void {
    if (this.#draining && this.#policy.pendingRequests === 0 && this.#inFlight.size === 0) this.#draining();
  }

  #enqueue(envelope: Buffer[], request: InferRequest): void {
    if (this.#draining) {
      this.#reply(
        envelope,
        encodeError(request.id, 'UNAVAILABLE', 'the server is stopping; retry against another replica or after its restart'),
      );
      requestsTotal.inc({ op: 'infer', outcome: 'UNAVAILABLE' });
      return;
    }
    // Before the ensemble was ever ready, say so; later, a member restarting only delays requests.
    if (!this.#everReady && !this.ready) {
      const missing = this.#pool.missingMembers();
      this.#reply(
        envelope,
        encodeError(
          request.id,
          'UNAVAILABLE',
          `the ensemble is starting (waiting for ${missing.length ? missing.join(', ') : 'the combiner'}); retry shortly`,
        ),
      );
      requestsTotal.inc({ op: 'infer', outcome: 'UNAVAILABLE' });
      return;
    }
    const bytes = request.inputs.reduce((sum, tensor) => sum + tensor.data.byteLength, 0);
    if (this.#overloaded(envelope, request, bytes)) return;
    const { tensors, batchSize } = checkInferInputs(request.inputs, this.#ensemble.inputs, this.#ensemble.batching.maxBatchSize);
    const timeout = request.parameters.timeout_ms ?? this.#config.defaultTimeoutMs;
    const target = this.#targetOf(request);
    const key = requestKey(envelope, request.id);
    const pending: Pending = {
      key,
      envelope,
      id: request.id,
      tensors,
      bytes,
      rows: batchSize,
      arrivedMono: performance.now(),
      members: request.parameters.members === true,
      partial: request.parameters.partial === true,
      deadline: Date.now() + timeout,
      ...(target !== undefined && { stage: 0, target }),
    };
    if (key !== undefined && this.#ledger.accept(key, pending, Date.now()) !== 'new') {
      requestsTotal.inc({ op: 'infer', outcome: 'resent' });
      return;
    }
    this.#queue(pending);
  }

  /**
   * The accuracy target a request goes through the cascade with, or undefined: every member at once
   * (no cascade, `cascade: false`, no target set, or a request for the members' own outputs or a
   * partial answer). A target above the ensemble's calibrated accuracy is refused (INVALID_ARGUMENT).
   */
  #targetOf(request: InferRequest): number | undefined {
    const { parameters } = request;
    if (!this.#cascade || parameters.cascade === false || parameters.members === true || parameters.partial === true) return undefined;
    const target = parameters.accuracy_target ?? this.#cascade.defaultTarget;
    if (target !== undefined) this.#cascade.thresholds(target);
    return target;
  }

  #queue(pending: Pending): void {
    this.#policy.push(pending);
    requestsTotal.inc({ op: 'infer', outcome: 'accepted' });
    pendingRequests.set(this.#policy.pendingRequests);
    // A pump is only needed when this request changes what the batcher waits for: the first in the
    // queue sets when a batch is due, a full batch is due now, and an idle server sends at once.
    // Otherwise the due timer is already set for the right moment.
    const { pendingRequests: queued, pendingRows, maxBatchSize } = this.#policy;
    if (queued === 1 || pendingRows >= maxBatchSize || this.#inFlight.size === 0) this.#pump();
  }

  /**
   * Refuses a request the queue has no room for, in requests or in bytes (a request alone in the
   * queue is taken whatever its size: the manifest's batch size bounds it). Asked before the inputs
   * are checked: refusing costs no pass over, or copy of, tensors the server will not keep.
   */
  #overloaded(envelope: Buffer[], request: InferRequest, bytes: number): boolean {
    const { maxQueue, maxQueueBytes } = this.#ensemble.batching;
    const { pendingRequests: queued, pendingBytes } = this.#policy;
    let why: string | undefined;
    if (queued >= maxQueue) why = `${maxQueue} requests already wait for a batch`;
    else if (pendingBytes > 0 && pendingBytes + bytes > maxQueueBytes) {
      const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
      why = `${mib(pendingBytes)} of inputs already wait for a batch (batching.maxQueueBytes ${mib(maxQueueBytes)})`;
    }
    if (why === undefined) return false;
    this.#reply(envelope, encodeError(request.id, 'RESOURCE_EXHAUSTED', `server overloaded: ${why}; retry later`));
    requestsTotal.inc({ op: 'infer', outcome: 'RESOURCE_EXHAUSTED' });
    return true;
  }

  #reply(envelope: Buffer[], frame: Buffer): void {
    this.#clients.reply(envelope, frame);
  }

  async #workerLoop(): Promise<void> {
    for await (const [identity, headerFrame] of this.#workers) {
      try {
        this.#fromWorker(identity!.toString(), decodeHeader(headerFrame!));
      } catch (error) {
        // A malformed internal message must not take the batcher, and every client with it, down.
        this.#dropped.workers.drop(error);
      }
      this.#pump();
    }
  }

  #fromWorker(id: string, header: InternalHeader): void {
    const now = performance.now();
    if (header.kind === HELLO) {
      this.#hello(id, header, now);
    } else if (header.kind === CREDIT) {
      this.#interference(this.#pool.completed(id, header.batch, now, header.serviceMs));
      this.#inFlight.memberDone(header.batch, shardOf(id));
    } else if (header.kind === HEARTBEAT) {
      // Heartbeats repeat the hello, so a worker expired by mistake (or a restarted batcher) learns it again.
      if (this.#pool.isKnown(id)) this.#pool.seen(id, now);
      else this.#hello(id, header.hello, now);
    } else throw new TuttiError('INTERNAL', `a worker sent a message of kind ${header.kind}, which workers do not send`);
  }

  #hello(id: string, info: HelloHeader, now: number): void {
    const { shard, instance, device, credits, profile } = info;
    const lost = this.#pool.hello(id, { member: shard, instance, device, credits, ...(profile && { profile }) }, now);
    if (lost) this.#requeue([lost]);
    this.#updateGauges();
    if (this.ready && !this.#everReady) {
      this.#everReady = true;
      this.onReady?.();
    }
  }

  /** Called the first time every member has a live instance. */
  onReady: (() => void) | undefined;
  /** Called for a worker that missed its heartbeats, so the supervisor can kill and restart it. */
  onUnresponsive: ((id: string) => void) | undefined;

  async #replyLoop(): Promise<void> {
    for await (const [headerFrame, ...frames] of this.#replies) {
      try {
        const header = decodeHeader(headerFrame!);
        if (header.kind !== REPLY) throw new TuttiError('INTERNAL', `the combiner sent a message of kind ${header.kind} where replies go`);
        this.#returned(header);
        this.#replied(header, frames);
      } catch (error) {
        this.#dropped.replies.drop(error);
      }
      // Credits came back, or a batch finished (an idle server then sends at once).
      this.#pump();
    }
  }

  /** Instances whose results reached the combiner: their credits come back (see ReplyHeader.credits). */
  #returned(header: ReplyHeader): void {
    if (!header.credits) return;
    const now = performance.now();
    for (const { worker, serviceMs } of header.credits) {
      this.#interference(this.#pool.completed(worker, header.batch, now, serviceMs));
      this.#inFlight.memberDone(header.batch, shardOf(worker));
    }
  }

  /** The combiner answered parts of a batch: forward what did not go straight to clients; forget the batch at its last. */
  #replied(header: ReplyHeader, frames: Buffer[]): void {
    const flight = this.#inFlight.get(header.batch);
    // A batch formed before this batcher started (by the one before it, see firstBatchOf): its
    // requests are not known here, so its clients have re-sent them (or given up). Answering them
    // here as well could answer one twice.
    if (!flight) return;
    const now = Date.now();
    const keyOf = (index: number) => flight.keys[index];
    const settled = (index: number) => {
      const key = keyOf(index);
      if (key !== undefined) this.#ledger.answered(key, now);
    };
    for (const part of header.direct ?? []) {
      this.#inFlight.answer(header.batch, part);
      settled(part);
    }
    // Not sure enough yet: on to the next stage, ahead of newer requests (still held in the ledger).
    const items = this.#stageItems.get(header.batch);
    for (const part of header.continued ?? []) {
      const item = items?.[part];
      if (!item || !this.#inFlight.answer(header.batch, part)) continue;
      this.#policy.pushFront({ ...item, stage: item.stage! + 1 });
      pendingRequests.set(this.#policy.pendingRequests);
    }
    for (const [part, reply] of splitReply(header.parts, header.frames, frames)) {
      if (!this.#inFlight.answer(header.batch, part)) continue;
      settled(part);
      this.#clients.forward(reply);
    }
    // Maybe sent by the combiner that died: computed again only if the client has re-sent it since.
    for (const part of header.unsure ?? []) {
      this.#inFlight.answer(header.batch, part);
      const key = keyOf(part);
      const again = key === undefined ? undefined : this.#ledger.unsure(key);
      if (again) {
        requestsTotal.inc({ op: 'infer', outcome: 'recomputed' });
        this.#queue(again);
      }
    }
    if (header.last) {
      this.#inFlight.finish(header.batch);
      this.#pool.forget(header.batch);
      this.#stageItems.delete(header.batch);
      this.#checkDrained();
    }
  }

  /** Live instances per member and device, and readiness, as gauges. */
  #updateGauges(): void {
    instancesGauge.reset();
    for (const instance of this.#pool.instances()) instancesGauge.inc({ member: instance.member, device: instance.device });
    readyGauge.set(this.ready ? 1 : 0);
  }

  /** Interference found on (or gone from) an instance: the router already shifts work; say so. */
  #interference(change: InterferenceChange | undefined): void {
    if (!change) return;
    interferenceEventsTotal.inc({ instance: change.id, kind: change.kind });
    interferedGauge.set({ instance: change.id }, change.kind === 'interfered' ? change.slowdown : 0);
    const action = this.#pool.router.rebalance
      ? change.kind === 'interfered'
        ? '; shifting work away from it'
        : '; it takes its share again'
      : ' (re-balancing off)';
    processLog().warn(
      { instance: change.id, interference: change.kind, slowdown: change.slowdown },
      `${change.id} ${change.kind === 'interfered' ? `is ${change.slowdown.toFixed(2)}x slower than its normal` : `is back to normal speed (${change.slowdown.toFixed(2)}x)`}${action}`,
    );
  }

  #housekeep(): void {
    this.#updateGauges();
    if (this.#combinerUp) this.#sendPlansDue();
    for (const change of this.#pool.tick(performance.now())) this.#interference(change);
    const lost = this.#pool.expire(performance.now());
    if (lost.length > 0) {
      for (const l of lost) {
        processLog().warn(
          { instance: l.id, batches: l.batches.length },
          `${l.id} missed its heartbeats; ${l.batches.length} batch(es) go to another instance`,
        );
        this.onUnresponsive?.(l.id);
      }
      this.#requeue(lost);
    }
    this.#expire();
  }

  /** With no combiner to answer them, requests past their deadline are answered here, as the combiner would have. */
  #expireWhileCombinerDown(): void {
    const now = Date.now();
    for (const { batch, part, key, batchDone } of this.#inFlight.takeExpired(now)) {
      if (key !== undefined) this.#ledger.answered(key, now);
      this.#reply(
        part.envelope,
        encodeError(part.id, 'DEADLINE_EXCEEDED', `request ${part.id} passed its timeout while the combiner was restarting`),
      );
      inferencesTotal.inc({ outcome: 'DEADLINE_EXCEEDED' });
      if (batchDone) {
        this.#inFlight.finish(batch);
        this.#pool.forget(batch);
        this.#stageItems.delete(batch);
      }
    }
    this.#checkDrained();
  }

  /** Batches a dead instance held go to the front: sent again to a live instance of the same member. */
  #requeue(lost: Lost[]): void {
    for (const { member, batches } of lost) {
      for (const batch of batches) if (this.#inFlight.needs(batch, member)) this.#unsent.addFirst(batch, member);
    }
    this.#pump();
  }

  /**
   * Sends every batch that can go now, and sets the timer for when the next is due. Called whenever
   * something changes what it waits for (a request, a credit, an answer, a worker, the timer), in
   * the same turn: an idle server's request leaves for the workers before this process reads
   * anything else. A new batch forms only once the last one has gone to every member: until then
   * requests keep queueing, and the next batch grows.
   */
  #pump(): void {
    if (this.#pumping || !this.#running) return;
    this.#pumping = true;
    try {
      for (;;) {
        this.#sendUnsent();
        const due = this.#policy.dueAt();
        if (due === undefined || this.#unsent.waiting > 0 || !this.#pool.canDispatch() || !this.#combinerUp) return;
        // Wait for a batch to fill only while members are busy: with nothing in flight, waiting adds
        // latency and cannot add throughput. Draining: what is queued goes out now.
        const now = performance.now();
        if (!this.#draining && this.#inFlight.size > 0 && due > now) {
          this.#wakeAt(due);
          return;
        }
        this.#expire();
        const limit = this.#unsent.batchLimit(this.#policy.oldestArrivedMono ?? now, now);
        // With a cascade, a batch is of one stage (or of requests that run every member at once).
        const items = this.#cascade ? this.#policy.take(limit, (first, item) => first.stage === item.stage) : this.#policy.take(limit);
        if (items.length === 0) return;
        this.#dispatch(items);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Pumps again at `at` (performance.now() ms), unless the timer is set for sooner already. */
  #wakeAt(at: number): void {
    if (this.#dueTimer !== undefined && this.#dueTimerAt <= at) return;
    clearTimeout(this.#dueTimer);
    this.#dueTimerAt = at;
    this.#dueTimer = setTimeout(() => {
      this.#dueTimer = undefined;
      this.#dueTimerAt = Infinity;
      this.#pump();
    }, at - performance.now());
  }

  #sendUnsent(): void {
    this.#unsent.flush(
      (batch) => {
        const flight = this.#inFlight.get(batch);
        return (
          flight && {
            rows: flight.plan.size,
            oldestArrivalMono: flight.oldestArrivalMono,
            needs: (member) => this.#inFlight.needs(batch, member),
          }
        );
      },
      (id, batch) => {
        batchesRoutedTotal.inc({ instance: id });
        this.#workerQueue.send([Buffer.from(id), ...this.#inFlight.get(batch)!.frames]);
      },
      performance.now(),
    );
  }

  /** Requests still queued past their deadline are answered here; once sent, the combiner owns them. */
  #expire(): void {
    const now = Date.now();
    for (const item of this.#policy.removeWhere((p) => p.deadline <= now)) {
      if (item.key !== undefined) this.#ledger.answered(item.key, now);
      this.#reply(item.envelope, encodeError(item.id, 'DEADLINE_EXCEEDED', `request ${item.id} waited in the queue past its timeout`));
      inferencesTotal.inc({ outcome: 'DEADLINE_EXCEEDED' });
    }
    pendingRequests.set(this.#policy.pendingRequests);
    this.#checkDrained();
  }

  #dispatch(items: Pending[]): void {
    const batch = this.#nextBatch++;
    const now = performance.now();
    const stage = items[0]!.stage;
    const members = stage === undefined ? undefined : this.#cascade!.spec.stages[stage]!;
    // A stage's batch goes only to the shards hosting its members; they compute only those.
    const shards = stage === undefined ? this.#shards : this.#stageShards[stage]!;
    const { plan, frames, oldestArrivalMono } = buildBatch(
      batch,
      items,
      this.#ensemble.inputs,
      performance.timeOrigin,
      now,
      members && { stage: stage!, members },
      this.#combinerGeneration,
    );
    // Kept to queue again those the combiner continues (none can go on from the last stage).
    if (stage !== undefined && stage < this.#stageShards.length - 1) this.#stageItems.set(batch, items);
    for (const item of items) queueSeconds.observe((now - item.arrivedMono) / 1000);
    batchRows.observe(plan.size);
    pendingRequests.set(this.#policy.pendingRequests);
    this.#inFlight.add({ plan, frames, oldestArrivalMono, keys: items.map((item) => item.key) }, shards);
    mark('batcher.dispatched', batch);
    // The same frames go to one instance of every member: encoded once, never copied per member.
    // The plan rides in them; on its own only when a deadline is near (see #sendPlansDue).
    this.#unsent.addBatch(batch, shards);
    this.#sendUnsent();
    this.#sendPlansDue();
  }

  /**
   * Plans the combiner must have before any result could bring them: a request's deadline comes
   * within TIMING.planLeadMs (the combiner answers it then, computed or not). Checked as each batch
   * leaves and at every housekeeping, which comes well within the lead.
   */
  #sendPlansDue(): void {
    for (const flight of this.#inFlight.takePlansDue(Date.now())) this.#planQueue.send(flight.frames.at(-1)!);
  }

  async close(): Promise<void> {
    this.#running = false;
    clearInterval(this.#housekeeping);
    clearInterval(this.#deadlineWatch);
    clearTimeout(this.#dueTimer);
    // After a drain, requests already on their way are still read and answered UNAVAILABLE, and the
    // answers get time to leave: closing at once would drop both, and those clients would hear nothing.
    // The grace runs from the last client message: a server no client spoke to for that long stops at once.
    const grace = TIMING.drainGraceMs - this.#clients.quietMs;
    if (this.#draining && grace > 0) await new Promise((resolve) => setTimeout(resolve, grace));
    this.#clients.close();
    this.#workers.close();
    this.#plans.close();
    this.#replies.close();
  }
}
