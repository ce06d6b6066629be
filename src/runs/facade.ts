/**
 * `lab.store` and `lab.runs`: where runs are recorded, and reading them back.
 *
 *   await lab.store.use("runs.duckdb");       // or "memory", a postgres:// URL, a store; undefined = off
 *   const run = lab.backtest(ticks, lab.strategies.imbalance(), { latencyNs: 50_000 });   // recorded
 *   await lab.store.flush();                  // wait until every recording is written
 *   lab.runs.list({ kind: "backtest", where: { sharpe: { gt: 1 } } })
 *
 * Without `use`, the environment variable STRATEGY_LAB_STORE names the store (opened on first use).
 * `backtest` is synchronous, so its recording runs in the background, in order; a failure is
 * printed once as a warning with its code and `flush()` rejects with it, so none goes unnoticed.
 */
import { totalmem } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { LabError, isLabError, parseTime } from "../core/index.js";
import { checkOptionKeys } from "../core/internal.js";
import { catalogChunks, catalogSummary, readCatalog, type CatalogSummary, type TickBatch } from "../data/index.js";
import { backtest as runBacktest, backtestStream, type BacktestOptions, type BacktestResult, type StrategyHandlers, type StrategyLike, type TickChunkSource } from "../engine/index.js";
import { optimize as runOptimize, type OptimizationResult, type OptimizeOptions } from "../optimize/index.js";
import { StreamedRunner, sweepWith, timeIndexOf, type StreamedRange } from "../optimize/internal.js";
import { strategies } from "../strategy/index.js";
import { htmlDocument, rememberSweep, sweepChecklist, type Exportable } from "../report/index.js";
import { isRunStore, openRunStore, packageRoot, type LabStore, type RunFilter, type RunManifest, type StoreSpec } from "../store/index.js";
import type { SpaceSpec } from "../optimize/index.js";
import type { StrategyFactory } from "../strategy/index.js";
import { putChecklist, recordBacktest, type BacktestRecordInfo } from "./record.js";
import { rerun as rerunRecorded, type RerunOptions, type RerunReport } from "./rerun.js";
import { RunComparison, RunList, RunView } from "./views.js";

/** The environment variable naming the default store (a DuckDB path, "memory" or a postgres:// URL). */
export const STORE_ENV = "STRATEGY_LAB_STORE";

/**
 * Records a result that arrives later (a paper session's) when recording is on, like a backtest's;
 * the manifest's data names the live feed it ran on. Returns the same promise.
 */
export function recordWhenDone(result: Promise<BacktestResult>, info: BacktestRecordInfo & { live: string }): Promise<BacktestResult> {
  if (current() === undefined) return result;
  return result.then((r) => {
    enqueue(`the paper session of ${r.summary.strategy}`, (s) => recordBacktest(s, r, info));
    return r;
  });
}

/** The project's own store, used by `npm start`, the server and `strategy-lab runs` when nothing else is named: `.strategy-lab/runs.duckdb` (git-ignored). */
export function defaultStorePath(): string {
  return join(packageRoot(), ".strategy-lab", "runs.duckdb");
}

/** The store a command uses: the one given, else STRATEGY_LAB_STORE, else (with `fallback`) the project's default. */
export function storeSpecFrom(given: string | undefined, fallback = false): string | undefined {
  if (given !== undefined && given.trim() !== "") return given.trim();
  const env = process.env[STORE_ENV];
  if (env !== undefined && env.trim() !== "") return env.trim();
  return fallback ? defaultStorePath() : undefined;
}

interface Active {
  spec: string | LabStore;
  store: Promise<LabStore>;
  owned: boolean;
}

let active: Active | undefined;
/** false: `use(undefined)` turned recording off, so the environment variable no longer applies. */
let envAllowed = true;
let queue: Promise<unknown> = Promise.resolve();
let failures: LabError[] = [];
const warned = new Set<string>();

function asRecordError(error: unknown, what: string): LabError {
  if (isLabError(error)) return error;
  return new LabError({ code: "RECORD_FAILED", message: `could not record ${what}: ${(error as Error)?.message ?? String(error)}`, hint: "check the store (free disk, not locked by another process)", cause: error });
}

