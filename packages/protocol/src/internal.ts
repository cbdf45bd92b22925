/**
 * Messages between tutti's own processes (never seen by clients). Each is a multipart ZeroMQ message:
 * a small msgpackr header, then one raw frame per tensor, so tensor bytes are never re-encoded and a
 * batch's frames can be sent unchanged to every member.
 *
 *   batcher  -> worker    BATCH    [header{batch, inputs: specs, plan}, ...input bytes, PLAN header]
 *   worker   -> combiner  RESULT   [header{batch, serviceMs, plan, results: [{member, outputs: specs | error}]},
 *                                   ...output bytes, PLAN header]
 *                                  (one message for every member the worker process hosts; the worker
 *                                  passes the batch's plan on untouched, so the combiner learns it
 *                                  with the first result and a batch costs no message of its own for it)
 *   batcher  -> combiner  PLAN     [header{batch, size, parts}], on its own only when the combiner must
 *                                  know the plan before any result comes: a request's deadline is near
 *                                  (the combiner answers it at the deadline), or the combiner restarted
 *   combiner -> client    (reply)  [client envelope, reply frame], when the client connected its
 *                                  second DEALER to the combiner (direct replies, see PROTOCOL.md)
 *   combiner -> batcher   REPLY    [header{batch, parts, direct, continued, credits, last}, ...client envelope, reply frame]
 *                                  (which parts went direct; the rest the batcher forwards as is;
 *                                  in a cascade, which parts go on to the next stage; which
 *                                  instances' results are in, so their credits come back)
 *
 * Control, worker -> batcher (never data: results go to the combiner):
 *   HELLO     the instance is loaded and takes `credits` batches at once
 *   CREDIT    the instance dropped a batch all of whose requests were past their deadline (its
 *             credit comes back; a computed batch's credit comes back through the combiner's REPLY,
 *             with the answers, so a batch costs no message of its own for it)
 *   HEARTBEAT the instance is alive (sent from its main thread, also while it computes)
 */
import { Packr } from 'msgpackr';
import { TuttiError } from '@tutti/core';
import { checkInternalHeader } from './internal-check.js';
import type { RequestId } from './wire.js';
import type { TensorSpec, WireTensor } from '@tutti/core';

export const BATCH = 1;
export const PLAN = 2;
export const RESULT = 3;
export const HELLO = 4;
export const CREDIT = 5;
export const HEARTBEAT = 6;
export const REPLY = 7;

export interface BatchHeader {
  kind: typeof BATCH;
  batch: number;
  inputs: TensorSpec[];
  /** The latest deadline of the batch's requests (ms since epoch): past it, nobody waits for the result. */
  deadline: number;
  /** When the batch left the batcher (ms since epoch, sub-ms precision: performance.timeOrigin + now), for queue-time accounting. */
  sentAt: number;
  /** A cascade's stage: the members this batch is for (a worker computes only those it hosts); absent: every member. */
  members?: string[];
  /** The last frame is the batch's PLAN header, for the worker to pass on with its RESULT. */
  plan?: boolean;
}

/** One client request's rows inside a batch. */
export interface PlanPart {
  /** The part's index in the batch's first plan (kept when a plan is sent again with fewer parts). */
  index: number;
  /** The ZeroMQ routing frames to answer the client through the batcher's ROUTER. */
  envelope: Buffer[];
  id: RequestId;
  offset: number;
  count: number;
  members: boolean;
  /** At the deadline, answer from the members that have answered (Clipper's straggler mitigation). */
  partial: boolean;
  /** Absolute deadline in ms since epoch, or 0 for none. */
  deadline: number;
  /** When the request reached the batcher (ms since epoch, sub-ms precision), for latency metrics. */
  arrivedAt: number;
  /** In a cascade's stage batch: the request's accuracy target, which sets where it may exit. */
  target?: number;
}

export interface PlanHeader {
  kind: typeof PLAN;
  batch: number;
  size: number;
  parts: PlanPart[];
  /**
   * Sent again to a restarted combiner: the dead one may have answered some of its parts directly
   * without the batcher hearing of it (see answer-journal.ts).
   */
  replanned?: boolean;
  /** A cascade's stage batch: its stage (0-based) and the members whose results complete it. */
  stage?: number;
  members?: string[];
  /**
   * How many times the combiner had restarted when this plan was made. A plan passed on by a worker
   * is used only by a combiner of its generation: a restarted one waits for the plan sent again
   * (`replanned`), cut to the requests its predecessor did not answer.
   */
  generation?: number;
}

/**
 * One member's result inside a RESULT message. A worker process that hosts several members (a
 * grouped layout) answers a batch with one message: each member's output frames follow the header
 * in the order of `results`.
 */
export interface MemberResultHeader {
  member: string;
  outputs: TensorSpec[];
  /** Set when the member failed on this batch; outputs are then empty. */
  error?: string;
  computeMs: number;
  /** Emulated devices only: how far the real CPU compute overran the emulated device's time (ms). */
  emulationLagMs?: number;
}

export interface ResultHeader {
  kind: typeof RESULT;
  batch: number;
  /** The worker process's shard (see HelloHeader) and instance index. */
  shard: string;
  instance: number;
  /** How long the instance took to serve the batch, in ms (compute, plus hold-back on an emulated device). */
  serviceMs: number;
  results: MemberResultHeader[];
  /** The last frame is the batch's PLAN header, passed on from the BATCH. */
  plan?: boolean;
}

