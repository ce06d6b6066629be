/**
 * The DuckDB store: one file holding every run and trial, readable with plain SQL
 * (`SELECT params, objective FROM optimize_trials WHERE run_id = ...`), and the run registry
 * (`runs`: one row per backtest, optimization or report, with its manifest, metrics and equity;
 * `run_artifacts`: named blobs such as fills.parquet or report.html). An optimization's row in
 * `optimize_runs` and its row in `runs` share the id.
 *
 * Durability: each `record` call is one transaction, committed before it resolves; DuckDB writes
 * the commit to its write-ahead log, which is replayed when the file is opened again, so trials
 * committed before a crash or `kill -9` are there on resume. Writes are serialized through one
 * connection. Parameters and metrics are JSON text (non-finite numbers as "NaN"/"Infinity");
 * per-period returns are a BLOB of little-endian float64 (exact, and compact for long series).
 */
import { mkdirSync } from "node:fs";
import { endianness } from "node:os";
import { dirname, resolve } from "node:path";
import { LabError } from "../core/index.js";
import { chooseRun, decodeMetrics, encodeJson, newRunId, nextCreatedAt, packFloat64, unpackFloat64 } from "./common.js";
import { artifactNotFound, checkArtifactName, decodeEquity, encodeEquity, encodeMetrics, filterRuns, normalizeRunFilter, runExists, runNotFound } from "./run-common.js";
import type { ArtifactInfo, RunFilter, RunKind, RunManifest, RunPatch, RunRecord, RunState, RunStore } from "./run-types.js";
import type { BeginRunOptions, BegunRun, RunInfo, StoredValue, TrialPhase, TrialRecord, TrialStatus, TrialStore } from "./types.js";
import type * as DuckApi from "@duckdb/node-api";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS optimize_runs (
    run_id VARCHAR PRIMARY KEY, created_at VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL,
    config VARCHAR NOT NULL, status VARCHAR NOT NULL, summary VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS optimize_trials (
    run_id VARCHAR NOT NULL, win INTEGER NOT NULL, phase VARCHAR NOT NULL, idx INTEGER NOT NULL,
    generation INTEGER NOT NULL, params VARCHAR NOT NULL, status VARCHAR NOT NULL, objective DOUBLE,
    metrics VARCHAR NOT NULL, error VARCHAR, seed DOUBLE NOT NULL, duration_ms DOUBLE NOT NULL,
    events DOUBLE NOT NULL, range_start BIGINT NOT NULL, range_end BIGINT NOT NULL,
    n_periods INTEGER, period_returns BLOB, finished_at VARCHAR NOT NULL,
    PRIMARY KEY (run_id, win, phase, idx))`,
  `CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, strategy VARCHAR NOT NULL, state VARCHAR NOT NULL,
    created_at VARCHAR NOT NULL, finished_at VARCHAR, manifest VARCHAR NOT NULL, params VARCHAR NOT NULL,
    metrics VARCHAR NOT NULL, result_hash VARCHAR, error VARCHAR, equity VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS run_artifacts (
    run_id VARCHAR NOT NULL, name VARCHAR NOT NULL, media_type VARCHAR NOT NULL, bytes BIGINT NOT NULL,
    data BLOB NOT NULL, created_at VARCHAR NOT NULL, PRIMARY KEY (run_id, name))`,
];

/** A run's own columns, without the per-run subqueries of RUN_COLUMNS. */
const PLAIN_RUN_COLUMNS = "r.id, r.kind, r.strategy, r.state, r.created_at, r.finished_at, r.manifest, r.params, r.metrics, r.result_hash, r.error";
/** Ids per `IN (...)` list. */
const ID_CHUNK = 1000;

function placeholders(n: number): string {
  return Array.from({ length: n }, (_, i) => `$${i + 1}`).join(", ");
}

const RUN_COLUMNS = `r.id, r.kind, r.strategy, r.state, r.created_at, r.finished_at, r.manifest, r.params, r.metrics, r.result_hash, r.error,
  (SELECT count(*) FROM optimize_trials t WHERE t.run_id = r.id),
  (SELECT list(struct_pack(name := a.name, media_type := a.media_type, bytes := a.bytes) ORDER BY a.name) FROM run_artifacts a WHERE a.run_id = r.id)`;

/** A connection-local table a batch of trials is appended to before it replaces rows of `optimize_trials`. */
const STAGING = "optimize_trials_batch";
const STAGING_TABLE = `CREATE TEMP TABLE IF NOT EXISTS ${STAGING} AS SELECT * FROM optimize_trials LIMIT 0`;

const LITTLE_ENDIAN = endianness() === "LE";

/** The times whose ISO text has a four-digit year (0000-01-01 .. 9999-12-31T23:59:59.999Z). */
const MIN_ISO_MS = -62167219200000;
const MAX_ISO_MS = 253402300799999;

/** Returns as little-endian float64 bytes: on a little-endian host the array's own bytes (the appender copies them). */
function float64Bytes(values: Float64Array): Uint8Array {
  return LITTLE_ENDIAN ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength) : packFloat64(values);
}

export interface DuckDbStoreOptions {
  /** Open without writing (for reading results while nothing else writes). @default false */
  readOnly?: boolean;
}

export class DuckDbStore implements TrialStore, RunStore {
  readonly kind = "duckdb";
  readonly location: string;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    location: string,
    private readonly api: typeof DuckApi,
    private readonly instance: DuckApi.DuckDBInstance,
    private readonly connection: DuckApi.DuckDBConnection,
  ) {
    this.location = location;
  }

  static async open(path: string, options: DuckDbStoreOptions = {}): Promise<DuckDbStore> {
    const api = await import("@duckdb/node-api");
    if (!options.readOnly && path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
    let instance: DuckApi.DuckDBInstance;
    try {
      instance = await api.DuckDBInstance.create(path, options.readOnly ? { access_mode: "READ_ONLY", threads: "1" } : { threads: "1" });
    } catch (error) {
      const message = (error as Error).message;
      const locked = /lock/i.test(message);
      throw new LabError({
        code: locked ? "STORE_LOCKED" : "STORE_OPEN_FAILED",
        message: `cannot open the store ${path}: ${message.split("\n")[0]}`,
        hint: locked ? "another process has this store open (a sweep still running?); wait for it or use another file" : "check the path and that it is a DuckDB file",
        context: { file: path },
        cause: error,
      });
    }
    const connection = await instance.connect();
    const store = new DuckDbStore(path, api, instance, connection);
    if (!options.readOnly) for (const sql of SCHEMA) await connection.run(sql);
    return store;
  }

  /** Runs `fn` after every earlier write, so writes never interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new LabError({ code: "STORE_CLOSED", message: `the store ${this.location} is closed`, hint: "open it again" }));
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  async beginRun(options: BeginRunOptions): Promise<BegunRun> {
    return this.serial(async () => {
      const found = chooseRun(await this.listRunsNow(), options, this.location);
      if (found !== undefined) {
        await this.connection.run(`UPDATE optimize_runs SET status = 'running' WHERE run_id = $1`, [found.runId]);
        return { runId: found.runId, resumed: true, trials: await this.loadTrialsNow(found.runId) };
      }
      const runId = options.runId ?? newRunId();
      await this.connection.run(`INSERT INTO optimize_runs VALUES ($1, $2, $3, $4, 'running', NULL)`, [runId, new Date().toISOString(), options.fingerprint, encodeJson(options.config)]);
      return { runId, resumed: false, trials: [] };
    });
  }

  async record(runId: string, trials: readonly TrialRecord[]): Promise<void> {
    if (trials.length === 0) return;
    // A trial given twice is stored once, the later one winning (as a replace would); one
    // INSERT OR REPLACE statement may not touch the same key twice.
    const byKey = new Map<string, TrialRecord>();
    for (const t of trials) byKey.set(`${t.window}\u0000${t.phase}\u0000${t.index}`, t);
    return this.serial(async () => {
      try {
        await this.appendTrials(runId, byKey, false);
      } catch (error) {
        // A key already stored makes the plain append fail; the batch is then written again,
        // replacing those rows (rewrites are rare, and the plain append is the cheaper path).
        if (!/constraint|duplicate key/i.test((error as Error).message)) throw this.recordFailed(error);
        try {
          await this.appendTrials(runId, byKey, true);
        } catch (again) {
          throw this.recordFailed(again);
        }
      }
    });
  }

  private recordFailed(error: unknown): LabError {
    return new LabError({ code: "STORE_WRITE_FAILED", message: `could not write trials to ${this.location}: ${(error as Error).message}`, hint: "check free disk space and that the file is writable", context: { file: this.location }, cause: error });
  }

  /**
   * One transaction: the rows go through the appender (no per-row statement) straight into the
   * trials table, or, to replace rows already stored, into a per-connection staging table and then
   * into the trials table with one INSERT OR REPLACE; a failure anywhere rolls the whole batch back.
   */
  private async appendTrials(runId: string, trials: Map<string, TrialRecord>, replace: boolean): Promise<void> {
    const c = this.connection;
    await c.run("BEGIN TRANSACTION");
    let appender: DuckApi.DuckDBAppender | undefined;
    try {
      if (replace) {
        await c.run(STAGING_TABLE);
        appender = await c.createAppender(STAGING, "main", "temp");
      } else appender = await c.createAppender("optimize_trials");
      const now = new Date().toISOString();
      for (const t of trials.values()) {
        const start = BigInt(t.range.start);
        const end = BigInt(t.range.end);
        appender.appendVarchar(runId);
        appender.appendInteger(t.window);
        appender.appendVarchar(t.phase);
        appender.appendInteger(t.index);
        appender.appendInteger(t.generation);
        appender.appendVarchar(encodeJson(t.params));
        appender.appendVarchar(t.status);
        appender.appendDouble(t.objective);
        appender.appendVarchar(encodeJson(t.metrics));
        if (t.error === undefined) appender.appendNull();
        else appender.appendVarchar(t.error);
        appender.appendDouble(t.seed);
        appender.appendDouble(t.durationMs);
        appender.appendDouble(t.events);
        appender.appendBigInt(start);
        appender.appendBigInt(end);
        if (t.periodReturns === undefined) {
          appender.appendNull();
          appender.appendNull();
        } else {
          appender.appendInteger(t.periodReturns.length);
          appender.appendBlob(float64Bytes(t.periodReturns));
        }
        appender.appendVarchar(now);
        appender.endRow();
      }
      appender.flushSync();
      appender.closeSync();
      appender = undefined;
      if (replace) {
        await c.run(`INSERT OR REPLACE INTO optimize_trials SELECT * FROM temp.main.${STAGING}`);
        await c.run(`DELETE FROM temp.main.${STAGING}`);
      }
      await c.run("COMMIT");
    } catch (error) {
      if (appender !== undefined) {
        try {
          appender.clear();
          appender.closeSync();
        } catch {
          // The rollback below discards whatever the appender wrote.
        }
      }
      await c.run("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }

  async finishRun(runId: string, summary: unknown): Promise<void> {
    return this.serial(async () => {
      await this.connection.run(`UPDATE optimize_runs SET status = 'finished', summary = $2 WHERE run_id = $1`, [runId, encodeJson(summary ?? null)]);
    });
  }

  async loadTrials(runId: string): Promise<TrialRecord[]> {
    return this.serial(() => this.loadTrialsNow(runId));
  }

  private async loadTrialsNow(runId: string): Promise<TrialRecord[]> {
    const reader = await this.connection.runAndReadAll(
      `SELECT win, phase, idx, generation, params, status, objective, metrics, error, seed, duration_ms, events, range_start, range_end, period_returns
       FROM optimize_trials WHERE run_id = $1 ORDER BY win, phase DESC, idx`,
      [runId],
    );
    return reader.getRows().map((row) => {
      const [win, phase, idx, generation, params, status, objective, metrics, error, seed, durationMs, events, start, end, returns] = row;
      const t: TrialRecord = {
        index: Number(idx),
        window: Number(win),
        phase: String(phase) as TrialPhase,
        generation: Number(generation),
        params: JSON.parse(String(params)) as Record<string, StoredValue>,
        status: String(status) as TrialStatus,
        metrics: decodeMetrics(String(metrics)),
        objective: objective === null ? NaN : Number(objective),
        seed: Number(seed),
        durationMs: Number(durationMs),
        events: Number(events),
        range: { start: Number(start), end: Number(end) },
      };
      if (error !== null && error !== undefined) t.error = String(error);
      if (returns instanceof this.api.DuckDBBlobValue) t.periodReturns = unpackFloat64(returns.bytes);
      return t;
    });
  }

  async listTrialRuns(): Promise<RunInfo[]> {
    return this.serial(() => this.listRunsNow());
  }

  private async listRunsNow(): Promise<RunInfo[]> {
    const reader = await this.connection.runAndReadAll(
      `SELECT r.run_id, r.created_at, r.fingerprint, r.config, r.status, (SELECT count(*) FROM optimize_trials t WHERE t.run_id = r.run_id)
       FROM optimize_runs r ORDER BY r.created_at`,
    );
    return reader.getRows().map(([runId, createdAt, fingerprint, config, status, trials]) => ({
      runId: String(runId),
      createdAt: String(createdAt),
      fingerprint: String(fingerprint),
      config: String(config),
      status: String(status) === "finished" ? "finished" : "running",
      trials: Number(trials),
    }));
  }

  async createRun(init: { id?: string; kind: RunKind; manifest: RunManifest; state?: RunState }): Promise<string> {
    return this.serial(async () => {
      const id = init.id ?? newRunId();
      const exists = await this.connection.runAndReadAll(`SELECT 1 FROM runs WHERE id = $1`, [id]);
      if (exists.getRows().length > 0) throw runExists(id, this.location);
      await this.write("record a run", () =>
        this.connection.run(`INSERT INTO runs VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, '{}', NULL, NULL, NULL)`, [id, init.kind, init.manifest.strategy.name, init.state ?? "running", nextCreatedAt(), encodeJson(init.manifest), encodeJson(init.manifest.strategy.params)]),
      );
      return id;
    });
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    return this.serial(async () => {
      const found = await this.connection.runAndReadAll(`SELECT metrics FROM runs WHERE id = $1`, [id]);
      const row = found.getRows()[0];
      if (row === undefined) throw runNotFound(id, this.location);
      const sets: string[] = [];
      const values: (string | null)[] = [id];
      const set = (column: string, value: string): void => {
        values.push(value);
        sets.push(`${column} = $${values.length}`);
      };
      if (patch.state !== undefined) set("state", patch.state);
      if (patch.metrics !== undefined) set("metrics", encodeMetrics({ ...decodeMetrics(String(row[0])), ...patch.metrics }));
      if (patch.params !== undefined) set("params", encodeJson(patch.params));
      if (patch.resultHash !== undefined) set("result_hash", patch.resultHash);
      if (patch.equity !== undefined) set("equity", encodeEquity(patch.equity));
      if (patch.error !== undefined) set("error", patch.error);
      if (patch.finishedAt !== undefined) set("finished_at", patch.finishedAt);
      if (sets.length === 0) return;
      await this.write("update a run", () => this.connection.run(`UPDATE runs SET ${sets.join(", ")} WHERE id = $1`, values));
    });
  }

  async putArtifact(id: string, name: string, bytes: Uint8Array, mediaType: string): Promise<ArtifactInfo> {
    checkArtifactName(name);
    return this.serial(async () => {
      const found = await this.connection.runAndReadAll(`SELECT 1 FROM runs WHERE id = $1`, [id]);
      if (found.getRows().length === 0) throw runNotFound(id, this.location);
      await this.write("store an artifact", () =>
        this.connection.run(`INSERT OR REPLACE INTO run_artifacts VALUES ($1, $2, $3, $4, $5, $6)`, [id, name, mediaType, BigInt(bytes.byteLength), this.api.blobValue(bytes), new Date().toISOString()]),
      );
      return { name, mediaType, bytes: bytes.byteLength };
    });
  }

  async readArtifact(id: string, name: string): Promise<Uint8Array> {
    return this.serial(async () => {
      const reader = await this.connection.runAndReadAll(`SELECT (SELECT data FROM run_artifacts WHERE run_id = $1 AND name = $2) FROM runs WHERE id = $1`, [id, name]);
      const row = reader.getRows()[0];
      if (row === undefined) throw runNotFound(id, this.location);
      const data = row[0];
      if (!(data instanceof this.api.DuckDBBlobValue)) throw artifactNotFound(id, name, this.location);
      return data.bytes.slice();
    });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    return this.serial(async () => {
      const reader = await this.connection.runAndReadAll(`SELECT ${RUN_COLUMNS}, r.equity FROM runs r WHERE r.id = $1`, [id]);
      const row = reader.getRows()[0];
      if (row === undefined) return undefined;
      const run = this.runFromRow(row);
      const equity = row[13];
      if (equity !== null && equity !== undefined) run.equity = decodeEquity(String(equity));
      return run;
    });
  }

  /**
   * Plain columns (kind, strategy, state, creation time) narrow the rows in SQL. Sorted by creation
   * time without metric bounds, the page itself is cut in SQL; otherwise only ids, plain columns and
   * metrics are read to filter and sort by the shared rules (`filterRuns`). Either way only the
   * returned page is read whole, and never its equity series.
   */
  async listRuns(filter?: RunFilter): Promise<{ runs: RunRecord[]; total: number }> {
    const f = normalizeRunFilter(filter);
    return this.serial(async () => {
      const where: string[] = [];
      const values: string[] = [];
      for (const [column, value] of [["kind", f.kind], ["strategy", f.strategy], ["state", f.state]] as const) {
        if (value === undefined) continue;
        values.push(value);
        where.push(`r.${column} = $${values.length}`);
      }
      // Creation times are ISO text of one fixed form, so text order is time order within years
      // 0000..9999; bounds beyond that range match every run or none.
      const timeBound = (ms: number, op: ">=" | "<"): void => {
        if (ms < MIN_ISO_MS) where.push(op === ">=" ? "TRUE" : "FALSE");
        else if (ms > MAX_ISO_MS) where.push(op === ">=" ? "FALSE" : "TRUE");
        else {
          values.push(new Date(ms).toISOString());
          where.push(`r.created_at ${op} $${values.length}`);
        }
      };
      if (f.sinceMs !== undefined) timeBound(f.sinceMs, ">=");
      if (f.untilMs !== undefined) timeBound(f.untilMs, "<");
      const whereSql = where.length ? ` WHERE ${where.join(" AND ")}` : "";
      if (f.sort === "createdAt" && (f.where === undefined || Object.keys(f.where).length === 0)) {
        const dir = f.order === "asc" ? "ASC" : "DESC";
        const limit = f.limit === undefined ? "" : ` LIMIT ${Math.min(f.limit, Number.MAX_SAFE_INTEGER)}`;
        const count = await this.connection.runAndReadAll(`SELECT count(*) FROM runs r${whereSql}`, values);
        const total = Number(count.getRows()[0]?.[0] ?? 0);
        const page = await this.connection.runAndReadAll(`SELECT ${PLAIN_RUN_COLUMNS} FROM runs r${whereSql} ORDER BY r.created_at ${dir}, r.id ${dir}${limit} OFFSET ${Math.min(f.offset, Number.MAX_SAFE_INTEGER)}`, values);
        return { runs: await this.completeRuns(page.getRows().map((row) => this.runFromRow([...row, 0, null]))), total };
      } else {
        const reader = await this.connection.runAndReadAll(`SELECT r.id, r.kind, r.strategy, r.state, r.created_at, r.metrics FROM runs r${whereSql}`, values);
        const stubs = reader.getRows().map(([id, kind, strategy, state, createdAt, metrics]): RunRecord => ({
          id: String(id),
          kind: String(kind) as RunKind,
          strategy: String(strategy),
          state: String(state) as RunState,
          createdAt: String(createdAt),
          metrics: decodeMetrics(String(metrics)),
          manifest: undefined as unknown as RunManifest,
          params: {},
          trials: 0,
          artifacts: [],
        }));
        const page = filterRuns(stubs, f);
        return { runs: await this.runsById(page.runs.map((r) => r.id)), total: page.total };
      }
    });
  }

  /** Whole runs (no equity) for `ids`, in that order. */
  private async runsById(ids: readonly string[]): Promise<RunRecord[]> {
    const byId = new Map<string, RunRecord>();
    for (let start = 0; start < ids.length; start += ID_CHUNK) {
      const part = ids.slice(start, start + ID_CHUNK);
      const reader = await this.connection.runAndReadAll(`SELECT ${PLAIN_RUN_COLUMNS} FROM runs r WHERE r.id IN (${placeholders(part.length)})`, part);
      for (const row of reader.getRows()) {
        const run = this.runFromRow([...row, 0, null]);
        byId.set(run.id, run);
      }
    }
    return this.completeRuns(ids.map((id) => byId.get(id)!));
  }

  /**
   * Fills in trial counts and artifacts of listed runs with one grouped query each (per-row
   * subqueries cost more to plan than the page takes to read).
   */
  private async completeRuns(runs: RunRecord[]): Promise<RunRecord[]> {
    const byId = new Map(runs.map((r) => [r.id, r]));
    const ids = [...byId.keys()];
    for (let start = 0; start < ids.length; start += ID_CHUNK) {
      const part = ids.slice(start, start + ID_CHUNK);
      const list = placeholders(part.length);
      const counts = await this.connection.runAndReadAll(`SELECT run_id, count(*) FROM optimize_trials WHERE run_id IN (${list}) GROUP BY run_id`, part);
      for (const [id, n] of counts.getRows()) byId.get(String(id))!.trials = Number(n);
      const artifacts = await this.connection.runAndReadAll(`SELECT run_id, name, media_type, bytes FROM run_artifacts WHERE run_id IN (${list}) ORDER BY run_id, name`, part);
      for (const [id, name, mediaType, bytes] of artifacts.getRows()) byId.get(String(id))!.artifacts.push({ name: String(name), mediaType: String(mediaType), bytes: Number(bytes) });
    }
    return runs;
  }

  private runFromRow(row: readonly unknown[]): RunRecord {
    const [id, kind, strategy, state, createdAt, finishedAt, manifest, params, metrics, resultHash, error, trials, artifacts] = row;
    const run: RunRecord = {
      id: String(id),
      kind: String(kind) as RunKind,
      strategy: String(strategy),
      state: String(state) as RunState,
      createdAt: String(createdAt),
      manifest: JSON.parse(String(manifest)) as RunManifest,
      params: JSON.parse(String(params)) as Record<string, StoredValue>,
      metrics: decodeMetrics(String(metrics)),
      trials: Number(trials),
      artifacts: [],
    };
    if (finishedAt !== null && finishedAt !== undefined) run.finishedAt = String(finishedAt);
    if (resultHash !== null && resultHash !== undefined) run.resultHash = String(resultHash);
    if (error !== null && error !== undefined) run.error = String(error);
    if (artifacts instanceof this.api.DuckDBListValue) {
      for (const item of artifacts.items) {
        if (!(item instanceof this.api.DuckDBStructValue)) continue;
        const e = item.entries as Record<string, unknown>;
        run.artifacts.push({ name: String(e.name), mediaType: String(e.media_type), bytes: Number(e.bytes) });
      }
    }
    return run;
  }

  /** Runs one write, turning a DuckDB failure into STORE_WRITE_FAILED. */
  private async write(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      throw new LabError({ code: "STORE_WRITE_FAILED", message: `could not ${what} in ${this.location}: ${(error as Error).message.split("\n")[0]}`, hint: "check free disk space and that the file is writable", context: { file: this.location }, cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.chain;
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** Opens (creating if needed) a DuckDB store file. */
export function duckdbStore(path: string, options: DuckDbStoreOptions = {}): Promise<DuckDbStore> {
  return DuckDbStore.open(path, options);
}
