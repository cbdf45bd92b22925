/**
 * The client's requests awaiting a reply: each one's promise, its deadline, and its re-sends.
 *
 * A request is re-sent, under the same id, when a connection to the server dropped before its
 * reply came (the server restarted its batcher, which loses what it held, or its combiner, which
 * may lose an answer it was sending) and the connection is back,
 * or when its per-try timer fires; at most `tries` sends in all, and only while its deadline has
 * time left (the re-send carries the time left as its timeout_ms). The server computes a re-sent
 * request at most once and answers it once (see PROTOCOL.md, retries); a second reply to one id
 * is dropped here and counted, as are replies to ids never sent.
 */
import { encodeMessage, invalidOption, type Reply } from '@tutti/protocol';

export interface RetryOptions {
  /** Sends of one request at most, the first included (default 3; 1 never re-sends). */
  tries?: number;
  /** Re-send a request with no reply after this long (default: only when the connection drops and comes back). */
  perTryTimeoutMs?: number;
}

export interface ReplyCounts {
  /** Requests sent again (after a reconnect or a per-try timeout). */
  resent: number;
  /** Second replies to a request already answered (the server should never send them). */
  duplicates: number;
  /** Replies to a request that had already timed out here. */
  late: number;
  /** Replies whose id this client never sent. */
  unknown: number;
}

interface Entry {
  message: Record<string, unknown>;
  /** performance.now() at which the request's own timeout ends. */
  deadline: number;
  sendsLeft: number;
  /** The connection generation the last send went out on. */
  generation: number;
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  tryTimer?: NodeJS.Timeout;
}

/** Ids answered or timed out are remembered this many at most, to tell duplicates and late replies from unknown ones. */
const SETTLED_MEMORY = 65_536;
/** A re-send with less time than this left is not worth it: the request times out instead. */
const MIN_RESEND_MS = 5;

export class PendingRequests {
  #tries: number;
  #perTryMs: number | undefined;
  #send: (frame: Buffer) => void;
  #entries = new Map<number, Entry>();
  #settled = new Map<number, 'answered' | 'timed-out'>();
  #generation = 0;
  #counts: ReplyCounts = { resent: 0, duplicates: 0, late: 0, unknown: 0 };

  constructor(retry: RetryOptions, send: (frame: Buffer) => void) {
    const tries = retry.tries ?? 3;
    if (!Number.isInteger(tries) || tries < 1) invalidOption('retry.tries', tries, 'an integer >= 1');
    if (retry.perTryTimeoutMs !== undefined && !(retry.perTryTimeoutMs > 0))
      invalidOption('retry.perTryTimeoutMs', retry.perTryTimeoutMs, 'a positive number of ms');
    this.#tries = tries;
    this.#perTryMs = retry.perTryTimeoutMs;
    this.#send = send;
  }

  get size(): number {
    return this.#entries.size;
  }

  get counts(): ReplyCounts {
    return { ...this.#counts };
  }

  /** Sends request `id` and waits for its reply; `onTimeout` makes the error when `waitMs` passes with none. */
  add(id: number, message: Record<string, unknown>, timeoutMs: number, waitMs: number, onTimeout: () => Error): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#forget(id, 'timed-out');
        reject(onTimeout());
      }, waitMs);
      const entry: Entry = {
        message,
        deadline: performance.now() + timeoutMs,
        sendsLeft: this.#tries,
        generation: this.#generation,
        resolve,
        reject,
        timer,
      };
      this.#entries.set(id, entry);
      this.#transmit(id, entry);
    });
  }

  /** A reply came: resolves its request, or counts it as duplicate, late or unknown. */
  settle(reply: Reply): void {
    const id = reply.id;
    const entry = typeof id === 'number' ? this.#entries.get(id) : undefined;
    if (!entry) {
      const before = typeof id === 'number' ? this.#settled.get(id) : undefined;
      if (before === 'answered') this.#counts.duplicates++;
      else if (before === 'timed-out') this.#counts.late++;
      else this.#counts.unknown++;
      return;
    }
    this.#forget(id as number, 'answered');
    entry.resolve(reply);
  }

  /** A connection to the server dropped: what was sent before may be lost with the process behind it. */
  disconnected(): void {
    this.#generation++;
  }

  /** The connection is back: requests sent before it dropped go again. */
  reconnected(): void {
    for (const [id, entry] of this.#entries) if (entry.generation < this.#generation) this.#resend(id, entry);
  }

  /** Rejects every request (the client closed, or its socket failed). */
  failAll(error: (id: number) => Error): void {
    for (const [id, entry] of this.#entries) {
      this.#forget(id, 'timed-out');
      entry.reject(error(id));
    }
  }

  #transmit(id: number, entry: Entry, resend = false): void {
    entry.sendsLeft--;
    entry.generation = this.#generation;
    clearTimeout(entry.tryTimer);
    if (this.#perTryMs !== undefined && entry.sendsLeft > 0) entry.tryTimer = setTimeout(() => this.#resend(id, entry), this.#perTryMs);
    this.#send(encodeMessage({ id, ...(resend ? this.#withTimeLeft(entry) : entry.message) }));
  }

  /** A re-send asks the server for no more than the time the request has left. */
  #withTimeLeft(entry: Entry): Record<string, unknown> {
    const parameters = entry.message.parameters as { timeout_ms?: number } | undefined;
    if (parameters?.timeout_ms === undefined) return entry.message;
    const left = Math.max(1, Math.round(entry.deadline - performance.now()));
    return { ...entry.message, parameters: { ...parameters, timeout_ms: left } };
  }

  #resend(id: number, entry: Entry): void {
    if (this.#entries.get(id) !== entry || entry.sendsLeft <= 0) return;
    if (entry.deadline - performance.now() < MIN_RESEND_MS) return;
    this.#counts.resent++;
    this.#transmit(id, entry, true);
  }

  #forget(id: number, how: 'answered' | 'timed-out'): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    clearTimeout(entry.tryTimer);
    this.#entries.delete(id);
    this.#settled.set(id, how);
    if (this.#settled.size > SETTLED_MEMORY) this.#settled.delete(this.#settled.keys().next().value!);
  }
}
