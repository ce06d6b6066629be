/**
 * The tear sheet: everything a reviewer needs to judge one strategy run on one page. Metrics from
 * the stats registry, the Sharpe tests (PSR, DSR with the real number of trials, minimum track
 * record length, Lo standard error), stationary-bootstrap intervals, trade analytics when fills
 * are given, a verdict in plain words, and charts (equity, drawdown, return distribution, rolling
 * Sharpe, markouts, fills on price, inventory).
 *
 * Returns come from the equity curve on the grid of src/stats/equity.ts (whole multiples of the
 * interval since the epoch; the last equity at or before each grid time): the engine samples
 * equity on that grid AND at every fill, and fill-time samples would make "per period"
 * meaningless. The grid interval defaults to the most common spacing of the equity timestamps (the
 * engine's sampling interval). The Sharpe ratio and everything built on it (PSR, DSR, minimum
 * track record, bootstrap interval, rolling Sharpe) are of the PnL changes per grid period, the
 * one Sharpe ratio a run reports everywhere (run summary, optimizer trial, tear sheet); return,
 * volatility, Sortino, Calmar and drawdown are of the simple returns on the same grid. Periods per
 * year follow the venues' trading calendar (core/session.ts: 252 sessions of 6.5 h on NASDAQ,
 * 365 days of 24 h around the clock), and the sheet states the convention it used.
 *
 * Runs shorter than one trading session (src/report/session.ts: 6.5 h on equity exchanges, 24 h
 * otherwise) are not annualized: a CAGR or an annualized Sharpe from seconds of data is an
 * extrapolation by a factor of hundreds of thousands. Their sheet leaves the annualized metrics
 * out (NaN with the reason), shows per-period and per-hour figures instead, and bootstraps the
 * per-period Sharpe ratio; `annualize: true` shows the annualized figures anyway, marked
 * "extrapolated ×factor". PSR, DSR and the minimum track record are per period and always shown.
 *
 * Static charts (return distribution, rolling Sharpe, inventory) are Observable Plot rendered to
 * inline SVG; the charts worth zooming (equity over drawdown, markouts, fills on price) are
 * Plotly, with the library inlined once per page or notebook.
 */
import { LabError, attachDisplay, formatNs } from "../core/index.js";
import {
  bootstrap,
  countedChanges,
  equityGrid,
  mean,
  sessionPeriods,
  sharpeOfChanges,
  metricsReport,
  std,
  sharpeInference,
  METRICS,
  type BootstrapResult,
  type EquityCurve,
  type FillTable,
  type MetricsReport,
  type MidSeries,
  type SharpeInference,
  type TrialsInfo,
  tradeAnalytics,
  type TradeReport,
  type Markouts,
} from "../stats/index.js";
import { plotMarks, plotSvg, plotlyHtml, utcAxis } from "./charts.js";
import { formatBp, formatNumber, formatPrice, formatQty, plotlyTickFormat, type NumberGrid } from "./format.js";
import { escapeHtml, keyValueHtml, panel } from "./html.js";
import { annualizationOf, annualizationText, calendarOf, periodsPerSessionOf, periodsPerYearOf, spanText, type Annualization, type CalendarSpec, type TradingCalendar } from "../core/index.js";
import { horizon, metricText, tradesHtml } from "./views/stats.js";
import { checklistHtml, type Checklist } from "./checklist.js";

const HOUR_NS = 3_600_000_000_000;
const NO_CAPITAL = "no account value: the run has no initial cash, so equity is PnL and has no returns; pass { capital } (or backtest with initialCash) for return metrics";

/** What the tear sheet reads from an instrument (an `InstrumentSpec`, or its JSON, has it). */
export interface TearSheetInstrument extends NumberGrid {
  readonly symbol?: string;
  readonly venue: string;
  readonly tickSize: string;
  readonly lotSize?: string;
  readonly currency?: string;
}

/** Unit of the Sharpe ratios the bootstrap and the rolling chart report. */
export type SharpeUnit = "annualized" | "per period";

/** Figures that need no annualization: per grid period, and scaled to one hour. */
export interface PerPeriodFigures {
  /** Mean simple return per period. */
  meanReturn: number;
  /** Standard deviation of the returns per period (ddof = 1). */
  volatility: number;
  /** Mean / sd per period (risk-free subtracted). */
  sharpe: number;
  /** Grid periods in one hour. */
  periodsPerHour: number;
  /** meanReturn × periodsPerHour. */
  meanReturnPerHour: number;
  /** volatility × √periodsPerHour. */
  volatilityPerHour: number;
  /** sharpe × √periodsPerHour. */
  sharpePerHour: number;
  /** Grid periods in one trading session of the calendar. */
  periodsPerDay: number;
  /** sharpe × √periodsPerDay: the Sharpe ratio per trading session. */
  sharpePerDay: number;
}

