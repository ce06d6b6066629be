/**
 * The metric registry: one entry per reported figure, `{ key, title, compute, format }`, so the
 * tear sheet, the CLI and notebooks list the same metrics in the same order with the same
 * formatting. `compute` returns a number or `undefinedMetric(reason)`; `metricsReport` runs
 * the common checks once (NaN input, too few returns, constant returns) and collects the reasons
 * for every NaN.
 */
import { mean, std, skewness, kurtosisRaw, kurtosisExcess, hasNonFinite, quantileInPlace } from "./moments.js";
import { calendarOf, periodsPerYearOf, type CalendarSpec } from "../core/index.js";
import { drawdownInfo, type DrawdownInfo } from "./drawdown.js";
import {
  DEFAULT_PERIODS_PER_YEAR, cumulativeReturn, annualReturn, annualVolatility, sharpeRatio, sortinoRatio, downsideDeviation,
  omegaRatio, conditionalValueAtRiskAt, hitRate, profitFactor, averageWin, averageLoss,
} from "./metrics.js";

export interface MetricOptions {
  /**
   * Return periods per year used to annualize.
   * @default the calendar's with `intervalNs` (sessions per year × session / interval), else 252
   */
  periodsPerYear?: number;
  /**
   * Length of one return period, ns, for returns sampled within the day: periods per year then come
   * from the trading calendar, as a run's summary annualizes its Sharpe ratio (docs/stats.md).
   */
  intervalNs?: number;
  /** Trading calendar for `intervalNs` ("nasdaq", "24x7", { sessionHours, sessionsPerYear }). @default "24x7" */
  calendar?: CalendarSpec;
  /** Risk-free rate per period, subtracted in the Sharpe ratio. @default 0 */
  riskFree?: number;
  /** Minimum acceptable return per period for the Sortino ratio. @default 0 */
  minimumAcceptableReturn?: number;
  /** Omega threshold per period. @default 0 */
  omegaThreshold?: number;
  /** Tail probability of VaR/CVaR. @default 0.05 */
  varLevel?: number;
}

export interface MetricContext {
  readonly returns: Float64Array;
  readonly periodsPerYear: number;
  readonly riskFree: number;
  readonly minimumAcceptableReturn: number;
  readonly omegaThreshold: number;
  readonly varLevel: number;
  /** Computed once and shared by the drawdown metrics. */
  readonly drawdown: DrawdownInfo;
  /** Quantile of the returns (linear interpolation) on one shared scratch copy. */
  quantile(q: number): number;
}

export interface UndefinedMetric {
  readonly value: number;
  readonly reason: string;
}

export type MetricOutcome = number | UndefinedMetric;

export interface MetricDefinition {
  key: string;
  title: string;
  compute(ctx: MetricContext): MetricOutcome;
  format(value: number): string;
  /** Where the definition comes from (paper or library function it follows). */
  source: string;
  /**
   * Scaled to a year (× √periodsPerYear or compounded): a report leaves it out, or marks it as
   * extrapolated, for a run shorter than one trading session.
   */
  annualized?: boolean;
}

/** A NaN result with the reason it is undefined. */
export function undefinedMetric(reason: string): UndefinedMetric {
  return { value: NaN, reason };
}

const pct = (digits = 2) => (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : "n/a");
const ratio = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : "n/a");
const count = (v: number): string => (Number.isFinite(v) ? String(Math.round(v)) : "n/a");

const needsTwo = (ctx: MetricContext): UndefinedMetric | undefined => (ctx.returns.length < 2 ? undefinedMetric(`needs at least 2 returns, got ${ctx.returns.length}`) : undefined);
const needsVariance = (ctx: MetricContext): UndefinedMetric | undefined => needsTwo(ctx) ?? (!(std(ctx.returns) > 1e-14 * Math.abs(mean(ctx.returns))) ? undefinedMetric("returns are constant (zero variance)") : undefined);

/** Compounding a short run to a year can overflow (e.g. +1% over one minute); say so. */
const finiteAnnualized = (ctx: MetricContext, value: number): MetricOutcome =>
  Number.isFinite(value) || Number.isNaN(value)
    ? value
    : undefinedMetric(`compounding ${ctx.returns.length} periods to a year (${formatPeriods(ctx.periodsPerYear)} per year) overflows; the run is too short to annualize`);

