import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnswerJournal } from '../../src/combiner/answer-journal.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function path(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tutti-journal-'));
  dirs.push(dir);
  return join(dir, 'answers');
}

describe('AnswerJournal', () => {
  it('gives its successor what it recorded, keys with any characters intact, and starts empty itself', () => {
    const at = path();
    const journal = new AnswerJournal(at, 0);
    expect(journal.previous).toEqual([]);
    journal.record(['tutti-a\u0000number:1', 'tutti-\u00e9\n\u0000string:x"y'], 1);
    journal.record([], 2);
    journal.close();
    const successor = new AnswerJournal(at, 10);
    expect(successor.previous).toEqual(['tutti-a\u0000number:1', 'tutti-\u00e9\n\u0000string:x"y']);
    successor.close();
    expect(new AnswerJournal(at, 20).previous).toEqual([]);
  });

  it('keeps about the last two turns (5-10 s), files truncated in turn, 0600', () => {
    const at = path();
    const journal = new AnswerJournal(at, 0);
    journal.record(['a'], 0);
    journal.record(['b'], 5_000); // second file's turn
    journal.record(['c'], 10_000); // first file again, truncated: 'a' is gone
    journal.close();
    expect(new AnswerJournal(at, 11_000).previous.sort()).toEqual(['b', 'c']);
    expect(statSync(`${at}.0`).mode & 0o777).toBe(0o600);
  });

  it('skips a line cut short by a kill', () => {
    const at = path();
    const journal = new AnswerJournal(at, 0);
    journal.record(['a'], 0);
    journal.close();
    appendFileSync(`${at}.0`, '["b", "c');
    expect(new AnswerJournal(at, 1).previous).toEqual(['a']);
  });
});
