import { describe, expect, it } from 'vitest';
import { TuttiError } from '@tutti/core';
import {
  HardwareSearch,
  THROUGHPUT_TIE,
  rankByThroughput,
  allocate,
  maximise,
  throughputBound,
  rowCosts,
  type AllocationInput,
  type CatalogueInput,
  type Device,
  type DeviceType,
  type HardwareSearchOptions,
  type MemberProfile,
  type RankedMix,
} from '../src/index.js';
import { GB, cpu, gpu, profile, seeded, type SyntheticMember } from './support.js';

/** A profile from (batch, latency ms) points at one thread: capacity at batch b is b * 1000 / latency. */
function hand(member: string, deviceName: string, memoryGB: number, points: [number, number][]): MemberProfile {
  return {
    member,
    modelSha256: '',
    deviceName,
    source: 'file',
    memoryBytes: memoryGB * GB,
    points: points.map(([batch, latencyMs]) => ({ batch, threads: 1, latencyMs })),
  };
}

const G: DeviceType = {
  id: 'g',
  device: { kind: 'gpu', name: 'G', memoryBytes: 16 * GB, origin: 'declared', emulated: true },
  pricePerHour: 1,
  watts: 250,
};
const C: DeviceType = {
  id: 'c',
  device: { kind: 'cpu', name: 'C', cores: 1, memoryBytes: 8 * GB, origin: 'declared', emulated: true },
  pricePerHour: 0.25,
  watts: 50,
};

/**
 * KAIROS's point: "vision" needs the GPU (1000 rows/s there, 50 on a CPU); "text" is as fast on a
 * CPU (1000 rows/s) as on the GPU. One GPU shared by both gives 500 rows/s; CPUs alone at most
 * 6 / (1/50 + 1/1000) = 294; a GPU for vision and a CPU for text give 1000.
 */
function kairos(extra: Partial<CatalogueInput> = {}): CatalogueInput {
  return {
    types: [G, C],
    members: ['vision', 'text'],
    profiles: {
      vision: {
        g: hand('vision', 'G', 2, [
          [1, 2],
          [8, 8],
        ]),
        c: hand('vision', 'C', 2, [
          [1, 20],
          [8, 160],
        ]),
      },
      text: {
        g: hand('text', 'G', 1, [
          [1, 2],
          [8, 8],
        ]),
        c: hand('text', 'C', 1, [
          [1, 2],
          [8, 8],
        ]),
      },
    },
    batchSizes: [1, 8],
    ensemble: 'kairos',
    ...extra,
  };
}

const key = (counts: Record<string, number>) => JSON.stringify(Object.entries(counts).sort());
const homogeneous = (counts: Record<string, number>) => Object.values(counts).filter((n) => n > 0).length === 1;

/** The allocator's input for a mix, built here rather than by the search: devices `<type>-k`, profiles copied. */
function byHand(input: CatalogueInput, counts: Record<string, number>): AllocationInput {
  const devices: Device[] = input.types.flatMap((t) =>
    Array.from({ length: counts[t.id] ?? 0 }, (_, k) => ({ ...t.device, id: `${t.id}-${k}` })),
  );
  const typeOf = (id: string) => id.slice(0, id.lastIndexOf('-'));
  const profiles = Object.fromEntries(
    input.members.map((m) => [m, Object.fromEntries(devices.map((d) => [d.id, input.profiles[m]![typeOf(d.id)]!]))]),
  );
  return {
    devices,
    members: input.members,
    profiles,
    batchSizes: input.batchSizes,
    ...(input.latencyBudgetMs !== undefined && { latencyBudgetMs: input.latencyBudgetMs }),
  };
}

