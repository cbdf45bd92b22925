/**
 * The batcher's client-facing ROUTER: binds it (with CurveZMQ and its allow-list when configured),
 * reads each client message, decodes and parses it, and answers what needs no batch (metadata,
 * health, and every error) itself; inference requests go to `onInfer`. Replies leave through one
 * send queue, so the batcher and this loop never send on the socket at the same time.
 */
import { Router } from 'zeromq';
import {
  PROTOCOL_VERSION,
  decodeMessage,
  encodeErrorOf,
  encodeMessage,
  maxRequestBytes,
  parseRequest,
  requestIdOf,
  type InferRequest,
  type MetadataReply,
  type RequestId,
} from '@tutti/protocol';
import type { Ensemble } from '@tutti/manifest';
import { curveServerOptions, startZap, type CurveConfig, type ZapHandler } from '../shared/curve.js';
import { SendQueue } from '@tutti/protocol';
import { mark } from '../shared/spans.js';
import { requestsTotal } from '../shared/metrics.js';
import { TIMING } from '../shared/timing.js';
import { processLog } from '../shared/log.js';

/**
 * Largest client message accepted: twice the largest well-formed request plus 1 MiB of headroom.
 * libzmq enforces it before any byte reaches us, by closing that client's connection.
 */
function maxClientMessage(ensemble: Ensemble): number {
  return 2 * maxRequestBytes(ensemble.inputs, ensemble.batching.maxBatchSize) + 2 ** 20;
}
/**
 * Requests ZeroMQ may hold per client before the batcher reads them: as many of the largest valid
 * request as `batching.maxQueueBytes` holds (at least 16, at most 100k). ZeroMQ counts messages, not
 * bytes: without this a client sending large requests fast would fill the batcher's memory before
 * its queue bound is ever asked. Past it, ZeroMQ stops reading that client (TCP backpressure).
 */
function receiveHighWaterMark(ensemble: Ensemble): number {
  const largest = maxRequestBytes(ensemble.inputs, ensemble.batching.maxBatchSize);
  return Math.min(100_000, Math.max(16, Math.floor(ensemble.batching.maxQueueBytes / largest)));
}

export interface ClientEndpointOptions {
  ensemble: Ensemble;
  endpoint: string;
  curve?: CurveConfig;
  /** Where the combiner sends direct replies, advertised in metadata. */
  directReplies?: string;
  /** Whether every member has an instance and the combiner is up (health). */
  ready: () => boolean;
  /** Takes an inference request in; throws a TuttiError to refuse it (answered here, counted). */
  onInfer: (envelope: Buffer[], request: InferRequest) => void;
  /** The ROUTER to bind (default: clientRouter's; a test gives its own). */
  socket?: Router;
}

/** The client endpoint's ROUTER, with its bounds (and CurveZMQ when configured). */
export function clientRouter(ensemble: Ensemble, curve: CurveConfig | undefined): Router {
  // Replies: 100k messages per peer, far above the queue bound, so ZeroMQ never drops replies to a
  // client with many requests in flight. Requests: see receiveHighWaterMark.
  return new Router({
    linger: 0,
    maxMessageSize: maxClientMessage(ensemble),
    receiveHighWaterMark: receiveHighWaterMark(ensemble),
    sendHighWaterMark: 100_000,
    ...(curve && curveServerOptions(curve)),
  });
}

export class ClientEndpoint {
  #options: ClientEndpointOptions;
  #socket: Router;
  #queue: SendQueue;
  #zap: ZapHandler | undefined;
  #lastMessageAt = -Infinity;

  constructor(options: ClientEndpointOptions) {
    this.#options = options;
    this.#socket = options.socket ?? clientRouter(options.ensemble, options.curve);
    this.#queue = new SendQueue(this.#socket, (error) => processLog().error({ err: error }, 'reply to a client failed'));
  }

  /** Binds and starts reading; resolves with the bound endpoint. */
  async start(): Promise<string> {
    const { curve, endpoint } = this.#options;
    if (curve) this.#zap = await startZap(curve, 'batcher');
    else if (!/^(tcp:\/\/(127\.0\.0\.1|localhost|\[::1\]):|ipc:)/.test(endpoint)) {
      processLog().warn({ endpoint }, `${endpoint} is reachable from other hosts without CurveZMQ; anyone who can connect is served`);
    }
    await this.#socket.bind(endpoint.replace(/:0$/, ':*'));
    void this.#receiveLoop();
    return this.#socket.lastEndpoint!;
  }

  /** Answers one client: its envelope, then the reply frame. */
  reply(envelope: Buffer[], frame: Buffer): void {
    this.#queue.send([...envelope, frame]);
  }

  /** Sends a reply already framed with its envelope (forwarded from the combiner untouched). */
  forward(frames: Buffer[]): void {
    this.#queue.send(frames);
  }

  /** How long since the last client message (Infinity before the first). */
  get quietMs(): number {
    return performance.now() - this.#lastMessageAt;
  }

  async #receiveLoop(): Promise<void> {
    for (;;) {
      // receive() itself, not `for await`: the async iterator wraps each receive in one more promise,
      // and this loop runs once per client message.
      let frames: Buffer[];
      try {
        frames = await this.#socket.receive();
      } catch (error) {
        if (this.#socket.closed) return;
        throw error;
      }
      this.#lastMessageAt = performance.now();
      mark('batcher.received', 0);
      const payload = frames[frames.length - 1]!;
      const envelope = frames.slice(0, -1);
      let id: RequestId | null = null;
      let op = 'unknown';
      try {
        const message = decodeMessage(payload);
        id = requestIdOf(message);
        const request = parseRequest(message);
        op = request.op;
        if (request.op === 'infer') this.#options.onInfer(envelope, request);
        else {
          this.reply(
            envelope,
            encodeMessage(request.op === 'health' ? { id, live: true, ready: this.#options.ready() } : this.#metadata(request.id)),
          );
          requestsTotal.inc({ op, outcome: 'ok' });
        }
      } catch (error) {
        this.reply(envelope, encodeErrorOf(id, error));
        const code = (error as { code?: string }).code ?? 'INTERNAL';
        requestsTotal.inc({ op, outcome: code });
        // Per request: debug (TUTTI_LOG_LEVEL=debug), or a flood of bad requests would flood the log.
        processLog().debug({ id, op, code }, `refused a request: ${(error as Error)?.message ?? String(error)}`);
      }
    }
  }

  #metadata(id: RequestId): MetadataReply {
    const { name, inputs, outputs, members, rule } = this.#options.ensemble;
    const replies = this.#options.directReplies;
    return {
      id,
      name,
      inputs,
      outputs,
      members: members.map((m) => m.name),
      rule: rule.kind === 'builtin' ? rule.name : 'custom',
      protocol: PROTOCOL_VERSION,
      ...(replies && { replies }),
    };
  }

  /** Closes, giving replies already handed to ZeroMQ time to leave. */
  close(): void {
    this.#socket.linger = TIMING.closeLingerMs;
    this.#socket.close();
    this.#zap?.close();
  }
}
