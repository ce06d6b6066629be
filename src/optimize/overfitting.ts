/**
 * Overfitting statistics of a sweep: the deflated Sharpe ratio of the best trial with the number
 * of trials really run (Bailey & López de Prado, "The Deflated Sharpe Ratio", 2014) and the
 * probability of backtest overfitting by combinatorially symmetric cross-validation over the
 * trials x periods returns matrix (Bailey, Borwein, López de Prado & Zhu, "The Probability of
 * Backtest Overfitting", 2017). The formulas live in the stats layer (src/stats: deflatedSharpe,
 * expectedMaxSharpe, probabilityOfOverfittingColumns); this module gathers their inputs from an
 * `OptimizationResult`: N = every search trial of the window, the Sharpe variance across the
 * trials' per-period Sharpe ratios, and the trials' per-period returns as matrix columns.
 */
import { deflatedSharpe, expectedMaxSharpe, probabilityOfOverfittingColumns, sharpePerPeriod, trialSharpeVariance } from "../stats/index.js";
import type { OptimizationResult } from "./result.js";

export interface OverfittingReport {
  /** Window analysed. */
  window: number;
  /** Search trials of the window (the N of the DSR): every parameter set evaluated, feasible or not. */
  trialCount: number;
  /** Trials whose returns entered the matrix, and the number of periods. */
  matrixTrials: number;
  periods: number;
  /** Per-period (not annualized) Sharpe ratio of the best trial, and the variance of the matrix trials' per-period Sharpe ratios. */
  bestSharpe: number;
  sharpeVariance: number;
  /** Expected maximum per-period Sharpe of `trialCount` unskilled trials (SR₀ of the DSR). */
  expectedMaxSharpe: number;
  /** Deflated Sharpe ratio of the best trial: P(true Sharpe > SR₀). NaN when undefined (see `notes`). */
  dsr: number;
  /** Probability of backtest overfitting (CSCV); NaN when undefined (see `notes`). */
  pbo: number;
  /** CSCV blocks used for PBO. */
  partitions: number;
  /** Walk-forward: DSR of the stitched out-of-sample returns with N = all search trials of all windows. */
  stitchedDsr: number;
  /** Why a figure is NaN, if it is. */
  notes: string[];
}

export interface OverfittingOptions {
  /** Window to analyse. @default the last */
  window?: number;
  /** CSCV blocks (even). @default 16, lowered to fit the periods */
  partitions?: number;
}

/** DSR of the best trial, PBO of the window's trials, and (walk-forward) DSR of the stitched OOS returns. */
export function overfitting(result: OptimizationResult, options: OverfittingOptions = {}): OverfittingReport {
  const window = options.window ?? result.windows.length - 1;
  const matrix = result.returnsMatrix(window);
  const trialCount = result.windowTrials(window).length;
  const best = result.windows[window]?.best;
  const notes: string[] = [];
  const sharpes = matrix.rows.map((r) => sharpePerPeriod(r)).filter((x) => Number.isFinite(x));
  const sharpeVariance = sharpes.length > 1 ? trialSharpeVariance(sharpes) : NaN;
  if (!(sharpeVariance >= 0)) notes.push("fewer than 2 trials with a defined Sharpe ratio: the variance across trials is undefined");
  const attempt = (what: string, f: () => number): number => {
    try {
      const v = f();
      if (Number.isNaN(v)) notes.push(`${what} is undefined for these returns (constant or too short)`);
      return v;
    } catch (error) {
      notes.push(`${what}: ${(error as Error).message}`);
      return NaN;
    }
  };
  const sr0 = sharpeVariance >= 0 && trialCount >= 1 ? expectedMaxSharpe(trialCount, sharpeVariance) : NaN;
  const bestReturns = best?.periodReturns;
  if (bestReturns === undefined) notes.push(best ? "the best trial has no per-period returns" : "no feasible trial");
  const dsr = bestReturns !== undefined && sharpeVariance >= 0 ? attempt("DSR", () => deflatedSharpe(bestReturns, { count: trialCount, sharpeVariance })) : NaN;
  const T = matrix.periods;
  const partitions = options.partitions ?? Math.max(2, Math.min(16, T - (T % 2)));
  let pbo = NaN;
  if (matrix.rows.length < 2) notes.push("PBO needs at least 2 trials with per-period returns");
  else {
    const result = probabilityOfOverfittingColumns(matrix.rows, { partitions });
    pbo = result.pbo;
    if (result.reason !== undefined) notes.push(`PBO: ${result.reason}`);
  }
  let stitchedDsr = NaN;
  if (result.walkForward) {
    const stitched = result.stitchedOutOfSample();
    if (stitched.returns.length > 1 && sharpeVariance >= 0) stitchedDsr = attempt("stitched DSR", () => deflatedSharpe(stitched.returns, { count: Math.max(1, result.trialCount), sharpeVariance }));
  }
  return {
    window,
    trialCount,
    matrixTrials: matrix.rows.length,
    periods: T,
    bestSharpe: bestReturns ? sharpePerPeriod(bestReturns) : NaN,
    sharpeVariance,
    expectedMaxSharpe: sr0,
    dsr,
    pbo,
    partitions,
    stitchedDsr,
    notes,
  };
}
