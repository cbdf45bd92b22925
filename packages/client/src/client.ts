/**
 * The TypeScript client of protocol v1: one DEALER socket, many requests in flight, a promise per
 * request matched to its reply by id, and a timeout per request.
 */
import { Dealer } from 'zeromq';
import {
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

export interface ClientOptions {
  /** Default per-request timeout in ms, enforced by the client (and sent as timeout_ms to the server). */
  timeoutMs?: number;
  /**
   * CurveZMQ: the server's public key and this client's key pair (Z85 text, from `tutti keys`).
   * A server that does not accept the key never answers: requests end by their timeout.
   */
  curve?: { serverPublicKey: string; publicKey: string; secretKey: string };
}

export interface InferOptions {
  timeoutMs?: number;
  /** Also return each member's own outputs. */
  members?: boolean;
  /** At the timeout, accept an answer combined from the members that answered in time. */
  partial?: boolean;
}

export interface InferResult {
  id: string | number;
  modelName: string;
  outputs: Record<string, TensorOutput>;
  members?: Record<string, Record<string, TensorOutput>>;
  /** The server batch that answered, and its total rows (several requests batched together). */
  batch?: { id: number; size: number };
  /** Set when the answer is partial: the members it was combined from. */
  membersUsed?: string[];
}

interface Waiting {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class TuttiClient {
  readonly endpoint: string;
  #socket: Dealer;
  #timeoutMs: number;
  #nextId = 1;
  #waiting = new Map<number, Waiting>();
  #sendQueue: Buffer[] = [];
  #sending = false;
  #closed = false;

  constructor(endpoint: string, options: ClientOptions = {}) {
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!(timeoutMs > 0)) invalidOption('timeoutMs', timeoutMs, 'a positive number of milliseconds');
    this.endpoint = endpoint;
    this.#timeoutMs = timeoutMs;
    const curve = options.curve
      ? { curveServerKey: options.curve.serverPublicKey, curvePublicKey: options.curve.publicKey, curveSecretKey: options.curve.secretKey }
      : {};
    this.#socket = new Dealer({ linger: 0, ...curve });
    this.#socket.connect(endpoint);
    void this.#receive();
  }

  get inFlight(): number {
    return this.#waiting.size;
  }

  async infer(inputs: Record<string, TensorInput>, options: InferOptions = {}): Promise<InferResult> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const parameters: InferParameters = { timeout_ms: timeoutMs };
    if (options.members) parameters.members = true;
    if (options.partial) parameters.partial = true;
    const wire = Object.entries(inputs).map(([name, input]) => toWire(name, input));
    const reply = (await this.#request({ op: 'infer', inputs: wire, parameters }, timeoutMs)) as InferReply;
    const result: InferResult = { id: reply.id, modelName: reply.model_name, outputs: fromWireList(reply.outputs) };
    if (reply.parameters) result.batch = { id: reply.parameters.batch_id, size: reply.parameters.batch_size };
    if (reply.parameters?.members_used) result.membersUsed = reply.parameters.members_used;
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
    const frame = encodeMessage({ id, ...message });
    // The server enforces timeout_ms and answers at it (DEADLINE_EXCEEDED, or a partial answer); the
    // client's own timer waits a little longer so that answer arrives first, and fires only when the
    // server is silent (gone, overloaded past its queue, or refusing our key).
    const waitMs = timeoutMs + Math.max(100, timeoutMs * 0.1);
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new TuttiError('DEADLINE_EXCEEDED', `no reply from ${this.endpoint} within ${Math.round(waitMs)} ms (request ${id})`));
      }, waitMs);
      this.#waiting.set(id, { resolve, reject, timer });
      this.#enqueue(frame);
    }).then((reply) => {
      if (isErrorReply(reply)) {
        const code = isRequestErrorCode(reply.error.code) ? reply.error.code : 'INTERNAL';
        throw new TuttiError(code, reply.error.message);
      }
      return reply;
    });
  }

  // zeromq.js allows one pending send per socket: queue the rest.
  #enqueue(frame: Buffer): void {
    this.#sendQueue.push(frame);
    if (!this.#sending) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    try {
      for (let frame = this.#sendQueue.shift(); frame; frame = this.#sendQueue.shift()) {
        if (this.#closed) return;
        await this.#socket.send(frame);
      }
    } catch (error) {
      if (!this.#closed) this.#failAll(error as Error);
    } finally {
      this.#sending = false;
    }
  }

  async #receive(): Promise<void> {
    try {
      for await (const frames of this.#socket) {
        let reply: Reply;
        try {
          reply = decodeReply(frames[frames.length - 1]!);
        } catch {
          continue;
        }
        const waiting = typeof reply.id === 'number' ? this.#waiting.get(reply.id) : undefined;
        if (!waiting) continue; // late reply to a request that already timed out
        this.#waiting.delete(reply.id as number);
        clearTimeout(waiting.timer);
        waiting.resolve(reply);
      }
    } catch (error) {
      if (!this.#closed) this.#failAll(error as Error);
    }
  }

  #failAll(error: Error): void {
    for (const [id, waiting] of this.#waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(new TuttiError('UNAVAILABLE', `connection to ${this.endpoint} failed: ${error.message}`));
      this.#waiting.delete(id);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
    for (const waiting of this.#waiting.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(new TuttiError('UNAVAILABLE', 'client closed with the request in flight'));
    }
    this.#waiting.clear();
  }
}
