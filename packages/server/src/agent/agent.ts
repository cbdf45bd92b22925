/**
 * `tutti agent --join`: runs on a worker host. It joins a head (agent-hub.ts) over CurveZMQ with its
 * devices, profiles the members on them when the head plans over every host (with the profiler the
 * CLI gives it; profiles are cached), gets the worker processes to run, fetches the model files it
 * lacks (by sha256, kept in its cache folder across runs), and runs those workers, restarting one
 * that dies. A new assignment (the plan repaired) keeps the workers it still lists running. The workers connect to
 * the head's batcher and combiner directly; nothing of the requests passes through the agent.
 *
 * Cut off from the head, the agent keeps its workers: when the link comes back, their heartbeats
 * reach the batcher again and they take work. A head that restarted does not know the agent: it
 * says so (REJOIN), and the agent joins again and runs what it is given then.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Dealer } from 'zeromq';
import {
  AGENT_PROTOCOL_VERSION,
  SendQueue,
  TuttiError,
  decodeAgentMessage,
  encodeAgentMessage,
  type AgentMessage,
  type AssignMessage,
  type ProfileMessage,
} from '@tutti/protocol';
import type { Device, MemberProfile } from '@tutti/allocator';
import type { Ensemble } from '@tutti/manifest';
import { TIMING } from '../shared/timing.js';
import type { WorkerConfig } from '../shared/config.js';
import { spawnChild, stopAll, type Child } from '../supervisor/children.js';
import { bundleChildren, type BundledRole } from '../supervisor/bundle.js';
import { serverLog } from '../supervisor/log-render.js';
import type { Logger, LogFormat } from '../shared/log.js';
import { MetricsEndpoint } from '../supervisor/metrics-http.js';

export interface AgentOptions {
  /** The head's agent endpoint, tcp://HOST:PORT. */
  join: string;
  /** CurveZMQ: this agent's key pair and the head's public key. Required unless the head is on loopback. */
  curve?: { publicKey: string; secretKey: string; serverKey: string };
  /** Where model files are kept, by sha256 (default: ~/.cache/tutti/models). */
  cacheDir: string;
  /** This agent's name at the head (default: the hostname); also its routing id, kept across reconnects. */
  name?: string;
  log?: (line: string) => void;
  logFormat?: LogFormat;
  /**
   * Port of an HTTP endpoint with /live (the agent answers) and /ready (its workers run), for a
   * kubelet's probes; none when unset. /live does not ask the head: a head away must not get every
   * agent restarted.
   */
  health?: { port: number; host?: string };
  /** This host's devices, under its own ids (default: its CPU, from node:os). */
  devices?: Device[];
  /**
   * Measures the members' profiles on this host's devices (profiles[member][device id]), for a head
   * that plans over every host; the CLI gives @tutti/profiler's, cached. Without one, such a head
   * refuses this agent, saying why.
   */
  profile?: (ensemble: Ensemble, devices: Device[], batchSizes: number[]) => Promise<Record<string, Record<string, MemberProfile>>>;
}

const RESTART_MS = 1_000;

/** This host's CPU as the allocator describes it, from node:os (the CLI detects more: GPUs, a better name). */
function osCpu(): Device {
  return {
    id: 'cpu',
    kind: 'cpu',
    name: cpus()[0]?.model.trim() || 'cpu',
    memoryBytes: totalmem(),
    cores: availableParallelism(),
    origin: 'detected',
  };
}

interface Running {
  config: WorkerConfig;
  name: string;
  child: Child;
}

export class Agent {
  #options: AgentOptions;
  #socket: Dealer;
  #queue: SendQueue;
  #logger: Logger;
  #childLines: (name: string) => (line: string, stream: 'stdout' | 'stderr') => void;
  #runDir = mkdtempSync(join(tmpdir(), 'tutti-agent-'));
  #bundles: Record<BundledRole, string> | undefined;
  #running: Running[] = [];
  #waitingModels = new Map<string, (bytes: Uint8Array) => void>();
  #beat: NodeJS.Timeout | undefined;
  #stopping = false;
  #assigned: Promise<void> = Promise.resolve();
  #profiling: Promise<void> | undefined;
  /** Resolves when the first assignment's workers are started. */
  readonly started: Promise<void>;
  #startedResolve!: () => void;
  #failed: ((error: Error) => void) | undefined;
  #health: MetricsEndpoint | undefined;

