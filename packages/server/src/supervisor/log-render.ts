/**
 * The supervisor's side of the log (see log.ts): its own lines and its children's, rendered in one
 * format into one sink. Apart from log.ts so that the children's bundles leave pino-pretty out.
 */
import { pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { invalidOption } from '@tutti/protocol';
import { LOG_FORMATS, defaultLogFormat, lineLogger, type LogFormat, type Logger } from '../shared/log.js';

/**
 * Turns a line from a child (`name` as the supervisor knows it) into a line in `format`. JSON lines
 * pass through (re-rendered when pretty); anything else becomes an entry at `level`.
 */
export function renderLine(line: string, name: string, format: LogFormat, level: 'info' | 'warn' = 'info'): string {
  const parsed = parseEntry(line);
  if (parsed && format === 'json') return line;
  const entry = parsed ?? { level: pino.levels.values[level], time: Date.now(), process: name, msg: line };
  return format === 'pretty' ? pretty()(entry).trimEnd() : JSON.stringify(entry);
}

function parseEntry(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The supervisor's log: its own logger, and how its children's lines are rendered, into one sink. */
export interface ServerLog {
  logger: Logger;
  childLines(name: string): (line: string, stream: 'stdout' | 'stderr') => void;
}

export function serverLog(options: { log?: (line: string) => void; logFormat?: LogFormat; name?: string }): ServerLog {
  const sink = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const format = options.logFormat ?? defaultLogFormat();
  if (!LOG_FORMATS.includes(format)) invalidOption('logFormat', format, '"json" or "pretty"');
  return {
    logger: lineLogger(options.name ?? 'supervisor', (line) => sink(renderLine(line, options.name ?? 'supervisor', format))),
    // What a child writes outside its log (Node's own crash output, a library's warning) is at least a warning.
    childLines: (name) => (line, stream) => sink(renderLine(line, name, format, stream === 'stderr' ? 'warn' : 'info')),
  };
}

let prettyFormat: ((entry: Record<string, unknown>) => string) | undefined;

function pretty(): (entry: Record<string, unknown>) => string {
  prettyFormat ??= prettyFactory({
    colorize: process.stderr.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    ignore: 'pid,hostname,process,instance',
    messageFormat: (log: Record<string, unknown>, messageKey: string) =>
      `[${String(log.process ?? '?')}${log.instance === undefined ? '' : ` ${String(log.instance)}`}] ${String(log[messageKey] ?? '')}`,
  }) as (entry: Record<string, unknown>) => string;
  return prettyFormat;
}
