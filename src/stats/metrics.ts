/**
 * Return and risk metrics over per-period simple returns, following empyrical's definitions
 * (the library behind pyfolio) unless stated. Every function returns NaN when the value is
 * undefined (too few returns, zero variance, no losses, NaN input); `metricsReport` says why.
 *
 * Conventions:
 * - `riskFree` and `minimumAcceptableReturn` are per-period rates, like the returns.
 * - Annualization multiplies by √periodsPerYear (volatility, Sharpe, Sortino) or compounds
 *   (annual return). Default periodsPerYear = 252 (daily, trading days).
 */
import { LabError } from "../core/index.js";
import type { EquityCurve } from "./types.js";
import { mean, std, quantile } from "./moments.js";
import { drawdownInfo } from "./drawdown.js";

export const DEFAULT_PERIODS_PER_YEAR = 252;

function isEquityCurve(value: ArrayLike<number> | EquityCurve): value is EquityCurve {
  return !ArrayBuffer.isView(value) && !Array.isArray(value) && "equity" in value;
}

/** Simple returns r[i] = e[i+1]/e[i] − 1 of an equity series (length n − 1). Equity must stay > 0. */
export function returnsFromEquity(equity: ArrayLike<number> | EquityCurve): Float64Array {
  const e = isEquityCurve(equity) ? equity.equity : equity;
  const n = e.length;
  const r = new Float64Array(Math.max(0, n - 1));
  for (let i = 0; i + 1 < n; i++) {
    const a = e[i]!;
    if (!(a > 0)) {
      throw new LabError({
        code: "EQUITY_NOT_POSITIVE",
        message: `equity is ${a} at sample ${i}: simple returns need a positive account value`,
        hint: "pass equity including the initial cash (cash + position value), not PnL alone; or add a constant capital base",
        context: { row: i, value: a },
      });
    }
    r[i] = e[i + 1]! / a - 1;
  }
  return r;
}

/** prod(1 + r) − 1. */
export function cumulativeReturn(returns: ArrayLike<number>): number {
  let w = 1;
  for (let i = 0; i < returns.length; i++) w *= 1 + returns[i]!;
  return returns.length === 0 ? NaN : w - 1;
}

/** Compound annual growth: (1 + cumulative)^(periodsPerYear / n) − 1. */
export function annualReturn(returns: ArrayLike<number>, periodsPerYear = DEFAULT_PERIODS_PER_YEAR): number {
  const n = returns.length;
  if (n === 0) return NaN;
  const growth = 1 + cumulativeReturn(returns);
  if (growth < 0) return NaN;
  return Math.pow(growth, periodsPerYear / n) - 1;
}

/** std(r, ddof = 1) · √periodsPerYear. */
export function annualVolatility(returns: ArrayLike<number>, periodsPerYear = DEFAULT_PERIODS_PER_YEAR): number {
  return std(returns) * Math.sqrt(periodsPerYear);
}

/** Per-period (not annualized) Sharpe: mean(r − rf) / std(r − rf, ddof = 1). Allocation-free (used per bootstrap resample). */
export function sharpePerPeriod(returns: ArrayLike<number>, riskFree = 0): number {
  const n = returns.length;
  if (n < 2) return NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += returns[i]! - riskFree;
  const mu = sum / n;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const d = returns[i]! - riskFree - mu;
    s2 += d * d;
  }
  const sd = Math.sqrt(s2 / (n - 1));
  if (!(sd > 1e-14 * Math.abs(mu))) return NaN;
  return mu / sd;
}

/** Annualized Sharpe: mean(r − rf) / std(r − rf, ddof = 1) · √periodsPerYear. */
export function sharpeRatio(returns: ArrayLike<number>, options: { periodsPerYear?: number; riskFree?: number } = {}): number {
  return sharpePerPeriod(returns, options.riskFree ?? 0) * Math.sqrt(options.periodsPerYear ?? DEFAULT_PERIODS_PER_YEAR);
}

/** Downside deviation per period: √mean(min(r − MAR, 0)²) (denominator n, all periods). */
export function downsideDeviation(returns: ArrayLike<number>, minimumAcceptableReturn = 0): number {
  const n = returns.length;
  if (n === 0) return NaN;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.min(returns[i]! - minimumAcceptableReturn, 0);
    s += d * d;
  }
  return Math.sqrt(s / n);
}

