import { describe, expect, it } from 'vitest';
import { renderLine, serverLog } from '../../src/supervisor/log-render.js';
import { logLevel } from '../../src/shared/log.js';

const childLine = JSON.stringify({
  level: 40,
  time: 1_700_000_000_000,
  process: 'worker',
  instance: 'logreg#0',
  pid: 42,
  msg: 'logreg#0 on cpu: a batch has computed for over 500 ms',
});

describe('renderLine', () => {
  it('passes a child JSON line through unchanged in json format', () => {
    expect(renderLine(childLine, 'worker logreg#0', 'json')).toBe(childLine);
  });

  it('wraps a line that is not JSON into an entry naming the process, at the given level', () => {
    const entry = JSON.parse(renderLine('Segmentation fault (core dumped)', 'worker logreg#0', 'json', 'warn')) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 40, process: 'worker logreg#0', msg: 'Segmentation fault (core dumped)' });
    expect(typeof entry.time).toBe('number');
  });

  it('wraps JSON that is not an object (a bare array or number) rather than passing it off as an entry', () => {
    expect(JSON.parse(renderLine('[1,2]', 'batcher', 'json'))).toMatchObject({ process: 'batcher', msg: '[1,2]', level: 30 });
    expect(JSON.parse(renderLine('{not json', 'batcher', 'json'))).toMatchObject({ msg: '{not json' });
  });

  it('renders readable lines with the level, the process and its instance, and the message', () => {
    const line = renderLine(childLine, 'worker logreg#0', 'pretty');
    expect(line).toContain('WARN');
    expect(line).toContain('[worker logreg#0] logreg#0 on cpu: a batch has computed for over 500 ms');
    expect(line).not.toContain('{');
  });
});

describe('serverLog', () => {
  it("sends the supervisor's own lines and its children's to one sink, in one format", () => {
    const lines: string[] = [];
    const log = serverLog({ log: (line) => lines.push(line), logFormat: 'json' });
    log.logger.warn({ child: 'batcher' }, 'the batcher died');
    log.childLines('combiner')('plain text from Node', 'stderr');
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { level: 40, process: 'supervisor', child: 'batcher', msg: 'the batcher died' },
      { level: 40, process: 'combiner', msg: 'plain text from Node' },
    ]);
  });

  it('refuses an unknown format when built', () => {
    expect(() => serverLog({ log: () => {}, logFormat: 'xml' as never })).toThrow(/logFormat.*"json" or "pretty"/);
  });
});

describe('logLevel', () => {
  it('takes TUTTI_LOG_LEVEL, default info, and names a typo rather than silencing the log', () => {
    expect(logLevel({})).toBe('info');
    expect(logLevel({ TUTTI_LOG_LEVEL: 'debug' })).toBe('debug');
    expect(() => logLevel({ TUTTI_LOG_LEVEL: 'verbose' })).toThrow(
      /TUTTI_LOG_LEVEL is "verbose"; expected one of fatal, error, warn, info, debug/,
    );
  });
});