describe('HardwareSearch: enumeration', () => {
  const types: DeviceType[] = [
    { ...G, id: 'a', pricePerHour: 0.5, max: 3 },
    { ...G, id: 'b', pricePerHour: 1.2 },
    { ...C, id: 'c', pricePerHour: 0.3, max: 2 },
  ];
  const profiles = { m: { a: hand('m', 'G', 1, [[1, 1]]), b: hand('m', 'G', 1, [[1, 1]]), c: hand('m', 'C', 1, [[1, 1]]) } };
  const input: CatalogueInput = { types, members: ['m'], profiles, batchSizes: [1] };

  it('lists every count vector within the budget and the max counts, once each, and nothing else', () => {
    const mixes = new HardwareSearch(input, { budgetPerHour: 2.5 }).mixes();
    const expected = new Set<string>();
    for (let a = 0; a <= 3; a++)
      for (let b = 0; b <= 5; b++)
        for (let c = 0; c <= 2; c++) {
          if (a + b + c > 0 && 0.5 * a + 1.2 * b + 0.3 * c <= 2.5 + 1e-9) expected.add(key({ a, b, c }));
        }
    expect(mixes.map((m) => key(m.counts)).sort()).toEqual([...expected].sort());
    for (const mix of mixes) {
      expect(mix.pricePerHour).toBeLessThanOrEqual(2.5 + 1e-9);
      expect(mix.counts.a!).toBeLessThanOrEqual(3);
      expect(mix.counts.c!).toBeLessThanOrEqual(2);
    }
    // 2 x a + 1 x c = 1.3, and 4 x b would be 4.8: one in, one out.
    expect(mixes.find((m) => key(m.counts) === key({ a: 2, b: 0, c: 1 }))?.label).toBe('2x G + 1x C');
    expect(mixes.some((m) => m.counts.b! > 2)).toBe(false);
  });

  it('ranks the mixes by bound, highest first', () => {
    const bounds = new HardwareSearch(input, { budgetPerHour: 2.5 }).mixes().map((m) => m.bound);
    expect(bounds).toEqual([...bounds].sort((x, y) => y - x));
  });

  it('counts exactly to a budget that float sums overshoot (3 x 0.1 within 0.3)', () => {
    const cheap: CatalogueInput = { ...input, types: [{ ...C, id: 'c', pricePerHour: 0.1 }], profiles: { m: { c: profiles.m.c } } };
    expect(
      new HardwareSearch(cheap, { budgetPerHour: 0.3 })
        .mixes()
        .map((m) => m.counts.c)
        .sort(),
    ).toEqual([1, 2, 3]);
  });

  it('refuses a space larger than maxMixes, saying how to shrink it', () => {
    const search = new HardwareSearch(input, { budgetPerHour: 2.5, maxMixes: 5 });
    expect(() => search.mixes()).toThrow(
      /more than 5 mixes of devices fit within \$2.5\/h and the types' max counts \(a 0..3, b 0..2, c 0..2\).*raise maxMixes/,
    );
  });
});

describe('HardwareSearch: the upper bound', () => {
  it('solves small linear programs exactly', () => {
    // max 3x + 5y s.t. x <= 4, 2y <= 12, 3x + 2y <= 18: 36 at (2, 6).
    expect(
      maximise(
        [3, 5],
        [
          [1, 0],
          [0, 2],
          [3, 2],
        ],
        [4, 12, 18],
      ),
    ).toBeCloseTo(36, 9);
    expect(maximise([1], [[-1]], [0])).toBe(Infinity);
  });

  it('is n x the best capacity for one member, the harmonic sum for two sharing one GPU, the min when they specialise', () => {
    const input = byHand(kairos(), { g: 1, c: 1 });
    const costs = rowCosts({
      ...input,
      devices: [
        { ...G.device, id: 'g' },
        { ...C.device, id: 'c' },
      ],
      profiles: kairos().profiles,
    });
    const only = (member: string) => new Map([[member, costs.get(member)!]]);
    expect(throughputBound(only('vision'), new Map([['g', 3]]))).toBeCloseTo(3000, 6);
    expect(throughputBound(costs, new Map([['g', 1]]))).toBeCloseTo(500, 6);
    expect(throughputBound(costs, new Map([['c', 6]]))).toBeCloseTo(6 / (1 / 50 + 1 / 1000), 6);
    // GPU all to vision (1000) and a share a of the CPU to vision at 50/s: 1000 + 50a = 1000(1 - a).
    // With one CPU, any of it given to vision (50/s) costs text more (1000/s): a = 0, X = 1000.
    expect(
      throughputBound(
        costs,
        new Map([
          ['g', 1],
          ['c', 1],
        ]),
      ),
    ).toBeCloseTo(1000, 6);
    // With two, text needs only half of them at 1000: 1000 + 100a = 2000(1 - a), a = 1000 / 2100.
    expect(
      throughputBound(
        costs,
        new Map([
          ['g', 1],
          ['c', 2],
        ]),
      ),
    ).toBeCloseTo(1000 + (100 * 1000) / 2100, 6);
    expect(throughputBound(new Map([['vision', costs.get('vision')!]]), new Map([['c', 0]]))).toBe(0);
  });

  it('is never below what the allocator predicts, on random catalogues', () => {
    const random = seeded(2021);
    let checked = 0;
    for (let trial = 0; trial < 12; trial++) {
      const cores = 1 + Math.floor(random() * 4);
      const cpuType: DeviceType = { id: 'cpu', device: cpu(cores, 4 + random() * 8), pricePerHour: 0.1 + random() * 0.2, max: 3 };
      const slowGpu: DeviceType = {
        id: 'slow',
        device: {
          ...gpu('x', 8 + Math.floor(random() * 8)),
          speed: { gmacsPerSecond: 500 + random() * 1000, memoryGBps: 300, overheadMs: 0.3 },
        },
        pricePerHour: 0.5 + random(),
      };
      const fastGpu: DeviceType = { id: 'fast', device: gpu('x', 16 + Math.floor(random() * 16)), pricePerHour: 1.5 + random() * 2 };
      const types = [cpuType, slowGpu, fastGpu];
      const members: SyntheticMember[] = Array.from({ length: 1 + Math.floor(random() * 4) }, (_, i) => ({
        name: `m${i}`,
        memoryGB: 0.3 + random() * 3,
        gmacs: 0.01 + random() * 4,
      }));
      const profiles = Object.fromEntries(
        members.map((m) => [m.name, Object.fromEntries(types.map((t) => [t.id, profile(m, { ...t.device, id: t.id })]))]),
      );
      const input: CatalogueInput = {
        types,
        members: members.map((m) => m.name),
        profiles,
        batchSizes: [1, 2, 4, 8, 16, 32],
        ...(random() < 0.5 && { latencyBudgetMs: 5 + random() * 50 }),
      };
      let choice;
      try {
        choice = new HardwareSearch(input, { budgetPerHour: 4, candidates: 1000 }).maximiseThroughput();
      } catch (error) {
        if ((error as TuttiError).code === 'ALLOCATION_FAILED') continue;
        throw error;
      }
      for (const mix of choice.ranking) expect(mix.bound).toBeGreaterThanOrEqual(mix.throughput * (1 - 1e-9));
      checked += choice.ranking.length;
    }
    expect(checked).toBeGreaterThan(100);
  });
});

