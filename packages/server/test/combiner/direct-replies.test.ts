import { afterEach, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { firstBatchOf } from '@tutti/protocol';
import { DirectReplies } from '../../src/combiner/direct-replies.js';
import { replyEndpointOf } from '../../src/supervisor/endpoints.js';
import { ReplyGuard } from '../../src/combiner/reply-guard.js';
import { AnswerJournal } from '../../src/combiner/answer-journal.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

  async function bound(
    guard = new ReplyGuard({ lingerMs: 60_000 }),
    journal?: AnswerJournal,
  ): Promise<{ replies: DirectReplies; endpoint: string }> {
    const replies = new DirectReplies(guard, journal && { journal });
    open.push(replies);
    return { replies, endpoint: await replies.bind('tcp://127.0.0.1:*') };
  }

  /** A client connected under `id`, once the ROUTER can address it: probes are sent until one goes direct (and read). */
  async function connected(replies: DirectReplies, endpoint: string, id: string): Promise<Dealer> {
    const client = new Dealer({ linger: 0, routingId: id });
    open.push(client);
    client.connect(endpoint);
    for (let tries = 0; tries < 500; tries++) {
      const probe = await replies.send(0, [{ index: 0, frames: [Buffer.from(id), Buffer.from('probe')], id: `probe-${tries}` }]);
      if (probe.direct.length === 1) {
        expect((await client.receive())[0]!.toString()).toBe('probe');
        return client;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`${id} never became reachable`);
  }

  it('sends to a client connected with its own routing id, and leaves the others for the batcher', async () => {
    const { replies, endpoint } = await bound();
    const client = await connected(replies, endpoint, 'tutti-client-a');
    const result = await replies.send(1, [
      { index: 0, frames: [Buffer.from('tutti-client-a'), Buffer.from('reply 0')], id: 0 },
      { index: 1, frames: [Buffer.from('tutti-client-b'), Buffer.from('reply 1')], id: 1 }, // not connected here
      { index: 2, frames: [Buffer.from([0, 1, 2, 3, 4]), Buffer.from('reply 2')], id: 2 }, // an id ZeroMQ generated
      { index: 3, frames: [Buffer.from('tutti-client-a'), Buffer.alloc(0), Buffer.from('reply 3')], id: 3 }, // REQ envelope
      { index: 4, frames: [Buffer.from('client-1'), Buffer.from('reply 4')], id: 4 }, // an id of its own, not opted in
    ]);
    expect(result.direct).toEqual([0]);
    expect(result.viaBatcher.map((a) => a.index)).toEqual([1, 2, 3, 4]);
    const [frame] = await client.receive();
    expect(frame!.toString()).toBe('reply 0');
  });

  it('keeps batches in order when several are sent at once', async () => {
    const { replies, endpoint } = await bound();
    const client = await connected(replies, endpoint, 'tutti-client-c');
    const sends = [0, 1, 2].map((batch) =>
      replies.send(batch, [{ index: 0, frames: [Buffer.from('tutti-client-c'), Buffer.from(`batch ${batch}`)], id: batch }]),
    );
    expect((await Promise.all(sends)).map((r) => r.direct)).toEqual([[0], [0], [0]]);
    for (const batch of [0, 1, 2]) expect((await client.receive())[0]!.toString()).toBe(`batch ${batch}`);
  });

  it("after a batcher restart, lets one answer per request through, and an orphan's only when it reaches its client", async () => {
    const guard = new ReplyGuard({ lingerMs: 60_000 });
    const { replies, endpoint } = await bound(guard);
    const client = await connected(replies, endpoint, 'tutti-client-d');
    const old = firstBatchOf(0) + 7;
    const fresh = firstBatchOf(1);
    guard.planned(old, [old]);
    expect(guard.planned(fresh, [old, fresh])).toEqual([old]);
    const answer = (index: number, id: number, who = 'tutti-client-d') => ({
      index,
      frames: [Buffer.from(who), Buffer.from(`answer ${id}`)],
      id,
    });
    // The orphan answers request 1 first; the client's re-send of it, in the new batch, is refused.
    // The orphan cannot reach tutti-client-e: that answer is dropped, so the new batch's goes (via the batcher).
    expect(await replies.send(old, [answer(0, 1), answer(1, 2, 'tutti-client-e')])).toEqual({
      direct: [0],
      viaBatcher: [],
      refused: [1],
      unsure: [],
    });
    const sent = await replies.send(fresh, [answer(0, 1), answer(1, 2, 'tutti-client-e'), answer(2, 3)]);
    expect(sent.direct).toEqual([2]);
    expect(sent.refused).toEqual([0]);
    expect(sent.viaBatcher.map((a) => a.index)).toEqual([1]);
    // The new batch answered request 4 first: the orphan's answer to it is refused.
    expect((await replies.send(fresh, [answer(0, 4)])).direct).toEqual([0]);
    expect((await replies.send(old, [answer(0, 4)])).refused).toEqual([0]);
    const received = [];
    for (let k = 0; k < 3; k++) received.push((await client.receive())[0]!.toString());
    expect(received).toEqual(['answer 1', 'answer 3', 'answer 4']);
  });

  it("journals what it sends to a client, so that its successor holds back a replanned batch's second answer", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tutti-journal-'));
    try {
      const journal = new AnswerJournal(join(dir, 'answers'));
      const first = await bound(new ReplyGuard({ lingerMs: 60_000 }), journal);
      const client = await connected(first.replies, first.endpoint, 'tutti-client-f');
      expect(
        (await first.replies.send(3, [{ index: 0, frames: [Buffer.from('tutti-client-f'), Buffer.from('answer 5')], id: 5 }])).direct,
      ).toEqual([0]);
      expect((await client.receive())[0]!.toString()).toBe('answer 5');
      // The combiner dies here, before the batcher hears of that answer: its successor reads the journal.
      first.replies.close();
      journal.close();
      const guard = new ReplyGuard({ lingerMs: 60_000 });
      const successor = new AnswerJournal(join(dir, 'answers'));
      guard.journaled(successor.previous, Date.now());
      guard.planned(3, [3], true);
      const second = await bound(guard, successor);
      const answer = (id: number) => ({ index: id, frames: [Buffer.from('tutti-client-f'), Buffer.from(`again ${id}`)], id });
      const sent = await second.replies.send(3, [answer(5), answer(6)]);
      expect(sent.unsure).toEqual([5]);
      expect(sent.viaBatcher.map((a) => a.index)).toEqual([6]); // the client is not connected to this one yet
      successor.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says which port it could not bind', async () => {
    const { endpoint } = await bound();
    await expect(new DirectReplies(new ReplyGuard({ lingerMs: 1 })).bind(endpoint)).rejects.toThrow(
      /cannot bind tcp:\/\/127\.0\.0\.1:\d+ for direct replies/,
    );
  });
});