function activate(spec: string | LabStore): Active {
  const opened = openRunStore(spec);
  const a: Active = { spec, store: opened.then((o) => o.store), owned: typeof spec === "string" };
  // A store that fails to open is reported by the first recording that needs it.
  a.store.catch(() => undefined);
  return a;
}

function current(): Active | undefined {
  if (active === undefined && envAllowed) {
    const env = process.env[STORE_ENV];
    if (env !== undefined && env.trim() !== "") active = activate(env.trim());
  }
  return active;
}

/** Runs `task` after every earlier recording; a failure is kept for `flush` and warned about once per code. */
function enqueue(what: string, task: (store: LabStore) => Promise<unknown>): void {
  const a = current();
  if (a === undefined) return;
  queue = queue.then(async () => {
    try {
      await task(await a.store);
    } catch (error) {
      const e = asRecordError(error, what);
      failures.push(e);
      if (!warned.has(e.code)) {
        warned.add(e.code);
        process.emitWarning(`${e.code}: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}; lab.store.flush() reports every failure`, { type: "StrategyLabRecordWarning" });
      }
    }
  });
}

async function requireStore(): Promise<LabStore> {
  const a = current();
  if (a === undefined) throw new LabError({ code: "STORE_UNSUPPORTED", message: "no run store is configured", hint: `call await lab.store.use("runs.duckdb") (or set ${STORE_ENV}) first` });
  await queue;
  return a.store;
}

export const store = {
  /**
   * Records runs in `spec` from now on: a DuckDB file path, "memory", a postgres:// URL, or an open
   * store; `undefined` turns recording off (also ignoring STRATEGY_LAB_STORE). Waits for pending
   * recordings into the previous store and closes it when `use` opened it.
   */
  async use(spec: StoreSpec | LabStore): Promise<LabStore | undefined> {
    await queue;
    const previous = active;
    active = undefined;
    if (previous?.owned) await (await previous.store.catch(() => undefined))?.close();
    if (spec === undefined) {
      envAllowed = false;
      return undefined;
    }
    const next = activate(spec as string | LabStore);
    await next.store;
    active = next;
    return next.store;
  },

  /** The store runs are recorded in (opening the STRATEGY_LAB_STORE one if that is the setting), or undefined. */
  async current(): Promise<LabStore | undefined> {
    return current()?.store;
  },

  /** Waits until every recording made so far is written; rejects with RECORD_FAILED naming the failures since the last flush. */
  async flush(): Promise<void> {
    await queue;
    if (failures.length === 0) return;
    const list = failures;
    failures = [];
    if (list.length === 1) throw list[0]!;
    throw new LabError({ code: "RECORD_FAILED", message: `${list.length} recordings failed; the first: ${list[0]!.code}: ${list[0]!.message}`, hint: list[0]!.hint, cause: list[0] });
  },
};

function schemaOf(strategy: unknown): unknown {
  const s = (strategy as { schema?: unknown } | null)?.schema;
  return Array.isArray(s) ? s : undefined;
}

/** A range of a Parquet catalog to backtest chunk by chunk (see `catalogChunks`). */
export interface CatalogQuery {
  catalog: string;
  symbols?: readonly string[];
  venues?: readonly string[];
  /** Inclusive start (ns, or a time text). */
  start?: bigint | string;
  /** Exclusive end. */
  end?: bigint | string;
  /** Rows read per chunk. @default 1_000_000 */
  chunkRows?: number;
  /** Read the range's decoded column files when it has them (`lab.data.cacheCatalogColumns`), or never ("off"). @default "use" */
  columnCache?: "use" | "off";
}

function isChunkSource(x: unknown): x is TickChunkSource {
  return typeof x === "object" && x !== null && typeof (x as TickChunkSource).next === "function" && Array.isArray((x as TickChunkSource).instruments);
}

