import { expect } from 'vitest';

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
