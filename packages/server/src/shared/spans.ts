/**
 * Timestamps of the steps of the serving path, for finding where an idle request's time goes
 * (bench/spans.ts reads them). Off unless TUTTI_SPANS names a folder: then each process keeps its
 * marks in memory (a string push, no I/O on the path) and writes them to
 * `<folder>/spans-<pid>.txt` when it exits. Times are ms since the epoch with sub-ms precision
 * (performance.timeOrigin + now), comparable across the processes of one host.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const folder = process.env.TUTTI_SPANS;
const marks: string[] = [];

if (folder) process.on('exit', () => writeFileSync(join(folder, `spans-${process.pid}.txt`), marks.join('')));

/** Whether marks are being kept (TUTTI_SPANS is set). */
export const spansOn = folder !== undefined && folder !== '';

/** Notes that step `step` (e.g. 'worker.received') happened now, for `key` (a batch number). */
export function mark(step: string, key: number): void {
  if (spansOn) marks.push(`${(performance.timeOrigin + performance.now()).toFixed(3)} ${step} ${key}\n`);
}