function isCatalogQuery(x: unknown): x is CatalogQuery {
  return typeof x === "object" && x !== null && typeof (x as CatalogQuery).catalog === "string";
}

/**
 * `backtest(ticks, strategy, options)` as in the engine; with a store configured the run is also
 * recorded (in the background: `await lab.store.flush()` to wait).
 *
 * Given a catalog query (`{ catalog, symbols, start, end, chunkRows }`) or a chunk source instead
 * of batches, the run streams its rows chunk by chunk (memory bounded by the chunk size plus the
 * result; identical to the in-memory run on the same rows; src/engine/streaming.ts) and returns
 * a promise.
 */
export function backtest(ticks: TickBatch | readonly TickBatch[], strategy: StrategyLike | StrategyHandlers, options?: BacktestOptions): BacktestResult;
export function backtest(source: CatalogQuery | TickChunkSource, strategy: StrategyLike | StrategyHandlers, options?: BacktestOptions): Promise<BacktestResult>;
export function backtest(ticks: TickBatch | readonly TickBatch[] | CatalogQuery | TickChunkSource, strategy: StrategyLike | StrategyHandlers, options: BacktestOptions = {}): BacktestResult | Promise<BacktestResult> {
  if (isCatalogQuery(ticks) || isChunkSource(ticks)) return streamed(ticks, strategy, options);
  const result = runBacktest(ticks, strategy, options);
  if (current() !== undefined) {
    const schema = schemaOf(strategy);
    enqueue(`the backtest of ${result.summary.strategy}`, (s) => recordBacktest(s, result, { data: ticks, options, ...(schema === undefined ? {} : { schema }) }));
  }
  return result;
}

async function streamed(input: CatalogQuery | TickChunkSource, strategy: StrategyLike | StrategyHandlers, options: BacktestOptions): Promise<BacktestResult> {
  let source: TickChunkSource;
  let read: Record<string, string> | undefined;
  if (isChunkSource(input)) source = input;
  else {
    checkOptionKeys(input, ["catalog", "symbols", "venues", "start", "end", "chunkRows", "columnCache"], "backtest catalog query");
    const { catalog, ...query } = input;
    source = await catalogChunks(catalog, query);
    read = { catalog: resolve(catalog), ...(input.symbols ? { symbols: input.symbols.join(",") } : {}), ...(input.start !== undefined ? { start: String(input.start) } : {}), ...(input.end !== undefined ? { end: String(input.end) } : {}) };
  }
  const result = await backtestStream(source, strategy, options);
  if (current() !== undefined) {
    const schema = schemaOf(strategy);
    enqueue(`the backtest of ${result.summary.strategy}`, (s) => recordBacktest(s, result, { options, ...(read ? { read } : {}), ...(schema === undefined ? {} : { schema }) }));
  }
  return result;
}

/**
 * A catalog range as a sweep's data: read into shared memory once when it fits `maxMemoryBytes`,
 * else streamed by every trial (see `stream`).
 */
export interface CatalogSweepData extends CatalogQuery {
  /**
   * Largest in-memory size of the range (about 62 bytes a row) the sweep reads into shared memory
   * for its workers. @default a quarter of the machine's memory
   */
  maxMemoryBytes?: number;
  /**
   * "auto": in memory when the range fits `maxMemoryBytes`, else streamed; true: streamed; false:
   * in memory or DATA_TOO_LARGE. A streamed sweep's trials each read their rows from the catalog
   * on worker threads (src/optimize/streamed.ts; memory holds a few chunks per worker), and its
   * search and walk-forward windows run on a time index of the range, one row in
   * `timeIndexEvery` (default: about a million index rows). @default "auto"
   */
  stream?: boolean | "auto";
  /** Rows of the range per row of a streamed sweep's time index (1: windows on exact rows). */
  timeIndexEvery?: number;
}

/** Bytes a row takes in a TickBatch (its 11 columns). */
const BYTES_PER_ROW = 62;

/** `OptimizeOptions` whose data may also be a catalog range. */
export type SweepOptions = Omit<OptimizeOptions, "data"> & { data: TickBatch | CatalogSweepData };

