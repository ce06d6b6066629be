/**
 * `OptimizationResult`: every trial (a typed results table with one column per parameter and per
 * metric), the best trial, the walk-forward report (in-sample vs out-of-sample per window and the
 * stitched out-of-sample returns), and the inputs of the overfitting statistics (the real trial
 * count and the trials x periods returns matrix). Prints as a compact summary in a notebook.
 */
import { inspect } from "node:util";
import { formatDurationMs, formatNs, type Nanos } from "../core/index.js";
import type { Direction } from "./objective.js";
import type { SearchMethod } from "./search.js";
import type { ParamValue, Params, RowRange, TrialRecord } from "./types.js";

export interface WindowReport {
  index: number;
  inSample: RowRange;
  outOfSample: RowRange | undefined;
  isStartNs: Nanos | undefined;
  isEndNs: Nanos | undefined;
  oosStartNs: Nanos | undefined;
  oosEndNs: Nanos | undefined;
  /** Search trials run (or resumed) in-sample. */
  trials: number;
  feasibleTrials: number;
  /** Best in-sample trial (undefined when no trial was feasible). */
  best: TrialRecord | undefined;
  /** The chosen params evaluated out-of-sample (walk-forward only). */
  oos: TrialRecord | undefined;
  isObjective: number;
  oosObjective: number;
  /** oosObjective − isObjective (in the objective's own direction: negative = worse for maximize). */
  degradation: number;
  /** oosObjective / isObjective: read it for scale-free objectives (Sharpe); NaN when IS is 0. */
  ratio: number;
  /**
   * (OOS objective per second of OOS data) / (IS objective per second of IS data): the walk-forward
   * efficiency (Pardo) for additive objectives such as PnL, whose size grows with window length.
   */
  efficiency: number;
}

export interface ResultTable {
  /** Row count. */
  readonly length: number;
  readonly columns: Readonly<Record<string, Float64Array | Int32Array | readonly (string | boolean | null)[]>>;
  /** Column names of parameters and of metrics (metric names that clash with a parameter get a "metric." prefix). */
  readonly paramColumns: readonly string[];
  readonly metricColumns: readonly string[];
}

export interface OptimizationResultInit {
  runId: string;
  store: string;
  method: SearchMethod;
  objective: { name: string; direction: Direction };
  paramNames: readonly string[];
  fixed: Params;
  trials: TrialRecord[];
  windows: WindowReport[];
  walkForward: boolean;
  warnings: string[];
  stoppedBecause: string;
  elapsedMs: number;
  evaluated: number;
  resumed: number;
  workers: number;
  seed: number;
}

/** Builds the typed results table of trials. */
export function trialTable(trials: readonly TrialRecord[], paramNames: readonly string[]): ResultTable {
  const n = trials.length;
  const metricNames: string[] = [];
  const seen = new Set<string>();
  for (const t of trials) for (const k of Object.keys(t.metrics)) if (!seen.has(k)) (seen.add(k), metricNames.push(k));
  const columns: Record<string, Float64Array | Int32Array | (string | boolean | null)[]> = {};
  const ints = (f: (t: TrialRecord) => number): Int32Array => Int32Array.from(trials, f);
  columns.window = ints((t) => t.window);
  columns.trial = ints((t) => t.index);
  columns.generation = ints((t) => t.generation);
  columns.status = trials.map((t) => t.status);
  columns.objective = Float64Array.from(trials, (t) => t.objective);
  const paramColumns: string[] = [];
  for (const name of paramNames) {
    const values = trials.map((t) => t.params[name]);
    paramColumns.push(name);
    columns[name] = values.every((v) => typeof v === "number") ? Float64Array.from(values as number[]) : values.map((v: ParamValue | undefined) => (v === undefined ? null : typeof v === "boolean" ? v : String(v)));
  }
  const metricColumns: string[] = [];
  for (const m of metricNames) {
    const col = m in columns ? `metric.${m}` : m;
    metricColumns.push(col);
    columns[col] = Float64Array.from(trials, (t) => t.metrics[m] ?? NaN);
  }
  columns.events = Float64Array.from(trials, (t) => t.events);
  columns.durationMs = Float64Array.from(trials, (t) => t.durationMs);
  columns.seed = Float64Array.from(trials, (t) => t.seed);
  columns.error = trials.map((t) => t.error ?? null);
  return { length: n, columns, paramColumns, metricColumns };
}

