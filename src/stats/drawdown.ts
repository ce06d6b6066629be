/**
 * Drawdown of the cumulative wealth W built from simple returns: W₀ = 1, Wₖ = Wₖ₋₁·(1 + rₖ₋₁).
 * The starting wealth counts as a peak (as in empyrical), so a first return of −10 % is a 10 %
 * drawdown. Indices are into W (length n + 1): when the returns came from an equity curve via
 * `returnsFromEquity`, index k of W is sample k of that curve.
 */

export interface DrawdownInfo {
  /** Largest fall from a running peak as a fraction: ≤ 0 (−0.25 = 25 % below the peak). 0 without a loss. */
  maxDrawdown: number;
  /** Wealth index of the peak before the largest drawdown. */
  peakIndex: number;
  /** Wealth index of the trough of the largest drawdown. */
  troughIndex: number;
  /** First wealth index at or after the trough back at the peak's level; −1 if never recovered. */
  recoveryIndex: number;
  /** Longest run of periods spent below the previous peak (recovered or not), in periods. */
  longestDuration: number;
  /** Start (peak) index of that longest run. */
  longestStartIndex: number;
}

/** Cumulative wealth W (length n + 1, W₀ = 1). */
export function cumulativeWealth(returns: ArrayLike<number>): Float64Array {
  const n = returns.length;
  const w = new Float64Array(n + 1);
  w[0] = 1;
  for (let i = 0; i < n; i++) w[i + 1] = w[i]! * (1 + returns[i]!);
  return w;
}

/** Drawdown series (Wₖ / max₍ⱼ≤ₖ₎ Wⱼ − 1, ≤ 0) over the cumulative wealth, length n + 1. */
export function drawdownSeries(returns: ArrayLike<number>): Float64Array {
  const w = cumulativeWealth(returns);
  const dd = new Float64Array(w.length);
  let peak = -Infinity;
  for (let k = 0; k < w.length; k++) {
    if (w[k]! > peak) peak = w[k]!;
    dd[k] = w[k]! / peak - 1;
  }
  return dd;
}

/**
 * Maximum drawdown with its peak, trough and recovery indices and the longest time under water.
 * Wealth is recomputed on the fly (a second pass finds the recovery) rather than stored: the
 * result is identical and a long series needs no extra buffer.
 */
export function drawdownInfo(returns: ArrayLike<number>): DrawdownInfo {
  const n = returns.length;
  let w = 1;
  let peak = 1;
  let peakAt = 0;
  let best = 0;
  let bestPeak = 0;
  let bestTrough = 0;
  let longest = 0;
  let longestStart = 0;
  for (let k = 1; k <= n; k++) {
    w *= 1 + returns[k - 1]!;
    if (w >= peak) {
      if (k - 1 - peakAt > longest) {
        longest = k - 1 - peakAt;
        longestStart = peakAt;
      }
      peak = w;
      peakAt = k;
      continue;
    }
    const dd = w / peak - 1;
    if (dd < best) {
      best = dd;
      bestPeak = peakAt;
      bestTrough = k;
    }
  }
  // A drawdown still open at the end counts with its length so far.
  if (n - peakAt > longest) {
    longest = n - peakAt;
    longestStart = peakAt;
  }
  let recovery = -1;
  if (best < 0) {
    let level = NaN;
    w = 1;
    for (let k = 1; k <= n; k++) {
      w *= 1 + returns[k - 1]!;
      if (k === bestPeak) level = w;
      else if (k > bestTrough && w >= (bestPeak === 0 ? 1 : level)) {
        recovery = k;
        break;
      }
    }
  }
  return { maxDrawdown: best, peakIndex: bestPeak, troughIndex: bestTrough, recoveryIndex: recovery, longestDuration: longest, longestStartIndex: longestStart };
}
