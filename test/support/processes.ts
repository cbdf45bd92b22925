import { expect } from 'vitest';
import type { Server } from '@tutti/server';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process of a stopped server must be gone. */
export function expectAllGone(pids: number[]): void {
  expect(pids.filter(isAlive)).toEqual([]);
}

/** Remembers the pid of every process `server` runs now (call again after restarts: new pids join). */
export function rememberPids(server: Server | undefined, pids: Set<number>): void {
  for (const p of server?.processes ?? []) pids.add(p.pid);
}

/** Stops `server` and checks that every process it ever ran (those in `pids`, and its current ones) is gone. */
export async function stopAndExpectAllGone(server: Server | undefined, pids: Set<number>): Promise<void> {
  rememberPids(server, pids);
  await server?.stop();
  expectAllGone([...pids]);
}
