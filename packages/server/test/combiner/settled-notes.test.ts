import { afterEach, describe, expect, it, vi } from 'vitest';
import { SETTLED, decodeHeader, type SettledHeader } from '@tutti/protocol';
import { SettledNotes } from '../../src/combiner/settled-notes.js';

function recorder(): { sent: SettledHeader[]; send: (frames: Buffer[]) => void } {
  const sent: SettledHeader[] = [];
  return {
    sent,
    send: (frames) => {
      expect(frames).toHaveLength(1);
      const header = decodeHeader(frames[0]!);
      expect(header.kind).toBe(SETTLED);
      sent.push(header as SettledHeader);
    },
  };
}

describe('SettledNotes', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tells many batches in one message once the delay has passed', () => {
    vi.useFakeTimers();
    const { sent, send } = recorder();
    const notes = new SettledNotes(send, { delayMs: 10, maxParts: 100 });
    notes.add(1, [0, 1], true);
    notes.add(2, [0], false);
    notes.add(2, [1], true);
    vi.advanceTimersByTime(9);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([
      {
        kind: SETTLED,
        batches: [
          { batch: 1, parts: [0, 1], last: true },
          { batch: 2, parts: [0, 1], last: true },
        ],
      },
    ]);
    expect(notes.pending).toBe(0);
    // Nothing pending: the timer does not send an empty note.
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(1);
  });

  it('sends at once past maxParts, and on flush', () => {
    vi.useFakeTimers();
    const { sent, send } = recorder();
    const notes = new SettledNotes(send, { delayMs: 1000, maxParts: 3 });
    notes.add(1, [0, 1], false);
    expect(sent).toHaveLength(0);
    notes.add(1, [2], true);
    expect(sent.map((h) => h.batches)).toEqual([[{ batch: 1, parts: [0, 1, 2], last: true }]]);
    notes.add(5, [0], false);
    notes.flush();
    notes.flush();
    expect(sent.map((h) => h.batches)).toEqual([[{ batch: 1, parts: [0, 1, 2], last: true }], [{ batch: 5, parts: [0], last: false }]]);
    vi.advanceTimersByTime(2000);
    expect(sent).toHaveLength(2);
  });

  it('refuses options it cannot keep', () => {
    expect(() => new SettledNotes(() => {}, { delayMs: -1, maxParts: 1 })).toThrow(/delayMs/);
    expect(() => new SettledNotes(() => {}, { delayMs: 1, maxParts: 0 })).toThrow(/maxParts/);
  });
});
