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

/**
 * Quantile q ∈ [0, 1] with linear interpolation (numpy default); NaN with NaN input.
 * Selection on a copy (O(n)) instead of a full sort: typed-array sort costs ~0.3 µs per element
 * in V8, which dominated the metrics of a long intraday series.
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0 || !(q >= 0 && q <= 1)) return NaN;
  // slice() is a block copy; Float64Array.from goes through the iterator protocol.
  const a = values instanceof Float64Array ? values.slice() : Float64Array.from(values);
  for (let i = 0; i < n; i++) if (Number.isNaN(a[i]!)) return NaN;
  return quantileInPlace(a, q);
}

/**
 * `quantile` on a scratch copy the caller owns (reordered in place, never NaN). Repeated calls on
 * the same scratch get cheaper as it becomes more ordered: the metric registry computes q05 and
 * q95 on one copy.
 */
export function quantileInPlace(a: Float64Array, q: number): number {
  const n = a.length;
  if (n === 0 || !(q >= 0 && q <= 1)) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const below = selectInPlace(a, lo);
  if (h === lo) return below;
  // After selection every element right of `lo` is ≥ a[lo]: the next order statistic is their minimum.
  let above = Infinity;
  for (let i = lo + 1; i < n; i++) if (a[i]! < above) above = a[i]!;
  return below + (h - lo) * (above - below);
}

/**
 * The k-th smallest element (0-based) of `a`, reordering `a` in place so that a[0..k−1] ≤ a[k] ≤
 * a[k+1..]. Hoare quickselect with a median-of-three pivot; runs of equal values (many zero
 * returns) split evenly instead of degrading. `a` must not contain NaN.
 */
export function selectInPlace(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const mid = (left + right) >>> 1;
    const x = a[left]!;
    const y = a[mid]!;
    const z = a[right]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k]!;
  }
  return a[k]!;
}