describe('HardwareSearch: maximising throughput under a budget', () => {
  it('finds a heterogeneous mix that beats every homogeneous one within the budget', () => {
    const choice = new HardwareSearch(kairos(), { budgetPerHour: 1.5, candidates: 100 }).maximiseThroughput();
    // 1 GPU + up to 2 CPUs, or up to 6 CPUs: 9 mixes, all planned.
    expect(choice.enumerated).toBe(9);
    expect(choice.ranking).toHaveLength(9);
    const homogeneousBest = Math.max(...choice.ranking.filter((m) => homogeneous(m.counts)).map((m) => m.throughput));
    expect(homogeneousBest).toBeLessThanOrEqual(500 * (1 + 1e-9));
    expect(homogeneous(choice.best.counts)).toBe(false);
    expect(choice.best.throughput).toBeGreaterThanOrEqual(1000 * (1 - 1e-9));
    // Vision has the GPU to itself; text runs on a CPU.
    expect(choice.best.plan.instances.filter((i) => i.member === 'vision').every((i) => i.device === 'g-0')).toBe(true);
    expect(choice.best.plan.instances.filter((i) => i.member === 'text').every((i) => i.device.startsWith('c-'))).toBe(true);
    expect(choice.best.plan.ensemble).toBe('kairos');
    expect(choice.best.pricePerHour).toBeLessThanOrEqual(1.5);
  });

  it('ranks by predicted throughput, near-equal ones (0.1%) cheaper first, with the price and per-dollar figures', () => {
    const { ranking } = new HardwareSearch(kairos(), { budgetPerHour: 1.5, candidates: 100 }).maximiseThroughput();
    for (let k = 1; k < ranking.length; k++) {
      const [a, b] = [ranking[k - 1]!, ranking[k]!];
      expect(a.throughput).toBeGreaterThanOrEqual(b.throughput * (1 - THROUGHPUT_TIE));
      if (b.throughput > a.throughput) expect(a.pricePerHour).toBeLessThan(b.pricePerHour);
    }
    // 1 GPU + 1 CPU and 1 GPU + 2 CPUs both plan 1000 rows/s: the cheaper is first.
    expect(ranking.slice(0, 2).map((m) => m.label)).toEqual(['1x G + 1x C', '1x G + 2x C']);
    for (const mix of ranking) {
      expect(mix.pricePerHour).toBeCloseTo(mix.counts.g! * 1 + mix.counts.c! * 0.25, 9);
      expect(mix.watts).toBe(mix.counts.g! * 250 + mix.counts.c! * 50);
      expect(mix.perDollar).toBeCloseTo(mix.throughput / mix.pricePerHour, 6);
      expect(mix.plan.devices.map((d) => d.id)).toEqual([
        ...Array.from({ length: mix.counts.g! }, (_, k) => `g-${k}`),
        ...Array.from({ length: mix.counts.c! }, (_, k) => `c-${k}`),
      ]);
    }
  });

  it('ties throughputs within 0.1% of the fastest of their group, and sorts each group cheapest first', () => {
    const mix = (label: string, throughput: number, pricePerHour: number) => ({ label, throughput, pricePerHour, devices: 1 }) as RankedMix;
    const ranked = rankByThroughput([mix('a', 1000, 3), mix('b', 999.5, 1), mix('c', 998.9, 0.5), mix('d', 999.2, 2), mix('e', 2000, 9)]);
    // e alone; then a's group: a, b, d are within 0.1% of 1000 (>= 999), c is not.
    expect(ranked.map((m) => m.label)).toEqual(['e', 'b', 'd', 'a', 'c']);
  });

  it('plans only the best `candidates` by bound, and says how many unplanned ones might do better', () => {
    const choice = new HardwareSearch(kairos(), { budgetPerHour: 1.5, candidates: 2 }).maximiseThroughput();
    expect(choice.ranking).toHaveLength(2);
    const bounds = new HardwareSearch(kairos(), { budgetPerHour: 1.5 }).mixes().map((m) => m.bound);
    expect(choice.ranking.map((m) => m.bound).sort((a, b) => b - a)).toEqual(bounds.slice(0, 2));
    expect(choice.unexplored).toBe(bounds.slice(2).filter((b) => b > choice.best.throughput * (1 + 1e-9)).length);
  });

  it('leaves out a type too slow for the latency budget, which it would use otherwise', () => {
    const fast: DeviceType = { ...G, id: 'fast', pricePerHour: 1 };
    const slow: DeviceType = { ...C, id: 'slow', pricePerHour: 0.1 };
    const input = (latencyBudgetMs?: number): CatalogueInput => ({
      types: [fast, slow],
      members: ['m'],
      // 2000 rows/s on fast (4 ms batches); 40 rows/s on slow, each batch 25 ms or more.
      profiles: {
        m: {
          fast: hand('m', 'G', 1, [
            [1, 1],
            [8, 4],
          ]),
          slow: hand('m', 'C', 1, [
            [1, 25],
            [8, 200],
          ]),
        },
      },
      batchSizes: [1, 8],
      ...(latencyBudgetMs !== undefined && { latencyBudgetMs }),
    });
    const free = new HardwareSearch(input(), { budgetPerHour: 1.5, candidates: 100 }).maximiseThroughput();
    expect(free.best.counts.slow).toBeGreaterThan(0);
    expect(free.best.throughput).toBeGreaterThan(2000);

    const bounded = new HardwareSearch(input(20), { budgetPerHour: 1.5, candidates: 100 }).maximiseThroughput();
    expect(bounded.best.counts).toEqual({ fast: 1, slow: 0 });
    expect(bounded.best.throughput).toBeCloseTo(2000, 6);
    expect(bounded.unusable).toBe(15); // 1 to 15 slow devices alone
    expect(bounded.ranking.flatMap((m) => m.plan.instances).some((i) => i.device.startsWith('slow'))).toBe(false);
  });
});

