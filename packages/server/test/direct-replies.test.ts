import { afterEach, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { DirectReplies, replyEndpointOf } from '../src/direct-replies.js';

describe('replyEndpointOf', () => {
  it('takes the next tcp port, any free port for a system-chosen one, or the ipc path with .replies', () => {
    expect(replyEndpointOf('tcp://127.0.0.1:5555')).toBe('tcp://127.0.0.1:5556');
    expect(replyEndpointOf('tcp://0.0.0.0:0')).toBe('tcp://0.0.0.0:*');
    expect(replyEndpointOf('tcp://[::1]:*')).toBe('tcp://[::1]:*');
    expect(replyEndpointOf('ipc:///tmp/tutti.sock')).toBe('ipc:///tmp/tutti.sock.replies');
  });

  it('names the endpoint it cannot derive from', () => {
    expect(() => replyEndpointOf('tcp://127.0.0.1:65535')).toThrow(/65535.*port \+ 1/);
    expect(() => replyEndpointOf('inproc://x')).toThrow(/inproc:\/\/x: expected tcp/);
  });
});

describe('DirectReplies', () => {
  const open: { close(): void }[] = [];
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });

  async function bound(): Promise<{ replies: DirectReplies; endpoint: string }> {
    const replies = new DirectReplies();
    open.push(replies);
    return { replies, endpoint: await replies.bind('tcp://127.0.0.1:*') };
  }

  it('sends to a client connected with its own routing id, and leaves the others for the batcher', async () => {
    const { replies, endpoint } = await bound();
    const client = new Dealer({ linger: 0, routingId: 'tutti-client-a' });
    open.push(client);
    client.connect(endpoint);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the ZMTP handshake tells the ROUTER our id
    const result = await replies.send([
      { index: 0, frames: [Buffer.from('tutti-client-a'), Buffer.from('reply 0')] },
      { index: 1, frames: [Buffer.from('tutti-client-b'), Buffer.from('reply 1')] }, // not connected here
      { index: 2, frames: [Buffer.from([0, 1, 2, 3, 4]), Buffer.from('reply 2')] }, // an id ZeroMQ generated
      { index: 3, frames: [Buffer.from('tutti-client-a'), Buffer.alloc(0), Buffer.from('reply 3')] }, // REQ envelope
      { index: 4, frames: [Buffer.from('client-1'), Buffer.from('reply 4')] }, // an id of its own, not opted in
    ]);
    expect(result.direct).toEqual([0]);
    expect(result.viaBatcher.map((a) => a.index)).toEqual([1, 2, 3, 4]);
    const [frame] = await client.receive();
    expect(frame!.toString()).toBe('reply 0');
  });

  it('keeps batches in order when several are sent at once', async () => {
    const { replies, endpoint } = await bound();
    const client = new Dealer({ linger: 0, routingId: 'tutti-client-c' });
    open.push(client);
    client.connect(endpoint);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const sends = [0, 1, 2].map((batch) => replies.send([{ index: 0, frames: [Buffer.from('tutti-client-c'), Buffer.from(`batch ${batch}`)] }]));
    expect((await Promise.all(sends)).map((r) => r.direct)).toEqual([[0], [0], [0]]);
    for (const batch of [0, 1, 2]) expect((await client.receive())[0]!.toString()).toBe(`batch ${batch}`);
  });

  it('says which port it could not bind', async () => {
    const { endpoint } = await bound();
    await expect(new DirectReplies().bind(endpoint)).rejects.toThrow(/cannot bind tcp:\/\/127\.0\.0\.1:\d+ for direct replies/);
  });
});
