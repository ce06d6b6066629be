/** A throwaway PostgreSQL cluster (see pg-cluster.mjs). */
export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** The superuser ("postgres"), trusted on 127.0.0.1; other roles authenticate with scram-sha-256. */
  readonly user: string;
  /** Temporary directory: data in dir/data, server log in dir/server.log, the Unix socket. */
  readonly dir: string;
  /** Directory of initdb, pg_ctl, postgres, psql. */
  readonly bin: string;
  /** URL of another database of this cluster. */
  urlFor(database: string): string;
  /** Creates a database and returns its URL. */
  createDatabase(database: string): Promise<string>;
  /** Stops and starts the server on the same port; "immediate" stops it like a crash (no checkpoint, recovery from the WAL on start). */
  restart(mode?: "smart" | "fast" | "immediate"): Promise<void>;
  /** Stops the server (fast shutdown) and removes the directory; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** @default "strategy_lab" */
  database?: string;
  /** @default true */
  fsync?: boolean;
  /** Extra postgresql.conf settings, e.g. `{ max_connections: 200 }`. */
  settings?: Record<string, string | number>;
}

/** The directory holding initdb and pg_ctl; throws (naming `npm run setup`) when there is none. */
export function findPostgresBin(): string;
export function startPostgres(options?: StartPostgresOptions): Promise<PostgresCluster>;
/** Runs `fn` with a fresh cluster and stops it afterwards, also when `fn` throws. */
export function withPostgres<T>(fn: (cluster: PostgresCluster) => Promise<T>, options?: StartPostgresOptions): Promise<T>;
/** The last lines of the server log. */
export function serverLog(cluster: PostgresCluster): string;
