/**
 * Sample moments and quantiles of a series. Conventions (stated because libraries disagree):
 * - `variance`/`std`: SAMPLE estimators, divisor n − 1 (numpy `ddof=1`, pandas default, empyrical).
 * - `skewness`: population (biased) g1 = m3 / m2^{3/2} with central moments mk = Σ(x − x̄)^k / n
 *   (scipy.stats.skew default, empyrical's stat list, the γ3 of Bailey & López de Prado).
 * - `kurtosisRaw`: population m4 / m2², 3 for a normal distribution: the γ4 of the PSR/DSR
 *   formulas. `kurtosisExcess` = `kurtosisRaw` − 3 (scipy.stats.kurtosis default, "Fisher"),
 *   0 for a normal distribution. Pandas' `.kurt()` is a bias-corrected excess kurtosis and differs
 *   for small n. Mixing raw and excess kurtosis is a classic bug: the names say which is which.
 * - `quantile`: linear interpolation between order statistics (numpy's default "linear" method,
 *   Hyndman & Fan type 7).
 * NaN anywhere in the input gives NaN (no silent skipping); clean or filter first.
 */

/** True when any value is NaN or ±Infinity. */
export function hasNonFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return true;
  return false;
}

/** Arithmetic mean (NaN when empty or when any value is NaN). */
export function mean(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  return sum / n;
}

export interface CentralMoments {
  n: number;
  mean: number;
  /** Σ(x − x̄)² / n (population). */
  m2: number;
  /** Σ(x − x̄)³ / n. */
  m3: number;
  /** Σ(x − x̄)⁴ / n. */
  m4: number;
  /** True when the series is constant up to rounding (m2 below the noise of the mean). */
  constant: boolean;
}

/**
 * Population central moments in two passes (mean first, then centred sums): a one-pass
 * Σx² − n·x̄² loses every digit for tick-sized returns around a non-zero mean. The second-pass
 * correction term (Chan, Golub & LeVeque 1983) removes the rounding left in the mean.
 */
export function centralMoments(values: ArrayLike<number>): CentralMoments {
  const n = values.length;
  const m = mean(values);
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let comp = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - m;
    comp += d;
    const d2 = d * d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
  }
  if (n > 0) s2 -= (comp * comp) / n;
  const m2 = n > 0 ? s2 / n : NaN;
  // A spread below ~1e-14 of the level is rounding noise: the series is constant.
  const constant = n > 0 && m === m && !(Math.sqrt(Math.max(m2, 0)) > Math.abs(m) * 1e-14 + Number.MIN_VALUE);
  return { n, mean: m, m2: constant ? 0 : m2, m3: constant ? 0 : n > 0 ? s3 / n : NaN, m4: constant ? 0 : n > 0 ? s4 / n : NaN, constant };
}

/** Sample variance, divisor n − 1 (NaN for n < 2). */
export function variance(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return NaN;
  const c = centralMoments(values);
  return (c.m2 * n) / (n - 1);
}

/** Sample standard deviation, divisor n − 1 (NaN for n < 2). */
export function std(values: ArrayLike<number>): number {
  return Math.sqrt(variance(values));
}

/** Population skewness g1 = m3 / m2^{3/2}. NaN for n < 3, a constant series, or NaN input. */
export function skewness(values: ArrayLike<number>): number {
  if (values.length < 3) return NaN;
  const c = centralMoments(values);
  return c.constant ? NaN : c.m3 / c.m2 ** 1.5;
}

/** Population RAW kurtosis m4 / m2² (normal = 3). NaN for n < 4, a constant series, or NaN input. */
export function kurtosisRaw(values: ArrayLike<number>): number {
  if (values.length < 4) return NaN;
  const c = centralMoments(values);
  return c.constant ? NaN : c.m4 / (c.m2 * c.m2);
}

/** Population EXCESS kurtosis m4 / m2² − 3 (normal = 0). */
export function kurtosisExcess(values: ArrayLike<number>): number {
  return kurtosisRaw(values) - 3;
}

/** Quantile of values already sorted ascending, linear interpolation (numpy default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0 || !(q >= 0 && q <= 1)) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (h - lo) * (b - a);
}

/** Quantile q ∈ [0, 1] with linear interpolation (numpy default); NaN with NaN input. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (hasNonFinite(values) && Array.prototype.some.call(values, (v: number) => Number.isNaN(v))) return NaN;
  const sorted = Float64Array.from(values).sort();
  return quantileSorted(sorted, q);
}