describe('HardwareSearch: minimising cost for a demand', () => {
  /** The cheapest mix serving the demand, by planning every mix up to 1 GPU and 6 CPUs directly. */
  function cheapestByBruteForce(input: CatalogueInput, demand: number): string {
    let best: { cost: number; throughput: number; counts: Record<string, number> } | undefined;
    for (let g = 0; g <= 1; g++)
      for (let c = 0; c <= 6; c++) {
        if (g + c === 0) continue;
        const throughput = allocate(byHand(input, { g, c })).predicted.throughput;
        const cost = g + 0.25 * c;
        if (throughput >= demand && (!best || cost < best.cost || (cost === best.cost && throughput > best.throughput)))
          best = { cost, throughput, counts: { g, c } };
      }
    return key(best!.counts);
  }

  it('picks the cheapest mix whose plan serves the demand', () => {
    const choice = new HardwareSearch(kairos(), { demand: 900, budgetPerHour: 1.75 }).minimiseCost();
    expect(choice.mode).toBe('min-cost');
    expect(key(choice.best.counts)).toBe(cheapestByBruteForce(kairos(), 900));
    expect(choice.best.counts).toEqual({ g: 1, c: 1 });
    expect(choice.best.meetsDemand).toBe(true);
    expect(choice.best.throughput).toBeGreaterThanOrEqual(900);
    // Nothing cheaper than $1.25 could (the GPU alone is 500 rows/s, four CPUs 190, bounds below 900,
    // so they are not even planned), and once a $1.25 mix served it nothing dearer was planned.
    expect(choice.ranking.map((m) => m.pricePerHour)).toEqual([1.25]);
  });

  it("without a budget, within the types' max counts", () => {
    const input = kairos({
      types: [
        { ...G, max: 1 },
        { ...C, max: 6 },
      ],
    });
    expect(new HardwareSearch(input, { demand: 400 }).minimiseCost().best.counts).toEqual({ g: 1, c: 0 });
    expect(key(new HardwareSearch(input, { demand: 400 }).minimiseCost().best.counts)).toBe(cheapestByBruteForce(input, 400));
  });

  it('minimises power instead when asked, every type declaring watts', () => {
    const green: DeviceType = { ...C, id: 'green', label: 'green CPU', pricePerHour: 0.5, watts: 10 };
    const input = kairos({
      types: [G, C, green],
      profiles: {
        vision: { ...kairos().profiles.vision!, green: kairos().profiles.vision!.c! },
        text: { ...kairos().profiles.text!, green: kairos().profiles.text!.c! },
      },
    });
    expect(new HardwareSearch(input, { demand: 900, budgetPerHour: 2 }).minimiseCost().best.counts).toEqual({ g: 1, c: 1, green: 0 });
    const power = new HardwareSearch(input, { demand: 900, budgetPerHour: 2, minimise: 'power' }).minimiseCost();
    expect(power.best.counts).toEqual({ g: 1, c: 0, green: 1 });
    expect(power.best.watts).toBe(260);
    expect(power.best.label).toBe('1x G + 1x green CPU');
  });

  it('refuses a demand no mix within the limits can serve, with ALLOCATION_FAILED', () => {
    const search = new HardwareSearch(kairos(), { demand: 5000, budgetPerHour: 1.5 });
    expect(() => search.minimiseCost()).toThrow(TuttiError);
    expect(() => search.minimiseCost()).toThrow(expect.objectContaining({ code: 'ALLOCATION_FAILED' }));
    expect(() => search.minimiseCost()).toThrow(
      /no mix within \$1.5\/h can serve 5000 rows\/s: the highest upper bound is 10\d\d rows\/s \(1x G \+ 2x C\)/,
    );
  });
});