/**
 * The rows of a catalog range as one shared batch, after checking from the catalog's own counts
 * (no rows read) that they fit: every worker reads the same memory, and trials, walk-forward
 * windows (which may span days), DSR and PBO run exactly as on any batch.
 */
async function sweepData(data: CatalogSweepData): Promise<TickBatch | { streamed: CatalogSummary }> {
  checkOptionKeys(data, ["catalog", "symbols", "venues", "start", "end", "chunkRows", "maxMemoryBytes", "stream", "timeIndexEvery"], "optimize data (catalog range)");
  const { catalog, maxMemoryBytes, stream = "auto", timeIndexEvery: _every, chunkRows: _chunkRows, ...query } = data;
  if (stream !== "auto" && typeof stream !== "boolean") throw new LabError({ code: "BAD_OPTION", message: `optimize data stream must be true, false or "auto", got ${String(stream)}`, hint: 'e.g. stream: "auto"', context: { option: "stream" } });
  const limit = maxMemoryBytes ?? Math.floor(totalmem() / 4);
  const summary = await catalogSummary(catalog, query);
  const bytes = summary.totalRows * BYTES_PER_ROW;
  if (stream === true || (stream === "auto" && bytes > limit)) return { streamed: summary };
  if (bytes > limit) {
    const gib = (x: number): string => `${(x / 2 ** 30).toFixed(1)} GiB`;
    throw new LabError({
      code: "DATA_TOO_LARGE",
      message: `${summary.description}: the range holds ${summary.totalRows.toLocaleString("en-US")} rows (${gib(bytes)} in memory), more than the sweep may hold (maxMemoryBytes ${gib(limit)})`,
      hint: 'narrow the range (start, end, symbols), raise maxMemoryBytes if the machine has the memory, or let every trial stream its rows: stream: "auto" (the default) or true',
      context: { file: catalog },
    });
  }
  return readCatalog(catalog, { ...query, shared: true });
}

/**
 * A sweep whose trials stream their rows from the catalog on worker threads (see
 * `CatalogSweepData.stream`): trials run a registered strategy (built in, or from
 * `strategyModule`), which the workers look up themselves.
 */
async function streamedSweep(data: CatalogSweepData, summary: CatalogSummary, options: OptimizeOptions): Promise<OptimizationResult> {
  if (options.evaluator !== undefined || options.strategy === undefined) throw new LabError({ code: "BAD_OPTION", message: "a streamed sweep runs a strategy; a custom evaluator reads an in-memory batch", hint: "pass strategy (a registered name) or a range that fits in memory (maxMemoryBytes)", context: { option: "evaluator" } });
  if (options.queue !== undefined) throw new LabError({ code: "BAD_OPTION", message: "a streamed sweep runs on this machine's threads; queue workers read their data into memory", hint: "leave out queue, or narrow the range so it fits in memory", context: { option: "queue" } });
  const name = typeof options.strategy === "string" ? options.strategy : options.strategy.strategyName;
  const builtIn = [strategies.imbalance, strategies.bidAskBounce, strategies.marketMaker, strategies.skewedMarketMaker].some((f) => f.strategyName === name);
  if (!builtIn && options.strategyModule === undefined) {
    throw new LabError({ code: "STRATEGY_NOT_IN_WORKERS", message: `strategy "${name}" is defined in this process only; a streamed sweep's worker threads cannot see it`, hint: 'define it in a module and pass strategyModule: "/abs/path/to/module.js"', context: { value: name } });
  }
  const ns = (x: bigint | string | undefined): string | undefined => (x === undefined ? undefined : String(typeof x === "bigint" ? x : parseTime(x)));
  const range: StreamedRange = {
    catalog: resolve(data.catalog),
    ...(data.symbols ? { symbols: [...data.symbols] } : {}),
    ...(data.venues ? { venues: [...data.venues] } : {}),
    ...(data.start !== undefined ? { start: ns(data.start)! } : {}),
    ...(data.end !== undefined ? { end: ns(data.end)! } : {}),
    ...(data.chunkRows !== undefined ? { chunkRows: data.chunkRows } : {}),
  };
  const time = await timeIndexOf(range, summary, data.timeIndexEvery);
  const given = options.strategyModule;
  const strategyModule = given === undefined ? undefined : given.startsWith("file:") ? given : pathToFileURL(resolve(given)).href;
  const runner = await StreamedRunner.open(time, { range, strategy: name, ...(strategyModule ? { strategyModule } : {}), backtest: options.backtest ?? {} }, options.workers);
  const { workers: _workers, ...rest } = options;
  return sweepWith({ ...rest, data: time.index }, runner);
}

