import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeMessage, type Reply } from '@tutti/protocol';
import { PendingRequests } from '../src/requests.js';

type Sent = { id: number; parameters?: { timeout_ms?: number } };

function pending(retry = {}) {
  const sent: Sent[] = [];
  const requests = new PendingRequests(retry, (frame) => sent.push(decodeMessage(frame) as Sent));
  return { requests, sent };
}

const reply = (id: number) => ({ id, model_name: 'm', outputs: [] }) as unknown as Reply;
const timedOut = () => new Error('timed out');

describe('PendingRequests', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves a request with its reply and counts second, late and unknown replies', async () => {
    vi.useFakeTimers();
    const { requests } = pending();
    const first = requests.add(1, { op: 'infer' }, 1_000, 1_100, timedOut);
    const second = requests.add(2, { op: 'infer' }, 1_000, 1_100, timedOut);
    requests.settle(reply(1));
    await expect(first).resolves.toMatchObject({ id: 1 });
    requests.settle(reply(1));
    vi.advanceTimersByTime(1_100);
    await expect(second).rejects.toThrow('timed out');
    requests.settle(reply(2));
    requests.settle(reply(99));
    requests.settle({ ...reply(0), id: 'not ours' } as unknown as Reply);
    expect(requests.counts).toEqual({ resent: 0, duplicates: 1, late: 1, unknown: 2 });
    expect(requests.size).toBe(0);
  });

  it('re-sends, once the connection is back, what went out before it dropped, with the time it has left', async () => {
    vi.useFakeTimers();
    const { requests, sent } = pending();
    const all = [requests.add(1, { op: 'infer', parameters: { timeout_ms: 1_000 } }, 1_000, 1_100, timedOut)];
    vi.advanceTimersByTime(400);
    requests.disconnected();
    // Sent while disconnected: ZeroMQ keeps it queued for the new connection, so it is not sent again.
    all.push(requests.add(2, { op: 'infer', parameters: { timeout_ms: 1_000 } }, 1_000, 1_100, timedOut));
    requests.reconnected();
    expect(sent.map((m) => m.id)).toEqual([1, 2, 1]);
    // Fake timers: exactly the 1,000 ms less the 400 ms that passed.
    expect(sent[2]!.parameters!.timeout_ms).toBe(600);
    expect(requests.counts.resent).toBe(1);
    requests.failAll(() => new Error('closed'));
    expect(await Promise.allSettled(all)).toMatchObject([{ status: 'rejected' }, { status: 'rejected' }]);
  });

  it('sends at most `tries` times, on per-try timeouts too, and never with no time left', async () => {
    vi.useFakeTimers();
    const { requests, sent } = pending({ tries: 3, perTryTimeoutMs: 100 });
    const settled = requests.add(7, { op: 'health' }, 1_000, 1_100, timedOut).catch((e: Error) => e.message);
    vi.advanceTimersByTime(1_000);
    expect(sent.map((m) => m.id)).toEqual([7, 7, 7]);
    requests.disconnected();
    requests.reconnected();
    expect(sent).toHaveLength(3);
    vi.advanceTimersByTime(100);
    expect(await settled).toBe('timed out');

    const late = pending({ tries: 5, perTryTimeoutMs: 600 });
    void late.requests.add(1, { op: 'health' }, 1_000, 1_100, timedOut).catch(() => undefined);
    vi.advanceTimersByTime(998);
    late.requests.disconnected();
    late.requests.reconnected();
    expect(late.sent).toHaveLength(2); // the per-try re-send at 600 ms; none with 2 ms left
  });

  it('checks its options', () => {
    expect(() => pending({ tries: 0 })).toThrow(/retry.tries/);
    expect(() => pending({ perTryTimeoutMs: -1 })).toThrow(/retry.perTryTimeoutMs/);
  });
});
