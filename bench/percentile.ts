/**
 * Order statistics for benchmark samples.
 * Percentiles use the nearest-rank method (the smallest sample with at least p % of the
 * samples at or below it), so every figure reported is a value that was really measured.
 */

/** Summary of a sample set; times in the samples' own unit (ms throughout the bench). */
export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * Nearest-rank percentile.
 * @param values samples (not modified)
 * @param p percentile in [0, 100]
 * @returns NaN for an empty sample set
 * @throws RangeError when p is outside [0, 100]
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile p must be in [0, 100], got ${p}`);
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** n, p50, p95, max and mean of `values` (NaN figures for an empty set). */
export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  const mean = n === 0 ? NaN : values.reduce((s, v) => s + v, 0) / n;
  return { n, p50: percentile(values, 50), p95: percentile(values, 95), max: n === 0 ? NaN : Math.max(...values), mean };
}

/** Rounds to `digits` decimals (figures in reports). */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