  constructor(options: AgentOptions) {
    if (!/^tcp:\/\/.+:\d+$/.test(options.join)) throw new TuttiError('INVALID_OPTION', `--join ${options.join}: expected tcp://HOST:PORT`);
    this.#options = options;
    const log = serverLog({
      name: 'agent',
      ...(options.log && { log: options.log }),
      ...(options.logFormat && { logFormat: options.logFormat }),
    });
    this.#logger = log.logger;
    this.#childLines = log.childLines;
    const name = options.name ?? hostname();
    this.#socket = new Dealer({
      linger: 0,
      routingId: name,
      maxMessageSize: -1,
      ...(options.curve && {
        curveServerKey: options.curve.serverKey,
        curvePublicKey: options.curve.publicKey,
        curveSecretKey: options.curve.secretKey,
      }),
    });
    this.#queue = new SendQueue(this.#socket, (error) => this.#logger.error({ err: error }, 'send to the head failed'));
    this.started = new Promise((resolve, reject) => {
      this.#startedResolve = resolve;
      this.#failed = reject;
    });
    this.started.catch(() => undefined);
  }

  get name(): string {
    return this.#socket.routingId!;
  }

  /** Worker processes running now. */
  get workers(): { name: string; pid: number }[] {
    return this.#running.map((r) => ({ name: r.name, pid: r.child.pid }));
  }

  async start(): Promise<void> {
    mkdirSync(this.#options.cacheDir, { recursive: true });
    this.#bundles = await bundleChildren(join(this.#runDir, 'js')).catch(() => undefined);
    this.#socket.connect(this.#options.join);
    void this.#loop();
    this.#join();
    this.#beat = setInterval(() => this.#send({ kind: 'beat', workers: this.#running.length }), TIMING.agentBeatMs);
    const { health } = this.#options;
    if (health) {
      this.#health = await MetricsEndpoint.start(health.port, health.host ?? '127.0.0.1', {
        gather: async () => [],
        ready: async () => this.#running.length > 0 && this.#running.every((r) => r.child.process.exitCode === null),
      });
    }
  }

  /** The health endpoint's address (http://host:port), when one was asked for. */
  get healthUrl(): string | undefined {
    return this.#health?.url;
  }

  #send(message: AgentMessage): void {
    this.#queue.send(encodeAgentMessage(message));
  }

  #join(): void {
    const cached = readdirSync(this.#options.cacheDir)
      .filter((f) => /^[0-9a-f]{64}\.onnx$/.test(f))
      .map((f) => f.slice(0, 64));
    this.#send({
      kind: 'join',
      protocol: AGENT_PROTOCOL_VERSION,
      host: this.name,
      cores: availableParallelism(),
      memoryBytes: totalmem(),
      devices: (this.#options.devices ?? [osCpu()]) as unknown as Record<string, unknown>[],
      cached,
    });
    this.#logger.info(`joining ${this.#options.join} as ${this.name}`);
  }

  async #loop(): Promise<void> {
    for await (const [frame] of this.#socket) {
      let message: AgentMessage;
      try {
        message = decodeAgentMessage(frame!);
      } catch (error) {
        this.#logger.warn(`dropped a message from the head: ${(error as Error).message}`);
        continue;
      }
      if (message.kind === 'assign') {
        // One assignment at a time, in order: a rejoin's replaces the one before.
        this.#assigned = this.#assigned.then(() => this.#assign(message)).catch((error: unknown) => this.#fail(error as Error));
      } else if (message.kind === 'profile') {
        // Asked again while profiling (the head restarted, say): the one profiling under way answers both.
        this.#profiling ??= this.#profile(message).finally(() => (this.#profiling = undefined));
      } else if (message.kind === 'model') {
        this.#waitingModels.get(message.sha256)?.(message.bytes);
      } else if (message.kind === 'rejoin') {
        this.#join();
      } else if (message.kind === 'refused') {
        this.#fail(new TuttiError('UNAVAILABLE', `the head refused this agent: ${message.reason}`));
      }
    }
  }

  #fail(error: Error): void {
    // Stopping ends the fetches under way (see stop): what fails then is no failure of the agent.
    if (this.#stopping) return;
    this.#logger.error({ err: error }, error.message);
    this.#failed?.(error);
  }

  /** The members' profiles on this host's devices, for the head's plan; or why there are none. */
  async #profile(request: ProfileMessage): Promise<void> {
    try {
      if (!this.#options.profile) throw new TuttiError('UNAVAILABLE', 'this agent was started without a profiler');
      const ensemble = request.ensemble as unknown as Ensemble;
      const paths = new Map<string, string>();
      for (const model of request.models) paths.set(model.member, await this.#model(model.sha256));
      const local = { ...ensemble, members: ensemble.members.map((m) => ({ ...m, path: paths.get(m.name) ?? m.path })) };
      this.#logger.info(
        `profiling ${ensemble.members.length} member(s) on ${(this.#options.devices ?? [osCpu()]).map((d) => d.id).join(', ')}`,
      );
      const profiles = await this.#options.profile(local, this.#options.devices ?? [osCpu()], request.batchSizes);
      this.#send({ kind: 'profiles', profiles: profiles as unknown as Record<string, Record<string, Record<string, unknown>>> });
    } catch (error) {
      if (this.#stopping) return;
      this.#logger.error(`profiling failed: ${(error as Error).message}`);
      this.#send({ kind: 'profiles', error: (error as Error).message });
    }
  }

  async #assign(assign: AssignMessage): Promise<void> {
    const paths = new Map<string, string>();
    for (const model of assign.models) paths.set(model.member, await this.#model(model.sha256));
    const head = /^tcp:\/\/(.+):\d+$/.exec(this.#options.join)![1]!;
    const configs = (assign.workers as unknown as WorkerConfig[]).map((config) => ({
      ...config,
      ensemble: { ...config.ensemble, members: config.ensemble.members.map((m) => ({ ...m, path: paths.get(m.name) ?? m.path })) },
      batches: `tcp://${head}:${assign.ports.batches}`,
      results: `tcp://${head}:${assign.ports.results}`,
    }));
    // Workers the new assignment lists unchanged keep running (a repaired plan adds to them); the others stop.
    const wanted = new Map(configs.map((config) => [JSON.stringify(config), config]));
    const keep = this.#running.filter((r) => wanted.delete(JSON.stringify(r.config)));
    const stop = this.#running.filter((r) => !keep.includes(r));
    this.#running = keep;
    await stopAll(stop.map((r) => r.child));
    for (const config of wanted.values()) this.#spawn(config, `worker ${config.shard}#${config.instance}`);
    this.#logger.info(
      `running ${configs.length} worker process(es) for ${head} (${keep.length} kept, ${wanted.size} started, ${stop.length} stopped)`,
    );
    this.#startedResolve();
  }

  /** The cached file of a model, fetched from the head first if missing (and checked against its sha256). */
  async #model(sha256: string): Promise<string> {
    const path = join(this.#options.cacheDir, `${sha256}.onnx`);
    if (existsSync(path)) return path;
    this.#logger.info(`fetching model ${sha256.slice(0, 12)} from the head`);
    const bytes = await new Promise<Uint8Array>((resolve) => {
      this.#waitingModels.set(sha256, resolve);
      this.#send({ kind: 'fetch', sha256 });
    });
    this.#waitingModels.delete(sha256);
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== sha256) throw new TuttiError('INTERNAL', `model ${sha256} arrived with sha256 ${got}: not kept`);
    // Written aside, then renamed: a file under its hash's name is always whole.
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, bytes);
    renameSync(partial, path);
    return path;
  }

  #spawn(config: WorkerConfig, name: string): void {
    const child = spawnChild(config, name, this.#childLines(name), this.#bundles);
    const running: Running = { config, name, child };
    this.#running.push(running);
    void child.exited.then((code) => {
      if (this.#stopping || !this.#running.includes(running)) return;
      this.#logger.error(`${name} exited with code ${code}; restarting it in ${RESTART_MS} ms`);
      setTimeout(() => {
        const index = this.#running.indexOf(running);
        if (this.#stopping || index < 0) return;
        this.#running.splice(index, 1);
        this.#spawn(config, name);
      }, RESTART_MS);
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#beat);
    await this.#health?.close();
    for (const resolve of this.#waitingModels.values()) resolve(new Uint8Array());
    await stopAll(this.#running.map((r) => r.child));
    this.#running = [];
    this.#socket.close();
    rmSync(this.#runDir, { recursive: true, force: true });
  }
}
