/** The vocabulary of the hardware search (budget.ts): device types, mixes of them, what a search returns. */
import type { Device, MemberProfile, Plan } from './types.js';

/** One kind of device that can be bought or rented, any number of times (up to `max`). */
export interface DeviceType {
  /** Unique in a catalogue; the devices of a mix are `<id>-0` .. `<id>-(n-1)`. */
  id: string;
  /** What a mix calls it ("2x T4-16GB"); default: the device's name. */
  label?: string;
  /** One device of the type (its id comes from `id`, its price from `pricePerHour`). */
  device: Omit<Device, 'id' | 'pricePerHour'>;
  /** Dollars per hour for one device. */
  pricePerHour: number;
  /** Power draw of one device, in watts, when known (for minimising power). */
  watts?: number;
  /** At most this many in a mix (default: as many as the budget buys). */
  max?: number;
}

export interface CatalogueInput {
  types: DeviceType[];
  /** Member names, in manifest order. */
  members: string[];
  /** profiles[member][typeId]: one profile per member and type, used for every device of the type. */
  profiles: Record<string, Record<string, MemberProfile>>;
  /** As AllocationInput's. */
  batchSizes: number[];
  /** Settings whose batch latency exceeds this (ms) are not used, on any type. */
  latencyBudgetMs?: number;
  maxInstancesPerMember?: number;
  minGain?: number;
  /** The ensemble's name, written into each plan. */
  ensemble?: string;
}

export interface SearchProgress {
  /** Allocations done, out of `total` (in the min-cost mode, the most that may be needed). */
  done: number;
  total: number;
  /** The mix just allocated. */
  mix: string;
}

export interface HardwareSearchOptions {
  /** Dollars per hour a mix may cost. Required to maximise throughput; a further limit when minimising. */
  budgetPerHour?: number;
  /** Rows per second to serve: minimise cost (or power) for it rather than maximise throughput. */
  demand?: number;
  /** With `demand`: what to minimise. 'power' needs watts on every type. Default 'cost'. */
  minimise?: 'cost' | 'power';
  /** Maximising: how many mixes, the best by upper bound, the allocator plans (default 20). */
  candidates?: number;
  /** Refuse catalogues and budgets that allow more mixes than this (default 100000). */
  maxMixes?: number;
  /** Minimising: give up after this many allocations (default 500). */
  maxAllocations?: number;
  /** Called after each allocation. */
  onProgress?: (progress: SearchProgress) => void;
}

/** How many devices of each type: one candidate pool. */
export interface Mix {
  /** counts[typeId], every type of the catalogue (0 for those not in the mix). */
  counts: Record<string, number>;
  /** "2x T4-16GB + 1x cpu", in catalogue order. */
  label: string;
  devices: number;
  pricePerHour: number;
  /** Sum of the devices' watts, when every type in the mix declares them. */
  watts?: number;
  /** Upper bound on the ensemble's rows/s on this mix (budget-bound.ts); 0 when a member can run on none of its devices. */
  bound: number;
}

export interface RankedMix extends Mix {
  /** Rows/s the allocator predicts for its plan on this mix. */
  throughput: number;
  /** throughput / pricePerHour: rows/s per dollar-per-hour (Infinity for a free mix). */
  perDollar: number;
  /** Minimising: whether it serves the demand. */
  meetsDemand?: boolean;
  /** The greedy plan on the mix's devices. */
  plan: Plan;
}

export interface HardwareChoice {
  mode: 'max-throughput' | 'min-cost';
  /** The options' limits and aim, repeated for reports. */
  budgetPerHour?: number;
  demand?: number;
  minimise?: 'cost' | 'power';
  /** The mix to buy: the highest throughput (maximising), or the cheapest that serves the demand (minimising). */
  best: RankedMix;
  /**
   * Every mix the allocator planned. Maximising: by predicted throughput, ties (within 0.1%,
   * THROUGHPUT_TIE) cheaper first.
   * Minimising: those meeting the demand first, cheapest (or least power) first, then the rest by throughput.
   */
  ranking: RankedMix[];
  /** Mixes within the budget and max counts. */
  enumerated: number;
  /** Of those, mixes where some member can run on no device (bound 0). */
  unusable: number;
  /** Mixes the allocator could not place the ensemble on (memory), with why. */
  failed: { mix: Mix; reason: string }[];
  /** Maximising: mixes left unplanned whose bound exceeds the highest throughput found (more candidates might find better). */
  unexplored: number;
}
