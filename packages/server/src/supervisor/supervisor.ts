/**
 * Starts an ensemble's processes and watches them: the combiner first (it binds), then the batcher
 * (binds the workers' ROUTER and the client endpoint), then the prediction workers: one process per
 * instance, or one per group of small members hosted together when the layout says so. The
 * server is started when the batcher has heard from an instance of every member. A process that
 * fails to start is reported by name with its error, and everything started is stopped.
 *
 * Afterwards a process that dies is restarted with backoff. For a worker or the combiner, the
 * batcher is told at once so the batches it held go elsewhere (see Batcher). A batcher restarts on
 * the same endpoints: workers re-announce themselves with their next heartbeat, clients reconnect
 * and re-send what they have no answer for, and the combiner still answers (directly) what the dead
 * batcher had sent to the workers (see reply-guard.ts).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TuttiError, invalidOption, workerId } from '@tutti/protocol';
import type { MemberProfile, Plan } from '@tutti/allocator';
import type { Ensemble } from '@tutti/manifest';
import { nextReport, spawnChild, stopAll, waitReady, type Child } from './children.js';
import { bundleChildren, type BundledRole } from './bundle.js';
import { defaultInstances, instancesFromPlan, shardsOf, workerLaunches, type LaunchGroup } from './instances.js';
import type { BatcherConfig, ChildReport, CombinerConfig, ProcessConfig, SupervisorCommand, WorkerConfig } from '../shared/config.js';
import { MetricsEndpoint, type ProcessMetrics } from './metrics-http.js';
import { Counter, Registry } from 'prom-client';
import type { CurveConfig, InternalCurve } from '../shared/curve.js';
import { replyEndpointOf } from './endpoints.js';
import type { RouterOptions } from '@tutti/routing';
import { TIMING } from '../shared/timing.js';
import { ServedCascade, checkCalibrationModels } from '../shared/cascade.js';
import type { LogFormat, Logger } from '../shared/log.js';
import { serverLog, type ServerLog } from './log-render.js';
import type { AgentHub, AgentInfo } from './agent-hub.js';

/** The port of a bound tcp endpoint (tcp://host:port). */
function portOf(endpoint: string): number {
  return Number(/:(\d+)$/.exec(endpoint)![1]);
}

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
  /** Deadline of requests that give no timeout_ms (default: the manifest's requestTimeoutMs, else 60 s). */
  defaultTimeoutMs?: number;
  /** CurveZMQ on the client endpoint: the server's key pair and the client public keys allowed in. */
  curve?: CurveConfig;
  /**
   * Replies straight from the combiner to clients that connect for them (default on): the combiner
   * binds next to the client endpoint (its tcp port + 1). Off: every reply goes through the batcher.
   */
  directReplies?: boolean;
  /**
   * Members hosted together by worker processes (a grouped layout; see instances.ts). Default: from
   * the plan's layout when it has one, else one process per instance.
   */
  groups?: LaunchGroup[];
  /** Routing policy across a member's instances, and interference re-balancing (default: fastest-finish, on). */
  routing?: RouterOptions;
  /** Port of the HTTP endpoint with /metrics, /live and /ready (0 picks a free one); none when unset. */
  metricsPort?: number;
  /** Address it listens on (default 127.0.0.1; 0.0.0.0 for a kubelet's probes or a Prometheus on another host). */
  metricsHost?: string;
  /**
   * Where the log goes, one call per line, every process's (see log.ts): each line names its
   * process (default: stderr).
   */
  log?: (line: string) => void;
  /** JSON lines, or readable ones (default: readable when stderr is a terminal, else JSON). */
  logFormat?: LogFormat;
  /** A worker whose batch computes longer than this is taken as hung: it exits and is restarted (default 60 s). */
  hangTimeoutMs?: number;
  /** How long a process may take to start, at first and at each restart (default 120 s). */
  startTimeoutMs?: number;
  /**
   * Restarts of one process that fail in a row (it dies, or is not ready in time, before running
   * `TIMING.stableRunMs`) before the server gives up on it (default 5); readiness is then false.
   * A SIGKILL from outside the server is not the process's failure: it is restarted, not counted.
   */
  maxFailedRestarts?: number;
  /** Called when the server gives up restarting a process (see maxFailedRestarts). */
  onGiveUp?: (name: string, reason: string) => void;
  /**
   * Agents on other hosts join here (`tutti agent --join`) and run workers for this server (see
   * agent-hub.ts). The internal sockets then listen on every interface, over tcp with CurveZMQ.
   * `curve` (the head's key pair, the agents' public keys) is required unless the endpoint is loopback.
   */
  agents?: {
    endpoint: string;
    curve?: CurveConfig;
    /**
     * With a plan: the batch sizes it was made with. Agents are then placed by the allocator over
     * their own devices (one plan across hosts, cluster.ts), from their profiles and `profiles`,
     * which must hold every member's on the plan's devices. Without: each agent runs a replica of
     * this host's workers.
     */
    batchSizes?: number[];
  };
  /** Start the plan's workers on this host too (default true); false: only agents compute. */
  localWorkers?: boolean;
}