export interface TearSheetInput {
  /** Account equity over time (cash + position value, fees included). */
  equity: EquityCurve;
  /** Fills of the run: trade analytics, markouts, fills on price. */
  fills?: FillTable;
  /** Mid price over time: markouts and the price line under the fills. */
  mid?: MidSeries;
  /** Trials tried before picking this run (count, variance of their per-period Sharpe ratios): deflates the Sharpe ratio. */
  trials?: TrialsInfo;
  /** Return periods per year. @default the calendar's: sessions per year × session / grid interval */
  periodsPerYear?: number;
  /**
   * Trading calendar for annualization ("nasdaq", "24x7", { sessionHours, sessionsPerYear }, ...).
   * @default the instruments' venues' calendar (core/session.ts), 24x7 without instruments
   */
  calendar?: CalendarSpec;
  title?: string;
  /** Grid interval for returns, ns. @default the most common spacing of the equity timestamps */
  intervalNs?: number;
  /** Risk-free return per period. @default 0 */
  riskFree?: number;
  /** Orders sent (for the fill ratio). */
  orders?: number;
  /**
   * Markout horizons, ns: a run's own (`run.markoutHorizonsNs`, where its mid series was sampled
   * exactly). Adverse selection is read at 1 s when it is one of them, else at the horizon nearest to it.
   * @default [100_000_000, 1_000_000_000, 10_000_000_000] (100 ms, 1 s, 10 s)
   */
  markoutHorizonsNs?: readonly number[];
  /** Bootstrap settings. @default { resamples: 1000, seed: 0, confidence: 0.9 } */
  bootstrap?: { resamples?: number; seed?: number | string; confidence?: number; blockLength?: number };
  /** Notes shown under the title (settings, data source). */
  notes?: readonly string[];
  /**
   * The run's instruments (`run.instruments`): their venues decide how long one trading session
   * is (annualized figures need at least one), their tick and lot sizes format prices and sizes.
   * Without them a session is 24 hours.
   */
  instruments?: readonly TearSheetInstrument[];
  /**
   * Annualized figures (CAGR, annualized volatility, Sharpe, Sortino, Calmar, the bootstrap
   * interval of the annualized Sharpe): undefined shows them for runs of one session or more only;
   * true shows them for shorter runs too, marked "extrapolated ×factor"; false never.
   */
  annualize?: boolean;
  /**
   * For a PnL curve (equity starting at 0, no `capital`): report what is of PnL (the Sharpe ratio,
   * PSR, DSR, trades, charts) and leave the return metrics out with the reason, instead of
   * refusing the curve. `run.report()` sets it for a run with no initial cash.
   */
  pnlOnly?: boolean;
  /**
   * Account value added to every equity sample before returns are computed: for a PnL curve
   * (a backtest run with `initialCash: 0` records equity = PnL, which starts at 0 and has no
   * returns of its own). @default 0
   */
  capital?: number;
  /** The run's research checklist (`run.report()` adds it): shown as a section, and in `toJSON()`. */
  checklist?: Checklist;
}

export interface TearSheetHtmlOptions {
  /** Inline the Plotly library before the first Plotly chart. @default true */
  inlinePlotly?: boolean;
  /** Chart width in px. @default 820 */
  width?: number;
}

export type VerdictLevel = "ok" | "warn" | "err";

export interface Verdict {
  level: VerdictLevel;
  /** One sentence in plain words. */
  headline: string;
  /** Supporting sentences. */
  details: string[];
}

export interface TearSheet {
  readonly title: string;
  /** Per-period simple returns on the grid. */
  readonly returns: Float64Array;
  /** PnL (equity change) per counted grid period (inside the venue's sessions): what the Sharpe ratio, PSR and DSR are computed from. */
  readonly changes: Float64Array;
  /** The trading calendar the figures are annualized by. */
  readonly calendar: TradingCalendar;
  /** The annualization convention in words ("annualized by √(252 sessions × 6.5 h of 1 s periods) = ..."). */
  readonly convention: string;
  /** Grid times (ns) of the returns' end points, length = returns.length. */
  readonly returnTimes: BigInt64Array;
  readonly intervalNs: number;
  readonly periodsPerYear: number;
  readonly metrics: MetricsReport;
  readonly inference: SharpeInference;
  /** Bootstrap intervals; undefined with `bootstrapReason` when they could not be computed. */
  readonly bootstrap: BootstrapResult | undefined;
  readonly bootstrapReason: string | undefined;
  readonly trades: TradeReport | undefined;
  /** Whether annualized figures are shown, the run's span, one session, the extrapolation factor. */
  readonly annualization: Annualization;
  /** Unit of the bootstrap and rolling Sharpe ratios: annualized, or per period for a short run. */
  readonly sharpeUnit: SharpeUnit;
  readonly perPeriod: PerPeriodFigures;
  readonly verdict: Verdict;
  readonly input: TearSheetInput;
  /** The whole sheet as an HTML fragment (styled container). */
  html(options?: TearSheetHtmlOptions): string;
  /** The numbers (no series) as plain JSON. */
  toJSON(): Record<string, unknown>;
}

/** Most common positive spacing of the timestamps (the sampling interval), ns. */
export function samplingIntervalNs(ts: BigInt64Array): number {
  const counts = new Map<bigint, number>();
  let best = 0n;
  let bestCount = 0;
  for (let i = 1; i < ts.length; i++) {
    const d = ts[i]! - ts[i - 1]!;
    if (d <= 0n) continue;
    const c = (counts.get(d) ?? 0) + 1;
    counts.set(d, c);
    if (c > bestCount || (c === bestCount && d < best)) {
      best = d;
      bestCount = c;
    }
  }
  return Number(best);
}

/**
 * Equity on the epoch-anchored grid of src/stats/equity.ts between the first and the last sample
 * (the last sample at or before each grid time) and the simple returns between grid points.
 */
export function gridReturns(equity: EquityCurve, intervalNs: number): { times: BigInt64Array; values: Float64Array; returns: Float64Array } {
  if (equity.ts.length === 0 || !(intervalNs > 0)) return { times: new BigInt64Array(0), values: new Float64Array(0), returns: new Float64Array(0) };
  const { times, values } = equityGrid(equity.ts, equity.equity, intervalNs);
  const returns = new Float64Array(Math.max(0, values.length - 1));
  for (let k = 1; k < values.length; k++) returns[k - 1] = values[k]! / values[k - 1]! - 1;
  return { times, values, returns };
}

function fmtNumber(x: number, digits = 3): string {
  return Number.isFinite(x) ? formatNumber(x, digits) : "n/a";
}