export interface HelloHeader {
  kind: typeof HELLO;
  /**
   * What the batcher routes batches to: a set of members always computed together by one worker
   * process. One member in the per-instance layout (the shard is its name), several in a grouped
   * layout (their names joined by '+'). Every process of a shard hosts all of its members.
   */
  shard: string;
  members: string[];
  instance: number;
  device: string;
  credits: number;
  /** Batch latencies (ms) from the instance's profile at its settings, when one is known: where routing starts. */
  profile?: { batch: number; latencyMs: number }[];
}

export interface CreditHeader {
  kind: typeof CREDIT;
  batch: number;
  /** How long the instance took to serve the batch, in ms (compute, plus hold-back on an emulated device). */
  serviceMs?: number;
}

/** An instance whose result for a batch reached the combiner: its credit comes back (see ReplyHeader). */
export interface ReturnedCredit {
  /** The instance's worker id (see workerId). */
  worker: string;
  /** As CreditHeader.serviceMs. */
  serviceMs: number;
}

export interface HeartbeatHeader {
  kind: typeof HEARTBEAT;
  /** The hello again, so a batcher that lost track of the instance learns it back. */
  hello: HelloHeader;
}

export interface ReplyHeader {
  kind: typeof REPLY;
  batch: number;
  /**
   * Which of the plan's parts (requests) this message answers, by index: a whole batch's replies
   * travel as one message, each part's frames (client envelope, then the reply) one after another.
   */
  parts: number[];
  /** How many frames each part has, in the order of `parts`. */
  frames: number[];
  /** Parts the combiner answered straight to their client: the batcher only marks them answered. */
  direct?: number[];
  /**
   * Parts of a replanned batch not answered because the dead combiner's journal says it sent them
   * (it died before telling the batcher). Maybe lost on the way: if their client has re-sent them
   * since, the batcher computes them again; else they count as answered.
   */
  unsure?: number[];
  /**
   * Parts of a cascade's stage batch not answered: not sure enough yet, they go on to the next
   * stage (the batcher queues them again; the combiner keeps their members' outputs so far).
   */
  continued?: number[];
  /**
   * Instances whose result for this batch the combiner has: their credit comes back. A result that
   * completes its batch returns its credit with the batch's answers; any other in a message of its
   * own (no parts), so an instance is free again as soon as its part of the work is done.
   */
  credits?: ReturnedCredit[];
  /** The batch's last reply: every request in it has been answered (or continued). */
  last: boolean;
}

export type InternalHeader = BatchHeader | PlanHeader | ResultHeader | HelloHeader | CreditHeader | HeartbeatHeader | ReplyHeader;

// Internal only: msgpackr's records make small repeated headers cheaper to pack and parse.
const packr = new Packr({ useRecords: true, moreTypes: false, structuredClone: false });

export function encodeHeader(header: InternalHeader): Buffer {
  return packr.pack(header);
}

export function decodeHeader(frame: Uint8Array): InternalHeader {
  const header = packr.unpack(frame) as InternalHeader;
  if (typeof header !== 'object' || header === null || typeof header.kind !== 'number') {
    throw new TuttiError('INTERNAL', 'internal message has no header');
  }
  checkInternalHeader(header as unknown as Record<string, unknown>);
  return header;
}

/** Header plus tensor frames, ready for socket.send(). */
export function encodeTensorMessage(header: BatchHeader | ResultHeader, tensors: readonly WireTensor[]): Buffer[] {
  return [encodeHeader(header), ...tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))];
}

/**
 * Batch ids carry the batcher's epoch (how many times it was restarted) above bit 32, so a restarted
 * batcher never reuses an id the combiner and workers still hold from the batcher before it: the
 * combiner tells the dead batcher's batches from the new one's by it (see reply-guard.ts).
 */
const BATCH_EPOCH_SPAN = 2 ** 32;

/** The first batch id a batcher of this epoch (0 at start, +1 per restart) hands out. */
export function firstBatchOf(epoch: number): number {
  return epoch * BATCH_EPOCH_SPAN;
}

/** The epoch of the batcher that formed `batch`. */
export function batchEpoch(batch: number): number {
  return Math.floor(batch / BATCH_EPOCH_SPAN);
}

/** A worker process's ZeroMQ routing id, by which the batcher addresses it (stable across restarts). */
export function workerId(shard: string, instance: number): string {
  return `${shard}#${instance}`;
}

/** The key of a shard hosting `members` (see HelloHeader.shard). */
export function shardKey(members: readonly string[]): string {
  return members.join('+');
}

/** Splits a RESULT's frames among its members: each member's outputs, in the order of `results`. */
export function memberOutputs(header: ResultHeader, frames: readonly Uint8Array[]): WireTensor[][] {
  let next = 0;
  const split = header.results.map((result) => {
    const own = frames.slice(next, next + result.outputs.length);
    next += result.outputs.length;
    return tensorsOf(result.outputs, own);
  });
  if (next !== frames.length) throw new TuttiError('INTERNAL', `result message has ${frames.length} tensor frames for ${next} tensors`);
  return split;
}

/** Joins a header's tensor specs with the frames that follow it. */
export function tensorsOf(specs: readonly TensorSpec[], frames: readonly Uint8Array[]): WireTensor[] {
  if (frames.length !== specs.length) {
    throw new TuttiError('INTERNAL', `internal message has ${frames.length} tensor frames for ${specs.length} tensors`);
  }
  return specs.map((spec, index) => ({ ...spec, data: frames[index]! }));
}
