/**
 * `optimize(options)`: the sweep driver. It resolves the space, builds the search plan, opens the
 * store (resuming a crashed run when asked), and for each walk-forward window (or once, over all the
 * data) runs the plan batch by batch on the worker pool, recording every trial in the store as it
 * finishes. Trials already in the store are taken from there instead of being run again; because
 * plans are deterministic and each trial's seed depends only on the run seed, the window and the
 * params, a resumed run ends with exactly the trials and results of an uninterrupted one.
 */
import { resolve as resolvePath } from "node:path";
import { LabError, Progress, formatRate, hashString, type ProgressSink } from "../core/index.js";
import { checkOptionKeys } from "../core/internal.js";
import { readReportOf, type TickBatch } from "../data/index.js";
import { dataFingerprintOf, environmentInfo, isRunStore, openStore, type RunManifest, type StoreSpec, type TrialStore } from "../store/index.js";
import type { StrategyFactory } from "../strategy/index.js";
import { dataFingerprint, hashText, stableJson } from "./fingerprint.js";
import { fitness, normalizeConstraints, normalizeObjective, type ConstraintSpec, type Objective, type ObjectiveSpec, type Constraints } from "./objective.js";
import { KEEP_WORKERS_MS, acquirePool, releasePool, type PoolOptions, type TrialPool } from "./pool.js";
import { OptimizationResult, type WindowReport } from "./result.js";
import { GeneticPlan, geneticSearch, gridSearch, randomSearch, type Candidate, type GeneticOptions, type SearchMethod, type SearchPlan } from "./search.js";
import { paramsKey, resolveSpace, withFixed, type SearchSpace, type SpaceSpec } from "./space.js";
import { strategyEvaluatorRef, type StrategyBacktestOptions } from "./strategy-ref.js";
import { openQueueDispatcher, parseQueueUrl, type QueueDispatcher, type QueueSweepOptions, type TrialRunner } from "./queue.js";
import type { EvaluatorRef, Params, RowRange, TrialEvaluator, TrialOutcome, TrialPhase, TrialRecord, TrialTask } from "./types.js";
import { parseWalkForward, walkForwardWindows, type WalkForwardSpec, type WalkForwardWindow } from "./walk-forward.js";

export interface OptimizeOptions {
  /** Market data all trials read (shared with workers without copying when it is in SharedArrayBuffers). */
  data: TickBatch;
  /** A registered strategy (name, e.g. "imbalance", or factory): trials run the backtest engine. */
  strategy?: string | StrategyFactory;
  /** Backtest options for the built-in strategy evaluator (JSON-able: latencyNs, queue, fees, ...). */
  backtest?: StrategyBacktestOptions;
  /** A module that registers custom strategies (imported in every worker before the lookup). */
  strategyModule?: string;
  /** A custom evaluator instead of a strategy: `{ module, export }` (any workers) or a function (workers: 0). */
  evaluator?: EvaluatorRef | TrialEvaluator;
  /** The search space; with a strategy, names and bounds are checked against its schema. */
  space?: SpaceSpec;
  /** @default "grid" */
  method?: SearchMethod;
  /** random: number of trials (default 100); grid: subsample to at most this many points. */
  trials?: number;
  genetic?: Omit<GeneticOptions, "seed" | "filter">;
  /** Keep only parameter points for which this returns true (before evaluation). */
  filter?: (params: Params) => boolean;
  /** Warn when a grid would run more trials than this. @default 10_000 */
  warnAbove?: number;
  /** @default "sharpe" */
  objective?: ObjectiveSpec;
  constraints?: ConstraintSpec;
  /** Walk-forward validation (object or "rolling:windows=4,ratio=3,embargo=1s"). */
  walkForward?: WalkForwardSpec | string;
  /** Rows to use. @default all */
  range?: RowRange;
  /** Worker threads; 0 = this thread. @default os.availableParallelism() */
  workers?: number;
  /** How much lower than this thread's the worker threads' scheduling priority is (Linux). @default 5 (see PoolOptions.niceness) */
  niceness?: number;
  /**
   * How long the worker threads stay open after the sweep, for a next sweep over the same data
   * (the same batch object) with the same strategy or evaluator and worker settings: it then skips
   * their start-up and JIT warm-up. They never keep the process alive; 0 closes them at once;
   * `lab.optimizer.closeIdleWorkers()` closes them now. @default 60000
   */
  keepWorkersMs?: number;
  /** A DuckDB file path, "memory", or an open store. @default memory */
  store?: StoreSpec;
  /** Run id in the store. @default generated */
  runId?: string;
  /** Continue the newest run with the same configuration in the store. @default false */
  resume?: boolean;
  /** @default 0 */
  seed?: number;
  /** Progress sinks: `lab.show.progress()` in a notebook, `lab.terminalProgress()` in a script. */
  progress?: ProgressSink | readonly ProgressSink[];
  /** Where notes (huge grid, missing metric, ...) go. @default console.warn */
  onWarning?: (message: string) => void;
  /**
   * Run the trials on `strategy-lab worker` processes through a job queue on Redis instead of this
   * machine's threads: `"redis://host:port/name"`, or `{ url, data }` where `data` says how the
   * workers load the data (default: the file it was read from). See docs/scale.md.
   */
  queue?: string | QueueSweepOptions;
}