function durationText(periods: number, intervalNs: number): string {
  const seconds = (periods * intervalNs) / 1e9;
  if (!Number.isFinite(seconds)) return "n/a";
  if (seconds < 1e-3) return `${Number((seconds * 1e6).toPrecision(3))} µs`;
  if (seconds < 1) return `${Number((seconds * 1e3).toPrecision(3))} ms`;
  if (seconds < 120) return `${Number(seconds.toPrecision(3))} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 2 * 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

/** The verdict in plain words, from the DSR (with trials) or the PSR (without). */
export function verdictOf(inference: SharpeInference, boot: BootstrapResult | undefined, periods: number, intervalNs: number, sharpeUnit: SharpeUnit = "annualized"): Verdict {
  const v = inference.values;
  const details: string[] = [];
  const trials = inference.trials;
  let level: VerdictLevel;
  let headline: string;
  if (trials && Number.isFinite(v.deflatedSharpe)) {
    const dsr = v.deflatedSharpe;
    const given = `given ${trials.count.toLocaleString("en-US")} trial${trials.count === 1 ? "" : "s"}`;
    if (dsr >= 0.95) {
      level = "ok";
      headline = `Deflated Sharpe ${dsr.toFixed(2)}: unlikely to be luck ${given}.`;
    } else if (dsr >= 0.5) {
      level = "warn";
      headline = `Deflated Sharpe ${dsr.toFixed(2)}: not significant ${given}; it could be luck.`;
    } else {
      level = "err";
      headline = v.sharpePerPeriod > 0 ? `Deflated Sharpe ${dsr.toFixed(2)}: likely luck ${given}.` : `Deflated Sharpe ${dsr.toFixed(2)}: no edge, the Sharpe ratio is negative.`;
    }
    details.push(`The best of ${trials.count.toLocaleString("en-US")} unskilled trials would be expected to show a per-period Sharpe of ${fmtNumber(v.expectedMaxSharpe)}; this run shows ${fmtNumber(v.sharpePerPeriod)}.`);
  } else if (Number.isFinite(v.probabilisticSharpe)) {
    const psr = v.probabilisticSharpe;
    level = psr >= 0.95 ? "ok" : psr >= 0.5 ? "warn" : "err";
    const word = psr >= 0.95 ? "the Sharpe ratio is significantly above 0" : psr >= 0.5 ? "not significant; it could be luck" : v.sharpePerPeriod > 0 ? "likely luck" : "no edge, the Sharpe ratio is negative";
    headline = `Probabilistic Sharpe ${psr.toFixed(2)}: ${word}.`;
    details.push("No trial count was given, so this assumes the run was the only one tried; pass trials (count and Sharpe variance) from the optimizer to deflate it.");
  } else {
    level = "err";
    const reason = inference.reasons.probabilisticSharpe ?? "undefined";
    headline = `The Sharpe ratio cannot be tested: ${reason}.`;
  }
  const mtrl = v.minTrackRecordLength;
  if (Number.isFinite(mtrl)) {
    const enough = periods >= mtrl;
    details.push(`Minimum track record at 95% confidence: ${Math.ceil(mtrl).toLocaleString("en-US")} periods (${durationText(Math.ceil(mtrl), intervalNs)}); this run has ${periods.toLocaleString("en-US")}${enough ? "" : ", too short"}.`);
  } else if (inference.reasons.minTrackRecordLength) details.push(`Minimum track record: ${inference.reasons.minTrackRecordLength}.`);
  if (boot && Number.isFinite(boot.sharpe.lower)) {
    const pct = Math.round(boot.confidence * 100);
    details.push(`${pct}% bootstrap interval of the ${sharpeUnit === "annualized" ? "annualized" : "per-period"} Sharpe: ${fmtNumber(boot.sharpe.lower)} to ${fmtNumber(boot.sharpe.upper)}${boot.sharpe.lower > 0 ? " (above 0)" : boot.sharpe.upper < 0 ? " (below 0)" : " (includes 0)"}.`);
  }
  return { level, headline, details };
}

function verdictHtml(verdict: Verdict): string {
  const details = verdict.details.map((d) => `<div>${escapeHtml(d)}</div>`).join("");
  return `<div class="${verdict.level} slab-verdict"><b>${escapeHtml(verdict.headline)}</b>${details}</div>`;
}

const nsToDate = (ns: bigint): Date => new Date(Number(ns / 1_000_000n));

function stride(n: number, maxPoints: number): number {
  return Math.max(1, Math.ceil(n / maxPoints));
}

/** Builds the tear sheet (computes everything once; `html()` only renders). */
export function tearSheet(input: TearSheetInput): TearSheet {
  const equity = input.equity;
  if (!equity || !(equity.ts instanceof BigInt64Array) || !(equity.equity instanceof Float64Array) || equity.ts.length !== equity.equity.length) {
    throw new LabError({ code: "BAD_EQUITY", message: "tearSheet: equity must be { ts: BigInt64Array, equity: Float64Array } of equal length", hint: "pass run.equity from a backtest, or build the columns yourself" });
  }
  for (let i = 1; i < equity.ts.length; i++) {
    if (equity.ts[i]! < equity.ts[i - 1]!) {
      throw new LabError({ code: "BAD_EQUITY", message: `tearSheet: equity timestamps go back in time at sample ${i}`, hint: "sort the equity curve by time", context: { row: i } });
    }
  }
  const capital = input.capital ?? 0;
  if (!Number.isFinite(capital)) throw new LabError({ code: "BAD_OPTION", message: `tearSheet: capital must be a finite number, got ${capital}`, hint: "e.g. { capital: 100_000 }" });
  const account: EquityCurve = capital === 0 ? equity : { ...equity, equity: equity.equity.map((e) => e + capital) };
  // A PnL curve (equity from 0) has no returns; with `pnlOnly` the sheet still has everything that
  // is of PnL: the Sharpe ratio and its tests, the trades, the charts.
  const pnlOnly = account.equity.length > 0 && !(account.equity[0]! > 0) && input.pnlOnly === true;
  if (account.equity.length > 0 && !(account.equity[0]! > 0) && !pnlOnly) {
    throw new LabError({
      code: "BAD_EQUITY",
      message: `tearSheet: equity starts at ${account.equity[0]}, so it has no returns: this looks like a PnL curve (a backtest with initialCash 0 records equity = PnL)`,
      hint: "pass the account the PnL was made on, e.g. { capital: 100_000 }, or run the backtest with { initialCash: 100_000 }",
      context: { row: 0 },
    });
  }
  const intervalNs = input.intervalNs ?? samplingIntervalNs(equity.ts);
  const grid = gridReturns(account, intervalNs);
  const venues = (input.instruments ?? []).map((i) => i.venue);
  const calendar = calendarOf(venues, input.calendar);
  const periodsPerYear = input.periodsPerYear ?? periodsPerYearOf(calendar, intervalNs);
  const convention = input.periodsPerYear !== undefined ? `annualized by √${fmtCount(periodsPerYear)} periods per year (given)` : annualizationText(calendar, intervalNs);
  const riskFree = input.riskFree ?? 0;
  const returns = pnlOnly ? new Float64Array(0) : grid.returns;
  // Sharpe figures are of PnL per period; a per-period risk-free return is that much PnL on the
  // account at the first grid time.
  const counted = grid.times.length > 0 ? sessionPeriods(grid.times[0]!, intervalNs, grid.values.length, calendar.tradingHours) : undefined;
  const changes = countedChanges(grid.values, counted);
  const riskFreePnl = riskFree === 0 ? 0 : riskFree * (grid.values[0] ?? NaN);
  const ppy = Number.isFinite(periodsPerYear) ? periodsPerYear : 1;
  const spanNs = equity.ts.length > 1 ? Number(equity.ts[equity.ts.length - 1]! - equity.ts[0]!) : 0;
  const annualization = annualizationOf(spanNs, changes.length, periodsPerYear, venues, input.annualize, calendar);
  const sharpeUnit: SharpeUnit = annualization.annualized ? "annualized" : "per period";
  const leftOut = `left out: ${spanText(spanNs)} of data is shorter than one session (${spanText(annualization.sessionNs)}); a year is ×${fmtCount(annualization.factor)} this run`;
  const returnMetrics = metricsReport(returns, { periodsPerYear: ppy, riskFree });
  if (pnlOnly) for (const key of Object.keys(returnMetrics.reasons)) returnMetrics.reasons[key] = NO_CAPITAL;
  // The one Sharpe ratio of the run (src/stats/equity.ts), as the summary and trials report it.
  const sharpePerPeriod = riskFree === 0 ? sharpeOfChanges(grid.values, 0, grid.values.length, counted) : sharpeInferenceSharpe(changes, riskFreePnl);
  if (returnMetrics.values.sharpe !== undefined) {
    returnMetrics.values.sharpe = sharpePerPeriod * Math.sqrt(ppy);
    if (Number.isFinite(returnMetrics.values.sharpe)) delete returnMetrics.reasons.sharpe;
  }
  const metrics = withoutAnnualized(returnMetrics, annualization, leftOut);
  const fullInference = sharpeInference(changes, { periodsPerYear: ppy, riskFree: riskFreePnl, ...(input.trials ? { trials: input.trials } : {}) });
  const inference: SharpeInference = annualization.annualized
    ? fullInference
    : { ...fullInference, values: { ...fullInference.values, sharpeStandardErrorAnnualized: NaN }, reasons: { ...fullInference.reasons, sharpeStandardErrorAnnualized: leftOut } };
  const perPeriod = perPeriodFigures(returns, intervalNs, sharpePerPeriod, periodsPerSessionOf(calendar, intervalNs));
  let boot: BootstrapResult | undefined;
  let bootstrapReason: string | undefined;
  if (changes.length < 4) bootstrapReason = `needs at least 4 periods, got ${changes.length}`;
  else if (inference.reasons.probabilisticSharpe) bootstrapReason = inference.reasons.probabilisticSharpe;
  else {
    const b = input.bootstrap ?? {};
    const common = { resamples: b.resamples ?? 1000, seed: b.seed ?? 0, confidence: b.confidence ?? 0.9, ...(b.blockLength ? { blockLength: b.blockLength } : {}) };
    // The same seed draws the same blocks from both series: the Sharpe interval of the PnL
    // changes, the drawdown interval of the returns.
    const bootSharpe = bootstrap(changes, { periodsPerYear: annualization.annualized ? ppy : 1, riskFree: riskFreePnl, ...common });
    if (pnlOnly) boot = { ...bootSharpe, maxDrawdown: { estimate: NaN, lower: NaN, upper: NaN, samples: new Float64Array(0), reason: NO_CAPITAL } };
    else {
      boot = bootstrap(returns, { periodsPerYear: 1, riskFree, ...common });
      if (boot.reason === undefined && bootSharpe.reason !== undefined) boot = bootSharpe;
      else boot = { ...boot, sharpe: bootSharpe.sharpe };
    }
    if (boot.reason !== undefined) {
      bootstrapReason = boot.reason;
      boot = undefined;
    }
  }
  const trades = input.fills ? tradeAnalytics(input.fills, input.mid, { ...(input.orders !== undefined ? { orders: input.orders } : {}), ...(input.markoutHorizonsNs !== undefined && input.markoutHorizonsNs.length > 0 ? { horizonsNs: input.markoutHorizonsNs } : {}) }) : undefined;
  const verdict = verdictOf(inference, boot, changes.length, intervalNs, sharpeUnit);
  const title = input.title ?? "Tear sheet";
  const returnTimes = grid.times.slice(1);

  const sheet: TearSheet = {
    title,
    returns,
    changes,
    calendar,
    convention,
    returnTimes,
    intervalNs,
    periodsPerYear,
    metrics,
    inference,
    bootstrap: boot,
    bootstrapReason,
    trades,
    annualization,
    sharpeUnit,
    perPeriod,
    verdict,
    input,
    html: (options = {}) => renderTearSheet(sheet, grid, options),
    toJSON: () => ({
      title,
      periods: changes.length,
      intervalNs,
      periodsPerYear,
      calendar: { name: calendar.name, hours: calendar.hours, sessionNs: calendar.sessionNs, sessionsPerYear: calendar.sessionsPerYear },
      convention,
      start: equity.ts.length ? formatNs(equity.ts[0]!) : null,
      end: equity.ts.length ? formatNs(equity.ts[equity.ts.length - 1]!) : null,
      metrics: metrics.values,
      inference: inference.values,
      reasons: { ...metrics.reasons, ...inference.reasons, ...(bootstrapReason ? { bootstrap: bootstrapReason } : {}) },
      annualization: { annualized: annualization.annualized, extrapolated: annualization.extrapolated, spanNs: annualization.spanNs, sessionNs: annualization.sessionNs, factor: annualization.factor, note: annualization.note ?? null },
      perPeriod,
      bootstrap: boot ? { unit: sharpeUnit, sharpe: { estimate: boot.sharpe.estimate, lower: boot.sharpe.lower, upper: boot.sharpe.upper }, maxDrawdown: { estimate: boot.maxDrawdown.estimate, lower: boot.maxDrawdown.lower, upper: boot.maxDrawdown.upper }, resamples: boot.resamples, blockLength: boot.blockLength, confidence: boot.confidence, seed: boot.seed } : null,
      trials: input.trials ?? null,
      trades: trades ? { ...trades.summary, reasons: trades.reasons, markouts: trades.markouts ? { horizonsNs: trades.markouts.horizonsNs, horizonsMs: trades.markouts.horizonsMs, unit: trades.markouts.unit, all: Array.from(trades.markouts.all), buy: Array.from(trades.markouts.buy), sell: Array.from(trades.markouts.sell), maker: Array.from(trades.markouts.maker), taker: Array.from(trades.markouts.taker), counts: Array.from(trades.markouts.counts) } : null } : null,
      verdict,
      ...(input.checklist ? { checklist: input.checklist.toJSON() } : {}),
    }),
  };
  attachDisplay(sheet, "tear-sheet");
  return sheet;
}

function fmtCount(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "n/a";
}

/** The report with every annualized metric NaN and the reason, for a run shorter than one session. */
function withoutAnnualized(report: MetricsReport, annualization: Annualization, reason: string): MetricsReport {
  if (annualization.annualized) return report;
  const values = { ...report.values };
  const reasons = { ...report.reasons };
  for (const m of METRICS) {
    if (!m.annualized || !(m.key in values)) continue;
    values[m.key] = NaN;
    // An undefined value keeps its own reason (constant returns, no drawdown): it says more.
    reasons[m.key] = report.reasons[m.key] ?? reason;
  }
  return { ...report, values, reasons };
}

function perPeriodFigures(returns: Float64Array, intervalNs: number, sharpe: number, periodsPerDay: number): PerPeriodFigures {
  const m = returns.length > 0 ? mean(returns) : NaN;
  const sd = returns.length > 1 ? std(returns) : NaN;
  const periodsPerHour = intervalNs > 0 ? HOUR_NS / intervalNs : NaN;
  return { meanReturn: m, volatility: sd, sharpe, periodsPerHour, meanReturnPerHour: m * periodsPerHour, volatilityPerHour: sd * Math.sqrt(periodsPerHour), sharpePerHour: sharpe * Math.sqrt(periodsPerHour), periodsPerDay, sharpePerDay: sharpe * Math.sqrt(periodsPerDay) };
}

/** Per-period Sharpe ratio of PnL changes less a per-period risk-free PnL (the same arithmetic as `sharpeOfChanges`). */
function sharpeInferenceSharpe(changes: Float64Array, riskFreePnl: number): number {
  return sharpeInference(changes, { riskFree: riskFreePnl }).values.sharpePerPeriod;
}

const bp = (x: number): string => formatBp(x);

function metricsTableHtml(sheet: TearSheet): string {
  const rows: string[] = [];
  const a = sheet.annualization;
  const cell = (title: string, value: string, reason: string | undefined, source: string): string =>
    `<tr><th class="txt" title="${escapeHtml(source)}">${escapeHtml(title)}</th><td>${escapeHtml(value)}</td><td class="txt note">${reason ? escapeHtml(reason) : ""}</td></tr>`;
  const extrapolated = a.extrapolated ? `extrapolated ×${fmtCount(a.factor)} from ${spanText(a.spanNs)} of data` : undefined;
  for (const m of METRICS) {
    const v = sheet.metrics.values[m.key];
    if (v === undefined) continue;
    // A short run's annualized metrics are left out of the table (their reason is in toJSON()).
    if (m.annualized && !a.annualized) continue;
    rows.push(cell(m.title, metricText(m, v), sheet.metrics.reasons[m.key] ?? (m.annualized ? extrapolated : undefined), m.key === "sharpe" ? `Sharpe (1966) of PnL per grid period; ${sheet.convention}` : m.source));
    if (m.key === "sharpe") rows.push(cell(`Sharpe ratio per day (${spanText(sheet.calendar.sessionNs)} session)`, fmtNumber(sheet.perPeriod.sharpePerDay, 3), undefined, `Sharpe per period × √${fmtNumber(sheet.perPeriod.periodsPerDay, 6)} periods per session`));
  }
  if (!a.annualized) {
    const p = sheet.perPeriod;
    const scaled = a.spanNs < HOUR_NS ? `scaled ×${fmtNumber(p.periodsPerHour, 3)} from ${spanText(durationNs(1, sheet.intervalNs))} periods; the run lasted ${spanText(a.spanNs)}` : `×${fmtNumber(p.periodsPerHour, 3)} periods`;
    const per = durationText(1, sheet.intervalNs);
    rows.push(
      cell(`Mean return per period (${per})`, bp(p.meanReturn), undefined, "mean of the grid returns"),
      cell(`Volatility per period (${per})`, bp(p.volatility), undefined, "std of the grid returns, ddof = 1"),
      cell("Return per hour", bp(p.meanReturnPerHour), scaled, "mean per period × periods per hour"),
      cell("Volatility per hour", bp(p.volatilityPerHour), scaled.replace(/×/, "×√"), "std per period × √periods per hour"),
      cell("Sharpe ratio per hour", fmtNumber(p.sharpePerHour, 3), scaled.replace(/×/, "×√"), "Sharpe per period × √periods per hour"),
    );
  }
  const caption = a.annualized
    ? `Returns and risk (${sheet.changes.length.toLocaleString("en-US")} periods of ${durationText(1, sheet.intervalNs)}, ${fmtNumber(sheet.periodsPerYear, 4)} per year)`
    : `Returns and risk (${sheet.changes.length.toLocaleString("en-US")} periods of ${durationText(1, sheet.intervalNs)}, ${spanText(a.spanNs)}; not annualized)`;
  return `<table><caption>${escapeHtml(caption)}</caption><tbody>${rows.join("")}</tbody></table>`;
}

function durationNs(periods: number, intervalNs: number): number {
  return periods * intervalNs;
}

function inferenceTableHtml(sheet: TearSheet): string {
  const v = sheet.inference.values;
  const r = sheet.inference.reasons;
  const b = sheet.bootstrap;
  const row = (title: string, value: string, note?: string): string => `<tr><th class="txt">${escapeHtml(title)}</th><td>${escapeHtml(value)}</td><td class="txt note">${note ? escapeHtml(note) : ""}</td></tr>`;
  const p = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : "n/a");
  const rows = [
    row("Sharpe ratio per period", fmtNumber(v.sharpePerPeriod, 4), r.sharpePerPeriod),
    row("Probabilistic Sharpe (vs 0)", p(v.probabilisticSharpe), r.probabilisticSharpe ?? "P(true Sharpe > 0); Bailey & López de Prado 2012"),
    row("Deflated Sharpe", p(v.deflatedSharpe), r.deflatedSharpe ?? `PSR against SR₀ = ${fmtNumber(v.expectedMaxSharpe)} per period, ${sheet.inference.trials?.count ?? 0} trials; Bailey & López de Prado 2014`),
    row("Minimum track record (periods)", Number.isFinite(v.minTrackRecordLength) ? Math.ceil(v.minTrackRecordLength).toLocaleString("en-US") : "n/a", r.minTrackRecordLength ?? "for PSR ≥ 0.95"),
    sheet.annualization.annualized
      ? row("Sharpe standard error (annualized)", fmtNumber(v.sharpeStandardErrorAnnualized), r.sharpeStandardError ?? (sheet.annualization.extrapolated ? `Lo 2002, iid returns; extrapolated ×√${fmtCount(sheet.annualization.factor)}` : "Lo 2002, iid returns"))
      : row("Sharpe standard error (per period)", fmtNumber(v.sharpeStandardError), r.sharpeStandardError ?? "Lo 2002, iid returns"),
    row("Skewness", fmtNumber(v.skewness), r.skewness),
    row("Kurtosis (raw, normal = 3)", fmtNumber(v.kurtosisRaw), r.kurtosisRaw),
  ];
  if (b) {
    const pct = Math.round(b.confidence * 100);
    const unit = sheet.sharpeUnit === "annualized" ? (sheet.annualization.extrapolated ? `annualized, extrapolated ×√${fmtCount(sheet.annualization.factor)}` : "annualized") : "per period";
    rows.push(row(`Sharpe ${pct}% bootstrap interval (${unit})`, `${fmtNumber(b.sharpe.lower)} … ${fmtNumber(b.sharpe.upper)}`, `stationary bootstrap, ${b.resamples} resamples, mean block ${fmtNumber(b.blockLength)} periods, seed ${String(b.seed)}`));
    if (Number.isFinite(b.maxDrawdown.lower)) rows.push(row(`Max drawdown ${pct}% bootstrap interval (depth below the peak)`, `${(b.maxDrawdown.lower * 100).toFixed(2)}% … ${(b.maxDrawdown.upper * 100).toFixed(2)}%`));
  } else rows.push(row("Bootstrap intervals", "n/a", sheet.bootstrapReason));
  return `<table><caption>Is the Sharpe ratio real?</caption><tbody>${rows.join("")}</tbody></table>`;
}

interface GridSeries {
  times: BigInt64Array;
  values: Float64Array;
}

/**
 * Equity over drawdown, one interactive Plotly figure with a shared time axis: zooming into a
 * drawdown shows the equity path that made it. At most ~3,000 points per trace (every k-th
 * sample, plus the last and the deepest drawdown point so neither is lost to the stride).
 */
function equityDrawdownChart(grid: GridSeries, inline: boolean): string {
  const equityFormat = plotlyTickFormat(grid.values);
  const n = grid.times.length;
  const step = stride(n, 3000);
  const iso = (k: number): string => formatNs(grid.times[k]!);
  const x: string[] = [];
  const equity: number[] = [];
  const drawdown: number[] = [];
  let peak = -Infinity;
  let worst = 0;
  let worstAt = -1;
  const dd = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const e = grid.values[k]!;
    if (e > peak) peak = e;
    dd[k] = peak > 0 ? (e / peak - 1) * 100 : 0;
    if (dd[k]! < worst) (worst = dd[k]!), (worstAt = k);
  }
  for (let k = 0; k < n; k++) {
    if (k % step !== 0 && k !== n - 1 && k !== worstAt) continue;
    x.push(iso(k));
    equity.push(grid.values[k]!);
    drawdown.push(dd[k]!);
  }
  const traces = [
    { type: "scatter", mode: "lines", name: "equity", x, y: equity, line: { color: "#1f2328", width: 1.5 }, hovertemplate: "%{x}<br>equity %{y:,.2f}<extra></extra>" },
    { type: "scatter", mode: "lines", name: "drawdown", x, y: drawdown, xaxis: "x", yaxis: "y2", fill: "tozeroy", line: { color: "#cf222e", width: 1 }, fillcolor: "rgba(207,34,46,0.25)", hovertemplate: "%{x}<br>drawdown %{y:.2f}%<extra></extra>" },
  ];
  const layout = {
    margin: { l: 70, r: 20, t: 10, b: 40 },
    showlegend: false,
    hovermode: "x unified",
    grid: { rows: 2, columns: 1, roworder: "top to bottom" },
    xaxis: { anchor: "y2" },
    yaxis: { domain: [0.36, 1], title: { text: "equity" }, tickformat: equityFormat },
    yaxis2: { domain: [0, 0.3], title: { text: "drawdown (%)" }, rangemode: "tozero", tickformat: plotlyTickFormat(drawdown) },
  };
  return plotlyHtml(traces, layout, { inline, height: 400 });
}

function distributionChart(returns: Float64Array, width: number): string {
  const Plot = plotMarks();
  const data = Array.from(returns, (r) => ({ r: r * 1e4 }));
  return plotSvg({
    width,
    height: 200,
    marginLeft: 60,
    x: { label: "return per period (bp)" },
    y: { label: "periods", grid: true },
    marks: [Plot.rectY(data, { ...Plot.binX({ y: "count" }, { x: "r", thresholds: 50 }), fill: "#0969da" }), Plot.ruleX([0], { stroke: "#1f2328" })],
  });
}

/** Rolling annualized Sharpe over `window` periods (sample std), at the window's end time. */
export function rollingSharpe(returns: Float64Array, window: number, periodsPerYear: number): Float64Array {
  const n = returns.length;
  const out = new Float64Array(n).fill(NaN);
  if (window < 2 || n < window) return out;
  const scale = Math.sqrt(periodsPerYear);
  for (let i = window - 1; i < n; i++) {
    // Per-window two-pass moments: windows are short and a running Σx² loses digits.
    let s = 0;
    for (let k = i - window + 1; k <= i; k++) s += returns[k]!;
    const m = s / window;
    let v = 0;
    for (let k = i - window + 1; k <= i; k++) v += (returns[k]! - m) ** 2;
    const sd = Math.sqrt(v / (window - 1));
    out[i] = sd > Math.abs(m) * 1e-12 && sd > 0 ? (m / sd) * scale : NaN;
  }
  return out;
}

function rollingSharpeChart(sheet: TearSheet, width: number): { html: string; window: number } {
  const Plot = plotMarks();
  const n = sheet.changes.length;
  const window = Math.max(10, Math.min(500, Math.floor(n / 10)));
  const annualized = sheet.sharpeUnit === "annualized";
  const rs = n >= window ? rollingSharpe(sheet.changes, window, annualized && Number.isFinite(sheet.periodsPerYear) ? sheet.periodsPerYear : 1) : new Float64Array(0);
  const step = stride(n, 3000);
  const data: { t: Date; sharpe: number }[] = [];
  for (let i = window - 1; i < rs.length; i += step) if (Number.isFinite(rs[i]!)) data.push({ t: nsToDate(sheet.returnTimes[i]!), sharpe: rs[i]! });
  const html = plotSvg({ width, height: 180, marginLeft: 70, x: utcAxis(sheet.returnTimes), y: { label: `rolling Sharpe (${window} periods, ${annualized ? "annualized" : "per period"})`, grid: true, tickFormat: plotlyTickFormat(data.map((d) => d.sharpe)) }, marks: [Plot.ruleY([0], { stroke: "#8c959f" }), Plot.line(data, { x: "t", y: "sharpe", stroke: "#8250df" })] });
  return { html, window };
}

function inventoryChart(equity: EquityCurve, width: number): string {
  const Plot = plotMarks();
  const pos = equity.position!;
  const ts = equity.ts;
  const step = stride(ts.length, 4000);
  const data: { t: Date; position: number }[] = [];
  for (let j = 0; j < ts.length; j += step) data.push({ t: nsToDate(ts[j]!), position: pos[j]! });
  if (ts.length > 0 && (ts.length - 1) % step !== 0) data.push({ t: nsToDate(ts[ts.length - 1]!), position: pos[ts.length - 1]! });
  return plotSvg({ width, height: 160, marginLeft: 70, x: utcAxis(ts), y: { label: "position", grid: true }, marks: [Plot.ruleY([0], { stroke: "#d8dee4" }), Plot.line(data, { x: "t", y: "position", curve: "step-after", stroke: "#0969da" })] });
}

function fillsOnPriceChart(fills: FillTable, mid: MidSeries | undefined, inline: boolean, instruments: readonly TearSheetInstrument[]): string {
  const specOf = (j: number): TearSheetInstrument | undefined => instruments[fills.instrument?.[j] ?? 0];
  const single = instruments.length === 1 ? instruments[0] : undefined;
  const iso = (ns: bigint): string => formatNs(ns);
  const traces: Record<string, unknown>[] = [];
  if (mid && mid.ts.length > 0) {
    const step = stride(mid.ts.length, 5000);
    const x: string[] = [];
    const y: number[] = [];
    for (let j = 0; j < mid.ts.length; j += step) {
      if (!Number.isFinite(mid.mid[j]!)) continue;
      x.push(iso(mid.ts[j]!));
      y.push(mid.mid[j]!);
    }
    traces.push({ type: "scattergl", mode: "lines", name: "mid", x, y, line: { color: "#8c959f", width: 1 } });
  }
  for (const [side, name, color, symbol] of [[1, "buy", "#1a7f37", "triangle-up"], [-1, "sell", "#cf222e", "triangle-down"]] as const) {
    const x: string[] = [];
    const y: number[] = [];
    const text: string[] = [];
    const step = stride(fills.ts.length, 5000);
    for (let j = 0; j < fills.ts.length; j += step) {
      if (fills.side[j] !== side) continue;
      x.push(iso(fills.ts[j]!));
      y.push(fills.price[j]!);
      text.push(`${name} ${formatQty(fills.qty[j]!, specOf(j))} @ ${formatPrice(fills.price[j]!, specOf(j))} (${fills.liquidity[j] === 0 ? "maker" : "taker"})`);
    }
    traces.push({ type: "scattergl", mode: "markers", name, x, y, text, hoverinfo: "x+text", marker: { color, symbol, size: 7 } });
  }
  const priceFormat = single ? plotlyTickFormat([], { instrument: single }) : plotlyTickFormat(fills.price);
  return plotlyHtml(traces, { margin: { l: 70, r: 20, t: 10, b: 40 }, yaxis: { title: { text: "price" }, tickformat: priceFormat }, legend: { orientation: "h" } }, { inline, height: 320 });
}

function markoutChart(markouts: Markouts, inline: boolean): string {
  const horizons = markouts.horizonsNs.map(horizon);
  const series = [
    { name: "all fills", values: markouts.all, color: "#1f2328" },
    { name: "buys", values: markouts.buy, color: "#1a7f37" },
    { name: "sells", values: markouts.sell, color: "#cf222e" },
  ];
  const traces = series.map((s) => ({ type: "bar", name: s.name, x: horizons, y: Array.from(s.values, (v) => (Number.isFinite(v) ? v : null)), marker: { color: s.color } }));
  return plotlyHtml(traces, { barmode: "group", margin: { l: 60, r: 20, t: 10, b: 40 }, yaxis: { title: { text: `mean markout (${markouts.unit})` }, zeroline: true }, xaxis: { title: { text: "time after fill" } }, legend: { orientation: "h" } }, { inline, height: 280 });
}

function renderTearSheet(sheet: TearSheet, grid: GridSeries, options: TearSheetHtmlOptions): string {
  const width = options.width ?? 820;
  let plotlyPending = options.inlinePlotly ?? true;
  const takeInline = (): boolean => {
    const v = plotlyPending;
    plotlyPending = false;
    return v;
  };
  const input = sheet.input;
  const section = (title: string, body: string, note?: string): string => `<h3 class="slab-h">${escapeHtml(title)}</h3>${note ? `<div class="note">${escapeHtml(note)}</div>` : ""}<div class="slab-chart">${body}</div>`;
  const eq = input.equity;
  const header = [
    `<h2 class="slab-title">${escapeHtml(sheet.title)}</h2>`,
    `<div class="note">${escapeHtml(eq.ts.length ? `${formatNs(eq.ts[0]!)} → ${formatNs(eq.ts[eq.ts.length - 1]!)} · ${eq.ts.length.toLocaleString("en-US")} equity samples` : "no equity samples")}</div>`,
    ...(input.notes ?? []).map((n) => `<div class="note">${escapeHtml(n)}</div>`),
  ].join("");
  const parts: string[] = [header, verdictHtml(sheet.verdict)];
  if (sheet.annualization.note) parts.push(`<div class="warn slab-annualization">${escapeHtml(sheet.annualization.note)}${sheet.annualization.annualized ? "" : ". Pass { annualize: true } to show them marked as extrapolated."}</div>`);
  parts.push(`<div class="note slab-convention">Sharpe ratio of PnL per grid period, ${escapeHtml(sheet.convention)}</div>`);
  parts.push(`<div class="slab-cols"><div>${metricsTableHtml(sheet)}</div><div>${inferenceTableHtml(sheet)}</div></div>`);
  if (input.checklist) parts.push(section("Research checklist", checklistHtml(input.checklist.toJSON()), "each item: pass / warn / fail, why, and the call that fixes it (docs/research.md)"));
  if (grid.times.length >= 2) {
    const maxDd = sheet.metrics.values.maxDrawdown ?? NaN;
    parts.push(section("Equity and drawdown", equityDrawdownChart(grid, takeInline()), `max drawdown ${Number.isFinite(maxDd) ? (maxDd * 100).toFixed(2) : "n/a"}% · drag to zoom, double-click to reset`));
  }
  if (sheet.changes.length >= 2) {
    if (sheet.returns.length >= 2) parts.push(section("Return distribution", distributionChart(sheet.returns, width)));
    const rolling = rollingSharpeChart(sheet, width);
    parts.push(section("Rolling Sharpe", rolling.html, `window ${rolling.window} periods`));
  }
  if (sheet.trades && input.fills) {
    parts.push(section("Trades", tradesHtml(sheet.trades)));
    const marks = sheet.trades.markouts;
    if (marks && marks.counts.some((c) => c > 0)) parts.push(section("Markouts", markoutChart(marks, takeInline()), "mean mid move after each fill, signed by side (positive = the fill was on the right side of the move)"));
    if (input.fills.ts.length > 0) parts.push(section("Fills on price", fillsOnPriceChart(input.fills, input.mid, takeInline(), input.instruments ?? []), "▲ buys, ▼ sells"));
  }
  if (eq.position && eq.position.length === eq.ts.length && eq.ts.length > 1) parts.push(section("Inventory", inventoryChart(eq, width)));
  const css = `<style>.slab .slab-title{font-size:18px;margin:4px 0}.slab .slab-h{font-size:14px;margin:14px 0 2px}.slab .slab-verdict{margin:8px 0;font-size:14px}.slab .slab-cols{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}.slab .slab-chart{overflow-x:auto}</style>`;
  return panel(css + parts.join("\n"), "slab-tearsheet");
}

/** Key figures as a compact table (for embedding elsewhere). */
export function tearSheetSummaryHtml(sheet: TearSheet): string {
  const v = sheet.metrics.values;
  const i = sheet.inference.values;
  return keyValueHtml({
    "total return": Number.isFinite(v.totalReturn ?? NaN) ? `${((v.totalReturn ?? 0) * 100).toFixed(2)}%` : "n/a",
    ...(sheet.annualization.annualized ? { "sharpe (annualized)": fmtNumber(v.sharpe ?? NaN) } : { "sharpe per period": fmtNumber(sheet.inference.values.sharpePerPeriod, 4) }),
    "probabilistic Sharpe": fmtNumber(i.probabilisticSharpe),
    "deflated Sharpe": fmtNumber(i.deflatedSharpe),
    "max drawdown": Number.isFinite(v.maxDrawdown ?? NaN) ? `${((v.maxDrawdown ?? 0) * 100).toFixed(2)}%` : "n/a",
  }, sheet.title);
}
