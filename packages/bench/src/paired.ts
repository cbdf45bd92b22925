/**
 * Paired comparison of two classifiers on the same rows: McNemar's exact test (a two-sided binomial
 * test on the rows where exactly one of them is right), for "is the cascade as accurate as the full
 * ensemble on these rows?".
 */

/** P(X <= k) for X ~ Binomial(n, 1/2), summed in log space (n up to tens of thousands). */
function binomialHalfCdf(k: number, n: number): number {
  let logTerm = -n * Math.LN2; // C(n, 0) / 2^n
  let sum = Math.exp(logTerm);
  for (let i = 1; i <= k; i++) {
    logTerm += Math.log((n - i + 1) / i);
    sum += Math.exp(logTerm);
  }
  return Math.min(1, sum);
}

export interface PairedResult {
  /** Rows right for the first and wrong for the second, and the reverse. */
  onlyFirst: number;
  onlySecond: number;
  /** Two-sided exact p-value (1 when they never differ). */
  p: number;
}

/** McNemar's exact test on two per-row correctness lists of equal length. */
export function mcnemarExact(first: readonly boolean[], second: readonly boolean[]): PairedResult {
  if (first.length !== second.length) throw new Error(`paired lists differ in length: ${first.length} and ${second.length}`);
  let onlyFirst = 0;
  let onlySecond = 0;
  for (let i = 0; i < first.length; i++) {
    if (first[i] && !second[i]) onlyFirst++;
    else if (!first[i] && second[i]) onlySecond++;
  }
  const n = onlyFirst + onlySecond;
  const p = n === 0 ? 1 : Math.min(1, 2 * binomialHalfCdf(Math.min(onlyFirst, onlySecond), n));
  return { onlyFirst, onlySecond, p };
}