const OPTION_KEYS = ["data", "strategy", "backtest", "strategyModule", "evaluator", "space", "method", "trials", "genetic", "filter", "warnAbove", "objective", "constraints", "walkForward", "range", "workers", "niceness", "keepWorkersMs", "store", "runId", "resume", "seed", "progress", "onWarning", "queue"] as const;

function bad(option: string, message: string, hint: string): LabError {
  return new LabError({ code: "BAD_OPTION", message: `optimize option ${option}: ${message}`, hint, context: { option } });
}

function makePlan(method: SearchMethod, space: SearchSpace, o: OptimizeOptions, seed: number): SearchPlan {
  const filter = o.filter;
  switch (method) {
    case "grid": {
      const g: { filter?: (p: Params) => boolean; maxTrials?: number; warnAbove?: number; seed: number } = { seed };
      if (filter) g.filter = filter;
      if (o.trials !== undefined) g.maxTrials = o.trials;
      if (o.warnAbove !== undefined) g.warnAbove = o.warnAbove;
      return gridSearch(space, g);
    }
    case "random": {
      const r: { filter?: (p: Params) => boolean; trials?: number; seed: number } = { seed };
      if (filter) r.filter = filter;
      if (o.trials !== undefined) r.trials = o.trials;
      return randomSearch(space, r);
    }
    case "genetic": {
      const g: GeneticOptions = { ...o.genetic, seed };
      if (filter) g.filter = filter;
      return geneticSearch(space, g);
    }
    default:
      throw bad("method", `unknown method ${JSON.stringify(method)}`, 'use "grid", "random" or "genetic"');
  }
}

/** The registry manifest of a sweep: the strategy and its schema, the data, the backtest options and the search settings. */
function optimizeManifest(o: OptimizeOptions, schema: unknown, method: SearchMethod, objective: Objective, seed: number): RunManifest {
  const name = typeof o.strategy === "string" ? o.strategy : o.strategy !== undefined ? o.strategy.strategyName : typeof o.evaluator === "function" ? "custom" : (o.evaluator?.export ?? "custom");
  const read = readReportOf(o.data)?.file;
  const file = read === undefined ? undefined : resolvePath(read);
  const json = (v: unknown): Record<string, unknown> => JSON.parse(stableJson(v ?? {})) as Record<string, unknown>;
  const manifest: RunManifest = {
    kind: "optimize",
    strategy: { name, params: {}, ...(schema === undefined ? {} : { schema: json({ params: schema }).params }) },
    data: dataFingerprintOf(o.data, file === undefined ? [] : [file]),
    engine: json(o.backtest),
    optimize: json({ space: o.space ?? null, method, trials: o.trials ?? null, genetic: o.genetic ?? null, objective: { name: objective.name, direction: objective.direction }, constraints: o.constraints ?? null, walkForward: o.walkForward ?? null, range: o.range ?? null, seed }),
    seed,
    ...environmentInfo(),
  };
  return manifest;
}

