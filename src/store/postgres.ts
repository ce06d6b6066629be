/**
 * The PostgreSQL store: optimizer runs and trials (`TrialStore`) and the run registry
 * (`RunStore`) in one database that several researchers and the research server share. Same
 * tables and semantics as the DuckDB store; artifacts are BYTEA rows, since a shared database has
 * no shared folder.
 *
 * Durability: each `record` batch is one transaction, committed (with fsync, as PostgreSQL does
 * by default) before the promise resolves; a batch is stored whole or not at all. Writes of one
 * store object are serialized, and each write transaction takes an advisory lock on what it
 * changes, so two processes writing the same run wait for each other. A read waits for the writes
 * issued before it, so it sees them.
 *
 * Parameters, metrics, manifests and equity are `json` (text kept as written, key order and
 * digits included; non-finite numbers as "NaN"/"Infinity"/"-Infinity" as in the other back ends);
 * objectives and other doubles are DOUBLE PRECISION (NaN, ±Infinity and -0 kept); per-period
 * returns are BYTEA of little-endian float64, bit for bit.
 */
import { endianness } from "node:os";
import pg from "pg";
import type { Pool, PoolClient, PoolConfig, QueryResultRow } from "pg";
import { LabError, type LabErrorCode } from "../core/index.js";
import { chooseRun, decodeMetrics, encodeJson, newRunId, nextCreatedAt, packFloat64, unpackFloat64 } from "./common.js";
import { migrate, SchemaNewerError, SCHEMA_VERSION, type MigrationReport } from "./postgres-schema.js";
import { artifactNotFound, checkArtifactName, decodeEquity, encodeEquity, encodeMetrics, normalizeRunFilter, runExists, runNotFound } from "./run-common.js";
import type { ArtifactInfo, RunFilter, RunKind, RunManifest, RunPatch, RunRecord, RunState, RunStore } from "./run-types.js";
import type { BeginRunOptions, BegunRun, RunInfo, StoredValue, TrialPhase, TrialRecord, TrialStatus, TrialStore } from "./types.js";

export interface PostgresStoreOptions {
  /** Connections the store may hold open. @default 4 */
  maxConnections?: number;
  /** How long to wait for a connection before STORE_UNREACHABLE. @default 10000 */
  connectTimeoutMs?: number;
}

/** Trials per INSERT statement (each statement takes one array per column, whatever its length). */
const INSERT_CHUNK = 500;
const TRIAL_COLUMNS = "run_id, win, phase, idx, generation, params, status, objective, metrics, error, seed, duration_ms, events, range_start, range_end, n_periods, period_returns, finished_at";
/** A stored trial written again replaces every column but its key. */
const UPSERT_TRIAL = ` ON CONFLICT (run_id, win, phase, idx) DO UPDATE SET ${TRIAL_COLUMNS.split(", ").slice(4).map((c) => `${c} = EXCLUDED.${c}`).join(", ")}`;

/**
 * The columns between run_id and finished_at as arrays ($2..$17), but for the per-period returns:
 * those travel as one binary bytea ($19, every trial's bytes one after another; a bytea array
 * would go as hex text, twice their size, encoded by the client and decoded by the server), and
 * each row takes its slice from its byte offset ($17) and count.
 */
const UNNEST_TRIALS = `unnest(${["int", "text", "int", "int", "json", "text", "float8", "json", "text", "float8", "float8", "float8", "int8", "int8", "int", "int"].map((type, i) => `$${i + 2}::${type}[]`).join(", ")})
  AS k(win, phase, idx, generation, params, status, objective, metrics, error, seed, duration_ms, events, range_start, range_end, n_periods, returns_at)`;
const TRIAL_VALUES = `$1, k.win, k.phase, k.idx, k.generation, k.params, k.status, k.objective, k.metrics, k.error, k.seed, k.duration_ms, k.events, k.range_start, k.range_end, k.n_periods,
  CASE WHEN k.returns_at IS NULL THEN NULL ELSE substring($19::bytea FROM k.returns_at + 1 FOR k.n_periods * 8) END, $18::timestamptz`;

const LITTLE_ENDIAN = endianness() === "LE";

