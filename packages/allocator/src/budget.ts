/**
 * Choosing hardware under a cost budget (Li et al., HPEC 2021; KAIROS's pool choice, HPDC 2023).
 * Given a catalogue of device types with prices, every count vector (how many of each type) within
 * the budget and the types' max counts is enumerated; each gets a cheap upper bound on the ensemble's
 * throughput (budget-bound.ts); the allocator (greedy) then plans the best few by bound, and the mixes
 * are ranked by the throughput it predicts. Second mode: the cheapest (or least power-hungry) mix
 * whose planned throughput serves a demanded rate. Types are few, so enumeration is exact; a budget
 * that allows too many mixes is refused rather than searched for minutes. Pure: no I/O.
 */
import { TuttiError } from '@tutti/core';
import { allocate } from './allocate.js';
import { deviceCapacity, rowCosts, throughputBound } from './budget-bound.js';
import { allocationInput, checkSearch } from './budget-check.js';
import type { CatalogueInput, DeviceType, HardwareChoice, HardwareSearchOptions, Mix, RankedMix } from './budget-types.js';
import { formatRate } from './units.js';

export const DEFAULT_CANDIDATES = 20;
export const DEFAULT_MAX_MIXES = 100_000;
export const DEFAULT_MAX_ALLOCATIONS = 500;

/** Relative tolerance: throughputs this close tie; prices this far over the budget still fit (float sums). */
const TOLERANCE = 1e-9;

/** "2x T4-16GB + 1x cpu": the types in the mix, in catalogue order. */
export function mixLabel(types: readonly DeviceType[], counts: Record<string, number>): string {
  return (
    types
      .filter((t) => (counts[t.id] ?? 0) > 0)
      .map((t) => `${counts[t.id]}x ${t.label ?? t.device.name}`)
      .join(' + ') || 'nothing'
  );
}

/**
 * Predictions this close (relative) tie: the greedy search stops at gains under 1%, so a difference
 * of a tenth of that between two mixes says nothing about which serves faster; the cheaper one wins.
 */
export const THROUGHPUT_TIE = 1e-3;

const byPrice = (a: Mix, b: Mix) => a.pricePerHour - b.pricePerHour || a.devices - b.devices || a.label.localeCompare(b.label);

/**
 * Highest predicted throughput first; mixes within THROUGHPUT_TIE of the fastest of their group
 * (taken in order of throughput) tie, and a tied group goes cheapest first, then fewest devices.
 */
export function rankByThroughput<T extends RankedMix>(mixes: readonly T[]): T[] {
  const sorted = [...mixes].sort((a, b) => b.throughput - a.throughput || byPrice(a, b));
  const ranked: T[] = [];
  for (let start = 0; start < sorted.length;) {
    const leader = sorted[start]!.throughput;
    let end = start + 1;
    while (end < sorted.length && sorted[end]!.throughput >= leader * (1 - THROUGHPUT_TIE)) end++;
    ranked.push(...sorted.slice(start, end).sort(byPrice));
    start = end;
  }
  return ranked;
}

function byBound(a: Mix, b: Mix): number {
  return b.bound - a.bound || byPrice(a, b);
}

const round = (value: number) => Math.round(value * 1e9) / 1e9;

export class HardwareSearch {
  readonly input: CatalogueInput;
  readonly options: HardwareSearchOptions;
  /** e[member][typeId]: the fewest device-seconds per row, over the settings allowed. */
  readonly #costs: Map<string, Map<string, number>>;
  #mixes: Mix[] | undefined;

  /** Checks the catalogue, profiles and options; throws INVALID_OPTION naming each bad field. */
  constructor(input: CatalogueInput, options: HardwareSearchOptions = {}) {
    checkSearch(input, options);
    this.input = input;
    this.options = options;
    const representatives = input.types.map((t) => ({ ...t.device, id: t.id }));
    this.#costs = rowCosts({ ...allocationInput(input, {}), devices: representatives, profiles: input.profiles });
  }

  /** What the options ask for: minimise cost when a demand is given, else maximise throughput under the budget. */
  run(): HardwareChoice {
    return this.options.demand !== undefined ? this.minimiseCost() : this.maximiseThroughput();
  }

