/**
 * What the supervisor tells each process it starts (passed as JSON in argv), and what a process
 * reports back over the Node IPC channel. Control only: data never travels this way.
 */
import type { Ensemble } from '@tutti/manifest';
import type { WorkerLaunch } from '../supervisor/instances.js';
import type { CurveConfig, InternalCurve } from './curve.js';
import type { RouterOptions } from '@tutti/routing';

export interface CombinerConfig {
  role: 'combiner';
  ensemble: Ensemble;
  /**
   * Where to bind: the PULL that takes plans and member results, the PUSH that gives replies to the
   * batcher, and the ROUTER that sends replies straight to clients (absent: no direct replies).
   */
  bind: { input: string; replies: string; clients?: string };
  /** CurveZMQ on the client-facing ROUTER, as on the batcher's client endpoint. */
  curve?: CurveConfig;
  /** Where the combiner journals the requests it answered directly, so that its successor does not answer them twice (answer-journal.ts). */
  journal?: string;
  /** CurveZMQ keys of the internal sockets (tcp transport only, see curve.ts). */
  internalCurve?: InternalCurve;
  /** How many combiners ran before this one (0 at start, +1 per restart; see PlanHeader.generation). */
  generation?: number;
}

export interface BatcherConfig {
  role: 'batcher';
  ensemble: Ensemble;
  clientEndpoint: string;
  /** The ROUTER that workers connect their DEALER to. */
  bindWorkers: string;
  /** The combiner's endpoints; `clients` is advertised in metadata for direct replies. */
  combiner: { input: string; replies: string; clients?: string };
  /** Deadline of requests that give no timeout_ms, in ms. */
  defaultTimeoutMs: number;
  /** CurveZMQ encryption and client allow-list on the client endpoint. */
  curve?: CurveConfig;
  /** Which instance of a member takes each batch, and interference re-balancing. */
  routing?: RouterOptions;
  /**
   * What batches are routed to: sets of members computed together by one worker process (see
   * HelloHeader.shard), covering every member once. Default: one shard per member.
   */
  shards?: string[][];
  /** How many batchers ran before this one (0 at start, +1 per restart): its batch ids start past theirs. */
  epoch?: number;
  /** How many times the combiner has been restarted so far (see PlanHeader.generation). */
  combinerGeneration?: number;
  /** CurveZMQ keys of the internal sockets (tcp transport only, see curve.ts). */
  internalCurve?: InternalCurve;
}

/** One worker process of the layout (the member instances it hosts), plus where to connect. */
export interface WorkerConfig extends WorkerLaunch {
  role: 'worker';
  ensemble: Ensemble;
  /** A batch computing longer than this means the inference is hung: the worker exits to be restarted. */
  hangTimeoutMs?: number;
  /** CurveZMQ keys of the internal sockets (tcp transport only, see curve.ts). */
  internalCurve?: InternalCurve;
  batches: string;
  results: string;
}

export type ProcessConfig = CombinerConfig | BatcherConfig | WorkerConfig;

/** Child -> supervisor. */
export type ChildReport =
  | { type: 'ready'; endpoints?: Record<string, string> }
  | { type: 'failed'; error: string }
  /** Batcher only: every member has a live instance (sent the first time it happens). */
  | { type: 'ensemble-ready' }
  /** Batcher only: after a drain command, every accepted request has been answered. */
  | { type: 'drained' }
  /** Batcher only: a worker missed its heartbeats (frozen or hung): kill it so that it restarts. */
  | { type: 'worker-unresponsive'; id: string }
  /** Any child, in answer to a metrics command. */
  | { type: 'metrics'; id: number; data: unknown };

/** Supervisor -> batcher: what it saw happen to the other processes. */
export type SupervisorCommand =
  | { type: 'worker-down'; id: string }
  | { type: 'combiner-down' }
  | { type: 'combiner-restarted'; generation: number }
  /** Stop taking requests, finish those accepted, then report 'drained'. */
  | { type: 'drain' }
  /** Any child: send your metrics (prom-client JSON) back with this id. */
  | { type: 'metrics'; id: number };
