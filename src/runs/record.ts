/**
 * What a recorded backtest keeps: the manifest (data checksums, strategy, every engine option,
 * environment), the summary metrics, a bit-exact hash of the result's orders, fills and equity,
 * the equity series thinned for charts, the orders, fills and equity as Parquet artifacts, and the
 * research checklist as `checklist.json` (the dashboard shows it on the run's page).
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type * as DuckApi from "@duckdb/node-api";
import { calendarOf } from "../core/index.js";
import { readReportOf, type TickBatch } from "../data/index.js";
import { duckConnection, sqlIdent, sqlString } from "../data/internal.js";
import { BACKTEST_DEFAULTS, type BacktestOptions, type BacktestResult } from "../engine/index.js";
import { countedChanges, equityGrid, probabilisticSharpe, sessionPeriods } from "../stats/index.js";
import { runChecklist, type Checklist } from "../report/index.js";
import { dataFingerprintOf, downsampleEquity, environmentInfo, type DataFingerprint, type LabStore, type RunManifest, type StoredValue } from "../store/index.js";

/** What `recordBacktest` needs besides the result. */
export interface BacktestRecordInfo {
  /** The data the backtest ran on (its source files are checksummed; otherwise its columns). */
  data?: TickBatch | readonly TickBatch[];
  /** The options as given to `backtest` (defaults are filled in for the manifest). */
  options?: BacktestOptions;
  /** The strategy's parameter schema, when the template has one. */
  schema?: unknown;
  /** Source files, when the caller knows them better than the batch's read report. */
  files?: readonly string[];
  /** How to read the data again (command-line data options), for reruns. */
  read?: Record<string, string>;
  /** Run id. @default generated */
  id?: string;
  /** The run this one repeats or derives from. */
  parent?: string;
  /** Store the orders, fills and equity as Parquet artifacts. @default true */
  artifacts?: boolean;
  /** The live feed a paper session ran on (its URL): the data cannot be read again. */
  live?: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * An option value as JSON: numbers, names and plain objects as they are, bigints as "<digits>n",
 * and model objects (latency, queue and fee models, which hold functions) as `{ model: <name> }`,
 * which a rerun cannot rebuild and says so.
 */
export function optionJson(v: unknown): unknown {
  if (v === undefined || v === null || typeof v === "string" || typeof v === "boolean") return v ?? null;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "bigint") return `${v.toString()}n`;
  if (Array.isArray(v)) return v.map(optionJson);
  if (isPlainObject(v) && !Object.values(v).some((x) => typeof x === "function")) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = optionJson(v[k]);
    return out;
  }
  if (typeof v === "object") return { model: String((v as { name?: unknown }).name ?? (v as object).constructor?.name ?? "custom") };
  return String(v);
}

/** Every backtest option (given or default) as JSON, without the progress sink. */
export function engineJson(options: BacktestOptions = {}): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...BACKTEST_DEFAULTS, ...options };
  delete merged.progress;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(merged).sort()) out[k] = optionJson(merged[k]);
  return out;
}

/** The source files of a batch (readers note the file they read), or none. */
export function sourceFiles(data: TickBatch | readonly TickBatch[] | undefined): string[] {
  if (data === undefined) return [];
  const list = (Array.isArray(data) ? data : [data]) as readonly TickBatch[];
  const files = list.map((b) => readReportOf(b)?.file);
  // Absolute, so a rerun from another folder (the CLI at the project root, a notebook in notebooks/) finds them.
  return files.every((f): f is string => typeof f === "string") ? files.map((f) => resolve(f)) : [];
}

export function backtestManifest(result: BacktestResult, info: BacktestRecordInfo = {}): RunManifest {
  const s = result.summary;
  let data: DataFingerprint;
  if (info.data !== undefined) data = dataFingerprintOf(info.data as TickBatch | readonly TickBatch[], info.files ?? sourceFiles(info.data));
  else data = { symbols: result.instruments.map((i) => i.symbol), start: new Date(Number(s.startTs / 1_000_000n)).toISOString(), end: new Date(Number(s.endTs / 1_000_000n)).toISOString() };
  if (info.read !== undefined) data.read = { ...info.read };
  if (info.live !== undefined) data.live = info.live;
  const engine = engineJson(info.options);
  engine.resolved = { ...result.settings };
  const manifest: RunManifest = {
    kind: "backtest",
    strategy: { name: s.strategy, params: { ...(s.params as Record<string, StoredValue>) }, ...(info.schema === undefined ? {} : { schema: JSON.parse(JSON.stringify(info.schema)) as unknown }) },
    data,
    engine,
    seed: result.settings.seed,
    ...environmentInfo(),
  };
  if (info.parent !== undefined) manifest.parent = info.parent;
  return manifest;
}