export interface ProcessInfo {
  name: string;
  role: ProcessConfig['role'];
  pid: number;
}

interface Slot {
  name: string;
  config: ProcessConfig;
  child: Child;
  restarts: number;
  /** Deaths in a row of processes that had not run TIMING.stableRunMs: what the backoff and giving up count. */
  failures: number;
  startedAt: number;
  /** The supervisor itself killed this child (hung): its SIGKILL is a failure, not a kill from outside. */
  killedHere?: boolean;
}

const supervisorRegistry = new Registry();
const restartsTotal = new Counter({
  name: 'tutti_process_restarts_total',
  help: 'Processes restarted after they died, by process',
  labelNames: ['process'] as const,
  registers: [supervisorRegistry],
});

export class Server {
  readonly ensemble: Ensemble;
  readonly endpoint: string;
  #slots: Slot[];
  #runDir: string;
  #bundles: Record<BundledRole, string> | undefined;
  #logger: Logger;
  #childLines: (name: string) => (line: string, stream: 'stdout' | 'stderr') => void;
  #stopping = false;
  #timers = new Set<NodeJS.Timeout>();
  #metrics: MetricsEndpoint | undefined;
  #nextMetricsId = 0;
  #hub: AgentHub | undefined;

  #startTimeoutMs: number;
  #maxFailedRestarts: number;
  #onGiveUp: ServeOptions['onGiveUp'];
  #givenUp = new Set<string>();

  private constructor(
    ensemble: Ensemble,
    endpoint: string,
    slots: Slot[],
    runDir: string,
    bundles: Record<BundledRole, string> | undefined,
    options: ServeOptions,
    log: ServerLog,
  ) {
    this.#bundles = bundles;
    this.ensemble = ensemble;
    this.endpoint = endpoint;
    this.#slots = slots;
    this.#runDir = runDir;
    this.#logger = log.logger;
    this.#childLines = log.childLines;
    this.#startTimeoutMs = options.startTimeoutMs ?? TIMING.startTimeoutMs;
    this.#maxFailedRestarts = options.maxFailedRestarts ?? 5;
    this.#onGiveUp = options.onGiveUp;
  }