/** Returns as little-endian float64 bytes, bit for bit (on a little-endian host the array's own bytes, no copy). */
function float64Bytes(values: Float64Array): Buffer {
  return LITTLE_ENDIAN ? Buffer.from(values.buffer, values.byteOffset, values.byteLength) : Buffer.from(packFloat64(values).buffer);
}

const OID_INT8 = 20;
const OID_JSON = 114;

/**
 * JSON as its text (the store decodes it, keeping NaN and ±Infinity); BIGINT as a number (counts,
 * byte sizes and row ranges stay far below 2^53); everything else as pg parses it.
 */
const TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === OID_JSON) return (v: string) => v;
    if (oid === OID_INT8) return (v: string) => Number(v);
    return format === "binary" ? pg.types.getTypeParser(oid, "binary") : pg.types.getTypeParser(oid);
  }) as typeof pg.types.getTypeParser,
};

/** A double as PostgreSQL input text; String(-0) would lose the sign. */
function f8(v: number): string {
  return Object.is(v, -0) ? "-0" : String(v);
}

/** Bytes from pg (a Buffer over a shared pool) as a Uint8Array of their own. */
function ownBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

/** The URL without its password (for messages and `location`). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    u.searchParams.delete("password");
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*):[^@/]*@/, "$1@");
  }
}

/** "host:port" of a URL, for hints. */
function serverOf(location: string): string {
  try {
    const u = new URL(location);
    return `${u.hostname || "localhost"}:${u.port || "5432"}`;
  } catch {
    return location;
  }
}

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE", "57P01", "57P02", "57P03"]);

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

/** Whether the server could not be reached or the connection was lost. */
function isConnectionError(error: unknown): boolean {
  const code = errorCode(error);
  // Class 08 is connection exceptions, except a protocol violation (a bad statement, not a lost link).
  if (CONNECTION_CODES.has(code) || (code.startsWith("08") && code !== "08P01")) return true;
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|terminating connection|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(firstLine(error));
}

function isAuthError(error: unknown): boolean {
  const code = errorCode(error);
  return code === "28P01" || code === "28000" || /^SASL: |password authentication failed|client password must be a string/i.test(firstLine(error));
}

/**
 * The LabError for a failure talking to PostgreSQL: unreachable or lost connection, refused
 * login, missing database; anything else gets `fallback`.
 */
function pgFailure(error: unknown, location: string, doing: string, fallback: { code: LabErrorCode; hint: string }): LabError {
  if (error instanceof LabError) return error;
  const context = { url: location, pgCode: errorCode(error) || undefined };
  if (isAuthError(error)) {
    return new LabError({ code: "STORE_AUTH", message: `PostgreSQL at ${location} refused the login while trying to ${doing}: ${firstLine(error)}`, hint: "check the user name and password in the URL (postgres://user:password@host:port/database), or the server's pg_hba.conf rules for this host", context, cause: error });
  }
  if (errorCode(error) === "3D000") {
    return new LabError({ code: "STORE_DATABASE_MISSING", message: `PostgreSQL at ${location} has no such database: ${firstLine(error)}`, hint: "create it first (createdb <name>, or CREATE DATABASE <name>;) or name an existing database in the URL", context, cause: error });
  }
  if (isConnectionError(error)) {
    return new LabError({ code: "STORE_UNREACHABLE", message: `cannot reach PostgreSQL at ${location} to ${doing}: ${firstLine(error)}`, hint: `start PostgreSQL on ${serverOf(location)} for ${location} (e.g. \`pg_ctlcluster 15 main start\` or \`systemctl start postgresql\`) or correct host and port in the URL; or use a DuckDB file as the store`, context, cause: error });
  }
  return new LabError({ code: fallback.code, message: `could not ${doing} in ${location}: ${firstLine(error)}`, hint: fallback.hint, context, cause: error });
}

const WRITE_FAILED = { code: "STORE_WRITE_FAILED", hint: "check the database's free space and that the user may write its tables (the PostgreSQL server log says more)" } as const;
const READ_FAILED = { code: "STORE_READ_FAILED", hint: "check that the user may read the store's tables (the PostgreSQL server log says more)" } as const;

/** Either a pooled client (a transaction) or the pool (one statement). */
type Queryable = Pick<Pool, "query"> | PoolClient;

async function rows<R extends QueryResultRow>(q: Queryable, text: string, values: unknown[] = []): Promise<R[]> {
  return (await q.query<R>(text, values)).rows;
}

