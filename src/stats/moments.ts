/**
 * Sample moments of a series. Conventions (stated because libraries disagree):
 * - `variance`/`std`: SAMPLE estimators, divisor n − 1 (numpy `ddof=1`, pandas default, empyrical).
 * - `skewness`: population (biased) g1 = m3 / m2^{3/2} with central moments mk = Σ(x − x̄)^k / n
 *   (scipy.stats.skew default, empyrical's SIMPLE_STAT_FUNCS, Bailey & López de Prado's γ3).
 * - `kurtosisRaw`: population m4 / m2², equal to 3 for a normal distribution: the γ4 of the PSR/DSR
 *   formulas. `kurtosisExcess` = `kurtosisRaw` − 3 (scipy.stats.kurtosis default, "Fisher"),
 *   0 for a normal distribution. Pandas' `.kurt()` is a bias-corrected excess kurtosis and differs
 *   for small n. Mixing raw and excess kurtosis is a classic bug: the names say which is which.
 * NaN values are skipped and counted in `missing`.
 */

export interface Moments {
  /** Finite values used. */
  n: number;
  /** NaN values skipped. */
  missing: number;
  mean: number;
  /** Sample variance, divisor n − 1. NaN for n < 2. */
  variance: number;
  /** Sample standard deviation, √variance. */
  std: number;
  /** Population skewness g1 = m3 / m2^{3/2}. NaN for n < 3 or zero variance. */
  skewness: number;
  /** Population kurtosis m4 / m2² (normal = 3). NaN for n < 4 or zero variance. */
  kurtosisRaw: number;
  /** kurtosisRaw − 3 (normal = 0). */
  kurtosisExcess: number;
}

/** Arithmetic mean of the non-NaN values (NaN when there are none). */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === v) {
      sum += v;
      n++;
    }
  }
  return n > 0 ? sum / n : NaN;
}

/** Sample standard deviation (divisor n − 1) of the non-NaN values. */
export function sampleStd(values: ArrayLike<number>): number {
  return moments(values).std;
}

/**
 * All moments in two passes (mean first, then centred sums) for numerical stability: a one-pass
 * Σx² − n·x̄² loses every digit for tick-sized returns around a non-zero mean.
 */
export function moments(values: ArrayLike<number>): Moments {
  let n = 0;
  let missing = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === v) {
      sum += v;
      n++;
    } else missing++;
  }
  const m = n > 0 ? sum / n : NaN;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let comp = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== v) continue;
    const d = v - m;
    comp += d;
    const d2 = d * d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
  }
  // Corrected two-pass variance (Chan, Golub & LeVeque 1983): removes the rounding left in the mean.
  s2 -= (comp * comp) / Math.max(n, 1);
  const variance = n >= 2 ? s2 / (n - 1) : NaN;
  const m2 = s2 / n;
  // Variance below the rounding noise of the mean means the series is constant.
  const constant = !(m2 > (Math.abs(m) * 1e-15) ** 2);
  const skewness = n >= 3 && !constant ? s3 / n / m2 ** 1.5 : NaN;
  const kurtosisRaw = n >= 4 && !constant ? s4 / n / (m2 * m2) : NaN;
  return {
    n,
    missing,
    mean: m,
    variance: n >= 2 ? (constant ? 0 : variance) : NaN,
    std: n >= 2 ? (constant ? 0 : Math.sqrt(variance)) : NaN,
    skewness,
    kurtosisRaw,
    kurtosisExcess: kurtosisRaw - 3,
  };
}
