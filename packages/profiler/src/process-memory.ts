/** Resident memory of a process, from /proc (Linux); 0 when it cannot be read (the process is gone). */
import { readFileSync } from 'node:fs';

export function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}