function formatPeriods(n: number): string {
  return n >= 1e6 ? n.toExponential(2) : String(Math.round(n));
}

export const METRICS: readonly MetricDefinition[] = [
  { key: "totalReturn", source: "empyrical cum_returns_final", title: "Total return", format: pct(), compute: (c) => cumulativeReturn(c.returns) },
  { key: "annualReturn", source: "empyrical annual_return / cagr", title: "Annual return (CAGR)", annualized: true, format: pct(), compute: (c) => (cumulativeReturn(c.returns) < -1 ? undefinedMetric("wealth went below zero") : finiteAnnualized(c, annualReturn(c.returns, c.periodsPerYear))) },
  { key: "annualVolatility", source: "empyrical annual_volatility (ddof = 1)", title: "Annual volatility", annualized: true, format: pct(), compute: (c) => needsTwo(c) ?? annualVolatility(c.returns, c.periodsPerYear) },
  { key: "sharpe", source: "Sharpe (1966); empyrical sharpe_ratio", title: "Sharpe ratio (annualized)", annualized: true, format: ratio, compute: (c) => needsVariance(c) ?? sharpeRatio(c.returns, c) },
  {
    key: "sortino", source: "Sortino & Price (1994); empyrical sortino_ratio / downside_risk", title: "Sortino ratio (annualized)", annualized: true, format: ratio,
    compute: (c) => (downsideDeviation(c.returns, c.minimumAcceptableReturn) > 0 ? sortinoRatio(c.returns, c) : undefinedMetric("no return below the minimum acceptable return: downside deviation is 0")),
  },
  { key: "maxDrawdown", source: "empyrical max_drawdown, as a depth ≥ 0", title: "Max drawdown", format: pct(), compute: (c) => c.drawdown.maxDrawdown },
  { key: "longestDrawdown", source: "pyfolio drawdown periods (duration under water)", title: "Longest drawdown (periods)", format: count, compute: (c) => c.drawdown.longestDuration },
  { key: "calmar", source: "Young (1991); empyrical calmar_ratio", title: "Calmar ratio", annualized: true, format: ratio, compute: (c) => (c.drawdown.maxDrawdown > 0 ? finiteAnnualized(c, annualReturn(c.returns, c.periodsPerYear) / c.drawdown.maxDrawdown) : undefinedMetric("no drawdown")) },
  { key: "omega", source: "Keating & Shadwick (2002); empyrical omega_ratio", title: "Omega ratio (threshold 0)", format: ratio, compute: (c) => { const v = omegaRatio(c.returns, c.omegaThreshold); return Number.isNaN(v) ? undefinedMetric("no return below the threshold") : v; } },
  { key: "tailRatio", source: "empyrical tail_ratio", title: "Tail ratio (q95/q05)", format: ratio, compute: (c) => { const lo = Math.abs(c.quantile(0.05)); return lo > 0 ? Math.abs(c.quantile(0.95)) / lo : undefinedMetric("5th percentile return is 0"); } },
  { key: "valueAtRisk", source: "historical VaR; empyrical value_at_risk", title: "VaR (5%, historical, per period)", format: pct(3), compute: (c) => c.quantile(c.varLevel) },
  { key: "conditionalValueAtRisk", source: "historical expected shortfall (Acerbi & Tasche 2002)", title: "CVaR (5%, historical, per period)", format: pct(3), compute: (c) => conditionalValueAtRiskAt(c.returns, c.quantile(c.varLevel)) },
  { key: "skewness", source: "scipy.stats.skew (bias = True)", title: "Skewness", format: ratio, compute: (c) => needsVariance(c) ?? skewness(c.returns) },
  { key: "kurtosis", source: "Pearson raw kurtosis m4/m2² (the γ4 of Bailey & López de Prado)", title: "Kurtosis (raw, normal = 3)", format: ratio, compute: (c) => needsVariance(c) ?? kurtosisRaw(c.returns) },
  { key: "excessKurtosis", source: "scipy.stats.kurtosis (Fisher, bias = True)", title: "Excess kurtosis (normal = 0)", format: ratio, compute: (c) => needsVariance(c) ?? kurtosisExcess(c.returns) },
  { key: "hitRate", source: "quantstats win_rate", title: "Hit rate", format: pct(1), compute: (c) => { const v = hitRate(c.returns); return Number.isNaN(v) ? undefinedMetric("every return is 0") : v; } },
  { key: "profitFactor", source: "quantstats profit_factor", title: "Profit factor", format: ratio, compute: (c) => { const v = profitFactor(c.returns); return Number.isNaN(v) ? undefinedMetric("no losing period") : v; } },
  { key: "averageWin", source: "quantstats avg_win", title: "Average win", format: pct(3), compute: (c) => { const v = averageWin(c.returns); return Number.isNaN(v) ? undefinedMetric("no winning period") : v; } },
  { key: "averageLoss", source: "quantstats avg_loss", title: "Average loss", format: pct(3), compute: (c) => { const v = averageLoss(c.returns); return Number.isNaN(v) ? undefinedMetric("no losing period") : v; } },
];

