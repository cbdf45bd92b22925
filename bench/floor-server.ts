/**
 * Serves an ensemble through the floor pipeline (bench/lib/floor-main.ts: front, one worker process
 * with every member, combiner; nothing but the path itself) on a client endpoint, until Ctrl-C, so
 * that `tutti bench --endpoint` measures it beside the one-process baselines, as it does tutti:
 *
 *   npx tsx bench/floor-server.ts [--ensemble ensembles/digits] [--endpoint tcp://127.0.0.1:5556] [--direct tcp://127.0.0.1:5557]
 *   tutti bench ensembles/digits --endpoint tcp://127.0.0.1:5556 --plain-clients --pids "$(cat /tmp/tutti-floor.pids)" ...
 *
 * It writes its processes' ids (comma-separated) to --pids-file, for the bench's CPU per request.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = import.meta.resolve('tsx');
const { values } = parseArgs({
  options: {
    ensemble: { type: 'string', default: 'ensembles/digits' },
    endpoint: { type: 'string', default: 'tcp://127.0.0.1:5556' },
    'pids-file': { type: 'string', default: join(tmpdir(), 'tutti-floor.pids') },
    /** Where the combiner answers clients directly (tutti's default path); without it, replies go through the front. */
    direct: { type: 'string' },
  },
});
const manifest = join(ROOT, values.ensemble, 'manifest.yaml');
const dir = mkdtempSync(join(tmpdir(), 'tutti-floor-'));
const ipc = (name: string) => `ipc://${join(dir, name)}`;
const children: ChildProcess[] = [];

function start(role: string, endpoints: string[]): Promise<void> {
  const child = fork(fileURLToPath(new URL('./lib/floor-main.ts', import.meta.url)), [role, manifest, ...endpoints], {
    // FLOOR_NODE_ARGS: Node flags for the three processes (e.g. --cpu-prof), as TUTTI_CHILD_NODE_ARGS for tutti's.
    execArgv: ['--import', TSX, ...(process.env.FLOOR_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`floor ${role} exited with ${code}`)));
  });
}

/** Stops its processes and waits for them: their exit handlers (e.g. span marks) have run when it exits. */
async function stop(): Promise<void> {
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  for (const child of running) child.kill();
  await Promise.all(running.map((child) => once(child, 'exit')));
  rmSync(dir, { recursive: true, force: true });
  rmSync(values['pids-file'], { force: true });
}
process.on('SIGINT', () => void stop().then(() => process.exit(0)));
process.on('SIGTERM', () => void stop().then(() => process.exit(0)));

const started = performance.now();
try {
  const direct = values.direct ? [values.direct] : [];
  await start('combiner', [ipc('combiner'), ipc('replies'), ...direct]);
  await start('worker', [ipc('worker'), ipc('combiner')]);
  await start('front', [values.endpoint, ipc('worker'), ipc('replies'), ...direct]);
} catch (error) {
  await stop();
  throw error;
}
writeFileSync(values['pids-file'], children.map((c) => c.pid).join(','));
console.log(
  `floor pipeline serving ${values.ensemble} on ${values.endpoint} — ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