/** Per-period equity changes on the sampling grid (the samples taken at fills left out). */
/** PnL per grid period: the series of the run's Sharpe ratio (src/stats/equity.ts). */
function gridChanges(result: BacktestResult): Float64Array {
  const grid = equityGrid(result.equity.ts, result.equity.equity, result.settings.equityIntervalNs);
  const hours = calendarOf(result.instruments.map((i) => i.venue)).tradingHours;
  return countedChanges(grid.values, grid.times.length > 0 ? sessionPeriods(grid.times[0]!, grid.intervalNs, grid.values.length, hours) : undefined);
}

/** The summary figures of a run as metrics (NaN kept: "no fills" is not a maker share of 0). */
export function backtestMetrics(result: BacktestResult): Record<string, number> {
  const s = result.summary;
  const changes = gridChanges(result);
  let psr = NaN;
  try {
    psr = changes.length >= 3 ? probabilisticSharpe(changes) : NaN;
  } catch {
    psr = NaN;
  }
  return {
    pnl: s.pnl,
    realizedPnl: s.realizedPnl,
    unrealizedPnl: s.unrealizedPnl,
    fees: s.fees,
    trades: s.trades,
    orders: s.orders,
    filledLots: s.filledLots,
    makerShare: s.makerShare,
    volume: s.volume,
    maxDrawdown: s.maxDrawdown,
    sharpe: s.sharpe,
    sharpePerDay: s.sharpePerDay,
    psr,
    events: s.events,
    eventsPerSecond: s.eventsPerSecond,
    halted: s.halted ? 1 : 0,
    finalPosition: s.finalPosition.reduce((a, b) => a + Math.abs(b), 0),
  };
}

type Column = ArrayLike<number> | BigInt64Array | readonly string[];

