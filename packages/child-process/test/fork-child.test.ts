import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { childConfig, forkChild } from '../src/index.js';

describe('forkChild', () => {
  it('runs a TypeScript entry and hands it its configuration over IPC, not on the command line', async () => {
    const secret = { greeting: 'hello', key: 'not-for-ps' };
    const child = forkChild(new URL('./fixtures/echo-config.ts', import.meta.url), secret);
    const [message] = (await once(child, 'message')) as [{ config: unknown; argv: string[]; typed: string }];
    expect(message.config).toEqual(secret);
    expect(message.typed).toBe('hello');
    // Nothing on the command line for `ps` to show.
    expect(message.argv).toEqual([]);
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
  });

  it('says so when a process not forked by it asks for its configuration', async () => {
    // The test runner's own worker has an IPC channel, so check the message with one taken away.
    const send = process.send;
    process.send = undefined;
    try {
      await expect(childConfig()).rejects.toThrow(/not started by forkChild/);
    } finally {
      process.send = send;
    }
  });
});