/** Metric titles by key, for tables. */
export function metricTitle(key: string): string {
  return METRICS.find((m) => m.key === key)?.title ?? key;
}

export interface MetricsReport {
  values: Record<string, number>;
  /** Why each NaN value is undefined, by key. */
  reasons: Record<string, string>;
  periods: number;
  periodsPerYear: number;
  riskFree: number;
  drawdown: DrawdownInfo;
}

/** Builds the shared context (options resolved once). */
export function metricContext(returns: Float64Array, options: MetricOptions = {}): MetricContext {
  let scratch: Float64Array | undefined;
  return {
    returns,
    periodsPerYear: options.periodsPerYear ?? (options.intervalNs !== undefined ? periodsPerYearOf(calendarOf([], options.calendar), options.intervalNs) : DEFAULT_PERIODS_PER_YEAR),
    riskFree: options.riskFree ?? 0,
    minimumAcceptableReturn: options.minimumAcceptableReturn ?? 0,
    omegaThreshold: options.omegaThreshold ?? 0,
    varLevel: options.varLevel ?? 0.05,
    drawdown: drawdownInfo(returns),
    quantile(q: number): number {
      if (scratch === undefined) {
        scratch = returns.slice();
        for (let i = 0; i < scratch.length; i++) if (Number.isNaN(scratch[i]!)) return NaN;
      }
      return quantileInPlace(scratch, q);
    },
  };
}

function firstNonFinite(x: ArrayLike<number>): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) return i;
  return -1;
}

/** Every registry metric over `returns`, with a reason for each NaN. */
export function metricsReport(returns: ArrayLike<number>, options: MetricOptions = {}, metrics: readonly MetricDefinition[] = METRICS): MetricsReport {
  const r = returns instanceof Float64Array ? returns : Float64Array.from(returns);
  const ctx = metricContext(r, options);
  const values: Record<string, number> = {};
  const reasons: Record<string, string> = {};
  let common: string | undefined;
  if (r.length === 0) common = "no returns";
  else if (hasNonFinite(r)) {
    const i = firstNonFinite(r);
    common = `return ${i} is ${r[i]} (inputs must be finite numbers)`;
  }
  for (const m of metrics) {
    if (common !== undefined) {
      values[m.key] = NaN;
      reasons[m.key] = common;
      continue;
    }
    const out = m.compute(ctx);
    if (typeof out === "number") {
      values[m.key] = out;
      if (Number.isNaN(out)) reasons[m.key] = "undefined for these returns";
      else if (!Number.isFinite(out)) reasons[m.key] = `${out > 0 ? "+" : "−"}infinite for these returns`;
    } else {
      values[m.key] = out.value;
      if (Number.isNaN(out.value)) reasons[m.key] = out.reason;
    }
  }
  return { values, reasons, periods: r.length, periodsPerYear: ctx.periodsPerYear, riskFree: ctx.riskFree, drawdown: ctx.drawdown };
}
