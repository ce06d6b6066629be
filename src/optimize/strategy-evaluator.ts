/**
 * The built-in trial evaluator: runs the backtest engine with a registered strategy.
 *
 * A trial on rows [start, end) replays rows [0, end) — a view, no copy — so the book at `start` is
 * exactly what the feed built up to then (no half-empty book after a cut), but the strategy is
 * switched on only from the local time of row `start` (its `onStart` runs at the first event it
 * sees); rows at or after `end` are never read. Metrics cover [start, end) only:
 * - pnl: equity change over the range, fees included (net); fees, trades (fills), orders, volume,
 *   filledLots, makerShare as the engine reports them (nothing trades before `start`);
 * - sharpe: mean/sd of equity changes between equity-grid samples inside the range, annualized by
 *   the venues' trading calendar (core/session.ts): src/stats/equity.ts, as the run summary
 *   computes it;
 * - maxDrawdown: largest fall of equity from its running peak inside the range (a depth ≥ 0);
 * - periodReturns: equity change per grid period — from the range start to the first grid time,
 *   between grid times, and from the last grid time to the range end — so the periods depend only
 *   on the range (trials line up for PBO) and sum to pnl.
 */
import { LabError, annualizeSharpe, calendarOf, type TradingCalendar } from "../core/index.js";
import { sliceBatch, type TickBatch } from "../data/index.js";
import { backtest, type BacktestOptions, type BacktestResult, type StrategyHandlers, type StrategyLike } from "../engine/index.js";
import { equityDrawdown, gridValuesAt, sessionPeriods, sharpeOfChanges } from "../stats/index.js";
import { strategies, type StrategyFactory } from "../strategy/index.js";
import type { Params, RowRange, TrialContext, TrialEvaluator, TrialOutput } from "./types.js";

