/**
 * The combiner's journal of the requests it answers straight to their clients, so that a combiner
 * killed between such an answer and telling the batcher does not have it answered twice by its
 * successor (the batcher, not knowing, plans the request again; see reply-guard.ts).
 *
 * A request is journaled before its answer is sent when its client is known to be connected for
 * direct replies (a crash then may lose the answer, and the client re-sends it: resend-ledger.ts),
 * else right after the send succeeds. Writes are synchronous: a kill -9 of the process does not lose
 * what the kernel already has. Only the last seconds matter (what the batcher had not heard of), so
 * two files take turns, each truncated when its turn comes again: the journal stays small.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { TIMING } from '../shared/timing.js';

export class AnswerJournal {
  #paths: [string, string];
  #fd: number;
  #turn = 0;
  #turnStarted: number;
  /** What the combiner before this one journaled (the last 5-10 s of its direct answers). */
  readonly previous: string[];

  constructor(path: string, now = Date.now()) {
    this.#paths = [`${path}.0`, `${path}.1`];
    this.previous = this.#paths.flatMap(readKeys);
    this.#fd = openSync(this.#paths[0], 'w', 0o600);
    closeSync(openSync(this.#paths[1], 'w', 0o600));
    this.#turnStarted = now;
  }

  record(keys: readonly string[], now = Date.now()): void {
    if (keys.length === 0) return;
    if (now - this.#turnStarted >= TIMING.journalTurnMs) this.#nextTurn(now);
    writeSync(this.#fd, `${JSON.stringify(keys)}\n`);
  }

  close(): void {
    closeSync(this.#fd);
  }

  #nextTurn(now: number): void {
    closeSync(this.#fd);
    this.#turn = 1 - this.#turn;
    this.#fd = openSync(this.#paths[this.#turn]!, 'w', 0o600);
    this.#turnStarted = now;
  }
}

/** One JSON array of keys per line; a line cut short by a kill is skipped. */
function readKeys(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line) => {
    try {
      return line ? (JSON.parse(line) as string[]) : [];
    } catch {
      return [];
    }
  });
}
