/**
 * The vocabulary of the optimizer: what a trial evaluator is, how workers find it, and what one
 * finished trial records. Everything here is plain data so it can cross a worker boundary and be
 * written to a store.
 */
import type { TickBatch } from "../data/index.js";
import type { ParamValue, Params } from "../strategy/index.js";
export type { TrialRecord, TrialStatus, TrialPhase, RowRange } from "../store/index.js";
import type { RowRange } from "../store/index.js";

export type { ParamValue, Params };

export interface TrialContext {
  /** Seed for any randomness inside the trial (latency draws, ...). Derived from the run seed and the trial. */
  seed: number;
}

export interface TrialOutput {
  /** Named figures of the trial (sharpe, pnl, trades, ...). Missing = NaN. */
  metrics: Record<string, number>;
  /**
   * Additive per-period returns on a grid that depends only on the range (not on the params), so
   * trials of one search line up as a trials x periods matrix (PBO) and out-of-sample windows can
   * be stitched by concatenation. For the built-in evaluator: PnL change per equity interval.
   */
  periodReturns?: Float64Array;
  /** Market events processed (for events/s). */
  events: number;
}

/**
 * A trial evaluator: a pure function of params and a row range of shared market data. It must not
 * read rows outside `range` that lie after `range.end` (rows before `range.start` are the past and
 * may be used to warm up state).
 */
export type TrialEvaluator = (params: Params, data: TickBatch, range: RowRange, ctx: TrialContext) => TrialOutput;

/**
 * Where a worker finds an evaluator: workers cannot receive functions, so they import `module`
 * (an absolute file URL, an absolute path, or a package name) and take its export `export`.
 * With `options`, the export is a factory called once per worker: `factory(options)` returns the
 * evaluator (so per-worker setup, e.g. looking up a strategy, happens once). `options` must be
 * structured-cloneable (plain JSON-like data).
 */
export interface EvaluatorRef {
  module: string;
  export: string;
  options?: unknown;
}

export type EvaluatorFactory = (options: unknown) => TrialEvaluator;

/** One unit of work for the pool. `id` is unique within one `run` call. */
export interface TrialTask {
  id: number;
  params: Params;
  range: RowRange;
  seed: number;
}

/** What the pool hands back for a task: the evaluator's output or its error. */
export interface TrialOutcome {
  id: number;
  ok: boolean;
  metrics: Record<string, number>;
  periodReturns?: Float64Array;
  events: number;
  durationMs: number;
  /** The thrown error's message when `ok` is false. */
  error?: string;
}
