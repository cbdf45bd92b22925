/**
 * Structured logs (pino). Every process writes one JSON object per line to stderr, naming itself
 * (`process`: supervisor, batcher, combiner or worker; `instance` for a worker, e.g. "logreg#0"); the
 * supervisor reads its children's lines and hands every line, its own too, to one sink in one format:
 * JSON as written (for a log pipeline; the default when stderr is not a terminal), or readable lines
 * (pino-pretty; the default on a terminal). A child line that is not JSON (a crash's stack printed by
 * Node itself) is wrapped into an entry, never lost.
 *
 * The level is TUTTI_LOG_LEVEL (default info; children inherit it). Request-level events (a refused
 * request, a dropped message) log at debug: off by default, as they would flood a busy server's log.
 */
import { pino, type Logger } from 'pino';
import { TuttiError } from '@tutti/protocol';

export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];
export type { Logger };

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The level from TUTTI_LOG_LEVEL, checked: a typo must not silence the server's log. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): string {
  const level = env.TUTTI_LOG_LEVEL ?? 'info';
  if (!LEVELS.includes(level))
    throw new TuttiError('INVALID_OPTION', `TUTTI_LOG_LEVEL is "${level}"; expected one of ${LEVELS.join(', ')}`);
  return level;
}

/** The default format: readable on a terminal, JSON for anything else (a file, a pipe, a collector). */
export function defaultLogFormat(stream: { isTTY?: boolean } = process.stderr): LogFormat {
  return stream.isTTY ? 'pretty' : 'json';
}

/**
 * A child process's logger: JSON lines on stderr, written synchronously so that the line before a
 * deliberate exit (a hung worker, a failed start) is not lost with the process.
 */
export function childLogger(processName: string, bindings: Record<string, string | number> = {}): Logger {
  return pino(
    { level: logLevel(), base: { process: processName, pid: process.pid, ...bindings } },
    pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger whose lines (JSON) go to `write`, one call per line without its newline. */
export function lineLogger(processName: string, write: (line: string) => void): Logger {
  return pino(
    { level: logLevel(), base: { process: processName, pid: process.pid } },
    { write: (chunk: string) => write(chunk.trimEnd()) },
  );
}

let current: Logger | undefined;

/** This process's logger (see setProcessLog); a child that never named itself logs as "tutti". */
export function processLog(): Logger {
  return (current ??= childLogger('tutti'));
}

/** Names this process in every line it logs: called once, first thing, by each process's main. */
export function setProcessLog(processName: string, bindings: Record<string, string | number> = {}): Logger {
  current = childLogger(processName, bindings);
  return current;
}
