/**
 * An upper bound on the ensemble throughput any plan can reach on a mix of devices, cheap enough to
 * rank every mix a budget allows before the allocator runs on the best few (KAIROS's pool choice).
 *
 * predict() bounds the ensemble rate X by each device's time: on a GPU X * sum_i 1/C_m(i) <= 1, on a
 * CPU X * sum_i t_i/C_m(i) <= cores, where C_m is member m's capacity, the sum of its instances'
 * c_i. Writing f_i = c_i / C_m (the share of m's rows instance i takes, summing to 1 over m), each
 * term is f_i * w_i / c_i with w_i the instance's threads (1 on a GPU): the device-seconds (core-
 * seconds on a CPU) instance i spends per row. No setting spends less than the member's best on that
 * device type, e[m][type]. So any plan's X is feasible for the linear program
 *
 *   maximise X  s.t.  sum_m e[m][T] * y[m][T] <= n_T * capacity_T   for every type T in the mix
 *                     X <= sum_T y[m][T]                              for every member m
 *
 * (y[m][T] = rows/s of member m on devices of type T), and its optimum is an upper bound on
 * predict(). It ignores memory, instance counts and how devices time-share, so it is optimistic,
 * never pessimistic. Unlike 1 / sum_m (1 / capacity_m), it stays a bound when members prefer
 * different devices (one fast on a GPU, another as fast on a CPU): the program lets them specialise.
 * A few types and members make a tiny program, solved exactly by the simplex method below.
 */
import { settingsFor } from './profiles.js';
import type { AllocationInput, Device } from './types.js';

/** What a device of one type offers: its time (1 on a GPU) or its cores (a CPU). */
export function deviceCapacity(device: Pick<Device, 'kind' | 'cores'>): number {
  return device.kind === 'cpu' ? (device.cores ?? 1) : 1;
}

/**
 * e[member][deviceId]: the fewest device-seconds (core-seconds on a CPU) one row of the member costs
 * on the device, over the settings allowed (profiled, within the latency budget). Absent when the
 * member has no usable setting there.
 */
export function rowCosts(input: AllocationInput): Map<string, Map<string, number>> {
  const costs = new Map<string, Map<string, number>>();
  for (const member of input.members) {
    const byDevice = new Map<string, number>();
    for (const device of input.devices) {
      const perThread = device.kind === 'cpu';
      let best = Infinity;
      for (const s of settingsFor(input, member, device)) best = Math.min(best, (perThread ? s.threads : 1) / s.throughput);
      if (Number.isFinite(best) && best > 0) byDevice.set(device.id, best);
    }
    costs.set(member, byDevice);
  }
  return costs;
}

/**
 * The bound for a mix: `pools[type]` = count x capacity of one device of the type (0 or absent when
 * the mix has none). 0 when some member can run on none of the mix's devices.
 */
export function throughputBound(costs: Map<string, Map<string, number>>, pools: Map<string, number>): number {
  // Variables: s[m][T], the fraction of pool T member m uses, so its rows/s there are s * R[m][T]
  // with R = pool / e (all of the pool to m); then X. Scaled by the largest R to keep numbers near 1.
  const types = [...pools].filter(([, pool]) => pool > 0).map(([type]) => type);
  const members = [...costs.keys()];
  const rates = members.map((m) => types.map((t) => (costs.get(m)!.has(t) ? pools.get(t)! / costs.get(m)!.get(t)! : 0)));
  if (members.length === 0 || rates.some((row) => row.every((r) => r === 0))) return 0;
  const scale = Math.max(...rates.flat());
  const variables = members.length * types.length + 1;
  const x = variables - 1;
  const rows: number[][] = [];
  const limits: number[] = [];
  types.forEach((_, t) => {
    const row = new Array<number>(variables).fill(0);
    members.forEach((_, m) => (row[m * types.length + t] = 1));
    rows.push(row);
    limits.push(1);
  });
  members.forEach((_, m) => {
    const row = new Array<number>(variables).fill(0);
    types.forEach((_, t) => (row[m * types.length + t] = -rates[m]![t]! / scale));
    row[x] = 1;
    rows.push(row);
    limits.push(0);
  });
  const objective = new Array<number>(variables).fill(0);
  objective[x] = 1;
  return maximise(objective, rows, limits) * scale;
}

const EPS = 1e-12;

/**
 * max c.x subject to A x <= b and x >= 0, for b >= 0 (so x = 0 is feasible): the tableau simplex
 * with Bland's rule, which cannot cycle. Infinity when unbounded.
 */
export function maximise(c: readonly number[], a: readonly (readonly number[])[], b: readonly number[]): number {
  const n = c.length;
  const m = a.length;
  if (b.some((v) => !(v >= 0))) throw new RangeError('maximise needs b >= 0');
  const width = n + m + 1;
  const tableau = a.map((row, i) => {
    const line = new Array<number>(width).fill(0);
    row.forEach((v, j) => (line[j] = v));
    line[n + i] = 1;
    line[width - 1] = b[i]!;
    return line;
  });
  const objective = new Array<number>(width).fill(0);
  c.forEach((v, j) => (objective[j] = -v));
  const basis = Array.from({ length: m }, (_, i) => n + i);
  for (let iteration = 0; iteration < 100_000; iteration++) {
    const enter = objective.findIndex((v, j) => j < width - 1 && v < -EPS);
    if (enter < 0) return objective[width - 1]!;
    let leave = -1;
    let ratio = Infinity;
    for (let i = 0; i < m; i++) {
      const coefficient = tableau[i]![enter]!;
      if (coefficient <= EPS) continue;
      const r = tableau[i]![width - 1]! / coefficient;
      // The smallest ratio; among ties, the row whose basic variable has the smallest index (Bland).
      if (leave < 0 || r < ratio - EPS || (r <= ratio + EPS && basis[i]! < basis[leave]!)) {
        leave = i;
        ratio = r;
      }
    }
    if (leave < 0) return Infinity;
    pivot(tableau, objective, leave, enter);
    basis[leave] = enter;
  }
  throw new Error('simplex did not converge');
}

function pivot(tableau: number[][], objective: number[], row: number, column: number): void {
  const pivotRow = tableau[row]!;
  const p = pivotRow[column]!;
  for (let j = 0; j < pivotRow.length; j++) pivotRow[j] = pivotRow[j]! / p;
  for (const line of [...tableau.filter((_, i) => i !== row), objective]) {
    const factor = line[column]!;
    if (factor === 0) continue;
    for (let j = 0; j < line.length; j++) line[j] = line[j]! - factor * pivotRow[j]!;
  }
}