interface TrialRow {
  win: number;
  phase: string;
  idx: number;
  generation: number;
  params: string;
  status: string;
  objective: number;
  metrics: string;
  error: string | null;
  seed: number;
  duration_ms: number;
  events: number;
  range_start: number;
  range_end: number;
  period_returns: Uint8Array | null;
}

interface RunRow {
  id: string;
  kind: string;
  strategy: string;
  state: string;
  created_at: Date;
  finished_at: string | null;
  manifest: string;
  params: string;
  metrics: string;
  result_hash: string | null;
  error: string | null;
  trials: number;
  artifacts: string;
  equity?: string | null;
}

const RUN_COLUMNS = `r.id, r.kind, r.strategy, r.state, r.created_at, r.finished_at, r.manifest, r.params, r.metrics, r.result_hash, r.error,
  (SELECT count(*) FROM optimize_trials t WHERE t.run_id = r.id) AS trials,
  (SELECT coalesce(json_agg(json_build_object('name', a.name, 'mediaType', a.media_type, 'bytes', a.bytes) ORDER BY a.name COLLATE "C"), '[]'::json)
     FROM run_artifacts a WHERE a.run_id = r.id) AS artifacts`;

/**
 * A metric of `r.metrics` as a double, NULL when the run lacks it or it is NaN: the other back
 * ends treat both alike (no match for a bound, last in a sort).
 */
function metricSql(param: string): string {
  return `(CASE json_typeof(r.metrics -> ${param})
    WHEN 'number' THEN nullif((r.metrics ->> ${param})::float8, 'NaN'::float8)
    WHEN 'string' THEN CASE r.metrics ->> ${param} WHEN 'Infinity' THEN 'Infinity'::float8 WHEN '-Infinity' THEN '-Infinity'::float8 END
  END)`;
}

export class PostgresStore implements TrialStore, RunStore {
  readonly kind = "postgres";
  /** The URL without its password. */
  readonly location: string;
  /** What opening did to the schema (versions applied, hypertables). */
  readonly migration: MigrationReport;
  private writes: Promise<unknown> = Promise.resolve();
  private readonly reads = new Set<Promise<unknown>>();
  private closed = false;
  /** Whether optimize_trials has its primary key (not the hypertable layout), so a batch can upsert. */
  private trialKeyUnique = true;

  private constructor(
    location: string,
    private readonly pool: Pool,
    migration: MigrationReport,
  ) {
    this.location = location;
    this.migration = migration;
  }

  /** The schema version this code writes. */
  static readonly schemaVersion = SCHEMA_VERSION;

