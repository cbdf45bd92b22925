/**
 * Starts an ensemble's processes and watches them: the combiner first (it binds), then the batcher
 * (binds the members' sockets and the client endpoint), then one prediction worker per member
 * instance. The ensemble turns ready when every worker has loaded and warmed its model. A process
 * that fails to start is reported by name with its error, and everything started is stopped.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { TuttiError, invalidOption } from '@tutti/protocol';
import type { MemberProfile, Plan } from '@tutti/allocator';
import type { Ensemble } from '@tutti/manifest';
import { defaultInstances, instancesFromPlan } from './instances.js';
import type { BatcherConfig, ChildReport, CombinerConfig, ProcessConfig, SupervisorCommand, WorkerConfig } from './config.js';

export interface ServeOptions {
  /** Client endpoint; defaults to the manifest's. `tcp://127.0.0.1:0` picks a free port. */
  endpoint?: string;
  /** Transport between tutti's own processes. */
  transport?: 'ipc' | 'tcp';
  /** onnxruntime intra-op threads per worker when there is no plan; defaults to the cores shared evenly among members. */
  threadsPerWorker?: number;
  /** Allocation plan (tutti allocate): instances per member and device, with batch sizes and threads. */
  plan?: Plan;
  /** Profiles of members on the plan's emulated devices (profiles[member][deviceId]). */
  profiles?: Record<string, Record<string, MemberProfile>>;
  /** Where the processes' output lines go, prefixed with the process name. */
  log?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface ProcessInfo {
  name: string;
  role: ProcessConfig['role'];
  pid: number;
}

interface Child extends ProcessInfo {
  process: ChildProcess;
  exited: Promise<number | null>;
}

const ENTRY = {
  combiner: new URL('./combiner-main.ts', import.meta.url),
  batcher: new URL('./batcher-main.ts', import.meta.url),
  worker: new URL('./worker-main.ts', import.meta.url),
};
const TSX = import.meta.resolve('tsx');

export class Server {
  readonly ensemble: Ensemble;
  readonly endpoint: string;
  #children: Child[];
  #runDir: string;
  #stopping = false;

  private constructor(ensemble: Ensemble, endpoint: string, children: Child[], runDir: string) {
    this.ensemble = ensemble;
    this.endpoint = endpoint;
    this.#children = children;
    this.#runDir = runDir;
  }

  get processes(): ProcessInfo[] {
    return this.#children.map(({ name, role, pid }) => ({ name, role, pid }));
  }

  static async start(ensemble: Ensemble, options: ServeOptions = {}): Promise<Server> {
    const transport = options.transport ?? 'ipc';
    if (transport !== 'ipc' && transport !== 'tcp') invalidOption('transport', transport, '"ipc" or "tcp"');
    const launches = options.plan
      ? instancesFromPlan(ensemble, options.plan, options.profiles)
      : defaultInstances(ensemble, availableParallelism(), options.threadsPerWorker);
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const timeout = options.startTimeoutMs ?? 120_000;
    const runDir = mkdtempSync(join(tmpdir(), 'tutti-'));
    const internal = (name: string) => (transport === 'ipc' ? `ipc://${join(runDir, name)}` : 'tcp://127.0.0.1:*');
    const children: Child[] = [];
    const started = (config: ProcessConfig, name: string) => {
      const child = spawnChild(config, name, log);
      children.push(child);
      return waitReady(child, timeout);
    };
    try {
      const combiner = await started(
        { role: 'combiner', ensemble, bind: { input: internal('combiner-in'), replies: internal('combiner-out') } } satisfies CombinerConfig,
        'combiner',
      );
      const bindMembers = Object.fromEntries(ensemble.members.map((m, i) => [m.name, internal(`member-${i}`)]));
      const combinerEndpoints = { input: combiner.input!, replies: combiner.replies! };
      const batcher = await started(
        { role: 'batcher', ensemble, clientEndpoint: options.endpoint ?? ensemble.endpoint, bindMembers, combiner: combinerEndpoints } satisfies BatcherConfig,
        'batcher',
      );
      await Promise.all(
        launches.map((launch) => {
          const config: WorkerConfig = {
            role: 'worker',
            ensemble,
            ...launch,
            batches: batcher[`member:${launch.member}`]!,
            results: combinerEndpoints.input,
          };
          const where = `${launch.device}${launch.emulation ? ', emulated' : ''}`;
          return started(config, `worker ${launch.member}#${launch.instance} (${where})`);
        }),
      );
      const server = new Server(ensemble, batcher.client!, children, runDir);
      server.#watch();
      server.#command('batcher', { type: 'readiness', ready: true });
      return server;
    } catch (error) {
      await stopAll(children);
      rmSync(runDir, { recursive: true, force: true });
      throw error;
    }
  }

  #command(role: ProcessConfig['role'], command: SupervisorCommand): void {
    for (const child of this.#children) if (child.role === role && child.process.connected) child.process.send(command);
  }

  /** A process that dies after start is reported; while a member has no live worker the ensemble is not ready. */
  #watch(): void {
    for (const child of this.#children) {
      void child.exited.then((code) => {
        if (this.#stopping) return;
        process.stderr.write(`tutti: ${child.name} (pid ${child.pid}) exited unexpectedly with code ${code}\n`);
        if (child.role === 'worker') this.#command('batcher', { type: 'readiness', ready: false, reason: `${child.name} is down` });
      });
    }
  }

  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    await stopAll(this.#children);
    rmSync(this.#runDir, { recursive: true, force: true });
  }
}

function spawnChild(config: ProcessConfig, name: string, log: (line: string) => void): Child {
  const child = fork(ENTRY[config.role], [JSON.stringify(config)], {
    execArgv: ['--import', TSX],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => log(`[${name}] ${line}`));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, role: config.role, pid: child.pid ?? -1, process: child, exited };
}

function waitReady(child: Child, timeoutMs: number): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new TuttiError('PROCESS_FAILED', `${child.name} failed to start: ${why}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    child.process.on('message', (report: ChildReport) => {
      if (report.type === 'ready') {
        clearTimeout(timer);
        resolve(report.endpoints ?? {});
      } else if (report.type === 'failed') fail(report.error);
    });
    void child.exited.then((code) => fail(`exited with code ${code}`));
  });
}

async function stopAll(children: Child[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.process.exitCode !== null || child.process.signalCode !== null) return;
      child.process.kill('SIGTERM');
      const timer = setTimeout(() => child.process.kill('SIGKILL'), 3_000);
      await child.exited;
      clearTimeout(timer);
    }),
  );
}