/** Annualized Sortino: mean(r − MAR) / downsideDeviation · √periodsPerYear. NaN with no returns below MAR. */
export function sortinoRatio(returns: ArrayLike<number>, options: { periodsPerYear?: number; minimumAcceptableReturn?: number } = {}): number {
  const mar = options.minimumAcceptableReturn ?? 0;
  const dd = downsideDeviation(returns, mar);
  if (!(dd > 0)) return NaN;
  return ((mean(returns) - mar) / dd) * Math.sqrt(options.periodsPerYear ?? DEFAULT_PERIODS_PER_YEAR);
}

/** Maximum drawdown of cumulative wealth, as a depth ≥ 0 (0.25 = 25 % below the peak; empyrical's −0.25). */
export function maxDrawdown(returns: ArrayLike<number>): number {
  if (returns.length === 0) return NaN;
  return drawdownInfo(returns).maxDrawdown;
}

/** Calmar: annual return / max drawdown. NaN without a drawdown. */
export function calmarRatio(returns: ArrayLike<number>, periodsPerYear = DEFAULT_PERIODS_PER_YEAR): number {
  const mdd = maxDrawdown(returns);
  if (!(mdd > 0)) return NaN;
  return annualReturn(returns, periodsPerYear) / mdd;
}

/** Omega(t) = Σ max(r − t, 0) / Σ max(t − r, 0). NaN without a return below t. */
export function omegaRatio(returns: ArrayLike<number>, threshold = 0): number {
  let up = 0;
  let down = 0;
  for (let i = 0; i < returns.length; i++) {
    const d = returns[i]! - threshold;
    if (d > 0) up += d;
    else down -= d;
  }
  return down > 0 ? up / down : NaN;
}

/** |q95| / |q05| with linearly interpolated percentiles. */
export function tailRatio(returns: ArrayLike<number>): number {
  const lo = Math.abs(quantile(returns, 0.05));
  if (!(lo > 0)) return NaN;
  return Math.abs(quantile(returns, 0.95)) / lo;
}

/** Historical value at risk: the `level` quantile of returns (linear interpolation); a loss is negative. */
export function valueAtRisk(returns: ArrayLike<number>, level = 0.05): number {
  return quantile(returns, level);
}

/**
 * Historical conditional VaR (expected shortfall): mean of the returns ≤ VaR(level).
 * (empyrical instead averages the lowest ⌊(n − 1)·level⌋ + 1 returns; the two agree when VaR
 * falls on an observation.)
 */
export function conditionalValueAtRisk(returns: ArrayLike<number>, level = 0.05): number {
  if (returns.length === 0) return NaN;
  return conditionalValueAtRiskAt(returns, quantile(returns, level));
}

/** Mean of the returns ≤ `var` (a VaR computed elsewhere). */
export function conditionalValueAtRiskAt(returns: ArrayLike<number>, valueAtRisk: number): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < returns.length; i++) {
    const r = returns[i]!;
    if (r <= valueAtRisk) (s += r), c++;
  }
  return c > 0 ? s / c : NaN;
}

/** Share of winning periods among periods with a non-zero return (quantstats `win_rate`). */
export function hitRate(returns: ArrayLike<number>): number {
  let wins = 0;
  let nonZero = 0;
  for (let i = 0; i < returns.length; i++) {
    const r = returns[i]!;
    if (r !== 0) nonZero++;
    if (r > 0) wins++;
  }
  return nonZero > 0 ? wins / nonZero : NaN;
}

/** Σ gains / |Σ losses|. NaN without a loss. */
export function profitFactor(returns: ArrayLike<number>): number {
  let gains = 0;
  let losses = 0;
  for (let i = 0; i < returns.length; i++) {
    const r = returns[i]!;
    if (r > 0) gains += r;
    else losses -= r;
  }
  return losses > 0 ? gains / losses : NaN;
}

/** Mean of the positive returns. */
export function averageWin(returns: ArrayLike<number>): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < returns.length; i++) if (returns[i]! > 0) (s += returns[i]!), c++;
  return c > 0 ? s / c : NaN;
}

/** Mean of the negative returns (a negative number). */
export function averageLoss(returns: ArrayLike<number>): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < returns.length; i++) if (returns[i]! < 0) (s += returns[i]!), c++;
  return c > 0 ? s / c : NaN;
}
