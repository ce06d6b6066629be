/**
 * The PostgreSQL store's schema as numbered migrations. Opening a store applies the ones the
 * database lacks, each in its own transaction, and records them in `schema_migrations`; every
 * migration step holds one advisory lock, so stores opened at the same moment by several
 * processes apply each migration exactly once. A database migrated by a newer Strategy Lab
 * (a version above the last one here) is refused with STORE_SCHEMA_NEWER rather than written
 * with rules it does not know.
 *
 * Time-ordered tables (trials by `finished_at`, registry runs by `created_at`) have a
 * `timestamptz` column with an index. Where the TimescaleDB extension can be created they become
 * hypertables; a hypertable's unique indexes must include its time column, so there the natural
 * keys are plain indexes and the store keeps them unique itself (it deletes a trial's old row
 * before writing it, and checks a run id under an advisory lock before creating it), which it
 * does on plain tables too, so both layouts behave the same.
 */

/** What migrations need of a connection (a pg `PoolClient` or `Client`), so no pg type leaks into the public declarations. */
export interface SqlClient {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

export interface Migration {
  version: number;
  name: string;
  /** Statements run in order inside the migration's transaction. */
  statements: readonly string[];
  /** Tables to turn into hypertables when TimescaleDB is there: table, time column, primary key to drop, index to create instead. */
  hypertables?: readonly { table: string; time: string; primaryKey: string; keyIndex: string }[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "optimizer runs and trials",
    statements: [
      `CREATE TABLE optimize_runs (
        run_id TEXT NOT NULL CONSTRAINT optimize_runs_pkey PRIMARY KEY,
        created_at TIMESTAMPTZ NOT NULL,
        fingerprint TEXT NOT NULL,
        config JSON NOT NULL,
        status TEXT NOT NULL,
        summary JSON)`,
      `CREATE INDEX optimize_runs_created_at ON optimize_runs (created_at)`,
      `CREATE INDEX optimize_runs_fingerprint ON optimize_runs (fingerprint)`,
      `CREATE TABLE optimize_trials (
        run_id TEXT NOT NULL,
        win INTEGER NOT NULL,
        phase TEXT NOT NULL,
        idx INTEGER NOT NULL,
        generation INTEGER NOT NULL,
        params JSON NOT NULL,
        status TEXT NOT NULL,
        objective DOUBLE PRECISION NOT NULL,
        metrics JSON NOT NULL,
        error TEXT,
        seed DOUBLE PRECISION NOT NULL,
        duration_ms DOUBLE PRECISION NOT NULL,
        events DOUBLE PRECISION NOT NULL,
        range_start BIGINT NOT NULL,
        range_end BIGINT NOT NULL,
        n_periods INTEGER,
        period_returns BYTEA,
        finished_at TIMESTAMPTZ NOT NULL,
        CONSTRAINT optimize_trials_pkey PRIMARY KEY (run_id, win, phase, idx))`,
      `CREATE INDEX optimize_trials_finished_at ON optimize_trials (finished_at)`,
    ],
    hypertables: [{ table: "optimize_trials", time: "finished_at", primaryKey: "optimize_trials_pkey", keyIndex: "CREATE INDEX optimize_trials_key ON optimize_trials (run_id, win, phase, idx)" }],
  },
  {
    version: 2,
    name: "run registry and artifacts",
    statements: [
      `CREATE TABLE runs (
        id TEXT NOT NULL CONSTRAINT runs_pkey PRIMARY KEY,
        kind TEXT NOT NULL,
        strategy TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        finished_at TEXT,
        manifest JSON NOT NULL,
        params JSON NOT NULL,
        metrics JSON NOT NULL,
        result_hash TEXT,
        error TEXT,
        equity JSON)`,
      `CREATE INDEX runs_created_at ON runs (created_at)`,
      `CREATE INDEX runs_kind_strategy ON runs (kind, strategy)`,
      `CREATE TABLE run_artifacts (
        run_id TEXT NOT NULL,
        name TEXT NOT NULL,
        media_type TEXT NOT NULL,
        bytes BIGINT NOT NULL,
        data BYTEA NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        CONSTRAINT run_artifacts_pkey PRIMARY KEY (run_id, name))`,
    ],
    hypertables: [{ table: "runs", time: "created_at", primaryKey: "runs_pkey", keyIndex: "CREATE INDEX runs_id ON runs (id)" }],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** One lock for every schema change of every Strategy Lab store in the database. */
const MIGRATION_LOCK = "strategy_lab.schema";

export interface MigrationReport {
  /** The database's schema version before opening. */
  from: number;
  /** Versions applied now. */
  applied: number[];
  /** Whether the migrations applied now made hypertables. */
  timescale: boolean;
}

/** Thrown (and turned into STORE_SCHEMA_NEWER by the store) when the database is ahead of this code. */
export class SchemaNewerError extends Error {
  constructor(readonly found: number) {
    super(`schema version ${found} is newer than ${SCHEMA_VERSION}`);
  }
}

async function inTransaction<T>(client: SqlClient, fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const out = await fn();
    await client.query("COMMIT");
    return out;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

async function currentVersion(client: SqlClient): Promise<number> {
  const r = await client.query<{ v: number | null }>("SELECT max(version) AS v FROM schema_migrations");
  return r.rows[0]?.v ?? 0;
}

/**
 * Whether TimescaleDB can be used: listed as available and creatable here (it also has to be in
 * shared_preload_libraries, which only trying tells). Tried inside a savepoint so a refusal
 * leaves the migration's transaction usable.
 */
async function enableTimescale(client: SqlClient): Promise<boolean> {
  const available = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'");
  if (available.rowCount === 0) return false;
  await client.query("SAVEPOINT timescale");
  try {
    await client.query("CREATE EXTENSION IF NOT EXISTS timescaledb");
    await client.query("RELEASE SAVEPOINT timescale");
    return true;
  } catch {
    await client.query("ROLLBACK TO SAVEPOINT timescale");
    return false;
  }
}

/** Brings the database's schema to SCHEMA_VERSION. */
export async function migrate(client: SqlClient, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  const from = await inTransaction(client, async () => {
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [MIGRATION_LOCK]);
    // Created only when missing: CREATE TABLE IF NOT EXISTS would still need the right to create
    // tables, which a user that only reads and writes an up-to-date store need not have.
    const present = await client.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
    if (present.rows[0]?.present !== true) {
      await client.query(`CREATE TABLE schema_migrations (
        version INTEGER NOT NULL PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    }
    return currentVersion(client);
  });
  if (from > latest) throw new SchemaNewerError(from);
  const applied: number[] = [];
  let timescale = false;
  for (const m of migrations) {
    if (m.version <= from) continue;
    await inTransaction(client, async () => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [MIGRATION_LOCK]);
      // Another process may have applied it while this one waited for the lock.
      const done = await client.query("SELECT 1 FROM schema_migrations WHERE version = $1", [m.version]);
      if ((done.rowCount ?? 0) > 0) return;
      for (const sql of m.statements) await client.query(sql);
      if (m.hypertables?.length && (await enableTimescale(client))) {
        timescale = true;
        for (const h of m.hypertables) {
          await client.query(`ALTER TABLE ${h.table} DROP CONSTRAINT ${h.primaryKey}`);
          await client.query(h.keyIndex);
          await client.query(`SELECT create_hypertable('${h.table}', '${h.time}', if_not_exists => TRUE, migrate_data => TRUE)`);
        }
      }
      await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
      applied.push(m.version);
    });
  }
  return { from, applied, timescale };
}
