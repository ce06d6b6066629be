/**
 * `backtest(ticks, strategy, options)`: one synchronous, deterministic run.
 *
 *   const run = lab.backtest(ticks, lab.strategies.imbalance({ threshold: 0.3 }), { latencyNs: 50_000, queue: "riskAverse", seed: 1 });
 *   run            // compact summary
 *   run.fills      // FillTable columns
 *
 * One pass checks the rows (option `check`, default "warn": alongside the run; "strict": before it;
 * see src/engine/input-check.ts); `run.inputCheck` holds what it found.
 *
 * `strategy` is a `StrategyLike` (from `defineStrategy` / `lab.strategies.*`), which gives every run
 * fresh state, or a plain object of callbacks (its state then carries over between runs).
 */
import { LabError } from "../core/index.js";
import type { TickBatch } from "../data/index.js";
import { InputChecker, inputCheckError, refuses, type InputCheckReport } from "./input-check.js";
import { runLoop, type RawRun } from "./loop.js";
import { normalizeBacktestOptions, type BacktestOptions, type NormalizedOptions } from "./options.js";
import { BacktestResult, type BacktestSettings } from "./result.js";
import { attachFillReports } from "./fills-csv.js";
import { clockOffsetsOf, prepareStreams, timeBaseOf } from "./streams.js";
import type { StrategyHandlers, StrategyLike } from "./strategy-types.js";

const HANDLER_NAMES = ["onStart", "onBook", "onTrade", "onTimer", "onOrderUpdate", "onFill", "onEnd"] as const;

function isStrategyLike(value: unknown): value is StrategyLike {
  return typeof value === "object" && value !== null && typeof (value as StrategyLike).create === "function";
}

export function resolveStrategy(strategy: StrategyLike | StrategyHandlers): { name: string; params: Readonly<Record<string, number | boolean | string>>; handlers: StrategyHandlers } {
  if (typeof strategy === "function") {
    throw new LabError({ code: "BAD_STRATEGY", message: "backtest got a strategy factory, not a strategy", hint: "call it with parameters first, e.g. lab.strategies.imbalance({ threshold: 0.3 })" });
  }
  if (isStrategyLike(strategy)) {
    const handlers = strategy.create();
    return { name: strategy.name, params: strategy.params, handlers };
  }
  if (typeof strategy !== "object" || strategy === null || !HANDLER_NAMES.some((h) => typeof (strategy as Record<string, unknown>)[h] === "function")) {
    throw new LabError({ code: "BAD_STRATEGY", message: "backtest needs a strategy: an object with at least one of " + HANDLER_NAMES.join(", "), hint: "use lab.strategies.imbalance(...) or lab.defineStrategy({ ... })" });
  }
  const ctorName = (strategy as object).constructor?.name;
  return { name: ctorName && ctorName !== "Object" ? ctorName : "custom", params: {}, handlers: strategy };
}

export function backtest(ticks: TickBatch | readonly TickBatch[], strategy: StrategyLike | StrategyHandlers, options: BacktestOptions = {}): BacktestResult {
  const opts = normalizeBacktestOptions(options);
  const { name, params, handlers } = resolveStrategy(strategy);
  const { streams, instruments } = prepareStreams(ticks);
  const batches = Array.isArray(ticks) ? (ticks as readonly TickBatch[]) : [ticks as TickBatch];
  let inputCheck: InputCheckReport | undefined;
  // "strict" must refuse before the run, so it checks first; "warn" checks alongside the run.
  const checker = opts.check === "off" ? undefined : new InputChecker(batches, opts.check);
  if (checker && opts.check === "strict") {
    inputCheck = checker.finish();
    if (refuses(inputCheck)) throw inputCheckError(inputCheck);
  }
  const time = timeBaseOf(streams);
  const clockOffsets = opts.feed === "data" ? clockOffsetsOf(streams, opts.clockOffsetNs) : streams.map(() => 0);
  const raw = runLoop(streams, instruments, time, handlers, params, opts, inputCheck ? undefined : checker, clockOffsets);
  if (checker && !inputCheck) inputCheck = checker.finish();
  const result = new BacktestResult(raw, name, params, settingsOf(opts, raw), inputCheck);
  attachFillReports(result, raw.local, raw.time);
  return result;
}

/** The settings a result states: the models by name, and what the data decided (book kind). */
export function settingsOf(opts: NormalizedOptions, raw: RawRun): BacktestSettings {
  const offsets = raw.clockOffsets;
  return {
    latency: opts.latency.name,
    feedLatency: opts.feed !== "data" ? opts.feed.name : offsets.some((o) => o !== 0) ? `data, receive clock +${offsets.map((o) => `${(o / 1e6).toFixed(3)} ms`).join("/")}` : "data",
    queue: raw.queue.name,
    fees: opts.fees.name,
    seed: opts.seed,
    equityIntervalNs: opts.equityIntervalNs,
    initialCash: opts.initialCash,
    book: raw.l3 ? "l3" : "l2",
  };
}