  /** Connects (checking the login), and brings the schema up to date. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const location = redactUrl(url);
    const config: PoolConfig = {
      connectionString: url,
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      application_name: "strategy-lab",
      types: TYPES,
      // Idle connections do not keep a script alive (a notebook or script may never close the store).
      allowExitOnIdle: true,
    };
    const pool = new pg.Pool(config);
    // An idle connection the server drops (restart, pg_terminate_backend) must not crash the
    // process; the pool replaces it and the next query reports any lasting problem.
    pool.on("error", () => undefined);
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw pgFailure(error, location, "open the store", { code: "STORE_OPEN_FAILED", hint: "check the URL (postgres://user:password@host:port/database)" });
    }
    let migration: MigrationReport;
    let keyed: boolean;
    try {
      migration = await migrate(client);
      keyed = await hasTrialKey(client);
      client.release();
    } catch (error) {
      client.release(true);
      await pool.end().catch(() => undefined);
      if (error instanceof SchemaNewerError) {
        throw new LabError({
          code: "STORE_SCHEMA_NEWER",
          message: `the store at ${location} has schema version ${error.found}, newer than this Strategy Lab knows (${SCHEMA_VERSION})`,
          hint: "a newer Strategy Lab migrated this database: upgrade Strategy Lab here, or use another database",
          context: { url: location, found: error.found, known: SCHEMA_VERSION },
        });
      }
      throw pgFailure(error, location, "create or migrate the store's tables", { code: "STORE_OPEN_FAILED", hint: "the user needs the right to create tables in the database (or have its owner open the store once)" });
    }
    const store = new PostgresStore(location, pool, migration);
    store.trialKeyUnique = keyed;
    return store;
  }

  private checkOpen(): void {
    if (this.closed) throw new LabError({ code: "STORE_CLOSED", message: `the store ${this.location} is closed`, hint: "open it again" });
  }

  /** A statement or a read-only transaction, after the writes issued before it. */
  private read<T>(doing: string, fn: (q: Queryable) => Promise<T>): Promise<T> {
    try {
      this.checkOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    const p = this.writes.then(() => fn(this.pool)).catch((error: unknown) => {
      throw pgFailure(error, this.location, doing, READ_FAILED);
    });
    this.reads.add(p);
    void p.finally(() => this.reads.delete(p)).catch(() => undefined);
    return p;
  }

  /** One transaction on its own connection, after every earlier write of this store. */
  private write<T>(doing: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    try {
      this.checkOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    const run = async (): Promise<T> => {
      let client: PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw pgFailure(error, this.location, doing, WRITE_FAILED);
      }
      let broken = false;
      try {
        await client.query("BEGIN");
        const out = await fn(client);
        await client.query("COMMIT");
        return out;
      } catch (error) {
        broken = isConnectionError(error);
        if (!broken) await client.query("ROLLBACK").catch(() => (broken = true));
        throw pgFailure(error, this.location, doing, WRITE_FAILED);
      } finally {
        client.release(broken);
      }
    };
    const next = this.writes.then(run, run);
    this.writes = next.catch(() => undefined);
    return next;
  }

  private static async lock(c: PoolClient, key: string): Promise<void> {
    await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`strategy_lab.${key}`]);
  }

  // ------------------------------------------------------------------ TrialStore

  async beginRun(options: BeginRunOptions): Promise<BegunRun> {
    return this.write("begin an optimizer run", async (c) => {
      await PostgresStore.lock(c, "optimize_runs");
      const found = chooseRun(await this.trialRuns(c), options, this.location);
      if (found !== undefined) {
        await c.query(`UPDATE optimize_runs SET status = 'running' WHERE run_id = $1`, [found.runId]);
        return { runId: found.runId, resumed: true, trials: await this.trials(c, found.runId) };
      }
      const runId = options.runId ?? newRunId();
      await c.query(`INSERT INTO optimize_runs (run_id, created_at, fingerprint, config, status) VALUES ($1, $2, $3, $4, 'running')`, [runId, new Date().toISOString(), options.fingerprint, encodeJson(options.config)]);
      return { runId, resumed: false, trials: [] };
    });
  }

  async record(runId: string, trials: readonly TrialRecord[]): Promise<void> {
    if (trials.length === 0) return;
    // A trial given twice is stored once, the later one winning (as a replace would); one
    // INSERT ... ON CONFLICT may not touch the same key twice.
    const byKey = new Map<string, TrialRecord>();
    for (const t of trials) byKey.set(`${t.window}\u0000${t.phase}\u0000${t.index}`, t);
    const batch = [...byKey.values()];
    try {
      return await this.writeTrials(runId, batch);
    } catch (error) {
      // The primary key was dropped after this store opened (a hypertable layout): replace by
      // deleting first, as a store opened on that layout does.
      if (!this.trialKeyUnique || errorCode((error as { cause?: unknown }).cause) !== "42P10") throw error;
      this.trialKeyUnique = false;
      return this.writeTrials(runId, batch);
    }
  }

  private writeTrials(runId: string, batch: readonly TrialRecord[]): Promise<void> {
    return this.write("write trials", async (c) => {
      await PostgresStore.lock(c, `trials:${runId}`);
      const upsert = this.trialKeyUnique;
      if (!upsert) {
        // Without a unique key (a hypertable layout) rows already stored are deleted first. Probing
        // the key index once per trial keeps this proportional to the batch, not to the run.
        await c.query("SET LOCAL enable_hashjoin = off");
        await c.query("SET LOCAL enable_mergejoin = off");
        await c.query(
          `DELETE FROM optimize_trials t USING unnest($2::int[], $3::text[], $4::int[]) AS k(win, phase, idx)
           WHERE t.run_id = $1 AND t.win = k.win AND t.phase = k.phase AND t.idx = k.idx`,
          [runId, batch.map((t) => t.window), batch.map((t) => t.phase), batch.map((t) => t.index)],
        );
      }
      // One statement per chunk with a column array per field: 16 parameters whatever the row count,
      // so the server parses a short statement instead of thousands of placeholders.
      const now = new Date().toISOString();
      for (let start = 0; start < batch.length; start += INSERT_CHUNK) {
        const chunk = batch.slice(start, start + INSERT_CHUNK);
        const n = chunk.length;
        const cols: unknown[][] = Array.from({ length: 16 }, () => new Array<unknown>(n));
        const returns: Buffer[] = [];
        let returnsAt = 0;
        for (let i = 0; i < n; i++) {
          const t = chunk[i]!;
          cols[0]![i] = t.window;
          cols[1]![i] = t.phase;
          cols[2]![i] = t.index;
          cols[3]![i] = t.generation;
          cols[4]![i] = encodeJson(t.params);
          cols[5]![i] = t.status;
          cols[6]![i] = f8(t.objective);
          cols[7]![i] = encodeJson(t.metrics);
          cols[8]![i] = t.error ?? null;
          cols[9]![i] = f8(t.seed);
          cols[10]![i] = f8(t.durationMs);
          cols[11]![i] = f8(t.events);
          cols[12]![i] = t.range.start;
          cols[13]![i] = t.range.end;
          cols[14]![i] = t.periodReturns === undefined ? null : t.periodReturns.length;
          if (t.periodReturns === undefined) cols[15]![i] = null;
          else {
            cols[15]![i] = returnsAt;
            returns.push(float64Bytes(t.periodReturns));
            returnsAt += t.periodReturns.byteLength;
          }
        }
        await c.query(`INSERT INTO optimize_trials (${TRIAL_COLUMNS}) SELECT ${TRIAL_VALUES} FROM ${UNNEST_TRIALS}${upsert ? UPSERT_TRIAL : ""}`, [runId, ...cols, now, Buffer.concat(returns, returnsAt)]);
      }
    });
  }

  async finishRun(runId: string, summary: unknown): Promise<void> {
    return this.write("finish an optimizer run", async (c) => {
      await c.query(`UPDATE optimize_runs SET status = 'finished', summary = $2 WHERE run_id = $1`, [runId, encodeJson(summary ?? null)]);
    });
  }

  async loadTrials(runId: string): Promise<TrialRecord[]> {
    return this.read("read trials", (q) => this.trials(q, runId));
  }

  async listTrialRuns(): Promise<RunInfo[]> {
    return this.read("list optimizer runs", (q) => this.trialRuns(q));
  }

  private async trials(q: Queryable, runId: string): Promise<TrialRecord[]> {
    const found = await rows<TrialRow>(
      q,
      `SELECT win, phase, idx, generation, params, status, objective, metrics, error, seed, duration_ms, events, range_start, range_end, period_returns
       FROM optimize_trials WHERE run_id = $1 ORDER BY win, phase COLLATE "C" DESC, idx`,
      [runId],
    );
    return found.map((row) => {
      const t: TrialRecord = {
        index: row.idx,
        window: row.win,
        phase: row.phase as TrialPhase,
        generation: row.generation,
        params: JSON.parse(row.params) as Record<string, StoredValue>,
        status: row.status as TrialStatus,
        metrics: decodeMetrics(row.metrics),
        objective: row.objective,
        seed: row.seed,
        durationMs: row.duration_ms,
        events: row.events,
        range: { start: row.range_start, end: row.range_end },
      };
      if (row.error !== null) t.error = row.error;
      if (row.period_returns !== null) t.periodReturns = unpackFloat64(row.period_returns);
      return t;
    });
  }

  private async trialRuns(q: Queryable): Promise<RunInfo[]> {
    const found = await rows<{ run_id: string; created_at: Date; fingerprint: string; config: string; status: string; trials: number }>(
      q,
      `SELECT r.run_id, r.created_at, r.fingerprint, r.config, r.status, (SELECT count(*) FROM optimize_trials t WHERE t.run_id = r.run_id) AS trials
       FROM optimize_runs r ORDER BY r.created_at, r.run_id COLLATE "C"`,
    );
    return found.map((r) => ({ runId: r.run_id, createdAt: r.created_at.toISOString(), fingerprint: r.fingerprint, config: r.config, status: r.status === "finished" ? "finished" : "running", trials: r.trials }));
  }

  // ------------------------------------------------------------------ RunStore

  async createRun(init: { id?: string; kind: RunKind; manifest: RunManifest; state?: RunState }): Promise<string> {
    const id = init.id ?? newRunId();
    return this.write("record a run", async (c) => {
      await PostgresStore.lock(c, `run:${id}`);
      if ((await rows(c, `SELECT 1 FROM runs WHERE id = $1`, [id])).length > 0) throw runExists(id, this.location);
      await c.query(
        `INSERT INTO runs (id, kind, strategy, state, created_at, manifest, params, metrics) VALUES ($1, $2, $3, $4, $5, $6, $7, '{}')`,
        [id, init.kind, init.manifest.strategy.name, init.state ?? "running", nextCreatedAt(), encodeJson(init.manifest), encodeJson(init.manifest.strategy.params)],
      );
      return id;
    });
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    return this.write("update a run", async (c) => {
      await PostgresStore.lock(c, `run:${id}`);
      const found = await rows<{ metrics: string }>(c, `SELECT metrics FROM runs WHERE id = $1`, [id]);
      if (found[0] === undefined) throw runNotFound(id, this.location);
      const sets: string[] = [];
      const values: unknown[] = [id];
      const set = (column: string, value: string): void => {
        values.push(value);
        sets.push(`${column} = $${values.length}`);
      };
      if (patch.state !== undefined) set("state", patch.state);
      if (patch.metrics !== undefined) set("metrics", encodeMetrics({ ...decodeMetrics(found[0].metrics), ...patch.metrics }));
      if (patch.params !== undefined) set("params", encodeJson(patch.params));
      if (patch.resultHash !== undefined) set("result_hash", patch.resultHash);
      if (patch.equity !== undefined) set("equity", encodeEquity(patch.equity));
      if (patch.error !== undefined) set("error", patch.error);
      if (patch.finishedAt !== undefined) set("finished_at", patch.finishedAt);
      if (sets.length > 0) await c.query(`UPDATE runs SET ${sets.join(", ")} WHERE id = $1`, values);
    });
  }

  async putArtifact(id: string, name: string, bytes: Uint8Array, mediaType: string): Promise<ArtifactInfo> {
    checkArtifactName(name);
    return this.write("store an artifact", async (c) => {
      await PostgresStore.lock(c, `run:${id}`);
      if ((await rows(c, `SELECT 1 FROM runs WHERE id = $1`, [id])).length === 0) throw runNotFound(id, this.location);
      await c.query(
        `INSERT INTO run_artifacts (run_id, name, media_type, bytes, data, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (run_id, name) DO UPDATE SET media_type = EXCLUDED.media_type, bytes = EXCLUDED.bytes, data = EXCLUDED.data, created_at = EXCLUDED.created_at`,
        [id, name, mediaType, bytes.byteLength, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), new Date().toISOString()],
      );
      return { name, mediaType, bytes: bytes.byteLength };
    });
  }

  async readArtifact(id: string, name: string): Promise<Uint8Array> {
    const found = await this.read("read an artifact", (q) =>
      rows<{ data: Uint8Array | null }>(q, `SELECT (SELECT data FROM run_artifacts WHERE run_id = $1 AND name = $2) AS data FROM runs WHERE id = $1`, [id, name]),
    );
    const row = found[0];
    if (row === undefined) throw runNotFound(id, this.location);
    if (row.data === null) throw artifactNotFound(id, name, this.location);
    return ownBytes(row.data);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const found = await this.read("read a run", (q) => rows<RunRow>(q, `SELECT ${RUN_COLUMNS}, r.equity FROM runs r WHERE r.id = $1`, [id]));
    return found[0] === undefined ? undefined : runFromRow(found[0]);
  }

  /**
   * Filtered, sorted and paged in SQL, by the rules of `filterRuns` (run-common.ts): runs lacking
   * the sort metric, or with NaN, last in either order; ties by creation time, then id (bytewise).
   */
  async listRuns(filter?: RunFilter): Promise<{ runs: RunRecord[]; total: number }> {
    const f = normalizeRunFilter(filter);
    const values: unknown[] = [];
    const param = (v: unknown): string => {
      values.push(v);
      return `$${values.length}`;
    };
    const where: string[] = [];
    if (f.kind !== undefined) where.push(`r.kind = ${param(f.kind)}`);
    if (f.strategy !== undefined) where.push(`r.strategy = ${param(f.strategy)}`);
    if (f.state !== undefined) where.push(`r.state = ${param(f.state)}`);
    if (f.sinceMs !== undefined) where.push(`r.created_at >= ${param(new Date(f.sinceMs).toISOString())}::timestamptz`);
    if (f.untilMs !== undefined) where.push(`r.created_at < ${param(new Date(f.untilMs).toISOString())}::timestamptz`);
    const ops = { gt: ">", gte: ">=", lt: "<", lte: "<=" } as const;
    for (const [metric, bounds] of Object.entries(f.where ?? {})) {
      const given = (Object.entries(bounds) as [keyof typeof ops, number | undefined][]).filter(([, bound]) => bound !== undefined);
      // Every placeholder must be used: a metric with no bound adds no parameter.
      if (given.length === 0) continue;
      const m = metricSql(param(metric));
      for (const [op, bound] of given) where.push(`${m} ${ops[op]} ${param(f8(bound!))}::float8`);
    }
    const whereSql = where.length > 0 ? ` WHERE ${where.join(" AND ")}` : "";
    const countValues = [...values];
    const dir = f.order === "asc" ? "ASC" : "DESC";
    const order: string[] = [];
    if (f.sort !== "createdAt") {
      const m = metricSql(param(f.sort));
      order.push(`(${m} IS NULL) ASC`, `${m} ${dir}`);
    }
    order.push(`r.created_at ${dir}`, `r.id COLLATE "C" ${dir}`);
    const page = `${f.limit === undefined ? "" : ` LIMIT ${param(f.limit)}`} OFFSET ${param(f.offset)}`;
    return this.read("list runs", async () => {
      // One snapshot for the count and the page, so they agree while others write.
      const c = await this.pool.connect();
      let broken = false;
      try {
        await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        const total = (await rows<{ n: number }>(c, `SELECT count(*) AS n FROM runs r${whereSql}`, countValues))[0]?.n ?? 0;
        const found = await rows<RunRow>(c, `SELECT ${RUN_COLUMNS} FROM runs r${whereSql} ORDER BY ${order.join(", ")}${page}`, values);
        await c.query("COMMIT");
        return { runs: found.map(runFromRow), total };
      } catch (error) {
        broken = isConnectionError(error);
        if (!broken) await c.query("ROLLBACK").catch(() => (broken = true));
        throw error;
      } finally {
        c.release(broken);
      }
    });
  }

  /** Waits for pending writes and reads, then closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writes;
    await Promise.allSettled([...this.reads]);
    await this.pool.end();
  }
}

/** Whether optimize_trials has a unique index on exactly its key (the primary key, unless a hypertable layout dropped it). */
async function hasTrialKey(client: PoolClient): Promise<boolean> {
  const found = await rows<{ keyed: boolean }>(
    client,
    `SELECT EXISTS (
       SELECT 1 FROM pg_index i
       WHERE i.indrelid = 'optimize_trials'::regclass AND i.indisunique AND i.indnkeyatts = 4
         AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey::int2[]))
           = ARRAY['idx', 'phase', 'run_id', 'win']) AS keyed`,
  );
  return found[0]?.keyed === true;
}

function runFromRow(row: RunRow): RunRecord {
  const run: RunRecord = {
    id: row.id,
    kind: row.kind as RunKind,
    strategy: row.strategy,
    state: row.state as RunState,
    createdAt: row.created_at.toISOString(),
    manifest: JSON.parse(row.manifest) as RunManifest,
    params: JSON.parse(row.params) as Record<string, StoredValue>,
    metrics: decodeMetrics(row.metrics),
    trials: row.trials,
    artifacts: JSON.parse(row.artifacts) as ArtifactInfo[],
  };
  if (row.finished_at !== null) run.finishedAt = row.finished_at;
  if (row.result_hash !== null) run.resultHash = row.result_hash;
  if (row.error !== null) run.error = row.error;
  if (row.equity !== undefined && row.equity !== null) run.equity = decodeEquity(row.equity);
  return run;
}

/** Opens (creating or migrating its tables if needed) a PostgreSQL store. */
export function postgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  return PostgresStore.open(url, options);
}