function isCatalogData(x: unknown): x is CatalogSweepData {
  return typeof x === "object" && x !== null && typeof (x as CatalogSweepData).catalog === "string" && !("exchTs" in x);
}

/**
 * `optimize(...)` as in the optimizer; with a store configured and no `store` option, the sweep's
 * trials and its registry run go to that store. `data` may also be a catalog range
 * (`{ catalog, symbols, start, end }`), read once into shared memory when it fits (see
 * `CatalogSweepData`); a queued sweep's workers then read the same range themselves.
 */
export async function optimize(options: SweepOptions): Promise<OptimizationResult>;
export async function optimize(data: TickBatch | CatalogSweepData, strategy: string | StrategyFactory, space: SpaceSpec, options?: Omit<OptimizeOptions, "data" | "strategy" | "space">): Promise<OptimizationResult>;
export async function optimize(first: SweepOptions | TickBatch | CatalogSweepData, strategy?: string | StrategyFactory, space?: SpaceSpec, rest: Omit<OptimizeOptions, "data" | "strategy" | "space"> = {}): Promise<OptimizationResult> {
  const positional = strategy !== undefined;
  const given = positional ? rest : (first as SweepOptions);
  const a = given.store === undefined ? current() : undefined;
  const extra = a === undefined ? {} : { store: await a.store };
  const raw = positional ? (first as TickBatch | CatalogSweepData) : (first as SweepOptions).data;
  const read = isCatalogData(raw) ? await sweepData(raw) : raw;
  if ("streamed" in read) {
    const options: OptimizeOptions = positional ? { ...rest, ...extra, data: undefined as unknown as TickBatch, strategy, space: space as SpaceSpec } : { ...(first as SweepOptions), ...extra, data: undefined as unknown as TickBatch };
    return withChecklist(given.store ?? extra.store, await streamedSweep(raw as CatalogSweepData, read.streamed, options));
  }
  const data = read;
  // Queued workers on other machines read the same catalog range (not a file this batch came from).
  const queue = isCatalogData(raw) ? catalogQueue(given.queue, raw) : given.queue;
  const queued = queue === undefined ? {} : { queue };
  const result = positional ? await runOptimize(data, strategy, space as SpaceSpec, { ...rest, ...extra, ...queued }) : await runOptimize({ ...(first as SweepOptions), data, ...extra, ...queued });
  // sweep.report() / lab.show.tearSheet(sweep) repeat the chosen trial's backtest.
  return withChecklist(given.store ?? extra.store, rememberSweep(result, data, positional ? strategy : (first as SweepOptions).strategy, given.backtest));
}

/**
 * Adds the sweep's research checklist to its recorded run (the dashboard shows it), when the store
 * keeps runs: an open store, or a file / postgres:// URL, which the sweep closed and is opened again.
 */
async function withChecklist(store: StoreSpec | undefined, sweep: OptimizationResult): Promise<OptimizationResult> {
  if (store === undefined || store === "memory" || store === ":memory:") return sweep;
  if (typeof store === "object" && (store === null || !isRunStore(store))) return sweep;
  const opened = typeof store === "string" ? await openRunStore(store) : { store: store as LabStore, owned: false };
  try {
    if ((await opened.store.getRun(sweep.runId)) !== undefined) await putChecklist(opened.store, sweep.runId, sweepChecklist(sweep));
  } finally {
    if (opened.owned) await opened.store.close();
  }
  return sweep;
}

