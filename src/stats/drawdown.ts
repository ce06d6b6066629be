/**
 * Drawdown of the cumulative wealth W built from simple returns: W₀ = 1, Wₖ = Wₖ₋₁·(1 + rₖ₋₁).
 * The starting wealth counts as a peak (as in empyrical), so a first return of −10 % is a 10 %
 * drawdown. Indices are into W (length n + 1): when the returns came from an equity curve via
 * `returnsFromEquity`, index k of W is sample k of that curve.
 *
 * Sign: a drawdown is a depth ≥ 0 (0.25 = 25 % below the peak), like a run's summary and its
 * trials (docs/stats.md); empyrical and pyfolio report the same figure as a negative number.
 * The scan itself is `equityDrawdown` (equity.ts), the one drawdown implementation.
 */
import { equityDrawdown } from "./equity.js";

export interface DrawdownInfo {
  /** Largest fall from a running peak as a fraction: ≥ 0 (0.25 = 25 % below the peak). 0 without a loss. */
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

/** Drawdown series (1 − Wₖ / max₍ⱼ≤ₖ₎ Wⱼ, ≥ 0) over the cumulative wealth, length n + 1. */
export function drawdownSeries(returns: ArrayLike<number>): Float64Array {
  const w = cumulativeWealth(returns);
  const dd = new Float64Array(w.length);
  let peak = -Infinity;
  for (let k = 0; k < w.length; k++) {
    if (w[k]! > peak) peak = w[k]!;
    dd[k] = 1 - w[k]! / peak;
  }
  return dd;
}

/** Maximum drawdown with its peak, trough and recovery indices and the longest time under water. */
export function drawdownInfo(returns: ArrayLike<number>): DrawdownInfo {
  const d = equityDrawdown(cumulativeWealth(returns));
  const max = Number.isNaN(d.fraction) ? NaN : d.fraction;
  return { maxDrawdown: max, peakIndex: d.peakIndex, troughIndex: d.troughIndex, recoveryIndex: d.recoveryIndex, longestDuration: d.longestDuration, longestStartIndex: d.longestStartIndex };
}
