/**
 * Serialises sends on one ZeroMQ socket. zeromq.js allows one pending send per socket: a second
 * concurrent send throws EBUSY synchronously, so every writer of a shared socket goes through here.
 */
import type { Socket, Writable } from 'zeromq';

type Frames = Parameters<Writable['send']>[0];
type WritableSocket = Socket & Writable;

export class SendQueue {
  #socket: WritableSocket;
  #pending: Frames[] = [];
  #draining = false;
  #onError: (error: unknown) => void;

  constructor(socket: WritableSocket, onError: (error: unknown) => void) {
    this.#socket = socket;
    this.#onError = onError;
  }

  get length(): number {
    return this.#pending.length;
  }

  send(frames: Frames): void {
    this.#pending.push(frames);
    if (!this.#draining) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      for (let frames = this.#pending.shift(); frames !== undefined; frames = this.#pending.shift()) {
        try {
          await this.#socket.send(frames);
        } catch (error) {
          if (this.#socket.closed) return;
          this.#onError(error);
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}