  /** Processes the server gave up restarting (see ServeOptions.maxFailedRestarts): while any, it is not ready. */
  get givenUp(): string[] {
    return [...this.#givenUp];
  }

  /** The HTTP endpoint with /metrics, /live and /ready, when one was asked for. */
  get metricsUrl(): string | undefined {
    return this.#metrics?.url;
  }

  get processes(): ProcessInfo[] {
    return this.#slots.map(({ name, config, child }) => ({ name, role: config.role, pid: child.pid }));
  }

  /**
   * Where tutti's own processes listen for each other (for diagnosis and for tests that attack
   * them): the batcher's ROUTER for workers, the combiner's PULL for plans and results.
   */
  get internalEndpoints(): { workers: string; combinerInput: string } {
    const batcher = this.#slots.find((s) => s.config.role === 'batcher')!.config as BatcherConfig;
    return { workers: batcher.bindWorkers, combinerInput: batcher.combiner.input };
  }

  /** How many times each process was restarted after dying. */
  get restarts(): Record<string, number> {
    return Object.fromEntries(this.#slots.map((s) => [s.name, s.restarts]));
  }

  static async start(ensemble: Ensemble, options: ServeOptions = {}): Promise<Server> {
    // Agents' workers connect from other hosts: the internal sockets must be tcp.
    const transport = options.transport ?? (options.agents ? 'tcp' : 'ipc');
    if (transport !== 'ipc' && transport !== 'tcp') invalidOption('transport', transport, '"ipc" or "tcp"');
    if (options.agents && transport !== 'tcp')
      invalidOption('transport', transport, '"tcp" when agents join (their workers connect over the network)');
    if (options.localWorkers === false && !options.agents) invalidOption('localWorkers', false, 'true unless agents join to compute');
    const instances = options.plan
      ? instancesFromPlan(ensemble, options.plan, options.profiles)
      : defaultInstances(ensemble, availableParallelism(), options.threadsPerWorker);
    const launches = workerLaunches(instances, options.groups ?? options.plan?.layout?.groups ?? []);
    const shards = shardsOf(launches);
    const log = serverLog(options);
    const timeout = options.startTimeoutMs ?? TIMING.startTimeoutMs;
    if (!(timeout > 0)) invalidOption('startTimeoutMs', timeout, 'a positive number of ms');
    if (options.maxFailedRestarts !== undefined && !(Number.isInteger(options.maxFailedRestarts) && options.maxFailedRestarts >= 0)) {
      invalidOption('maxFailedRestarts', options.maxFailedRestarts, 'an integer >= 0');
    }
    checkModelFiles(ensemble);
    // A cascade's calibration must fit the manifest and be of these very model files: checked once, here.
    const cascade = ServedCascade.of(ensemble);
    if (cascade) await checkCalibrationModels(ensemble, cascade);
    const runDir = mkdtempSync(join(tmpdir(), 'tutti-'));
    const internal = (name: string) =>
      transport === 'ipc' ? `ipc://${join(runDir, name)}` : options.agents ? 'tcp://0.0.0.0:*' : 'tcp://127.0.0.1:*';
    // Bound on every interface for agents; this host's own workers connect over loopback.
    const local = (endpoint: string) => endpoint.replace('tcp://0.0.0.0:', 'tcp://127.0.0.1:');
    // Over tcp anyone on the host can connect: the internal sockets get CurveZMQ keys made now (curve.ts).
    const internalCurve = transport === 'tcp' ? await internalKeys() : undefined;
    // A process that runs a ZAP handler for clients is asked about internal connections too: allow the internal key there.
    const curve =
      options.curve && internalCurve
        ? { ...options.curve, allowedClients: [...options.curve.allowedClients, internalCurve.clientPublicKey] }
        : options.curve;
    const slots: Slot[] = [];
    let hub: AgentHub | undefined;
    // Children run as plain JavaScript bundled now (lighter and quicker to start than under tsx); if that fails, under tsx.
    // TUTTI_BUNDLE=0 keeps the sources under tsx (to debug a child with its TypeScript, or to measure the difference).
    const bundles =
      process.env.TUTTI_BUNDLE === '0'
        ? undefined
        : await bundleChildren(join(runDir, 'js')).catch((error: unknown) => {
            log.logger.warn(`could not bundle the processes (${(error as Error).message}); running them under tsx`);
            return undefined;
          });
    const started = async (config: ProcessConfig, name: string) => {
      const child = spawnChild(config, name, log.childLines(name), bundles);
      slots.push({ name, config, child, restarts: 0, failures: 0, startedAt: performance.now() });
      return waitReady(child, timeout);
    };
    try {
      const clientEndpoint = options.endpoint ?? ensemble.endpoint;
      const combinerConfig: CombinerConfig = {
        role: 'combiner',
        ensemble,
        bind: {
          input: internal('combiner-in'),
          replies: internal('combiner-out'),
          ...(options.directReplies !== false && { clients: replyEndpointOf(clientEndpoint) }),
        },
        journal: join(runDir, 'combiner-answers'),
        ...(curve && { curve }),
        ...(internalCurve && { internalCurve }),
      };
      const combiner = await started(combinerConfig, 'combiner');
      // A restarted combiner binds exactly where the first one did (tcp ports included), so clients reconnect to it.
      const { input, replies, clients } = combiner.endpoints;
      combinerConfig.bind = { input: input!, replies: replies!, ...(clients && { clients }) };
      const batcherConfig: BatcherConfig = {
        role: 'batcher',
        ensemble,
        clientEndpoint,
        bindWorkers: internal('workers'),
        combiner: combinerConfig.bind,
        defaultTimeoutMs: options.defaultTimeoutMs ?? ensemble.requestTimeoutMs ?? TIMING.requestTimeoutMs,
        ...(curve && { curve }),
        ...(internalCurve && { internalCurve }),
        ...(options.routing && { routing: options.routing }),
        shards,
      };
      const batcher = await started(batcherConfig, 'batcher');
      // A restarted batcher binds exactly where the first one did, so clients and workers reconnect to it.
      batcherConfig.clientEndpoint = batcher.endpoints.client!;
      batcherConfig.bindWorkers = batcher.endpoints.workers!;
      const ensembleReady = batcher.next('ensemble-ready', timeout);
      // Awaited below; if a worker fails first, start() throws that error and this one must not go unhandled.
      ensembleReady.catch(() => undefined);
      const workerConfigs = launches.map((launch): WorkerConfig => ({
        role: 'worker',
        ensemble,
        ...launch,
        batches: local(batcher.endpoints.workers!),
        results: local(combinerConfig.bind.input),
        ...(options.hangTimeoutMs !== undefined && { hangTimeoutMs: options.hangTimeoutMs }),
        ...(internalCurve && { internalCurve }),
      }));
      if (options.agents) {
        // Loaded only here, with ZeroMQ: a supervisor without agents never loads them.
        const { AgentHub } = await import('./agent-hub.js');
        const { clusterPlanning } = await import('./cluster.js');
        const planning = clusterPlanning(ensemble, options, (launch) => ({
          role: 'worker',
          ensemble,
          ...launch,
          batches: '',
          results: '',
          ...(options.hangTimeoutMs !== undefined && { hangTimeoutMs: options.hangTimeoutMs }),
          ...(internalCurve && { internalCurve }),
        }));
        hub = await AgentHub.start({
          endpoint: options.agents.endpoint,
          ...(options.agents.curve && { curve: options.agents.curve }),
          ensemble,
          template: workerConfigs,
          ...(planning && { planning }),
          ports: { batches: portOf(batcher.endpoints.workers!), results: portOf(combinerConfig.bind.input) },
          logger: log.logger,
        });
      }
      const localWorkers = options.localWorkers === false ? [] : workerConfigs;
      await Promise.all(
        localWorkers.map((config) => {
          const where = `${config.device}${config.members.some((m) => m.emulation) ? ', emulated' : ''}`;
          // A group's routing id lists every member: its name says how many, and the log line at start says which.
          const name =
            config.members.length === 1
              ? workerId(config.shard, config.instance)
              : `group#${config.instance} of ${config.members.length} members`;
          return started(config, `worker ${name} (${where})`);
        }),
      );
      // With no workers here, the ensemble is ready when agents have joined: start() does not wait for them.
      if (localWorkers.length > 0) await ensembleReady;
      const server = new Server(ensemble, batcher.endpoints.client!, slots, runDir, bundles, options, log);
      server.#hub = hub;
      for (const slot of slots) server.#watch(slot);
      server.#listenToBatcher();
      if (options.metricsPort !== undefined) {
        server.#metrics = await MetricsEndpoint.start(options.metricsPort, options.metricsHost ?? '127.0.0.1', {
          gather: () => server.#gather(),
          ready: async () => {
            if (server.#givenUp.size > 0) return false;
            const batcher = await server.#gatherFrom(slots.find((s) => s.config.role === 'batcher')!.child);
            return batcher?.find((m) => m.name === 'tutti_ready')?.values[0]?.value === 1;
          },
        });
      }
      return server;
    } catch (error) {
      hub?.close();
      await stopAll(slots.map((s) => s.child));
      rmSync(runDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Where agents join (tcp://...:port as bound), when they may. */
  get agentEndpoint(): string | undefined {
    return this.#hub?.endpoint;
  }

  /** The agents that joined, by routing id. */
  get agents(): Record<string, AgentInfo> {
    return this.#hub?.agents ?? {};
  }

  /** Every process's metrics, and the supervisor's own; a process that does not answer in time is left out. */
  async #gather(): Promise<ProcessMetrics[]> {
    const children = await Promise.all(this.#slots.map((slot) => this.#gatherFrom(slot.child)));
    return [await supervisorRegistry.getMetricsAsJSON(), ...children.filter((m): m is ProcessMetrics => m !== undefined)];
  }

  #gatherFrom(child: Child): Promise<ProcessMetrics | undefined> {
    if (!child.process.connected) return Promise.resolve(undefined);
    const id = this.#nextMetricsId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), TIMING.metricsGatherMs);
      const onReport = (report: ChildReport) => {
        if (report.type === 'metrics' && report.id === id) done(report.data as ProcessMetrics);
      };
      const done = (data: ProcessMetrics | undefined) => {
        clearTimeout(timer);
        child.process.off('message', onReport);
        resolve(data);
      };
      child.process.on('message', onReport);
      child.process.send({ type: 'metrics', id } satisfies SupervisorCommand);
    });
  }

  /** A worker the batcher found frozen is killed; its exit then takes the usual restart path. */
  #listenToBatcher(): void {
    const batcher = this.#slots.find((s) => s.config.role === 'batcher')!;
    batcher.child.process.on('message', (report: ChildReport) => {
      if (report.type !== 'worker-unresponsive') return;
      const slot = this.#slots.find((s) => s.config.role === 'worker' && workerId(s.config.shard, s.config.instance) === report.id);
      if (!slot || slot.child.process.exitCode !== null) return;
      this.#logger.warn(
        { child: slot.name, childPid: slot.child.pid },
        `${slot.name} (pid ${slot.child.pid}) stopped answering heartbeats; killing it to restart it`,
      );
      this.#killHung(slot);
    });
  }

