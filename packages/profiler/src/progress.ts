/**
 * Progress of profileEnsemble for a terminal: a cli-progress bar per member being measured when the
 * stream is a TTY, otherwise one line per member as it finishes (logs and CI stay readable).
 * Cost-model and file profiles take no time and are not reported.
 */
import os from 'node:os';
import cliProgress from 'cli-progress';
import { formatBytes } from '@tutti/allocator';
import type { ProfileEvent, ProfileProgress } from './profile-ensemble.js';

export interface ProgressReporter {
  onProgress: ProfileProgress;
  /** Stops a bar left running (after an error), restoring the cursor. */
  stop(): void;
}

/** A 1-minute load average at least this high means other processes hold a core's worth of CPU. */
const BUSY_LOAD_AVERAGE = 1;

/** Said once, before the first measurement: timings taken beside other work come out slower and erratic. */
function busyHostNote(): string | undefined {
  const [load = 0] = os.loadavg();
  if (load < BUSY_LOAD_AVERAGE) return undefined;
  return `note: load average ${load.toFixed(1)} on ${os.availableParallelism()} cores: other processes are running, so measurements may come out slow and erratic (measure again later with --refresh)`;
}

const BAR_FORMAT = '{member} on {device} [{bar}] {percentage}% {detail}';

function lineFor(event: ProfileEvent): string | undefined {
  if (event.type === 'skipped') return `${event.member} on ${event.device}: skipped: ${event.reason}`;
  if (event.type !== 'done') return undefined;
  const seconds = `${event.seconds.toFixed(1)} s`;
  if (event.source === 'measured')
    return `${event.member} on ${event.device}: measured ${event.profile.points.length} points in ${seconds}`;
  if (event.source === 'cache') return `${event.member} on ${event.device}: from cache`;
  return undefined;
}

export function progressReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const reporter = stream.isTTY ? barReporter(stream) : lineReporter(stream);
  let checkedLoad = false;
  return {
    onProgress: (event) => {
      if (!checkedLoad && event.type === 'start' && event.source === 'measured') {
        checkedLoad = true;
        const note = busyHostNote();
        if (note) stream.write(`${note}\n`);
      }
      reporter.onProgress(event);
    },
    stop: reporter.stop,
  };
}

function lineReporter(stream: NodeJS.WriteStream): ProgressReporter {
  return {
    onProgress: (event) => {
      const line = lineFor(event);
      if (line) stream.write(`${line}\n`);
    },
    stop: () => {},
  };
}

function barReporter(stream: NodeJS.WriteStream): ProgressReporter {
  let bar: cliProgress.SingleBar | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  const onProgress: ProfileProgress = (event) => {
    if (event.type === 'start' && event.source === 'measured') {
      stop();
      bar = new cliProgress.SingleBar({ format: BAR_FORMAT, stream, hideCursor: true, barsize: 24 }, cliProgress.Presets.shades_classic);
      bar.start(event.points, 0, { member: event.member, device: event.device, detail: 'loading' });
    } else if (event.type === 'memory') {
      bar?.update({ detail: `${formatBytes(event.bytes)} per instance` });
    } else if (event.type === 'progress') {
      // Each point is measured in rounds (see measure/timing.ts): the bar counts rounds.
      bar?.setTotal(event.total);
      bar?.update(event.done, { detail: `batch ${event.batch}, ${event.threads} thread(s): ${event.roundMedianMs.toFixed(2)} ms` });
    } else if (event.type === 'done' && event.source === 'measured') {
      bar?.update({ detail: `done in ${event.seconds.toFixed(1)} s` });
      stop();
    } else {
      const line = lineFor(event);
      if (line) stream.write(`${line}\n`);
    }
  };
  return { onProgress, stop };
}