  /** Every mix within the budget and max counts (at least one device), the highest bound first (ties: cheaper first). */
  mixes(): Mix[] {
    this.#mixes ??= this.#enumerate()
      .map((counts) => this.#mix(counts))
      .sort(byBound);
    return this.#mixes;
  }

  /** The mix with the highest planned throughput within the budget, planning the `candidates` best by bound. */
  maximiseThroughput(): HardwareChoice {
    if (this.options.budgetPerHour === undefined)
      throw new TuttiError('INVALID_OPTION', 'budgetPerHour is required to maximise throughput');
    const mixes = this.mixes();
    const usable = mixes.filter((m) => m.bound > 0);
    const candidates = usable.slice(0, this.options.candidates ?? DEFAULT_CANDIDATES);
    const ranking: RankedMix[] = [];
    const failed: HardwareChoice['failed'] = [];
    candidates.forEach((mix, k) => {
      const result = this.#plan(mix, k + 1, candidates.length);
      if ('reason' in result) failed.push(result);
      else ranking.push(result);
    });
    const ranked = rankByThroughput(ranking);
    const best = ranked[0];
    if (!best) throw this.#nothingServes(usable.length, failed);
    const fastest = Math.max(...ranked.map((m) => m.throughput));
    const unexplored = usable.slice(candidates.length).filter((m) => m.bound > fastest * (1 + TOLERANCE)).length;
    return {
      mode: 'max-throughput',
      ...this.#aims(),
      best,
      ranking: ranked,
      enumerated: mixes.length,
      unusable: mixes.length - usable.length,
      failed,
      unexplored,
    };
  }

  /**
   * The cheapest mix (least power with minimise 'power') whose plan serves `demand` rows/s. Mixes
   * whose bound falls short cannot, so only the others are planned, cheapest first, until one
   * serves it; the rest at the same cost are planned too and the fastest of them wins.
   */
  minimiseCost(): HardwareChoice {
    const demand = this.options.demand;
    if (demand === undefined) throw new TuttiError('INVALID_OPTION', 'demand is required to minimise cost');
    const objective = this.options.minimise === 'power' ? (m: Mix) => m.watts ?? Infinity : (m: Mix) => m.pricePerHour;
    const mixes = this.mixes();
    const usable = mixes.filter((m) => m.bound > 0);
    const hopeful = usable.filter((m) => m.bound >= demand * (1 - TOLERANCE)).sort((a, b) => objective(a) - objective(b) || byBound(a, b));
    if (hopeful.length === 0) throw this.#demandTooHigh(demand, usable);
    const limit = this.options.maxAllocations ?? DEFAULT_MAX_ALLOCATIONS;
    const ranking: RankedMix[] = [];
    const failed: HardwareChoice['failed'] = [];
    let planned = 0;
    let cheapest: number | undefined;
    for (const mix of hopeful) {
      if (cheapest !== undefined && objective(mix) > cheapest + TOLERANCE * Math.max(1, cheapest)) break;
      if (planned >= limit) break;
      const result = this.#plan(mix, ++planned, Math.min(hopeful.length, limit));
      if ('reason' in result) failed.push(result);
      else ranking.push(result);
      if (!('reason' in result) && result.throughput >= demand * (1 - TOLERANCE)) cheapest ??= objective(mix);
    }
    for (const mix of ranking) mix.meetsDemand = mix.throughput >= demand * (1 - TOLERANCE);
    const serving = ranking
      .filter((m) => m.meetsDemand)
      .sort((a, b) => objective(a) - objective(b) || b.throughput - a.throughput || byPrice(a, b));
    const ranked = [...serving, ...rankByThroughput(ranking.filter((m) => !m.meetsDemand))];
    const best = ranked[0];
    if (!best?.meetsDemand) throw this.#demandMissed(demand, planned, hopeful.length, limit, ranked);
    return {
      mode: 'min-cost',
      ...this.#aims(),
      best,
      ranking: ranked,
      enumerated: mixes.length,
      unusable: mixes.length - usable.length,
      failed,
      unexplored: 0,
    };
  }

  /** Count vectors within the budget and max counts, excluding the empty one; refuses more than maxMixes. */
  #enumerate(): Record<string, number>[] {
    const { types } = this.input;
    const budget = this.options.budgetPerHour ?? Infinity;
    const slack = Number.isFinite(budget) ? TOLERANCE * Math.max(1, budget) : 0;
    const limits = types.map((t) =>
      Math.min(t.max ?? Infinity, t.pricePerHour > 0 ? Math.floor((budget + slack) / t.pricePerHour) : Infinity),
    );
    const maxMixes = this.options.maxMixes ?? DEFAULT_MAX_MIXES;
    const found: Record<string, number>[] = [];
    const counts = types.map(() => 0);
    const visit = (index: number, spent: number): void => {
      if (index === types.length) {
        if (counts.every((c) => c === 0)) return;
        if (found.length >= maxMixes) throw this.#tooMany(maxMixes, limits);
        found.push(Object.fromEntries(types.map((t, k) => [t.id, counts[k]!])));
        return;
      }
      const type = types[index]!;
      for (let n = 0; n <= limits[index]! && spent + n * type.pricePerHour <= budget + slack; n++) {
        counts[index] = n;
        visit(index + 1, spent + n * type.pricePerHour);
      }
      counts[index] = 0;
    };
    visit(0, 0);
    return found;
  }

