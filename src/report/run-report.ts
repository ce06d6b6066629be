/**
 * From a run to its report in one call: `run.report(options?)` on a `BacktestResult`,
 * `lab.show.tearSheet(run)`, and the same for an optimization's chosen trial (the sweep's trial
 * count and the variance of its trials' Sharpe ratios go to the deflated Sharpe ratio). The
 * adapter from a run (in memory, or its `toJSON()` file for `strategy-lab report`) to the tear
 * sheet's input lives here, once.
 *
 * `BacktestResult` and `OptimizationResult` live in lower layers that cannot import the tear
 * sheet, so `report` is put on their prototypes here (as rich.ts does for their displays), and the
 * declarations below add it to their types.
 */
import { LabError, InstrumentSpec, type CalendarSpec, type InstrumentSpecInit } from "../core/index.js";
import type { TickBatch } from "../data/index.js";
import { BacktestResult, backtest, type BacktestJson } from "../engine/index.js";
import { OptimizationResult, overfitting, type StrategyBacktestOptions } from "../optimize/index.js";
import { strategies, type StrategyFactory } from "../strategy/index.js";
import { Liquidity, type EquityCurve, type FillTable, type MidSeries, type TrialsInfo } from "../stats/index.js";
import { tearSheet, type TearSheet, type TearSheetInput, type TearSheetInstrument } from "./tearsheet.js";
import { rememberSweepContext, runChecklist, sweepChecklist, type Checklist } from "./checklist.js";

export interface RunReportOptions {
  /** Page title. @default strategy(params) on symbols */
  title?: string;
  /**
   * Trials tried before picking this run, for the deflated Sharpe ratio: `{ count, sharpeVariance }`,
   * or the optimization the run's parameters were chosen from (its trial count and the variance of
   * its trials' per-period Sharpe ratios are taken).
   */
  trials?: TrialsInfo | OptimizationResult;
  /** Trading calendar for annualization ("nasdaq", "24x7", { sessionHours, sessionsPerYear }). @default the instruments' venues' */
  calendar?: CalendarSpec;
  /** Override periods per year outright. */
  periodsPerYear?: number;
  /** Annualize a run shorter than one session (marked extrapolated): true; never: false. */
  annualize?: boolean;
  /** Account value added to every sample, for a run with `initialCash: 0`. */
  capital?: number;
  /** Bootstrap settings. @default { resamples: 1000, seed: 0, confidence: 0.9 } */
  bootstrap?: TearSheetInput["bootstrap"];
  /** Extra notes under the title (the run's settings are always there). */
  notes?: readonly string[];
}

/** The trial count and Sharpe variance of a sweep, for the DSR of the run chosen from it. */
export function sweepTrials(sweep: OptimizationResult): TrialsInfo {
  const of = overfitting(sweep);
  if (!(of.trialCount >= 1) || !(of.sharpeVariance >= 0)) {
    throw new LabError({
      code: "BAD_OPTION",
      message: `the optimization has ${of.trialCount} trial(s) and ${Number.isFinite(of.sharpeVariance) ? `a Sharpe variance of ${of.sharpeVariance}` : "no Sharpe variance across trials"}: the deflated Sharpe ratio needs at least 2 trials with a defined Sharpe ratio`,
      hint: "pass trials: { count, sharpeVariance } by hand, or leave trials out for the probabilistic Sharpe ratio",
      context: { option: "trials" },
    });
  }
  return { count: of.trialCount, sharpeVariance: of.sharpeVariance };
}

function trialsOf(t: RunReportOptions["trials"]): TrialsInfo | undefined {
  if (t === undefined) return undefined;
  return t instanceof OptimizationResult ? sweepTrials(t) : t;
}