/** Seed of one trial: depends on the run seed, the window and the point only (not on order or workers). */
export function trialSeed(seed: number, window: number, phase: TrialPhase, key: string): number {
  return hashString(`${seed}|${window}|${phase}|${key}`);
}

function chooseBest(records: readonly TrialRecord[], objective: Objective): TrialRecord | undefined {
  let best: TrialRecord | undefined;
  let bestF = -Infinity;
  for (const r of records) {
    const f = fitness(objective, r.status, r.objective);
    if (f > bestF || (f === bestF && best !== undefined && f > -Infinity && r.index < best.index)) {
      best = r;
      bestF = f;
    }
  }
  return bestF > -Infinity ? best : undefined;
}

interface RunContext {
  objective: Objective;
  constraints: Constraints;
  space: SearchSpace;
  seed: number;
  store: TrialStore;
  runId: string;
  previous: Map<string, TrialRecord>;
  getPool: () => Promise<TrialRunner>;
  progress: Progress;
  warn: (message: string) => void;
  counters: { evaluated: number; resumed: number; events: number; startedAt: number; bestText: string };
  metricChecked: boolean;
}

function recordFrom(ctx: RunContext, outcome: TrialOutcome, task: TrialTask, window: number, phase: TrialPhase, generation: number, index: number): TrialRecord {
  const base = { index, window, phase, generation, params: task.params, metrics: outcome.metrics, seed: task.seed, durationMs: outcome.durationMs, events: outcome.events, range: task.range };
  const withReturns = (r: TrialRecord): TrialRecord => (outcome.periodReturns === undefined ? r : { ...r, periodReturns: outcome.periodReturns });
  if (!outcome.ok) return withReturns({ ...base, status: "failed", objective: NaN, error: outcome.error ?? "failed" });
  let value: number;
  try {
    value = ctx.objective.value(outcome.metrics, task.params);
  } catch (error) {
    return withReturns({ ...base, status: "failed", objective: NaN, error: `objective: ${(error as Error).message}` });
  }
  if (!ctx.metricChecked && ctx.objective.name !== "custom") {
    ctx.metricChecked = true;
    if (!(ctx.objective.name in outcome.metrics)) ctx.warn(`the evaluator returns no metric "${ctx.objective.name}" (it returns: ${Object.keys(outcome.metrics).join(", ") || "none"}); every trial is infeasible`);
  }
  let reason: string | undefined;
  try {
    reason = ctx.constraints.check(outcome.metrics, task.params);
  } catch (error) {
    return withReturns({ ...base, status: "failed", objective: value, error: `constraints: ${(error as Error).message}` });
  }
  if (reason === undefined && Number.isNaN(value)) reason = `objective ${ctx.objective.name} is NaN`;
  return withReturns(reason === undefined ? { ...base, status: "ok", objective: value } : { ...base, status: "infeasible", objective: value, error: reason });
}

function sameParams(a: Params, b: Params): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is(a[k], b[k]));
}

