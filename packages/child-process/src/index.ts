/**
 * @tutti/child-process: the one way tutti forks a Node child (the server's batcher, workers and
 * combiner; the profiler's measuring and echo processes; the benchmark's load generators and
 * baseline servers) and the one way a child reads what it was started with.
 *
 * - A TypeScript entry runs under tsx's loader; a JavaScript one (a bundle) runs plain.
 * - The configuration goes over the IPC channel as the first message, never on the command line,
 *   where any local user could read it with ps (it may hold a CurveZMQ secret key), and where its
 *   size is bounded.
 */
import { fork, type ChildProcess } from 'node:child_process';

const TSX = import.meta.resolve('tsx');

/** The first message a child gets: its configuration. */
export interface ConfigMessage<T = unknown> {
  type: 'config';
  config: T;
}

export interface ForkOptions {
  /** Node flags besides the TypeScript loader (e.g. --expose-gc). */
  execArgv?: string[];
  /** stdin, stdout, stderr; the IPC channel is always added (default: ignore, inherit, inherit). */
  stdio?: [Stream, Stream, Stream];
}

type Stream = 'ignore' | 'pipe' | 'inherit';

/** Forks `entry` (a .ts source under tsx, or plain JavaScript) and sends it `config` first. */
export function forkChild<T>(entry: URL | string, config: T, options: ForkOptions = {}): ChildProcess {
  const path = entry.toString();
  const typescript = /\.[mc]?ts$/.test(path);
  const [stdin, stdout, stderr] = options.stdio ?? ['ignore', 'inherit', 'inherit'];
  const child = fork(entry, [], {
    execArgv: [...(typescript ? ['--import', TSX] : []), ...(options.execArgv ?? [])],
    stdio: [stdin, stdout, stderr, 'ipc'],
  });
  child.send({ type: 'config', config } satisfies ConfigMessage<T>);
  return child;
}

// Listening from the moment this module loads, so the first message cannot be missed.
const configuration = new Promise<unknown>((resolve) => {
  if (!process.send) return;
  const onMessage = (message: ConfigMessage) => {
    if (message?.type !== 'config') return;
    process.off('message', onMessage);
    resolve(message.config);
  };
  process.on('message', onMessage);
});

/**
 * In a child forked by forkChild: its configuration. Import this module first thing in the
 * child's entry (it starts listening when loaded). Not forked with an IPC channel: an error.
 */
export async function childConfig<T>(): Promise<T> {
  if (!process.send) throw new Error('this process was not started by forkChild (it has no IPC channel to read its configuration from)');
  return (await configuration) as T;
}
