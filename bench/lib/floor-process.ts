/**
 * The floor pipeline (bench/floor-server.ts) as a child process of a bench: started on the given
 * endpoints, ready once it says so, its three processes' ids read from its pids file, and stopped
 * with SIGINT, which it forwards to its processes and waits for (so their exit handlers, e.g. span
 * marks, have run when `stop` resolves).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface FloorOptions {
  /** Ensemble folder, relative to the repository (e.g. ensembles/digits). */
  ensemble: string;
  endpoint: string;
  /** Where its combiner answers clients directly. */
  direct: string;
  pidsFile: string;
  env?: NodeJS.ProcessEnv;
}

export interface FloorProcess {
  child: ChildProcess;
  /** Its processes, by role. */
  processes: { name: string; pid: number }[];
  stop(): Promise<void>;
}

export async function startFloor(options: FloorOptions): Promise<FloorProcess> {
  const { ensemble, endpoint, direct, pidsFile, env = process.env } = options;
  const script = join(ROOT, 'bench/floor-server.ts');
  const args = ['--import', 'tsx', script, '--ensemble', ensemble, '--endpoint', endpoint, '--direct', direct, '--pids-file', pidsFile];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  while (!out.includes('ready in')) {
    if (child.exitCode !== null) throw new Error(`the floor pipeline exited with ${child.exitCode}: ${out}`);
    await Promise.race([once(child.stdout, 'data'), once(child, 'exit')]);
  }
  // In the order floor-server.ts starts them.
  const roles = ['combiner', 'worker', 'front'];
  const processes = readFileSync(pidsFile, 'utf8')
    .split(',')
    .map((pid, n) => ({ name: roles[n]!, pid: Number(pid) }));
  return {
    child,
    processes,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGINT');
      await once(child, 'exit');
    },
  };
}