function titleOf(strategy: string | undefined, params: Readonly<Record<string, unknown>> | undefined, symbols: readonly (string | undefined)[]): string {
  const p = Object.entries(params ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(", ");
  const sym = symbols.map((s) => s ?? "?").join("+");
  return `${strategy ?? "strategy"}${p ? `(${p})` : ""}${sym ? ` on ${sym}` : ""}`;
}

function settingsNote(settings: Readonly<Record<string, unknown>> | undefined): string[] {
  return settings && Object.keys(settings).length ? [Object.entries(settings).map(([k, v]) => `${k} ${String(v)}`).join(" · ")] : [];
}

function commonInput(options: RunReportOptions): Partial<TearSheetInput> {
  const trials = trialsOf(options.trials);
  return {
    ...(trials ? { trials } : {}),
    ...(options.calendar !== undefined ? { calendar: options.calendar } : {}),
    ...(options.periodsPerYear !== undefined ? { periodsPerYear: options.periodsPerYear } : {}),
    ...(options.annualize !== undefined ? { annualize: options.annualize } : {}),
    ...(options.capital !== undefined ? { capital: options.capital } : {}),
    ...(options.bootstrap !== undefined ? { bootstrap: options.bootstrap } : {}),
  };
}

/** The tear sheet's input for a run: equity on the run's own grid interval, fills, mid, orders, instruments, title and settings. */
export function runSheetInput(run: BacktestResult, options: RunReportOptions = {}): TearSheetInput {
  const s = run.summary;
  return {
    equity: run.equity,
    fills: run.fills,
    mid: run.mid,
    orders: s.orders,
    markoutHorizonsNs: run.markoutHorizonsNs,
    intervalNs: run.settings.equityIntervalNs,
    instruments: run.instruments,
    title: options.title ?? titleOf(s.strategy, s.params, run.instruments.map((i) => i.symbol)),
    notes: [...settingsNote(run.settings as unknown as Record<string, unknown>), ...(options.notes ?? [])],
    // A run with no initial cash (the default) records equity = PnL: report its PnL figures.
    pnlOnly: true,
    ...commonInput(options),
    checklist: runChecklist(run, options.trials !== undefined ? { trials: options.trials } : {}),
  };
}

/** The tear sheet of a run (`run.report(options)`); `checklist` replaces the run's own (a sweep's report shows the sweep's). */
export function reportRun(run: BacktestResult, options: RunReportOptions = {}, checklist?: Checklist): TearSheet {
  if (!(run instanceof BacktestResult)) {
    throw new LabError({ code: "BAD_OPTION", message: "report: expected a BacktestResult (what lab.backtest returns)", hint: "for equity columns of your own, call lab.report.tearSheet({ equity, ... })" });
  }
  const input = runSheetInput(run, options);
  return tearSheet(checklist ? { ...input, checklist } : input);
}

/** What a results file (`BacktestResult.toJSON()`, `strategy-lab backtest --out`) may hold. */
export type BacktestJsonLike = Partial<Omit<BacktestJson, "summary" | "instruments" | "settings" | "equity" | "fills" | "mid">> & {
  summary?: { strategy?: string; params?: Record<string, unknown>; orders?: number };
  instruments?: Partial<InstrumentSpecInit>[];
  settings?: Record<string, unknown>;
  equity?: { ts?: unknown[]; equity?: unknown[]; position?: unknown[]; intervalNs?: unknown };
  fills?: { ts?: unknown[]; side?: unknown[]; price?: unknown[]; qty?: unknown[]; fee?: unknown[]; liquidity?: unknown[]; instrument?: unknown[]; orderId?: unknown[] };
  mid?: { ts?: unknown[]; mid?: unknown[] };
};

function column(values: unknown[] | undefined, name: string, file: string, length?: number): unknown[] {
  if (!Array.isArray(values)) throw new LabError({ code: "BAD_RESULTS", message: `${file} has no ${name} array`, hint: "write it with `strategy-lab backtest --out run.json` or JSON.stringify(run.toJSON())", context: { file, column: name } });
  if (length !== undefined && values.length !== length) throw new LabError({ code: "BAD_RESULTS", message: `${name} has ${values.length} values, expected ${length}`, hint: "the results file is truncated or was edited", context: { file, column: name } });
  return values;
}

function nsColumn(values: unknown[], name: string, file: string): BigInt64Array {
  return BigInt64Array.from(values, (v, i) => {
    try {
      return BigInt(v as string);
    } catch {
      throw new LabError({ code: "BAD_RESULTS", message: `${name}[${i}] is ${JSON.stringify(v)}, not an integer ns timestamp`, hint: "timestamps are ns since the epoch as strings", context: { file, row: i, column: name } });
    }
  });
}

const numColumn = (values: unknown[]): Float64Array => Float64Array.from(values, (v) => (typeof v === "number" ? v : NaN));

function instrumentsOf(list: BacktestJsonLike["instruments"]): TearSheetInstrument[] {
  const out: TearSheetInstrument[] = [];
  for (const i of list ?? []) {
    if (typeof i?.venue !== "string" || typeof i.tickSize !== "string") continue;
    try {
      out.push(new InstrumentSpec(i as InstrumentSpecInit));
    } catch {
      // An instrument the file describes only in part still names its venue (the calendar).
      out.push({ venue: i.venue, tickSize: i.tickSize, ...(typeof i.symbol === "string" ? { symbol: i.symbol } : {}) } as TearSheetInstrument);
    }
  }
  return out;
}

/**
 * The tear sheet's input from a results object (`run.toJSON()`, parsed from the file
 * `strategy-lab backtest --out` writes); `file` names it in errors.
 */
export function jsonSheetInput(json: BacktestJsonLike, options: RunReportOptions = {}, file = "results"): TearSheetInput {
  if (typeof json !== "object" || json === null) throw new LabError({ code: "BAD_RESULTS", message: `${file} is not a results object`, hint: "write it with `strategy-lab backtest --out run.json`", context: { file } });
  const eqTs = column(json.equity?.ts, "equity.ts", file);
  const equity: EquityCurve = { ts: nsColumn(eqTs, "equity.ts", file), equity: numColumn(column(json.equity?.equity, "equity.equity", file, eqTs.length)) };
  const pos = json.equity?.position;
  if (Array.isArray(pos) && pos.length === eqTs.length) equity.position = numColumn(pos);
  const f = json.fills ?? {};
  const fTs = column(f.ts, "fills.ts", file);
  const m = fTs.length;
  const fills: FillTable = {
    ts: nsColumn(fTs, "fills.ts", file),
    side: Int8Array.from(column(f.side, "fills.side", file, m), (v) => (v === 1 || v === "buy" ? 1 : -1)),
    price: numColumn(column(f.price, "fills.price", file, m)),
    qty: numColumn(column(f.qty, "fills.qty", file, m)),
    fee: numColumn(column(f.fee, "fills.fee", file, m)),
    liquidity: Uint8Array.from(column(f.liquidity, "fills.liquidity", file, m), (v) => (v === "maker" || v === Liquidity.Maker ? Liquidity.Maker : Liquidity.Taker)),
  };
  if (Array.isArray(f.instrument) && f.instrument.length === m) fills.instrument = Uint16Array.from(f.instrument, (v) => Number(v));
  if (Array.isArray(f.orderId) && f.orderId.length === m) fills.orderId = Float64Array.from(f.orderId, (v) => Number(v));
  const midTs = Array.isArray(json.mid?.ts) ? json.mid!.ts! : [];
  const mid: MidSeries = { ts: nsColumn(midTs, "mid.ts", file), mid: numColumn(Array.isArray(json.mid?.mid) ? column(json.mid!.mid, "mid.mid", file, midTs.length) : []) };
  const s = json.summary ?? {};
  const instruments = instrumentsOf(json.instruments);
  const interval = json.equity?.intervalNs;
  return {
    equity,
    fills,
    mid,
    ...(typeof s.orders === "number" ? { orders: s.orders } : {}),
    ...(typeof interval === "number" && interval > 0 ? { intervalNs: interval } : {}),
    ...(instruments.length ? { instruments } : {}),
    title: options.title ?? titleOf(s.strategy, s.params, (json.instruments ?? []).map((i) => i.symbol)),
    notes: [...settingsNote(json.settings), ...(options.notes ?? [])],
    pnlOnly: true,
    ...commonInput(options),
  };
}

/** Hidden on an `OptimizationResult` made by `lab.optimize`: backtests the chosen trial again. */
export const CHOSEN_RUN: unique symbol = Symbol.for("strategy-lab.chosen-run") as never;

/** The backtest of an optimization's chosen trial, when the sweep can repeat it (see `CHOSEN_RUN`). */
export function chosenRun(sweep: OptimizationResult): BacktestResult {
  const rerun = (sweep as unknown as { [CHOSEN_RUN]?: () => BacktestResult })[CHOSEN_RUN];
  if (typeof rerun !== "function") {
    throw new LabError({
      code: "BAD_OPTION",
      message: "this optimization cannot repeat its chosen trial (it was not run by lab.optimize with a strategy, or it searched windows of the data)",
      hint: "backtest the chosen parameters yourself and pass the sweep for the DSR: lab.backtest(data, strategy(res.bestParams), options).report({ trials: res })",
    });
  }
  return rerun();
}

/**
 * Lets `sweep.report()` / `lab.show.tearSheet(sweep)` repeat the chosen trial's backtest: the same
 * data, strategy, backtest options and trial seed. Only for a sweep whose chosen trial covered all
 * of the data (a walk-forward trial covers one window; backtest that window yourself).
 */
export function rememberSweep(sweep: OptimizationResult, data: TickBatch, strategy: string | StrategyFactory | undefined, options: StrategyBacktestOptions | undefined): OptimizationResult {
  // sweep.checklist() reads the data (input check, book kind, fees) and the trials' backtest options.
  rememberSweepContext(sweep, { data, ...(options ? { backtest: options } : {}), engine: strategy !== undefined });
  const best = sweep.best;
  if (!best || strategy === undefined || sweep.walkForward || best.range?.start !== 0 || best.range?.end !== data?.length) return sweep;
  const rerun = (): BacktestResult => {
    const factory = typeof strategy === "string" ? strategies.get(strategy) : strategy;
    return backtest(data, factory(best.params), { ...options, seed: best.seed >>> 0 });
  };
  Object.defineProperty(sweep, CHOSEN_RUN, { value: rerun, enumerable: false, configurable: true, writable: true });
  return sweep;
}

/** The tear sheet of an optimization's chosen trial, deflated by the sweep's trials. */
export function reportSweep(sweep: OptimizationResult, options: RunReportOptions = {}): TearSheet {
  return reportRun(chosenRun(sweep), { trials: sweep, ...options }, sweepChecklist(sweep));
}

declare module "../engine/result.js" {
  interface BacktestResult {
    /** The run's tear sheet (shows itself in a notebook; `.html()`, `.toJSON()`, `lab.report.exportHtml`). */
    report(options?: RunReportOptions): TearSheet;
  }
}

declare module "../optimize/result.js" {
  interface OptimizationResult {
    /** The tear sheet of the chosen trial's backtest, deflated by this sweep's trial count and Sharpe variance. */
    report(options?: RunReportOptions): TearSheet;
  }
}

Object.defineProperty(BacktestResult.prototype, "report", {
  value: function report(this: BacktestResult, options?: RunReportOptions): TearSheet {
    return reportRun(this, options);
  },
  writable: true,
  configurable: true,
  enumerable: false,
});

Object.defineProperty(OptimizationResult.prototype, "report", {
  value: function report(this: OptimizationResult, options?: RunReportOptions): TearSheet {
    return reportSweep(this, options);
  },
  writable: true,
  configurable: true,
  enumerable: false,
});