/** A value's union members that are data (no methods): what crosses to a worker as JSON. */
type DataOnly<T> = T extends readonly unknown[] ? T : T extends object ? ({ [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T] extends never ? T : never) : T;

/**
 * The backtest options a sweep can carry to workers: every `BacktestOptions` key, with the
 * JSON-able forms of its value (a number of ns, a queue name, `{ maker, taker }` fees; not model
 * objects, which cannot cross to a worker). The seed comes from each trial and the start from its
 * window; a key the engine does not know is a compile error here, not a run-time UNKNOWN_OPTION.
 */
export type StrategyBacktestOptions = { [K in Exclude<keyof BacktestOptions, "seed" | "startAt" | "progress">]?: DataOnly<NonNullable<BacktestOptions[K]>> };

export interface StrategyEvaluatorOptions {
  strategy: string;
  backtest?: StrategyBacktestOptions;
  /** Module to import first (it registers custom strategies with defineStrategy). */
  strategyModule?: string;
}

/** Wraps a strategy so its callbacks start at local time ≥ `startNs` (the prefix only builds the book). */
export function startingAt(strategy: StrategyLike, startNs: bigint): StrategyLike {
  return {
    name: strategy.name,
    params: strategy.params,
    create(): StrategyHandlers {
      const h = strategy.create();
      let live = false;
      // ctx.elapsedNs() is a number; the threshold is converted once from the first call.
      let threshold = NaN;
      const wake = (ctx: Parameters<NonNullable<StrategyHandlers["onBook"]>>[0]): boolean => {
        if (live) return true;
        if (threshold !== threshold) threshold = Number(startNs - (ctx.now() - BigInt(Math.round(ctx.elapsedNs()))));
        if (ctx.elapsedNs() < threshold) return false;
        live = true;
        h.onStart?.(ctx);
        return true;
      };
      return {
        onBook(ctx, book) {
          if (wake(ctx)) h.onBook?.(ctx, book);
        },
        onTrade(ctx, trade) {
          if (wake(ctx)) h.onTrade?.(ctx, trade);
        },
        onTimer(ctx, tag) {
          if (live) h.onTimer?.(ctx, tag);
        },
        onOrderUpdate(ctx, order) {
          if (live) h.onOrderUpdate?.(ctx, order);
        },
        onFill(ctx, fill) {
          if (live) h.onFill?.(ctx, fill);
        },
        onEnd(ctx) {
          if (live) h.onEnd?.(ctx);
        },
      };
    },
  };
}

/**
 * Equity on the grid of src/stats/equity.ts inside [startNs, endNs] and the range figures: the
 * Sharpe ratio and drawdown of the same kernel the run summary and the tear sheet use, so a
 * trial over a whole run reports the run's own Sharpe ratio.
 */
export function rangeFigures(ts: BigInt64Array, equity: Float64Array, startNs: bigint, endNs: bigint, intervalNs: number, startEquity: number, calendar: TradingCalendar = calendarOf()): { periodReturns: Float64Array; sharpe: number; sharpePerPeriod: number; maxDrawdown: number; pnl: number } {
  const n = ts.length;
  // Samples before the range only set the equity at its start; the last one stands for "before".
  let first = 0;
  while (first < n && ts[first]! < startNs) first++;
  const before = first > 0 ? equity[first - 1]! : startEquity;
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = Number(ts[i]! - startNs);
  const span = Number(endNs - startNs);
  const grid = gridValuesAt(t, equity, n, startNs, intervalNs, 0, span, before);
  let last = first;
  while (last < n && ts[last]! <= endNs) last++;
  const endEquity = last > 0 ? equity[last - 1]! : before;
  // Period PnL from the range start to the first grid time, between grid times, and from the
  // last grid time to the range end: the periods depend only on the range (trials line up for
  // PBO) and sum to the range's PnL.
  const g = grid.values;
  const periodReturns = new Float64Array(g.length + 1);
  let prev = startEquity;
  for (let k = 0; k < g.length; k++) {
    periodReturns[k] = g[k]! - prev;
    prev = g[k]!;
  }
  periodReturns[g.length] = endEquity - prev;
  const counted = sessionPeriods(startNs + BigInt(grid.first), intervalNs, g.length, calendar.tradingHours);
  const sharpePerPeriod = sharpeOfChanges(g, 0, g.length, counted);
  return {
    periodReturns,
    sharpe: annualizeSharpe(sharpePerPeriod, calendar, intervalNs),
    sharpePerPeriod,
    maxDrawdown: equityDrawdown(equity, first, last, startEquity).depth,
    pnl: endEquity - startEquity,
  };
}

/** Evaluates one strategy factory (used directly in-process, and by the worker factory below). */
export function evaluatorFor(factory: StrategyFactory, backtestOptions: StrategyBacktestOptions = {}): TrialEvaluator {
  const interval = backtestOptions.equityIntervalNs ?? 1_000_000_000;
  // One view per data and window end, kept across trials: the backtest's input check keeps its
  // findings per batch object, so the window's later trials do not check its rows again.
  const views = new WeakMap<TickBatch, Map<number, TickBatch>>();
  const viewOf = (data: TickBatch, end: number): TickBatch => {
    if (end === data.length) return data;
    let byEnd = views.get(data);
    if (!byEnd) views.set(data, (byEnd = new Map()));
    let view = byEnd.get(end);
    if (!view) byEnd.set(end, (view = sliceBatch(data, 0, end)));
    return view;
  };
  return (params: Params, data: TickBatch, range: RowRange, ctx: TrialContext): TrialOutput => {
    if (!(Number.isInteger(range.start) && Number.isInteger(range.end) && range.start >= 0 && range.start < range.end && range.end <= data.length)) {
      throw new LabError({ code: "BAD_RANGE", message: `row range [${range.start}, ${range.end}) is not inside the data's ${data.length} rows`, hint: "ranges are [start, end) with 0 ≤ start < end ≤ data.length" });
    }
    const configured = factory(params);
    const view = viewOf(data, range.end);
    const startNs = data.localTs[range.start]!;
    const endNs = data.localTs[range.end - 1]!;
    // A window that starts later fast-forwards the books to its start (book replay only): what
    // the strategy would see had it ignored every earlier event.
    const options: BacktestOptions = { ...backtestOptions, seed: ctx.seed >>> 0, ...(range.start === 0 ? {} : { startAt: startNs }) };
    const run = backtest(view, configured, options);
    return trialOutputOf(run, startNs, endNs, interval, range.start === 0 && range.end === data.length);
  };
}

/**
 * A trial's output from its backtest: figures over local times [startNs, endNs] (see the module
 * comment). A trial over all the data (`whole`) is the run itself: its summary's Sharpe ratio and
 * drawdown (the run's span starts at the first exchange time, a window's at its first local time).
 * Used by the evaluator above and by streamed sweeps (src/optimize/streamed.ts).
 */
export function trialOutputOf(run: BacktestResult, startNs: bigint, endNs: bigint, interval: number, whole: boolean): TrialOutput {
  const s = run.summary;
  const initial = run.settings.initialCash;
  const fig = rangeFigures(run.equity.ts, run.equity.equity, startNs, endNs, interval, initial, calendarOf(run.instruments.map((i) => i.venue)));
  return {
    metrics: {
      pnl: fig.pnl,
      sharpe: whole ? s.sharpe : fig.sharpe,
      maxDrawdown: whole ? s.maxDrawdown : fig.maxDrawdown,
      fees: s.fees,
      trades: s.trades,
      orders: s.orders,
      volume: s.volume,
      filledLots: s.filledLots,
      makerShare: s.makerShare,
      realizedPnl: s.realizedPnl,
      finalPosition: s.finalPosition.reduce((a, b) => a + Math.abs(b), 0),
    },
    periodReturns: fig.periodReturns,
    events: s.events,
  };
}

/** Worker-side factory: `{ module: <this file>, export: "strategyEvaluator", options }`. */
export async function strategyEvaluator(options: StrategyEvaluatorOptions): Promise<TrialEvaluator> {
  if (typeof options !== "object" || options === null || typeof options.strategy !== "string") {
    throw new LabError({ code: "BAD_EVALUATOR", message: "the strategy evaluator needs { strategy: name }", hint: 'e.g. { strategy: "imbalance" }' });
  }
  if (options.strategyModule !== undefined) await import(options.strategyModule);
  return evaluatorFor(strategies.get(options.strategy), options.backtest ?? {});
}