function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a >= 1e6 || a < 1e-3) ? x.toExponential(2) : Number(x.toPrecision(digits + 2)).toLocaleString("en-US", { maximumFractionDigits: digits });
}

function paramsText(p: Params | undefined, names: readonly string[]): string {
  if (!p) return "none";
  return names.map((n) => `${n}=${String(p[n])}`).join(", ");
}

export class OptimizationResult {
  readonly runId: string;
  /** Where the trials are stored ("memory" or a file). */
  readonly store: string;
  readonly method: SearchMethod;
  readonly objective: { name: string; direction: Direction };
  readonly paramNames: readonly string[];
  readonly fixed: Params;
  /** Every search trial (all windows), sorted by window then trial index. Out-of-sample trials are in `windows[i].oos`. */
  readonly trials: readonly TrialRecord[];
  readonly windows: readonly WindowReport[];
  readonly walkForward: boolean;
  readonly warnings: readonly string[];
  /** Why the search ended (genetic: generations, no improvement, space exhausted). */
  readonly stoppedBecause: string;
  readonly elapsedMs: number;
  /** Trials evaluated in this call, and trials taken from the store (resume). */
  readonly evaluated: number;
  readonly resumed: number;
  readonly workers: number;
  readonly seed: number;
  private tableCache: ResultTable | undefined;

  constructor(init: OptimizationResultInit) {
    this.runId = init.runId;
    this.store = init.store;
    this.method = init.method;
    this.objective = init.objective;
    this.paramNames = init.paramNames;
    this.fixed = init.fixed;
    this.trials = init.trials;
    this.windows = init.windows;
    this.walkForward = init.walkForward;
    this.warnings = init.warnings;
    this.stoppedBecause = init.stoppedBecause;
    this.elapsedMs = init.elapsedMs;
    this.evaluated = init.evaluated;
    this.resumed = init.resumed;
    this.workers = init.workers;
    this.seed = init.seed;
  }

  /** Number of search trials really run (all windows): the N of the deflated Sharpe ratio. */
  get trialCount(): number {
    return this.trials.length;
  }

  /** Best trial of the (last) window: the parameters to use going forward. */
  get best(): TrialRecord | undefined {
    return this.windows[this.windows.length - 1]?.best;
  }

  get bestParams(): Params | undefined {
    return this.best?.params;
  }

  /** Results table: typed columns per parameter and metric (window, trial, status, objective, ...). */
  table(): ResultTable {
    this.tableCache ??= trialTable(this.trials, this.paramNames);
    return this.tableCache;
  }

  /** Trials of one window (default: the last). */
  windowTrials(window = this.windows.length - 1): TrialRecord[] {
    return this.trials.filter((t) => t.window === window);
  }

  /**
   * The trials x periods matrix of per-period returns of one window's search (the input of PBO by
   * CSCV): only trials that finished ("ok" or "infeasible") with returns of the common length.
   */
  returnsMatrix(window = this.windows.length - 1): { trials: number[]; periods: number; rows: Float64Array[]; skipped: number } {
    const ts = this.windowTrials(window).filter((t) => t.status !== "failed" && t.periodReturns !== undefined);
    const counts = new Map<number, number>();
    for (const t of ts) counts.set(t.periodReturns!.length, (counts.get(t.periodReturns!.length) ?? 0) + 1);
    let periods = 0;
    let most = 0;
    for (const [len, c] of counts) if (c > most || (c === most && len > periods)) (periods = len, (most = c));
    const keep = ts.filter((t) => t.periodReturns!.length === periods);
    return { trials: keep.map((t) => t.index), periods, rows: keep.map((t) => t.periodReturns!), skipped: this.windowTrials(window).length - keep.length };
  }

