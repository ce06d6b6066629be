/**
 * The built-in trial evaluator: runs the backtest engine with a registered strategy.
 *
 * A trial on rows [start, end) replays rows [0, end) — a view, no copy — so the book at `start` is
 * exactly what the feed built up to then (no half-empty book after a cut), but the strategy is
 * switched on only from the local time of row `start` (its `onStart` runs at the first event it
 * sees); rows at or after `end` are never read. Metrics cover [start, end) only:
 * - pnl: equity change over the range, fees included (net); fees, trades (fills), orders, volume,
 *   filledLots, makerShare as the engine reports them (nothing trades before `start`);
 * - sharpe: mean/sd of equity changes between equity-grid samples inside the range, annualized on
 *   calendar time √(365·86400 s / interval), as the engine's own summary computes it;
 * - maxDrawdown: largest fall of equity from its running peak inside the range;
 * - periodReturns: equity change per grid period — from the range start to the first grid time,
 *   between grid times, and from the last grid time to the range end — so the periods depend only
 *   on the range (trials line up for PBO) and sum to pnl.
 */
import { LabError } from "../core/index.js";
import { sliceBatch, type TickBatch } from "../data/index.js";
import { backtest, type BacktestOptions, type StrategyHandlers, type StrategyLike } from "../engine/index.js";
import { strategies, type StrategyFactory } from "../strategy/index.js";
import type { Params, RowRange, TrialContext, TrialEvaluator, TrialOutput } from "./types.js";

/** The JSON-able backtest options a sweep can carry to workers (the seed comes from each trial). */
export interface StrategyBacktestOptions {
  latencyNs?: number;
  feedLatencyNs?: "data" | number;
  queue?: "riskAverse" | "prob" | "log" | "l3Fifo";
  fees?: { maker: number; taker: number };
  equityIntervalNs?: number;
  initialCash?: number;
  risk?: { maxPosition?: number; maxOrderQty?: number; maxOrdersPerSecond?: number; maxDrawdown?: number; allowShort?: boolean };
  book?: "auto" | "l2" | "l3";
  maxLevels?: number;
  venueRules?: "fifo" | "lobster" | "databento";
}

export interface StrategyEvaluatorOptions {
  strategy: string;
  backtest?: StrategyBacktestOptions;
  /** Module to import first (it registers custom strategies with defineStrategy). */
  strategyModule?: string;
}

const SECONDS_PER_YEAR = 365 * 86400;

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

/** Equity at each grid time in [startNs, endNs] (step function of the samples) and the range figures. */
export function rangeFigures(ts: BigInt64Array, equity: Float64Array, startNs: bigint, endNs: bigint, intervalNs: number, startEquity: number): { periodReturns: Float64Array; sharpe: number; maxDrawdown: number; pnl: number } {
  const interval = BigInt(intervalNs);
  const firstGrid = ((startNs + interval - 1n) / interval) * interval;
  const grid: bigint[] = [];
  for (let g = firstGrid; g <= endNs; g += interval) grid.push(g);
  const n = ts.length;
  let j = 0;
  let last = startEquity;
  let peak = startEquity;
  let maxDd = 0;
  const values = new Float64Array(grid.length + 2);
  values[0] = startEquity;
  // Walk the samples once: the equity at a time is the last sample at or before it.
  const advance = (t: bigint): number => {
    while (j < n && ts[j]! <= t) {
      const e = equity[j]!;
      if (ts[j]! >= startNs) {
        if (e > peak) peak = e;
        if (peak - e > maxDd) maxDd = peak - e;
      }
      last = e;
      j++;
    }
    return last;
  };
  advance(startNs - 1n);
  for (let k = 0; k < grid.length; k++) values[k + 1] = advance(grid[k]!);
  values[grid.length + 1] = advance(endNs);
  const periodReturns = new Float64Array(grid.length + 1);
  for (let k = 0; k <= grid.length; k++) periodReturns[k] = values[k + 1]! - values[k]!;
  // Sharpe over whole grid periods only (between consecutive grid times), like the engine's summary.
  let count = 0;
  let mean = 0;
  let m2 = 0;
  for (let k = 1; k < grid.length; k++) {
    const d = values[k + 1]! - values[k]!;
    count++;
    const delta = d - mean;
    mean += delta / count;
    m2 += delta * (d - mean);
  }
  const sd = count > 1 ? Math.sqrt(m2 / (count - 1)) : NaN;
  const sharpe = sd > 0 ? (mean / sd) * Math.sqrt(SECONDS_PER_YEAR / (intervalNs / 1e9)) : NaN;
  return { periodReturns, sharpe, maxDrawdown: maxDd, pnl: values[grid.length + 1]! - startEquity };
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
    const s = run.summary;
    const initial = run.settings.initialCash;
    const fig = rangeFigures(run.equity.ts, run.equity.equity, startNs, endNs, interval, initial);
    return {
      metrics: {
        pnl: fig.pnl,
        sharpe: fig.sharpe,
        maxDrawdown: fig.maxDrawdown,
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
