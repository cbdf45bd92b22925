/**
 * Serialises sends on one ZeroMQ socket: zeromq.js allows one pending send per socket, and a second
 * concurrent send throws EBUSY synchronously. Every writer of a socket, in the server's processes
 * and in the TypeScript client, goes through one of these. Socket-agnostic (anything with `send`
 * and `closed`), so this package needs no ZeroMQ.
 */

/** What the queue needs of a socket. */
export interface SendableSocket<F> {
  send(frames: F): Promise<void>;
  readonly closed: boolean;
}

interface Queued<F> {
  frames: F;
  /** Set for sendAndWait: the caller hears of this message's outcome instead of onError. */
  settle?: { resolve: () => void; reject: (error: unknown) => void };
}

export class SendQueue<F = Buffer | Buffer[]> {
  #socket: SendableSocket<F>;
  #pending: Queued<F>[] = [];
  #draining = false;
  #onError: (error: unknown) => void;

  /** `onError` hears of a failed send() (not of sends to a closed socket, which are dropped). */
  constructor(socket: SendableSocket<NoInfer<F>>, onError: (error: unknown) => void) {
    this.#socket = socket;
    this.#onError = onError;
  }

  get length(): number {
    return this.#pending.length;
  }

  /** Sends in turn; a failure goes to onError. */
  send(frames: F): void {
    this.#push({ frames });
  }

  /** Sends in turn; resolves once this message is handed to ZeroMQ, rejects with its error. */
  sendAndWait(frames: F): Promise<void> {
    return new Promise((resolve, reject) => this.#push({ frames, settle: { resolve, reject } }));
  }

  #push(queued: Queued<F>): void {
    this.#pending.push(queued);
    if (!this.#draining) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      for (let next = this.#pending.shift(); next !== undefined; next = this.#pending.shift()) {
        try {
          await this.#socket.send(next.frames);
          next.settle?.resolve();
        } catch (error) {
          if (next.settle) next.settle.reject(error);
          else if (!this.#socket.closed) this.#onError(error);
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}
