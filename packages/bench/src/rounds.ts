/**
 * Repeated rounds of a comparison. One pass over the systems measures each once, in one order, on a
 * machine whose state drifts (page cache, thermal, other tenants): a figure that stands up in review
 * is the median over several rounds, its spread shown, with the order alternated so no system always
 * runs first or last.
 */

/** Round 1 in the given order, round 2 reversed, round 3 as given again, and so on. */
export function roundOrder<T>(systems: readonly T[], round: number): T[] {
  return round % 2 === 1 ? [...systems] : [...systems].reverse();
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Median (the mean of the middle two for an even count) and range; undefined for no values. */
export function spread(values: readonly number[]): Spread | undefined {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return undefined;
  const mid = Math.floor(finite.length / 2);
  const median = finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
  return { median, min: finite[0]!, max: finite.at(-1)! };
}

/** "median (min-max)", or the value alone when the rounds agree or there was one. */
export function formatSpread(s: Spread | undefined, digits: number): string {
  if (!s) return '-';
  const f = (v: number) => v.toFixed(digits);
  return f(s.min) === f(s.max) ? f(s.median) : `${f(s.median)} (${f(s.min)}-${f(s.max)})`;
}
