import { describe, expect, it } from 'vitest';
import { SendQueue } from '../src/index.js';

/** Like zeromq.js: a second send while one is pending throws EBUSY; `fail` makes the next send reject. */
class OneAtATime {
  closed = false;
  sent: string[] = [];
  fail: Error | undefined;
  #busy = false;

  async send(frame: string): Promise<void> {
    if (this.#busy) throw new Error('EBUSY');
    this.#busy = true;
    await new Promise((resolve) => setImmediate(resolve));
    this.#busy = false;
    const failure = this.fail;
    this.fail = undefined;
    if (failure) throw failure;
    this.sent.push(frame);
  }
}

describe('SendQueue', () => {
  it('sends one message at a time, in order, however many are queued at once', async () => {
    const socket = new OneAtATime();
    const errors: unknown[] = [];
    const queue = new SendQueue<string>(socket, (error) => errors.push(error));
    for (const frame of ['a', 'b', 'c']) queue.send(frame);
    await queue.sendAndWait('d');
    expect(socket.sent).toEqual(['a', 'b', 'c', 'd']);
    expect(errors).toEqual([]);
    expect(queue.length).toBe(0);
  });

  it("gives a failed send's error to its waiting caller, or to onError, and goes on with the next", async () => {
    const socket = new OneAtATime();
    const errors: unknown[] = [];
    const queue = new SendQueue<string>(socket, (error) => errors.push((error as Error).message));
    socket.fail = new Error('EHOSTUNREACH');
    await expect(queue.sendAndWait('lost')).rejects.toThrow('EHOSTUNREACH');
    socket.fail = new Error('EAGAIN');
    queue.send('also lost');
    await queue.sendAndWait('kept');
    expect(errors).toEqual(['EAGAIN']);
    expect(socket.sent).toEqual(['kept']);
  });

  it('drops, silently, what fails because the socket was closed', async () => {
    const socket = new OneAtATime();
    const errors: unknown[] = [];
    const queue = new SendQueue<string>(socket, (error) => errors.push(error));
    socket.closed = true;
    socket.fail = new Error('socket closed');
    queue.send('late');
    await queue.sendAndWait('after').catch(() => undefined);
    expect(errors).toEqual([]);
  });
});
