/** The systems a bench run measures, each started on a free port and stopped after. */
import { forkChild } from '@tutti/child-process';
import { TuttiError } from '@tutti/protocol';
import type { Ensemble } from '@tutti/manifest';
import type { BaselineConfig } from './baseline-server.js';
import type { ProcessRef } from './cpu.js';

export interface RunningSystem {
  name: string;
  endpoint: string;
  metricsUrl?: string;
  /** Its server processes now (a restarted one has a new pid), for CPU per request; absent when not known (--endpoint). */
  processes?: () => ProcessRef[];
  stop(): Promise<void>;
}

const BASELINE = new URL('./baseline-main.ts', import.meta.url);

export function startBaseline(
  kind: BaselineConfig['kind'],
  ensemble: Ensemble,
  threads: number,
  batchSizes?: Record<string, number>,
): Promise<RunningSystem> {
  const config: BaselineConfig = { kind, ensemble, endpoint: 'tcp://127.0.0.1:0', threads, ...(batchSizes && { batchSizes }) };
  const child = forkChild(BASELINE, config);
  return new Promise((resolve, reject) => {
    child.once('message', (message: { endpoint: string }) =>
      resolve({
        name: kind,
        endpoint: message.endpoint,
        processes: () => [{ name: kind, pid: child.pid! }],
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      }),
    );
    child.once('exit', (code) => reject(new TuttiError('PROCESS_FAILED', `${kind} baseline exited with code ${code}`)));
  });
}