function catalogQueue(queue: OptimizeOptions["queue"], data: CatalogSweepData): OptimizeOptions["queue"] {
  if (queue === undefined) return undefined;
  const spec = typeof queue === "string" ? { url: queue } : queue;
  if (spec.data !== undefined) return spec;
  const text = (x: bigint | string | undefined): string | undefined => (x === undefined ? undefined : String(x));
  const options = {
    ...(data.symbols ? { symbols: [...data.symbols] } : {}),
    ...(data.venues ? { venues: [...data.venues] } : {}),
    ...(data.start !== undefined ? { start: text(data.start)! } : {}),
    ...(data.end !== undefined ? { end: text(data.end)! } : {}),
  };
  return { ...spec, data: { catalog: resolve(data.catalog), options } };
}

function toFilter(filter: RunFilter | undefined): RunFilter {
  return filter ?? {};
}

export const runs = {
  /** Records a backtest result explicitly (whether or not recording is on) and returns the run id. */
  async record(result: BacktestResult, info: BacktestRecordInfo & { name?: string } = {}): Promise<string> {
    const s = await requireStore();
    const { name, ...rest } = info;
    return recordBacktest(s, result, { ...rest, ...(name === undefined ? {} : { id: name }) });
  },

  /** Runs that match, newest first (`sort`/`order` to change), as a table in a notebook. */
  async list(filter?: RunFilter): Promise<RunList> {
    const s = await requireStore();
    const page = await s.listRuns(toFilter(filter));
    return new RunList(page.runs, page.total);
  },

  /** One run with its manifest, metrics, equity and artifacts (RUN_NOT_FOUND when unknown). */
  async get(id: string): Promise<RunView> {
    const s = await requireStore();
    const run = await s.getRun(id);
    if (run === undefined) throw new LabError({ code: "RUN_NOT_FOUND", message: `no run "${id}" in the store ${s.location}`, hint: "lab.runs.list() shows the runs and their ids", context: { file: s.location } });
    return new RunView(run);
  },

  /** Two runs side by side: metric differences and manifest differences. */
  async compare(a: string, b: string): Promise<RunComparison> {
    const [ra, rb] = await Promise.all([runs.get(a), runs.get(b)]);
    return new RunComparison(ra.run, rb.run);
  },

  /** Repeats a recorded backtest and says whether it reproduced bit for bit, or what differs (see `RerunReport`). */
  async rerun(id: string, options: RerunOptions = {}): Promise<RerunReport> {
    return rerunRecorded(await requireStore(), id, options);
  },

  /** The bytes of a run's artifact. */
  async artifact(id: string, name: string): Promise<Uint8Array> {
    return (await requireStore()).readArtifact(id, name);
  },

  /**
   * Attaches a report (a tear sheet or HTML) to run `id` as the self-contained page `report.html`;
   * with `asRun: true` it is recorded as a run of kind "report" whose parent is `id`, and that
   * run's id is returned.
   */
  async attachReport(id: string, report: Exportable, options: { asRun?: boolean; title?: string } = {}): Promise<string> {
    const s = await requireStore();
    const parent = await s.getRun(id);
    if (parent === undefined) throw new LabError({ code: "RUN_NOT_FOUND", message: `no run "${id}" in the store ${s.location}`, hint: "lab.runs.list() shows the runs and their ids", context: { file: s.location } });
    const bytes = new TextEncoder().encode(htmlDocument(report, options.title));
    let target = id;
    if (options.asRun) {
      const manifest: RunManifest = { ...parent.manifest, kind: "report", parent: id };
      target = await s.createRun({ kind: "report", manifest });
      await s.updateRun(target, { metrics: parent.metrics, params: parent.params, ...(parent.resultHash ? { resultHash: parent.resultHash } : {}), ...(parent.equity ? { equity: parent.equity } : {}) });
    }
    await s.putArtifact(target, "report.html", bytes, "text/html; charset=utf-8");
    if (options.asRun) await s.updateRun(target, { state: "finished", finishedAt: new Date().toISOString() });
    return target;
  },
};
