/**
 * Replies from the combiner straight to the client, so data flows one way (client -> batcher ->
 * workers -> combiner -> client) and the batcher, the busiest process, no longer receives and
 * re-sends every reply (that was ~30% of its CPU under load, in ZeroMQ send and receive).
 *
 * The combiner binds a ROUTER next to the client endpoint (see replyEndpointOf). A client that wants
 * direct replies gives both of its DEALER sockets the same routing id: the one to the batcher, so
 * that id is the request's envelope, and one connected here, so this ROUTER can address it. A reply
 * whose client is not connected here (a plain one-socket client, or one still connecting) cannot be
 * sent: `mandatory` makes that an immediate error instead of a silent drop, and the reply goes the
 * old way, through the batcher. No client is ever left without its answer.
 */
import { Router } from 'zeromq';
import { DIRECT_REPLY_ID_PREFIX, TuttiError, type RequestId } from '@tutti/protocol';
import { curveServerOptions, startZap, type CurveConfig, type ZapHandler } from '../shared/curve.js';
import type { ReplyGuard } from './reply-guard.js';
import { requestKey } from '../shared/replies.js';
import type { AnswerJournal } from './answer-journal.js';
import { TIMING } from '../shared/timing.js';

/**
 * Clients opt in by naming their routing id `tutti-...`: a client that set some other id of its own
 * (often a guessable one, like "client-1") never has its replies sent here, where whoever connects
 * under that id first would receive them. ZeroMQ's generated ids start with a zero byte: never here.
 */
const PREFIX = Buffer.from(DIRECT_REPLY_ID_PREFIX);

function mayBeDirect(envelope: readonly Buffer[]): boolean {
  return envelope.length === 1 && envelope[0]!.length > PREFIX.length && envelope[0]!.subarray(0, PREFIX.length).equals(PREFIX);
}

const MAX_REACHABLE = 100_000;

export interface Answer {
  index: number;
  /** The client envelope, then the reply frame. */
  frames: Buffer[];
  /** The request's id: with the envelope, its identity across re-sends, for the reply guard. */
  id: RequestId;
}

export interface Sent {
  /** Indices of the answers that went straight to their clients. */
  direct: number[];
  /** Answers for the batcher to forward. */
  viaBatcher: Answer[];
  /** Indices of answers not sent: their request was (or will only be) answered from another batch. */
  refused: number[];
  /** Indices of answers held back: the combiner before this one journaled them as sent (see reply-guard.ts). */
  unsure: number[];
}

/** The client's routing id, as a string: the key of the clients known to be connected here. */
function clientOf(answer: Answer): string {
  return answer.frames[0]!.toString('latin1');
}

export class DirectReplies {
  #socket: Router;
  #zap: ZapHandler | undefined;
  #curve: CurveConfig | undefined;
  /**
   * Batches are judged and sent one after another, so that of two answers to one request the first
   * sent is the one the guard lets through. That chain is also what keeps this socket to one send at
   * a time (zeromq.js allows no more): nothing else sends on it, so it needs no SendQueue.
   */
  #tail: Promise<unknown> = Promise.resolve();

  #guard: ReplyGuard;
  #journal: AnswerJournal | undefined;
  /** Clients the last direct send reached (their sends are journaled first). */
  #reachable = new Set<string>();

  constructor(guard: ReplyGuard, options: { curve?: CurveConfig; journal?: AnswerJournal } = {}) {
    const { curve, journal } = options;
    this.#guard = guard;
    this.#journal = journal;
    this.#curve = curve;
    // sendTimeout 0: a client that does not read (its queue full) costs an immediate EAGAIN, then the batcher path.
    // Clients send nothing here and it is never read: a message over 1 KiB closes that connection, and
    // at most one small message per client waits, so nothing sent here can grow the combiner's memory.
    this.#socket = new Router({
      linger: 0,
      mandatory: true,
      sendTimeout: 0,
      sendHighWaterMark: 100_000,
      maxMessageSize: 1024,
      receiveHighWaterMark: 1,
      ...(curve && curveServerOptions(curve)),
    });
  }

  async bind(endpoint: string): Promise<string> {
    if (this.#curve) this.#zap = await startZap(this.#curve, 'combiner (direct-reply port)');
    try {
      await this.#socket.bind(endpoint);
    } catch (error) {
      throw new TuttiError(
        'UNAVAILABLE',
        `cannot bind ${endpoint} for direct replies to clients (${(error as Error).message}); the client endpoint's port + 1 must be free too: choose another --endpoint port`,
        { cause: error },
      );
    }
    return this.#socket.lastEndpoint!;
  }

  /**
   * Sends `batch`'s answers that can go direct; resolves with what was sent, what the batcher is to
   * forward, and what the guard refused. The guard is asked here, in send order, so that of two
   * answers to one request the first sent is the one let through.
   */
  send(batch: number, answers: readonly Answer[]): Promise<Sent> {
    const result = this.#tail.then(() => this.#sendEach(batch, answers));
    // One batch's failure (say, a journal write) must not stop every later batch's replies.
    this.#tail = result.catch(() => undefined);
    return result;
  }

  async #sendEach(batch: number, answers: readonly Answer[]): Promise<Sent> {
    const sent: Sent = { direct: [], viaBatcher: [], refused: [], unsure: [] };
    // An orphan (its batcher is dead, see reply-guard.ts) answers only clients it reaches itself:
    // the new batcher does not know its requests, and their clients have re-sent them.
    const orphan = this.#guard.isOrphan(batch);
    const now = Date.now();
    const envelopes = answers.map((answer) => answer.frames.slice(0, -1));
    const keys = answers.map((answer, k) => requestKey(envelopes[k]!, answer.id));
    // Journaled before sending when the client is known to be here: see answer-journal.ts.
    const journaledFirst = new Set<number>();
    this.#journal?.record(
      answers.flatMap((answer, k) => {
        if (keys[k] === undefined || !this.#reachable.has(clientOf(answer))) return [];
        journaledFirst.add(k);
        return [keys[k]];
      }),
      now,
    );
    const journalAfter: string[] = [];
    for (const [k, answer] of answers.entries()) {
      const key = keys[k];
      const verdict = key === undefined ? 'send' : this.#guard.admit(key, batch, now);
      if (verdict !== 'send') {
        sent[verdict === 'refuse' ? 'refused' : 'unsure'].push(answer.index);
        continue;
      }
      if (!this.#socket.closed && mayBeDirect(envelopes[k]!)) {
        try {
          await this.#socket.send(answer.frames);
          sent.direct.push(answer.index);
          // Bounded: a server that has seen this many clients starts the set afresh (journaling after sending meanwhile).
          if (this.#reachable.size >= MAX_REACHABLE) this.#reachable.clear();
          this.#reachable.add(clientOf(answer));
          if (key !== undefined && !journaledFirst.has(k)) journalAfter.push(key);
          if (orphan && key !== undefined) this.#guard.delivered(key, now);
          continue;
        } catch {
          // EHOSTUNREACH (not connected here) or EAGAIN (not reading): the batcher's path still reaches it.
          this.#reachable.delete(clientOf(answer));
        }
      }
      if (orphan) sent.refused.push(answer.index);
      else sent.viaBatcher.push(answer);
    }
    this.#journal?.record(journalAfter, now);
    return sent;
  }

  /** Closes, giving replies already handed to ZeroMQ up to a second to leave (as the batcher's client socket does). */
  close(): void {
    if (this.#socket.closed) return;
    this.#socket.linger = TIMING.closeLingerMs;
    this.#socket.close();
    this.#zap?.close();
  }
}