  #mix(counts: Record<string, number>): Mix {
    const { types } = this.input;
    const present = types.filter((t) => counts[t.id]! > 0);
    const pools = new Map(present.map((t) => [t.id, counts[t.id]! * deviceCapacity(t.device)]));
    const mix: Mix = {
      counts,
      label: mixLabel(types, counts),
      devices: present.reduce((sum, t) => sum + counts[t.id]!, 0),
      pricePerHour: round(present.reduce((sum, t) => sum + counts[t.id]! * t.pricePerHour, 0)),
      bound: throughputBound(this.#costs, pools),
    };
    if (present.every((t) => t.watts !== undefined)) mix.watts = round(present.reduce((sum, t) => sum + counts[t.id]! * t.watts!, 0));
    return mix;
  }

  /** The greedy plan on a mix, or why the ensemble does not fit on it (ALLOCATION_FAILED); reports progress. */
  #plan(mix: Mix, done: number, total: number): RankedMix | { mix: Mix; reason: string } {
    let result: RankedMix | { mix: Mix; reason: string };
    try {
      const plan = { ...allocate(allocationInput(this.input, mix.counts), 'greedy'), ensemble: this.input.ensemble ?? '' };
      const throughput = plan.predicted.throughput;
      result = { ...mix, throughput, perDollar: mix.pricePerHour > 0 ? throughput / mix.pricePerHour : Infinity, plan };
    } catch (error) {
      if (!(error instanceof TuttiError && error.code === 'ALLOCATION_FAILED')) throw error;
      result = { mix, reason: error.message };
    }
    this.options.onProgress?.({ done, total, mix: mix.label });
    return result;
  }

  #aims(): Pick<HardwareChoice, 'budgetPerHour' | 'demand' | 'minimise'> {
    const { budgetPerHour, demand, minimise } = this.options;
    return { ...(budgetPerHour !== undefined && { budgetPerHour }), ...(demand !== undefined && { demand, minimise: minimise ?? 'cost' }) };
  }

  #limits(): string {
    const budget = this.options.budgetPerHour;
    const parts = [
      budget === undefined ? undefined : `$${budget}/h`,
      this.input.types.some((t) => t.max !== undefined) ? "the types' max counts" : undefined,
    ];
    return parts.filter(Boolean).join(' and ');
  }

  #tooMany(maxMixes: number, limits: number[]): TuttiError {
    const each = this.input.types.map((t, k) => `${t.id} 0..${Number.isFinite(limits[k]!) ? limits[k] : 'any'}`).join(', ');
    return new TuttiError(
      'INVALID_OPTION',
      `more than ${maxMixes} mixes of devices fit within ${this.#limits()} (${each}): too many to search; lower the budget, give the types a max, or raise maxMixes`,
    );
  }

  #nothingServes(usable: number, failed: HardwareChoice['failed']): TuttiError {
    if (usable === 0)
      return new TuttiError(
        'ALLOCATION_FAILED',
        `no mix within ${this.#limits()} has devices every member can run on (within the latency budget)`,
      );
    return new TuttiError(
      'ALLOCATION_FAILED',
      `the ensemble fits on none of the ${failed.length} best mixes within ${this.#limits()}: ${failed[0]!.mix.label}: ${failed[0]!.reason}`,
    );
  }

  #demandTooHigh(demand: number, usable: readonly Mix[]): TuttiError {
    const top = usable[0];
    const best = top
      ? `: the highest upper bound is ${formatRate(top.bound)} rows/s (${top.label})`
      : ': no mix has devices every member can run on';
    return new TuttiError('ALLOCATION_FAILED', `no mix within ${this.#limits()} can serve ${formatRate(demand)} rows/s${best}`);
  }

  #demandMissed(demand: number, planned: number, hopeful: number, limit: number, ranking: readonly RankedMix[]): TuttiError {
    const fastest = ranking[0];
    const closest = fastest ? `; the fastest plan reaches ${formatRate(fastest.throughput)} rows/s (${fastest.label})` : '';
    const stopped = planned < hopeful ? ` (stopped after maxAllocations = ${limit} plans of the ${hopeful} whose bound reaches it)` : '';
    return new TuttiError(
      'ALLOCATION_FAILED',
      `no mix within ${this.#limits()} serves ${formatRate(demand)} rows/s once planned${stopped}${closest}`,
    );
  }
}
