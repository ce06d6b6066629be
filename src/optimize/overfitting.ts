/**
 * Overfitting statistics of a sweep: the deflated Sharpe ratio of the best trial with the number
 * of trials really run (Bailey & López de Prado, "The Deflated Sharpe Ratio", 2014) and the
 * probability of backtest overfitting by combinatorially symmetric cross-validation over the
 * trials x periods returns matrix (Bailey, Borwein, López de Prado & Zhu, "The Probability of
 * Backtest Overfitting", 2017). The formulas live in the stats layer; this module only gathers
 * their inputs from an `OptimizationResult`.
 */
import type { OptimizationResult } from "./result.js";

export interface OverfittingReport {
  /** Search trials of the window (N of the DSR). */
  trialCount: number;
  /** Trials whose returns entered the matrix, and the number of periods. */
  matrixTrials: number;
  periods: number;
  /** Per-period (not annualized) Sharpe ratio of the best trial, and the variance of the trials' per-period Sharpe ratios. */
  bestSharpe: number;
  sharpeVariance: number;
  /** Deflated Sharpe ratio (probability that the best true Sharpe is > 0 after N trials); NaN when not computed. */
  dsr: number;
  /** Probability of backtest overfitting; NaN when not computed. */
  pbo: number;
  /** What was computed, or why not. */
  note: string;
}

export interface OverfittingOptions {
  /** Window to analyse. @default the last */
  window?: number;
  /** CSCV partitions (even). @default 16 */
  partitions?: number;
}

function perPeriodSharpe(r: Float64Array): number {
  const n = r.length;
  if (n < 2) return NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += r[i]!;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (r[i]! - mean) ** 2;
  const sd = Math.sqrt(v / (n - 1));
  return sd > 0 ? mean / sd : NaN;
}

/**
 * STATS HOOK: the stats layer's `deflatedSharpe` and `pbo` are not available in this build, so
 * DSR and PBO are reported as NaN with a note. When src/stats exports them, compute them here from
 * `best` (its per-period returns), `trialCount`, `sharpeVariance` and the `rows` matrix.
 */
function statsHook(_input: { best: Float64Array | undefined; trialCount: number; sharpeVariance: number; rows: readonly Float64Array[]; partitions: number }): { dsr: number; pbo: number; note: string } {
  return { dsr: NaN, pbo: NaN, note: "DSR and PBO not computed: the stats layer (deflatedSharpe, pbo) is not available in this build" };
}

export function overfitting(result: OptimizationResult, options: OverfittingOptions = {}): OverfittingReport {
  const window = options.window ?? result.windows.length - 1;
  const matrix = result.returnsMatrix(window);
  const trials = result.windowTrials(window);
  const best = result.windows[window]?.best;
  const sharpes = matrix.rows.map(perPeriodSharpe).filter((s) => Number.isFinite(s));
  const mean = sharpes.reduce((a, b) => a + b, 0) / Math.max(1, sharpes.length);
  const sharpeVariance = sharpes.length > 1 ? sharpes.reduce((a, s) => a + (s - mean) ** 2, 0) / (sharpes.length - 1) : NaN;
  const bestReturns = best?.periodReturns;
  const { dsr, pbo, note } = statsHook({ best: bestReturns, trialCount: trials.length, sharpeVariance, rows: matrix.rows, partitions: options.partitions ?? 16 });
  return {
    trialCount: trials.length,
    matrixTrials: matrix.rows.length,
    periods: matrix.periods,
    bestSharpe: bestReturns ? perPeriodSharpe(bestReturns) : NaN,
    sharpeVariance,
    dsr,
    pbo,
    note,
  };
}
