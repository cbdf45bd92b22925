import { describe, expect, it } from 'vitest';
import { ResendLedger } from '../../src/batcher/resend-ledger.js';

describe('ResendLedger', () => {
  it('computes a request once while it is held, parking the latest re-send', () => {
    const ledger = new ResendLedger<string>(1_000);
    expect(ledger.accept('k', 'first', 0)).toBe('new');
    expect(ledger.accept('k', 'second', 1)).toBe('parked');
    expect(ledger.accept('k', 'third', 2)).toBe('parked');
    ledger.answered('k', 3);
    expect(ledger.held).toBe(0);
    expect(ledger.accept('k', 'later', 4)).toBe('new'); // answered and forgotten: a new request
  });

  it('computes an unsure request again only when its client re-sent it', () => {
    const ledger = new ResendLedger<string>(1_000);
    ledger.accept('resent', 'a', 0);
    ledger.accept('resent', 'a again', 1);
    ledger.accept('quiet', 'b', 0);
    expect(ledger.unsure('resent')).toBe('a again');
    expect(ledger.held).toBe(2); // held again, as the copy now computing
    expect(ledger.accept('resent', 'a thrice', 2)).toBe('parked');
    expect(ledger.unsure('quiet')).toBeUndefined();
    expect(ledger.accept('quiet', 'b later', 3)).toBe('new');
  });

  it('in a recovery window, a re-send that crossed its answer is not computed again; after it, it is', () => {
    const ledger = new ResendLedger<string>(1_000);
    ledger.recover(0);
    ledger.accept('k', 'a', 10);
    ledger.answered('k', 20);
    expect(ledger.accept('k', 'a again', 30)).toBe('answered');
    expect(ledger.accept('k', 'a much later', 1_020)).toBe('new');
    ledger.answered('k', 1_030); // outside the window: forgotten at once
    expect(ledger.accept('k', 'new', 1_031)).toBe('new');
  });
});
