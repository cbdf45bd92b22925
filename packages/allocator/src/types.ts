/**
 * The allocator's vocabulary: devices a plan may use, members' profiles on them, and the plan itself
 * (the allocation matrix of Pochelu et al.: devices x members, each cell the instances of that member
 * on that device with their batch size and threads). Plain data, JSON-serialisable.
 */

export type DeviceKind = 'cpu' | 'gpu';

/** How fast a device computes, for cost-model profiles of hardware that cannot be measured here. */
export interface DeviceSpeed {
  /** Sustained multiply-accumulates per second, in GMAC/s: per core for a CPU, for the whole device for a GPU. */
  gmacsPerSecond: number;
  /** Memory bandwidth in GB/s (weights are read once per batch). Optional. */
  memoryGBps?: number;
  /** Fixed cost of one batch in ms (launch, transfer set-up). Default 0. */
  overheadMs?: number;
}

export interface Device {
  /** Unique in an inventory: 'cpu', 'gpu0', 'v100-3', ... */
  id: string;
  kind: DeviceKind;
  /** Hardware name, e.g. 'AMD EPYC 7B13' or 'V100-SXM2-32GB'. Profiles are kept per device name. */
  name: string;
  memoryBytes: number;
  /** CPU only: the cores, a budget shared by the intra-op threads of every CPU instance. */
  cores?: number;
  /** 'detected' on this host, or 'declared' in a devices file (hardware that may not be here). */
  origin: 'detected' | 'declared';
  /** A declared device served here through emulation: real answers computed on the CPU, held back to the profile's latency. */
  emulated?: boolean;
  speed?: DeviceSpeed;
  /** Price in dollars per hour, for budget searches. Optional. */
  pricePerHour?: number;
  /**
   * The host the device is on, in a plan across hosts (an agent's name; absent: the head's own host).
   * Its id is then `host/local-id`, unique across the hosts.
   */
  host?: string;
}

/** One measured (or modelled) batch latency. */
export interface ProfilePoint {
  batch: number;
  /** Intra-op threads (always 1 on a GPU). */
  threads: number;
  /** Latency of one batch, in ms. */
  latencyMs: number;
}

/** A member's cost on one kind of device. */
export interface MemberProfile {
  member: string;
  /** sha256 of the ONNX file: profiles are cached and looked up by content. */
  modelSha256: string;
  /** The device name the profile is for (Device.name). */
  deviceName: string;
  source: 'measured' | 'cost-model' | 'file';
  /** Memory one loaded instance takes on the device, in bytes. */
  memoryBytes: number;
  points: ProfilePoint[];
}

export interface AllocationInput {
  devices: Device[];
  /** Member names, in manifest order. */
  members: string[];
  /** profiles[member][deviceId]; a missing entry means the member cannot run on that device. */
  profiles: Record<string, Record<string, MemberProfile>>;
  /** Batch sizes a plan may use (each at most the ensemble's max batch size); profiles must cover them. */
  batchSizes: number[];
  /** Excludes (batch, threads) settings whose batch latency exceeds this, in ms. */
  latencyBudgetMs?: number;
  /** Upper bound on instances of one member (default 64). */
  maxInstancesPerMember?: number;
  /** Stop when no move gains more than this fraction (default 0.01). */
  minGain?: number;
  /**
   * Share of the ensemble's requests each member computes (default 1): less for the later stages of
   * a cascade, which see only the requests the earlier ones were not sure of. A member then needs
   * only that share of the ensemble's rate.
   */
  reach?: Record<string, number>;
}

export interface Instance {
  member: string;
  device: string;
  batch: number;
  threads: number;
}

export interface MemberPrediction {
  member: string;
  /** Requests (rows) per second, summed over the member's instances. */
  throughput: number;
  /** Largest batch latency among its instances, ms. */
  batchLatencyMs: number;
  instances: number;
}

export interface DeviceUsage {
  device: string;
  memoryBytes: number;
  memoryCapacity: number;
  cores?: number;
  coresCapacity?: number;
}

export interface Prediction {
  /** Rows per second of the whole ensemble: the minimum over members (every input visits every member). */
  throughput: number;
  /** The member with the least capacity (where another instance would help first). */
  bottleneck: string;
  /** Set when a shared device, not a member's capacity, limits the ensemble: its id. */
  limitedBy?: string;
  members: MemberPrediction[];
  devices: DeviceUsage[];
}

export interface GreedyStep {
  /** Human-readable move, e.g. "add resnet34-w64 on cpu (batch 4, 1 thread)". */
  move: string;
  throughputBefore: number;
  throughputAfter: number;
}

export type Strategy = 'baseline' | 'worst-fit' | 'greedy';

/**
 * How the plan's instances become processes. 'per-instance' (Pochelu et al.): one worker process per
 * instance. 'grouped': the members of each group share worker processes, each process hosting one
 * instance of every member of its group and computing them one after another; a batch then costs
 * one message and one process wake-up for the group instead of one per member, which is what
 * tiny models pay most for. Members outside every group keep a process per instance.
 */
export type LayoutKind = 'per-instance' | 'grouped';

export interface ProcessGroup {
  device: string;
  members: string[];
  /** Identical worker processes hosting the group (batches are routed among them). */
  processes: number;
  /** Intra-op threads of each member's session in those processes. */
  threads: number;
  /** Each member's batch size in those processes (its best at those threads); absent: the plan's. */
  batches?: Record<string, number>;
}

export interface Layout {
  kind: LayoutKind;
  /** Empty in the per-instance layout. */
  groups: ProcessGroup[];
  /** The serving cost of one internal message (a send, its receive and the wake-up), ms of CPU, that the choice weighed. */
  messageCostMs: number;
  /** Predicted requests per second of one-row requests, serving costs included, for each layout considered. */
  predicted: Record<LayoutKind, number>;
  /** Predicted compute latency of one row on an idle server, ms, for each layout considered. */
  idleMs?: Record<LayoutKind, number>;
  /** 'chosen' by the allocator, or 'forced' by the user (tutti serve --layout). */
  decidedBy: 'chosen' | 'forced';
}

export interface Plan {
  version: 1;
  ensemble: string;
  strategy: Strategy;
  devices: Device[];
  members: string[];
  instances: Instance[];
  predicted: Prediction;
  steps: GreedyStep[];
  /** The batch latency budget the plan was made under (AllocationInput.latencyBudgetMs), for reports. */
  latencyBudgetMs?: number;
  /** How instances become processes (absent in plans written before layouts: per instance). */
  layout?: Layout;
  /** The share of requests each member computes, when a cascade made it less than 1 (AllocationInput.reach). */
  reach?: Record<string, number>;
}