/** Runs candidates as trials (or takes them from the store), records each as it finishes. */
async function evaluateCandidates(ctx: RunContext, window: number, phase: TrialPhase, candidates: readonly Candidate[], range: RowRange, firstIndex: number): Promise<TrialRecord[]> {
  const records: (TrialRecord | undefined)[] = new Array(candidates.length);
  const tasks: TrialTask[] = [];
  const meta: { generation: number; index: number }[] = [];
  candidates.forEach((c, i) => {
    const index = firstIndex + i;
    const params = withFixed(ctx.space, c.params);
    const key = paramsKey(ctx.space, params);
    const stored = ctx.previous.get(`${window}/${phase}/${index}`);
    if (stored !== undefined) {
      if (!sameParams(stored.params, params)) {
        throw new LabError({ code: "RESUME_MISMATCH", message: `stored trial ${index} of window ${window} has params ${JSON.stringify(stored.params)}, the search now proposes ${JSON.stringify(params)}`, hint: "the run cannot be resumed with this configuration; start a new run (no resume)" });
      }
      records[i] = stored;
      ctx.counters.resumed++;
      ctx.progress.tick(1);
      return;
    }
    tasks.push({ id: i, params, range, seed: trialSeed(ctx.seed, window, phase, key) });
    meta[i] = { generation: c.generation, index };
  });
  if (tasks.length > 0) {
    const pool = await ctx.getPool();
    const byId = new Map(tasks.map((t) => [t.id, t]));
    const onOutcome = (outcome: TrialOutcome): Promise<void> => {
      const task = byId.get(outcome.id)!;
      const m = meta[outcome.id]!;
      const rec = recordFrom(ctx, outcome, task, window, phase, m.generation, m.index);
      records[outcome.id] = rec;
      ctx.counters.evaluated++;
      ctx.counters.events += rec.events;
      const secs = (performance.now() - ctx.counters.startedAt) / 1000;
      ctx.progress.tick(1, `${formatRate(secs > 0 ? ctx.counters.events / secs : 0, "events")}${ctx.counters.bestText}`);
      return ctx.store.record(ctx.runId, [rec]);
    };
    await pool.run(tasks, onOutcome, { window, phase, firstIndex });
  }
  return records as TrialRecord[];
}

function windowReport(index: number, w: WalkForwardWindow | undefined, range: RowRange, trials: TrialRecord[], best: TrialRecord | undefined, oos: TrialRecord | undefined, objective: Objective): WindowReport {
  const isObjective = best?.objective ?? NaN;
  const oosObjective = oos !== undefined && oos.status !== "failed" ? oos.objective : NaN;
  const isSeconds = w ? Number(w.isEndNs - w.isStartNs) / 1e9 : NaN;
  const oosSeconds = w ? Number(w.oosEndNs - w.oosStartNs) / 1e9 : NaN;
  const sign = objective.direction === "maximize" ? 1 : -1;
  return {
    index,
    inSample: range,
    outOfSample: w?.outOfSample,
    isStartNs: w?.isStartNs,
    isEndNs: w?.isEndNs,
    oosStartNs: w?.oosStartNs,
    oosEndNs: w?.oosEndNs,
    trials: trials.length,
    feasibleTrials: trials.filter((t) => t.status === "ok").length,
    best,
    oos,
    isObjective,
    oosObjective,
    degradation: sign * (oosObjective - isObjective),
    ratio: isObjective !== 0 ? oosObjective / isObjective : NaN,
    efficiency: isObjective !== 0 ? oosObjective / oosSeconds / (isObjective / isSeconds) : NaN,
  };
}

/**
 * Runs an optimization; see `OptimizeOptions`. Also callable as
 * `optimize(data, strategy, space, options?)`, like `backtest(ticks, strategy, options)`.
 */
export async function optimize(options: OptimizeOptions): Promise<OptimizationResult>;
export async function optimize(data: TickBatch, strategy: string | StrategyFactory, space: SpaceSpec, options?: Omit<OptimizeOptions, "data" | "strategy" | "space">): Promise<OptimizationResult>;
export async function optimize(first: OptimizeOptions | TickBatch, strategy?: string | StrategyFactory, spaceSpec?: SpaceSpec, rest: Omit<OptimizeOptions, "data" | "strategy" | "space"> = {}): Promise<OptimizationResult> {
  const positional = typeof first === "object" && first !== null && (first as TickBatch).exchTs instanceof BigInt64Array;
  const options: OptimizeOptions = positional ? { ...rest, data: first as TickBatch, ...(strategy === undefined ? {} : { strategy }), ...(spaceSpec === undefined ? {} : { space: spaceSpec }) } : (first as OptimizeOptions);
  return sweep(options);
}

