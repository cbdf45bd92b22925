/**
 * The TypeScript client of protocol v1: one DEALER socket for requests, many requests in flight, a
 * promise per request matched to its reply by id, and a timeout per request. When the server offers
 * direct replies (metadata `replies`), a second DEALER with the same routing id connects there, and
 * replies then come from the combiner without a hop through the batcher; until it is connected, and
 * for errors the batcher answers itself, replies come on the first socket. Both are read alike.
 * Requests lost with a restarted batcher are sent again (requests.ts).
 */
import { randomUUID } from 'node:crypto';
import { Dealer } from 'zeromq';
import {
  SendQueue,
  DIRECT_REPLY_ID_PREFIX,
  TuttiError,
  decodeReply,
  encodeMessage,
  invalidOption,
  isErrorReply,
  isRequestErrorCode,
  type HealthReply,
  type InferParameters,
  type InferReply,
  type MetadataReply,
  type Reply,
} from '@tutti/protocol';
import { fromWireList, toWire, type TensorInput, type TensorOutput } from './tensors.js';
import { PendingRequests, type ReplyCounts, type RetryOptions } from './requests.js';

export interface ClientOptions {
  /** Default per-request timeout in ms, enforced by the client (and sent as timeout_ms to the server). */
  timeoutMs?: number;
  /**
   * CurveZMQ: the server's public key and this client's key pair (Z85 text, from `tutti keys`).
   * A server that does not accept the key never answers: requests end by their timeout.
   */
  curve?: { serverPublicKey: string; publicKey: string; secretKey: string };
  /** Take replies straight from the server's combiner when it offers that (default true). */
  directReplies?: boolean;
  /** Re-sending requests that got no reply (see requests.ts and PROTOCOL.md); default 3 tries, on reconnect only. */
  retry?: RetryOptions;
}

export interface InferOptions {
  timeoutMs?: number;
  /** Also return each member's own outputs. */
  members?: boolean;
  /** At the timeout, accept an answer combined from the members that answered in time. */
  partial?: boolean;
  /** With a cascade: exit at the first stage whose calibrated accuracy meets this (0 < target <= 1). */
  accuracyTarget?: number;
  /** With a cascade: false computes every member (no early exit). */
  cascade?: boolean;
}

export interface InferResult {
  id: string | number;
  modelName: string;
  outputs: Record<string, TensorOutput>;
  members?: Record<string, Record<string, TensorOutput>>;
  /** The server batch that answered, and its total rows (several requests batched together). */
  batch?: { id: number; size: number };
  /** Set when the answer is partial, or from a cascade's stage: the members it was combined from. */
  membersUsed?: string[];
  /** From a cascade: the stage that answered (0-based) and its exit score (the lowest of the request's rows). */
  cascade?: { exitStage: number; confidence: number };
}

export class TuttiClient {
  readonly endpoint: string;
  #socket: Dealer;
  /** The second socket, for direct replies, once the server said where. */
  #replies: Dealer | undefined;
  #timeoutMs: number;
  #nextId = 1;
  #pending: PendingRequests;
  #sendQueue: SendQueue<Buffer>;
  #closed = false;