  /** Walk-forward: out-of-sample returns of all windows, concatenated in time order, and their running sum. */
  stitchedOutOfSample(): { returns: Float64Array; equity: Float64Array; windowStarts: number[]; missingWindows: number[] } {
    const parts: Float64Array[] = [];
    const windowStarts: number[] = [];
    const missingWindows: number[] = [];
    let n = 0;
    for (const w of this.windows) {
      const r = w.oos?.status !== "failed" ? w.oos?.periodReturns : undefined;
      if (r === undefined) {
        missingWindows.push(w.index);
        continue;
      }
      windowStarts.push(n);
      parts.push(r);
      n += r.length;
    }
    const returns = new Float64Array(n);
    let o = 0;
    for (const p of parts) (returns.set(p, o), (o += p.length));
    const equity = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) equity[i] = acc += Number.isNaN(returns[i]!) ? 0 : returns[i]!;
    return { returns, equity, windowStarts, missingWindows };
  }

  /** Status counts over the search trials. */
  statusCounts(): Record<"ok" | "infeasible" | "failed", number> {
    const c = { ok: 0, infeasible: 0, failed: 0 };
    for (const t of this.trials) c[t.status]++;
    return c;
  }

  toString(): string {
    const c = this.statusCounts();
    const lines = [
      `OptimizationResult ${this.method} · ${this.trialCount} trials (${c.ok} ok, ${c.infeasible} infeasible, ${c.failed} failed) · ${this.objective.direction} ${this.objective.name} · run ${this.runId} (${this.store}) · ${formatDurationMs(this.elapsedMs)}${this.resumed ? ` · ${this.resumed} resumed` : ""}`,
    ];
    if (!this.walkForward) {
      const b = this.best;
      lines.push(b ? `  best #${b.index}: ${paramsText(b.params, this.paramNames)} → ${this.objective.name} ${fmt(b.objective)}` : "  no feasible trial");
    } else {
      for (const w of this.windows) {
        const span = w.oosStartNs !== undefined && w.oosEndNs !== undefined ? ` ${formatNs(w.oosStartNs)} → ${formatNs(w.oosEndNs)}` : "";
        lines.push(`  window ${w.index}${span}: ${paramsText(w.best?.params, this.paramNames)} · IS ${fmt(w.isObjective)} → OOS ${fmt(w.oosObjective)} (Δ ${fmt(w.degradation)})`);
      }
    }
    if (this.stoppedBecause) lines.push(`  stopped: ${this.stoppedBecause}`);
    for (const w of this.warnings) lines.push(`  note: ${w}`);
    return lines.join("\n");
  }

  [inspect.custom](): string {
    return this.toString();
  }

  /** Plain JSON (the CLI's --json): trials without their return series, windows with their figures. */
  toJSON(): Record<string, unknown> {
    const trial = (t: TrialRecord | undefined): Record<string, unknown> | null => {
      if (!t) return null;
      const { periodReturns, ...rest } = t;
      return { ...rest, periods: periodReturns?.length ?? 0 };
    };
    return {
      runId: this.runId,
      store: this.store,
      method: this.method,
      objective: this.objective,
      params: this.paramNames,
      fixed: this.fixed,
      trialCount: this.trialCount,
      status: this.statusCounts(),
      best: trial(this.best),
      walkForward: this.walkForward,
      windows: this.windows.map((w) => ({
        index: w.index,
        inSample: w.inSample,
        outOfSample: w.outOfSample ?? null,
        isStartNs: w.isStartNs?.toString() ?? null,
        isEndNs: w.isEndNs?.toString() ?? null,
        oosStartNs: w.oosStartNs?.toString() ?? null,
        oosEndNs: w.oosEndNs?.toString() ?? null,
        trials: w.trials,
        feasibleTrials: w.feasibleTrials,
        bestParams: w.best?.params ?? null,
        isObjective: w.isObjective,
        oosObjective: w.oosObjective,
        degradation: w.degradation,
        ratio: w.ratio,
        efficiency: w.efficiency,
        oos: trial(w.oos),
      })),
      trials: this.trials.map(trial),
      warnings: this.warnings,
      stoppedBecause: this.stoppedBecause,
      elapsedMs: this.elapsedMs,
      evaluated: this.evaluated,
      resumed: this.resumed,
      workers: this.workers,
      seed: this.seed,
    };
  }
}