  #command(command: SupervisorCommand): void {
    const batcher = this.#slots.find((s) => s.config.role === 'batcher')?.child.process;
    if (batcher?.connected) batcher.send(command);
  }

  #watch(slot: Slot): void {
    void slot.child.exited.then((code) => {
      if (this.#stopping) return;
      this.#logger.error(
        { child: slot.name, childPid: slot.child.pid, code },
        `${slot.name} (pid ${slot.child.pid}) exited unexpectedly with code ${code}`,
      );
      const { config } = slot;
      if (config.role === 'worker') this.#command({ type: 'worker-down', id: workerId(config.shard, config.instance) });
      else if (config.role === 'combiner') this.#command({ type: 'combiner-down' });
      else
        this.#logger.warn(
          'the batcher died; the requests it held are lost to the server (clients that retry re-send them), batches already with the workers are still answered',
        );
      // Deaths in a row count; a process that ran long enough was healthy, and its count starts afresh.
      if (performance.now() - slot.startedAt >= TIMING.stableRunMs) slot.failures = 0;
      // A SIGKILL from outside (an operator, the OOM killer, a chaos test) says nothing of the process's
      // health: it is restarted like any death, but only its own failures (an exit code, a crash signal,
      // a hang the supervisor killed, a failed start) count towards giving up.
      const killedFromOutside = slot.child.process.signalCode === 'SIGKILL' && !slot.killedHere;
      slot.killedHere = false;
      if (!killedFromOutside) slot.failures++;
      if (slot.failures > this.#maxFailedRestarts) {
        this.#giveUp(
          slot,
          `it died ${slot.failures} times in a row without running ${TIMING.stableRunMs / 1000} s (last exit code ${code})`,
        );
        return;
      }
      const backoff = Math.min(TIMING.restartBackoffMaxMs, TIMING.restartBackoffFirstMs * 2 ** Math.max(0, slot.failures - 1));
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        void this.#restart(slot);
      }, backoff);
      this.#timers.add(timer);
    });
  }

  async #restart(slot: Slot): Promise<void> {
    if (this.#stopping) return;
    slot.restarts++;
    slot.startedAt = performance.now();
    restartsTotal.inc({ process: slot.name });
    // Batch ids of a new batcher start past its predecessors' (see firstBatchOf), never colliding with theirs.
    if (slot.config.role === 'batcher') {
      slot.config.epoch = slot.restarts;
      slot.config.combinerGeneration = this.#slots.find((s) => s.config.role === 'combiner')?.restarts ?? 0;
    }
    // Plans passed on by workers from before this restart are not for it (see PlanHeader.generation).
    if (slot.config.role === 'combiner') slot.config.generation = slot.restarts;
    slot.child = spawnChild(slot.config, slot.name, this.#childLines(slot.name), this.#bundles);
    this.#watch(slot);
    try {
      await waitReady(slot.child, this.#startTimeoutMs);
    } catch (error) {
      this.#logger.error({ child: slot.name }, `restarting ${slot.name} failed: ${(error as Error).message}`);
      // One that hangs is killed: its exit then counts as a failure, and is restarted or given up on.
      const { process: child } = slot.child;
      if (child.exitCode === null && child.signalCode === null) this.#killHung(slot);
      return;
    }
    this.#logger.info({ child: slot.name, childPid: slot.child.pid }, `${slot.name} restarted (pid ${slot.child.pid})`);
    if (slot.config.role === 'combiner') this.#command({ type: 'combiner-restarted', generation: slot.restarts });
    if (slot.config.role === 'batcher') this.#listenToBatcher();
  }

  /** Kills a hung child; marked, so that its SIGKILL counts as its own failure (see #watch). */
  #killHung(slot: Slot): void {
    slot.killedHere = true;
    slot.child.process.kill('SIGKILL');
  }

  #giveUp(slot: Slot, reason: string): void {
    this.#givenUp.add(slot.name);
    this.#logger.error(
      { child: slot.name },
      `giving up on ${slot.name}: ${reason}. The server is not ready (/ready says false) until it is started again.`,
    );
    this.#onGiveUp?.(slot.name, reason);
  }

  /**
   * Stops every process. First the batcher drains: it refuses new requests and the ones it accepted
   * are answered, for at most `drainMs` (default 5 s); then the processes get SIGTERM.
   */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#hub?.close();
    await this.#metrics?.close();
    const batcher = this.#slots.find((s) => s.config.role === 'batcher')?.child;
    const drainMs = options.drainMs ?? TIMING.drainMs;
    if (batcher?.process.connected && drainMs > 0) {
      const drained = nextReport(batcher, 'drained', drainMs).catch(() =>
        this.#logger.warn(`requests still in flight after the ${drainMs} ms drain`),
      );
      batcher.process.send({ type: 'drain' } satisfies SupervisorCommand);
      await drained;
    }
    await stopAll(this.#slots.map((s) => s.child));
    rmSync(this.#runDir, { recursive: true, force: true });
  }
}

/** Loads ZeroMQ only here: a supervisor on ipc never does. */
async function internalKeys(): Promise<InternalCurve> {
  const { curveKeyPair } = await import('zeromq');
  const server = curveKeyPair();
  const client = curveKeyPair();
  return {
    serverPublicKey: server.publicKey,
    serverSecretKey: server.secretKey,
    clientPublicKey: client.publicKey,
    clientSecretKey: client.secretKey,
  };
}

/** A missing model file is named before any process starts, not found by a worker that then dies in a loop. */
function checkModelFiles(ensemble: Ensemble): void {
  for (const member of ensemble.members) {
    if (existsSync(member.path)) continue;
    const fix = member.generate
      ? 'it is generated from the zoo: load the manifest with { generate: true } (the tutti commands do), or run tutti validate on it'
      : 'the manifest names a file that is not there';
    throw new TuttiError('MODEL_ERROR', `member "${member.name}": no model file at ${member.path}; ${fix}`);
  }
}
