/**
 * A throwaway PostgreSQL cluster per test file: `usePostgres()` starts one in beforeAll and stops
 * it (removing its directory) in afterAll, also when tests fail. Each `freshDatabase()` is a new,
 * empty database of that cluster, so stores never see each other's runs.
 */
import { afterAll, beforeAll } from "vitest";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../../scripts/pg-cluster.mjs";

export interface PostgresFixture {
  /** The running cluster (valid inside tests, after beforeAll). */
  readonly cluster: PostgresCluster;
  /** URL of a new, empty database. */
  freshDatabase(prefix?: string): Promise<string>;
  /** Runs SQL as the superuser on `url` (another connection than the store's). */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values?: unknown[]): Promise<R[]>;
}

export function usePostgres(): PostgresFixture {
  let cluster: PostgresCluster | undefined;
  let n = 0;
  beforeAll(async () => {
    // No skipping: without the server programs this throws, saying to run `npm run setup` as root.
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  const need = (): PostgresCluster => {
    if (cluster === undefined) throw new Error("the PostgreSQL cluster is not running (beforeAll failed?)");
    return cluster;
  };
  return {
    get cluster() {
      return need();
    },
    async freshDatabase(prefix = "db") {
      n += 1;
      return need().createDatabase(`${prefix}_${process.pid}_${n}`);
    },
    async sql<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<R>(text, values)).rows;
      } finally {
        await client.end();
      }
    },
  };
}
