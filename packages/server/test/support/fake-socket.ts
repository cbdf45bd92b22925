/**
 * A stand-in for a ZeroMQ socket, for unit tests of the process classes (they take their sockets
 * injected): what the test delivers comes out of the class's `for await`, what the class sends is
 * kept in `sent`. Enough of Router, Dealer, Push and Pull for those classes: bind, connect, send,
 * receive by async iteration, close.
 */
export class FakeSocket {
  lastEndpoint: string;
  closed = false;
  linger = 0;
  sent: Buffer[][] = [];
  #queue: Buffer[][] = [];
  #waiting: ((result: IteratorResult<Buffer[]>) => void) | undefined;
  #onSend: (() => void) | undefined;

  constructor(name: string) {
    this.lastEndpoint = `inproc://${name}`;
  }

  async bind(): Promise<void> {}

  connect(): void {}

  /** As if a peer sent `frames` (for a ROUTER, the first frame is the peer's routing id). */
  deliver(frames: Buffer[]): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) waiting({ value: frames, done: false });
    else this.#queue.push(frames);
  }

  /** Kept as a list of frames, a single-frame message too. */
  async send(frames: Buffer[] | Buffer): Promise<void> {
    this.sent.push(Array.isArray(frames) ? frames : [frames]);
    this.#onSend?.();
  }

  /** Resolves once `count` messages have been sent in all (waits for the condition, never a fixed time). */
  async sentCount(count: number): Promise<void> {
    while (this.sent.length < count) await new Promise<void>((resolve) => (this.#onSend = resolve));
  }

  close(): void {
    this.closed = true;
    this.#waiting?.({ value: undefined, done: true });
  }

  /** The next delivered message; rejects once closed (as ZeroMQ's does, with EAGAIN). */
  async receive(): Promise<Buffer[]> {
    const next = await this[Symbol.asyncIterator]().next();
    if (next.done) throw Object.assign(new Error('Socket is closed'), { code: 'EAGAIN' });
    return next.value;
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer[]> {
    return {
      next: () => {
        const frames = this.#queue.shift();
        if (frames) return Promise.resolve({ value: frames, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.#waiting = resolve));
      },
    };
  }
}

/** The fake, typed as the ZeroMQ socket class the constructor asks for. */
export function asSocket<T>(fake: FakeSocket): T {
  return fake as unknown as T;
}