/**
 * A sweep whose trials a given runner evaluates instead of the worker pool or a job queue (used
 * by streamed sweeps over a catalog, src/optimize/streamed.ts: `data` is then the range's time
 * index, and the runner reads each trial's rows itself). The runner's `close` is called at the end.
 */
export async function sweepWith(options: OptimizeOptions, runner: TrialRunner & { close(): Promise<void> }): Promise<OptimizationResult> {
  try {
    return await sweep(options, runner);
  } finally {
    await runner.close();
  }
}

async function sweep(options: OptimizeOptions, runner?: TrialRunner): Promise<OptimizationResult> {
  if (typeof options !== "object" || options === null) throw bad("options", "must be an object", "e.g. lab.optimize({ data, strategy: \"imbalance\", space: { threshold: lab.range(0.1, 0.5, 0.05) } })");
  checkOptionKeys(options, OPTION_KEYS, "optimize");
  const startedAt = performance.now();
  const data = options.data;
  if (typeof data !== "object" || data === null || typeof data.length !== "number" || !(data.exchTs instanceof BigInt64Array)) throw bad("data", "must be a TickBatch", "read or generate data first, e.g. lab.data.generateTicks({ events: 1e6, seed: 1, mode: \"l2\", shared: true })");
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw bad("seed", `must be an integer, got ${String(seed)}`, "e.g. seed: 1");
  const method = options.method ?? "grid";
  if (options.evaluator !== undefined && options.strategy !== undefined) throw bad("evaluator", "give either a strategy or an evaluator, not both", "strategy runs the backtest engine; evaluator is a custom trial function");
  if (options.evaluator === undefined && options.strategy === undefined) throw bad("strategy", "missing", 'name a strategy (e.g. strategy: "imbalance") or pass an evaluator');

  let evaluator: EvaluatorRef | TrialEvaluator;
  let baseSchema;
  let evaluatorId: unknown;
  if (options.strategy !== undefined) {
    const built = await strategyEvaluatorRef(options.strategy, options.backtest ?? {}, options.strategyModule, options.workers);
    evaluator = built.evaluator;
    baseSchema = built.schema;
    evaluatorId = built.fingerprint;
  } else {
    evaluator = options.evaluator!;
    evaluatorId = typeof evaluator === "function" ? `fn:${evaluator.toString()}` : { module: evaluator.module, export: evaluator.export, options: evaluator.options ?? null };
  }
  if (options.queue !== undefined) {
    const url = typeof options.queue === "string" ? options.queue : options.queue?.url;
    parseQueueUrl(url as string);
    if (typeof evaluator === "function" || options.workers !== undefined) {
      throw new LabError({
        code: "QUEUE_EVALUATOR",
        message: typeof evaluator === "function" ? "a sweep through a job queue needs an evaluator other processes can load; this one exists only in this process (a function, or a strategy defined here)" : "workers is a local thread count; a sweep through a job queue runs on the queue's worker processes",
        hint: typeof evaluator === "function" ? "use a built-in strategy, strategyModule: \"/abs/path/module.js\", or evaluator: { module, export } reachable on every worker machine" : "leave out workers; start strategy-lab worker --queue <url> --concurrency N on each machine",
        context: { option: typeof evaluator === "function" ? "evaluator" : "workers" },
      });
    }
  }
  const space = resolveSpace(options.space, baseSchema);
  const objective = normalizeObjective(options.objective);
  const constraints = normalizeConstraints(options.constraints);
  const range = options.range ?? { start: 0, end: data.length };
  if (!(Number.isInteger(range.start) && Number.isInteger(range.end) && range.start >= 0 && range.end <= data.length && range.start < range.end)) {
    throw bad("range", `must be rows [start, end) within 0..${data.length}, got ${JSON.stringify(range)}`, `e.g. range: { start: 0, end: ${data.length} }`);
  }
  const wfSpec = typeof options.walkForward === "string" ? parseWalkForward(options.walkForward) : options.walkForward;
  const windows = wfSpec === undefined ? undefined : walkForwardWindows(data, wfSpec, range);
  const warnings: string[] = [];
  const warn = (m: string): void => {
    warnings.push(m);
    (options.onWarning ?? ((x: string) => console.warn(`optimize: ${x}`)))(m);
  };

  // Plans are built up front for window 0 (to fail fast on a bad space and size the progress bar).
  const searchSeed = (w: number): number => hashString(`${seed}|search|${w}`);
  const nWindows = windows?.length ?? 1;
  const firstPlan = makePlan(method, space, options, searchSeed(0));
  const config = {
    version: 1,
    data: dataFingerprint(data),
    evaluator: evaluatorId,
    space: { dims: space.dims, fixed: space.fixed },
    method,
    trials: options.trials ?? null,
    genetic: options.genetic ?? null,
    filter: options.filter ?? null,
    objective: objective.fingerprint,
    constraints: constraints.fingerprint,
    range,
    walkForward: windows?.map((w) => [w.inSample, w.outOfSample]) ?? null,
    seed,
  };
  const fingerprint = hashText(stableJson(config));
  const keepWorkersMs = options.keepWorkersMs ?? KEEP_WORKERS_MS;
  if (typeof keepWorkersMs !== "number" || !(keepWorkersMs >= 0)) throw bad("keepWorkersMs", `must be a number of milliseconds ≥ 0, got ${String(options.keepWorkersMs)}`, "e.g. keepWorkersMs: 0 closes the workers when the sweep ends");

  const { store, owned } = await openStore(options.store);
  let pool: TrialPool | undefined;
  let dispatcher: QueueDispatcher | undefined;
  let poolOptions: PoolOptions | undefined;
  let workersUsed = 0;
  let succeeded = false;
  let registryRun: string | undefined;
  try {
    const begun = await store.beginRun({ ...(options.runId === undefined ? {} : { runId: options.runId }), fingerprint, config: JSON.parse(stableJson(config)), resume: options.resume ?? false });
    // A store that keeps the run registry records the sweep as a run under the trial run's id.
    // (Not the throwaway memory store of a sweep given no store: nobody could read that record.)
    if (isRunStore(store) && !(owned && store.kind === "memory")) {
      registryRun = begun.runId;
      if ((await store.getRun(begun.runId)) !== undefined) await store.updateRun(begun.runId, { state: "running" });
      else await store.createRun({ id: begun.runId, kind: "optimize", manifest: optimizeManifest(options, baseSchema, method, objective, seed) });
    }
    const previous = new Map(begun.trials.map((t) => [`${t.window}/${t.phase}/${t.index}`, t]));
    const total = nWindows * firstPlan.maxTrials + (windows ? nWindows : 0);
    const progress = new Progress(`optimize ${method}`, options.progress, { total, unit: "trials" });
    const ctx: RunContext = {
      objective,
      constraints,
      space,
      seed,
      store,
      runId: begun.runId,
      previous,
      getPool: async () => {
        if (runner !== undefined) return runner;
        if (options.queue !== undefined) {
          dispatcher ??= await openQueueDispatcher(options.queue, data, evaluator as EvaluatorRef, begun.runId, fingerprint, warn);
          return dispatcher;
        }
        if (pool === undefined) {
          // A function evaluator (a notebook cell's, or a strategy only this process knows) runs in
          // this thread unless a worker count was asked for (which then fails with a hint).
          const workers = options.workers ?? (typeof evaluator === "function" ? 0 : undefined);
          if (options.workers === undefined && workers === 0) warn("trials run in this thread: workers cannot load a function; pass a module reference (or strategyModule) to use worker threads");
          poolOptions = { data, evaluator, ...(workers === undefined ? {} : { workers }), ...(options.niceness === undefined ? {} : { niceness: options.niceness }) };
          pool = await acquirePool(poolOptions);
          workersUsed = pool.size;
          if (pool.copiedData) warn("the data was copied into shared memory for the workers; pass data generated or read with shared: true (or lab.data.toShared) to avoid the copy");
        }
        return pool;
      },
      progress,
      warn,
      counters: { evaluated: 0, resumed: 0, events: 0, startedAt: performance.now(), bestText: "" },
      metricChecked: false,
    };
    for (const w of firstPlan.warnings) warn(w);

    const all: TrialRecord[] = [];
    const reports: WindowReport[] = [];
    let stoppedBecause = "";
    for (let wi = 0; wi < nWindows; wi++) {
      const win = windows?.[wi];
      const isRange = win ? win.inSample : range;
      const plan = wi === 0 ? firstPlan : makePlan(method, space, options, searchSeed(wi));
      const windowTrials: TrialRecord[] = [];
      let batch = plan.next();
      while (batch !== null) {
        const recs = await evaluateCandidates(ctx, wi, "search", batch, isRange, windowTrials.length);
        windowTrials.push(...recs);
        plan.report(recs.map((r) => fitness(objective, r.status, r.objective)));
        const best = chooseBest(windowTrials, objective);
        ctx.counters.bestText = best ? ` · best ${objective.name} ${Number(best.objective.toPrecision(4))}` : "";
        batch = plan.next();
      }
      if (plan instanceof GeneticPlan) stoppedBecause = `${plan.stoppedBecause} after ${plan.generationsRun} generation${plan.generationsRun === 1 ? "" : "s"}`;
      // Progress total assumed the plan's upper bound; a GA that stopped early moves the bar on.
      const unused = plan.maxTrials - windowTrials.length;
      if (unused > 0) progress.total -= unused;
      const best = chooseBest(windowTrials, objective);
      let oos: TrialRecord | undefined;
      if (win !== undefined) {
        if (best !== undefined) {
          const chosen: Candidate = { params: Object.fromEntries(space.names.map((n) => [n, best.params[n]!])), generation: 0 };
          oos = (await evaluateCandidates(ctx, wi, "oos", [chosen], win.outOfSample, 0))[0];
        } else {
          progress.total -= 1;
          warn(`walk-forward window ${wi}: no feasible in-sample trial, so nothing was evaluated out-of-sample`);
        }
      }
      all.push(...windowTrials);
      reports.push(windowReport(wi, win, isRange, windowTrials, best, oos, objective));
    }
    progress.finish();
    const result = new OptimizationResult({
      runId: begun.runId,
      store: store.location,
      method,
      objective: { name: objective.name, direction: objective.direction },
      paramNames: space.names,
      fixed: space.fixed,
      trials: all,
      windows: reports,
      walkForward: windows !== undefined,
      warnings,
      stoppedBecause,
      elapsedMs: performance.now() - startedAt,
      evaluated: ctx.counters.evaluated,
      resumed: ctx.counters.resumed,
      workers: workersUsed,
      seed,
    });
    await store.finishRun(begun.runId, { trialCount: result.trialCount, best: result.bestParams ?? null, status: result.statusCounts() });
    if (registryRun !== undefined && isRunStore(store)) {
      const chosen = result.best;
      const metrics: Record<string, number> = { ...(chosen?.metrics ?? {}), objective: chosen?.objective ?? NaN, trials: result.trialCount };
      if (windows !== undefined) metrics.oosObjective = reports[reports.length - 1]?.oosObjective ?? NaN;
      await store.updateRun(begun.runId, { state: "finished", finishedAt: new Date().toISOString(), params: chosen?.params ?? {}, metrics });
    }
    succeeded = true;
    return result;
  } catch (error) {
    if (registryRun !== undefined && isRunStore(store)) await store.updateRun(registryRun, { state: "failed", finishedAt: new Date().toISOString(), error: (error as Error).message }).catch(() => undefined);
    throw error;
  } finally {
    const p = pool as TrialPool | undefined;
    // Only a pool whose sweep finished is kept: after a failure its state is not to be trusted.
    if (p !== undefined) await releasePool(p, poolOptions!, succeeded ? keepWorkersMs : 0);
    const d = dispatcher as QueueDispatcher | undefined;
    if (d !== undefined) await d.close();
    if (owned) await store.close();
  }
}
