/**
 * Forking tutti's processes (plain JavaScript bundled at server start, see bundle.ts, or their
 * TypeScript sources under tsx), waiting for their reports, and stopping them.
 */
import type { ChildProcess } from 'node:child_process';
import { forkChild } from '@tutti/child-process';
import { createInterface } from 'node:readline';
import { TuttiError } from '@tutti/protocol';
import type { ChildReport, ProcessConfig } from '../shared/config.js';
import { TIMING } from '../shared/timing.js';

const ENTRY = {
  combiner: new URL('../combiner/combiner-main.ts', import.meta.url),
  batcher: new URL('../batcher/batcher-main.ts', import.meta.url),
  worker: new URL('../worker/worker-main.ts', import.meta.url),
};

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  exited: Promise<number | null>;
}

export interface Started {
  endpoints: Record<string, string>;
  /** Resolves on the child's next report of this type. */
  next(type: ChildReport['type'], timeoutMs: number): Promise<void>;
}

/**
 * `onLine` gets every line the child writes (its log's JSON lines, and anything else, e.g. a crash's
 * stack from Node); `bundles`: each role's plain-JavaScript entry (bundle.ts); without them, the
 * sources run under tsx.
 */
export function spawnChild(
  config: ProcessConfig,
  name: string,
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
  bundles?: Record<ProcessConfig['role'], string>,
): Child {
  const entry = bundles?.[config.role] ?? ENTRY[config.role];
  const child = forkChild(entry, config, {
    // TUTTI_CHILD_NODE_ARGS adds Node flags to every child, for diagnosis: e.g. "--cpu-prof
    // --cpu-prof-dir=/tmp/prof" (Node refuses --cpu-prof in NODE_OPTIONS).
    execArgv: process.env.TUTTI_CHILD_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [],
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => onLine(line, 'stdout'));
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (line) => onLine(line, 'stderr'));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, pid: child.pid ?? -1, process: child, exited };
}

export function waitReady(child: Child, timeoutMs: number): Promise<Started> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new TuttiError('PROCESS_FAILED', `${child.name} failed to start: ${why}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    const onReport = (report: ChildReport) => {
      if (report.type === 'ready') {
        clearTimeout(timer);
        child.process.off('message', onReport);
        resolve({ endpoints: report.endpoints ?? {}, next: (type, ms) => nextReport(child, type, ms) });
      } else if (report.type === 'failed') fail(report.error);
    };
    child.process.on('message', onReport);
    void child.exited.then((code) => fail(`exited with code ${code}`));
  });
}

/** Resolves on the child's next report of this type; rejects after `timeoutMs`, or at once if the child exits first. */
export function nextReport(child: Child, type: ChildReport['type'], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error?: TuttiError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.process.off('message', onReport);
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => settle(new TuttiError('PROCESS_FAILED', `${child.name}: no ${type} after ${timeoutMs} ms`)), timeoutMs);
    const onReport = (report: ChildReport) => {
      if (report.type === type) settle();
    };
    child.process.on('message', onReport);
    void child.exited.then((code) => settle(new TuttiError('PROCESS_FAILED', `${child.name} exited (code ${code}) before its ${type}`)));
  });
}

export async function stopAll(children: Child[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.process.exitCode !== null || child.process.signalCode !== null) return;
      child.process.kill('SIGTERM');
      const timer = setTimeout(() => child.process.kill('SIGKILL'), TIMING.killAfterMs);
      await child.exited;
      clearTimeout(timer);
    }),
  );
}