  constructor(endpoint: string, options: ClientOptions = {}) {
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!(timeoutMs > 0)) invalidOption('timeoutMs', timeoutMs, 'a positive number of milliseconds');
    this.endpoint = endpoint;
    this.#timeoutMs = timeoutMs;
    const curve = options.curve
      ? { curveServerKey: options.curve.serverPublicKey, curvePublicKey: options.curve.publicKey, curveSecretKey: options.curve.secretKey }
      : {};
    // Our own routing id (ZeroMQ's generated ones start with a zero byte; ours never does): the same on
    // both sockets, so the combiner can address the replies to requests this socket sent.
    const routingId = `${DIRECT_REPLY_ID_PREFIX}${randomUUID()}`;
    this.#pending = new PendingRequests(options.retry ?? {}, (frame) => this.#enqueue(frame));
    this.#socket = new Dealer({ linger: 0, routingId, ...curve });
    // A send that fails (not one to a closed socket) fails every request in flight: the socket is unusable.
    this.#sendQueue = new SendQueue<Buffer>(this.#socket, (error) => this.#failAll(error as Error));
    // A dropped connection loses what the server's batcher held: once it is back, that goes again.
    this.#socket.events.on('disconnect', () => this.#pending.disconnected());
    this.#socket.events.on('connect', () => this.#pending.reconnected());
    this.#socket.connect(endpoint);
    void this.#receive(this.#socket);
    if (options.directReplies !== false) void this.#connectReplies({ linger: 0, routingId, ...curve });
  }

  /** Asks where direct replies come from and connects there; without an answer, replies keep coming on the request socket. */
  async #connectReplies(socketOptions: ConstructorParameters<typeof Dealer>[0]): Promise<void> {
    let advertised: string | undefined;
    try {
      advertised = ((await this.#request({ op: 'metadata' }, Math.min(this.#timeoutMs, 10_000))) as MetadataReply).replies;
    } catch {
      return;
    }
    if (!advertised || this.#closed) return;
    this.#replies = new Dealer(socketOptions);
    // This connection drops when the server's combiner restarts: an answer it was sending may be lost
    // with it, so requests sent before go again too (the server answers each once, see PROTOCOL.md).
    this.#replies.events.on('disconnect', () => this.#pending.disconnected());
    this.#replies.events.on('connect', () => this.#pending.reconnected());
    this.#replies.connect(directReplyEndpoint(this.endpoint, advertised));
    void this.#receive(this.#replies);
  }

  /** Whether replies come straight from the combiner (the second socket is connected, or connecting). */
  get directReplies(): boolean {
    return this.#replies !== undefined;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  /** Re-sends, and replies dropped as second answers, late (after the timeout) or unknown. */
  get replyCounts(): ReplyCounts {
    return this.#pending.counts;
  }

  async infer(inputs: Record<string, TensorInput>, options: InferOptions = {}): Promise<InferResult> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const parameters: InferParameters = { timeout_ms: timeoutMs };
    if (options.members) parameters.members = true;
    if (options.partial) parameters.partial = true;
    if (options.accuracyTarget !== undefined) parameters.accuracy_target = options.accuracyTarget;
    if (options.cascade === false) parameters.cascade = false;
    const wire = Object.entries(inputs).map(([name, input]) => toWire(name, input));
    const reply = (await this.#request({ op: 'infer', inputs: wire, parameters }, timeoutMs)) as InferReply;
    const result: InferResult = { id: reply.id, modelName: reply.model_name, outputs: fromWireList(reply.outputs) };
    if (reply.parameters) result.batch = { id: reply.parameters.batch_id, size: reply.parameters.batch_size };
    if (reply.parameters?.members_used) result.membersUsed = reply.parameters.members_used;
    if (reply.parameters?.exit_stage !== undefined)
      result.cascade = { exitStage: reply.parameters.exit_stage, confidence: reply.parameters.confidence! };
    if (reply.members) {
      result.members = Object.fromEntries(Object.entries(reply.members).map(([name, tensors]) => [name, fromWireList(tensors)]));
    }
    return result;
  }

  async metadata(): Promise<MetadataReply> {
    return (await this.#request({ op: 'metadata' }, this.#timeoutMs)) as MetadataReply;
  }

  async health(): Promise<HealthReply> {
    return (await this.#request({ op: 'health' }, this.#timeoutMs)) as HealthReply;
  }

  /** Sends a raw request map (for tools and tests that speak the protocol directly). */
  request(message: Record<string, unknown>, timeoutMs = this.#timeoutMs): Promise<Reply> {
    return this.#request(message, timeoutMs);
  }

  #request(message: Record<string, unknown>, timeoutMs: number): Promise<Reply> {
    if (this.#closed) return Promise.reject(new TuttiError('UNAVAILABLE', 'client is closed'));
    const id = this.#nextId++;
    // The server enforces timeout_ms and answers at it (DEADLINE_EXCEEDED, or a partial answer); the
    // client's own timer waits a little longer so that answer arrives first, and fires only when the
    // server is silent (gone, overloaded past its queue, or refusing our key).
    const waitMs = timeoutMs + Math.max(100, timeoutMs * 0.1);
    const timedOut = () =>
      new TuttiError('DEADLINE_EXCEEDED', `no reply from ${this.endpoint} within ${Math.round(waitMs)} ms (request ${id})`);
    return this.#pending.add(id, message, timeoutMs, waitMs, timedOut).then((reply) => {
      if (isErrorReply(reply)) {
        const code = isRequestErrorCode(reply.error.code) ? reply.error.code : 'INTERNAL';
        throw new TuttiError(code, reply.error.message);
      }
      return reply;
    });
  }

  // zeromq.js allows one pending send per socket: the queue sends in turn.
  #enqueue(frame: Buffer): void {
    if (!this.#closed) this.#sendQueue.send(frame);
  }

  async #receive(socket: Dealer): Promise<void> {
    try {
      for await (const frames of socket) {
        let reply: Reply;
        try {
          reply = decodeReply(frames[frames.length - 1]!);
        } catch {
          continue;
        }
        this.#pending.settle(reply);
      }
    } catch (error) {
      if (!this.#closed) this.#failAll(error as Error);
    }
  }

  #failAll(error: Error): void {
    this.#pending.failAll(() => new TuttiError('UNAVAILABLE', `connection to ${this.endpoint} failed: ${error.message}`));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
    this.#replies?.close();
    this.#pending.failAll(() => new TuttiError('UNAVAILABLE', 'client closed with the request in flight'));
  }
}

/**
 * The direct-reply endpoint to connect to: the server advertises the address it bound, which for tcp
 * may be a wildcard host (0.0.0.0): the host is the one this client reached the server by, the port
 * the advertised one.
 */
export function directReplyEndpoint(requestEndpoint: string, advertised: string): string {
  const own = /^tcp:\/\/(.+):[^:]+$/.exec(requestEndpoint);
  const port = /^tcp:\/\/.+:(\d+)$/.exec(advertised);
  return own && port ? `tcp://${own[1]}:${port[1]}` : advertised;
}
