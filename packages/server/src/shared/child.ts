/**
 * The life of a tutti child process: receive the config, start, report ready or failed to the
 * supervisor, and stop cleanly on SIGTERM/SIGINT or when the supervisor goes away (its IPC channel
 * disconnects), so that no process outlives the server, even after a kill -9 of the supervisor.
 */
import { childConfig } from '@tutti/child-process';
import type { ChildReport, ProcessConfig, SupervisorCommand } from './config.js';
import { registry } from './metrics.js';
import { TIMING } from './timing.js';

export interface Running {
  close(): Promise<void>;
}

/** The configuration the supervisor sent (forkChild: over IPC, never on the command line), checked for its role. */
export async function readConfig<T extends ProcessConfig>(role: T['role']): Promise<T> {
  const config = await childConfig<ProcessConfig>();
  if (config.role !== role) throw new Error(`expected a ${role} config, got ${JSON.stringify(config.role)}`);
  return config as T;
}

function report(message: ChildReport): void {
  process.send?.(message);
}

export function runChild(start: () => Promise<{ running: Running; endpoints?: Record<string, string> }>): void {
  let running: Running | undefined;
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // Past the batcher's drain grace and socket linger (timing.ts checks they fit), stop waiting for close().
    const timer = setTimeout(() => process.exit(code), TIMING.childHardExitMs);
    timer.unref();
    try {
      await running?.close();
    } finally {
      process.exit(code);
    }
  };
  process.on('SIGTERM', () => void stop(0));
  // Ctrl-C in a terminal signals the whole process group: the supervisor decides (it drains first).
  process.on('SIGINT', () => {});
  process.on('disconnect', () => void stop(0));
  process.on('message', (command: SupervisorCommand) => {
    if (command.type !== 'metrics') return;
    void registry.getMetricsAsJSON().then((data) => report({ type: 'metrics', id: command.id, data }));
  });
  start().then(
    (started) => {
      running = started.running;
      report(started.endpoints ? { type: 'ready', endpoints: started.endpoints } : { type: 'ready' });
    },
    (error: unknown) => {
      report({ type: 'failed', error: (error as Error)?.message ?? String(error) });
      // Give the IPC message time to leave before exiting.
      setTimeout(() => process.exit(1), 50);
    },
  );
}