function hashColumns(h: ReturnType<typeof createHash>, table: string, columns: Readonly<Record<string, unknown>>): void {
  for (const name of Object.keys(columns).sort()) {
    const col = columns[name];
    if (!ArrayBuffer.isView(col) || col instanceof DataView) continue;
    const t = col as unknown as { buffer: ArrayBufferLike; byteOffset: number; byteLength: number; length: number };
    h.update(`${table}.${name}:${t.length}:`);
    h.update(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
  }
}

/**
 * sha256 over the raw bytes of every orders, fills and equity column (name, length, bytes): two
 * runs have the same hash exactly when those tables are bit for bit equal (NaN payloads included).
 */
export function resultHash(result: BacktestResult): string {
  const h = createHash("sha256");
  hashColumns(h, "orders", result.orders as unknown as Record<string, unknown>);
  hashColumns(h, "fills", result.fills as unknown as Record<string, unknown>);
  hashColumns(h, "equity", result.equity as unknown as Record<string, unknown>);
  return h.digest("hex");
}

/** The equity curve for charts: epoch ms and equity, at most 2000 points. */
export function equityForCharts(result: BacktestResult): { timeMs: number[]; equity: number[] } {
  const ts = result.equity.ts;
  const ms = new Float64Array(ts.length);
  for (let i = 0; i < ts.length; i++) ms[i] = Number(ts[i]! / 1_000_000n);
  return downsampleEquity(ms, result.equity.equity, 2000);
}

let duck: Promise<typeof DuckApi> | undefined;
let tableCounter = 0;

function sqlType(col: Column): string {
  if (col instanceof BigInt64Array) return "BIGINT";
  if (Array.isArray(col)) return "VARCHAR";
  if (col instanceof Uint8Array || col instanceof Int8Array || col instanceof Uint16Array || col instanceof Int16Array || col instanceof Int32Array) return "INTEGER";
  return "DOUBLE";
}

/** Columns as a Parquet file's bytes (zstd), written by DuckDB through a temporary file. */
export async function parquetBytes(columns: Readonly<Record<string, Column>>): Promise<Uint8Array> {
  duck ??= import("@duckdb/node-api");
  const api = await duck;
  const names = Object.keys(columns);
  const connection = await duckConnection();
  const dir = await mkdtemp(join(tmpdir(), "lab-artifact-"));
  const table = `artifact_${process.pid}_${++tableCounter}`;
  try {
    const values = names.map((n) => api.listValue(Array.from(columns[n]! as ArrayLike<number | bigint | string>)));
    const types = names.map((n) => {
      const t = sqlType(columns[n]!);
      return api.LIST(t === "BIGINT" ? api.BIGINT : t === "VARCHAR" ? api.VARCHAR : api.DOUBLE);
    });
    const select = names.map((n, i) => `CAST(unnest($${i + 1}) AS ${sqlType(columns[n]!)}) AS ${sqlIdent(n)}`).join(", ");
    await connection.run(`CREATE TEMP TABLE ${table} AS SELECT ${select}`, values, types);
    const file = join(dir, "table.parquet");
    await connection.run(`COPY ${table} TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
    return new Uint8Array(await readFile(file));
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    connection.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

export const PARQUET = "application/vnd.apache.parquet";

/** The run's tables as Parquet artifacts: equity (ns, equity, position), fills, orders (readable names). */
export async function backtestArtifacts(result: BacktestResult): Promise<{ name: string; bytes: Uint8Array; mediaType: string }[]> {
  const eq = result.equity;
  const equity = await parquetBytes({ ts: eq.ts, equity: eq.equity, position: eq.position ?? new Float64Array(eq.ts.length) });
  const f = result.fills;
  const fillCols: Record<string, Column> = { ts: f.ts, side: f.side, price: f.price, qty: f.qty, fee: f.fee, liquidity: f.liquidity };
  if (f.instrument) fillCols.instrument = f.instrument;
  if (f.orderId) fillCols.orderId = f.orderId;
  const fills = await parquetBytes(fillCols);
  const readable = result.ordersReadable();
  const orderCols: Record<string, Column> = {};
  for (const [k, v] of Object.entries(readable)) orderCols[k] = (ArrayBuffer.isView(v) ? v : Array.from(v as ArrayLike<unknown>, String)) as Column;
  const orders = await parquetBytes(orderCols);
  return [
    { name: "equity.parquet", bytes: equity, mediaType: PARQUET },
    { name: "fills.parquet", bytes: fills, mediaType: PARQUET },
    { name: "orders.parquet", bytes: orders, mediaType: PARQUET },
  ];
}

/** Name of the artifact that holds a run's research checklist (`ChecklistJson`). */
export const CHECKLIST_ARTIFACT = "checklist.json";

/** A checklist as its run's artifact. */
export function checklistArtifact(checklist: Checklist): { name: string; bytes: Uint8Array; mediaType: string } {
  return { name: CHECKLIST_ARTIFACT, bytes: new TextEncoder().encode(JSON.stringify(checklist)), mediaType: "application/json" };
}

/** Stores `checklist` as the `checklist.json` of run `id` (the dashboard shows it). */
export async function putChecklist(store: Pick<LabStore, "putArtifact">, id: string, checklist: Checklist): Promise<void> {
  const a = checklistArtifact(checklist);
  await store.putArtifact(id, a.name, a.bytes, a.mediaType);
}

/** Records a finished backtest in `store` and returns the run id. */
export async function recordBacktest(store: LabStore, result: BacktestResult, info: BacktestRecordInfo = {}): Promise<string> {
  const manifest = backtestManifest(result, info);
  // Everything slow (hashing, Parquet encoding) before the run exists, so a process that ends
  // meanwhile (a notebook kernel shut down) leaves no run marked "running" for ever.
  const patch = { metrics: backtestMetrics(result), params: manifest.strategy.params, resultHash: resultHash(result), equity: equityForCharts(result) };
  const artifacts = [...(info.artifacts ?? true ? await backtestArtifacts(result) : []), checklistArtifact(runChecklist(result))];
  const id = await store.createRun({ ...(info.id === undefined ? {} : { id: info.id }), kind: "backtest", manifest });
  try {
    await store.updateRun(id, patch);
    for (const a of artifacts) await store.putArtifact(id, a.name, a.bytes, a.mediaType);
    await store.updateRun(id, { state: "finished", finishedAt: new Date().toISOString() });
  } catch (error) {
    await store.updateRun(id, { state: "failed", error: `recording failed: ${(error as Error).message}`, finishedAt: new Date().toISOString() }).catch(() => undefined);
    throw error;
  }
  return id;
}