describe('HardwareSearch: options are checked when it is built', () => {
  it.each([
    ['a budget of 0', {}, { budgetPerHour: 0 }, /budgetPerHour must be dollars per hour > 0, got 0/],
    ['no budget and no demand', {}, {}, /budgetPerHour is required/],
    ['a negative demand', {}, { demand: -1, budgetPerHour: 1 }, /demand must be rows per second > 0, got -1/],
    ['a demand with no budget and a type without max', {}, { demand: 10 }, /types\[0\] \(g\)\.max is required when no budgetPerHour/],
    [
      'minimising power without watts',
      { types: [G, { ...C, watts: undefined }] },
      { demand: 10, budgetPerHour: 1, minimise: 'power' },
      /needs watts on every type; missing on c/,
    ],
    ['zero candidates', {}, { budgetPerHour: 1, candidates: 0 }, /candidates must be an integer >= 1, got 0/],
    ['a duplicate type id', { types: [G, { ...C, id: 'g' }] }, { budgetPerHour: 1 }, /types\[1\] \(g\)\.id is used twice/],
    [
      'a negative price',
      { types: [G, { ...C, pricePerHour: -1 }] },
      { budgetPerHour: 1 },
      /types\[1\] \(c\)\.pricePerHour must be a number of dollars >= 0/,
    ],
    ['a max of 0', { types: [G, { ...C, max: 0 }] }, { budgetPerHour: 1 }, /types\[1\] \(c\)\.max must be an integer >= 1/],
    [
      'a free type without max',
      { types: [G, { ...C, pricePerHour: 0 }] },
      { budgetPerHour: 1 },
      /types\[1\] \(c\)\.max is required for a free type/,
    ],
    [
      'a member without profiles',
      { members: ['vision', 'text', 'audio'] },
      { budgetPerHour: 1 },
      /member "audio" has no profile on any device/,
    ],
  ])('refuses %s with INVALID_OPTION naming the field', (_, change, options, message) => {
    const build = () => new HardwareSearch({ ...kairos(), ...(change as Partial<CatalogueInput>) }, options as HardwareSearchOptions);
    expect(build).toThrow(message);
    expect(build).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
