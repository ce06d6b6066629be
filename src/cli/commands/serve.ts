/**
 * `strategy-lab serve`: the research server and dashboard over a run store.
 *   strategy-lab serve                        # 127.0.0.1, a free port, .strategy-lab/runs.duckdb, a random token
 *   strategy-lab serve --port 8080 --store postgres://lab@127.0.0.1/lab
 *   strategy-lab serve --host 0.0.0.0 --token "$LAB_TOKEN"   # a network address needs a chosen token
 * Prints the dashboard URL (with the token) and runs until SIGINT or SIGTERM; running jobs are then
 * stopped and left "interrupted", to be resumed by the next server.
 */
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { createServer } from "../../server/index.js";
import { parseIntegerOption, untilInterrupted, type GlobalOptions } from "../util.js";

interface ServeOptions extends GlobalOptions {
  port?: string;
  host?: string;
  token?: string;
  store?: string;
  maxJobs?: string;
}

/** The store `serve` opens: --store, else STRATEGY_LAB_STORE, else .strategy-lab/runs.duckdb in the project. */
export function serveStoreSpec(given: string | undefined, projectRoot: string): string {
  const spec = given ?? process.env.STRATEGY_LAB_STORE;
  if (spec !== undefined && spec !== "") return spec;
  return join(projectRoot, ".strategy-lab", "runs.duckdb");
}

export function register(program: Command): void {
  program
    .command("serve")
    .description("research server: REST API, live feed and dashboard over the run store, behind a token")
    .option("--port <n>", "port (0 = a free one)", "0")
    .option("--host <address>", "address to listen on (other than loopback needs --token)", "127.0.0.1")
    .option("--token <token>", "API token (default: a random one, printed)")
    .option("--store <spec>", "DuckDB file, memory, or postgres:// URL (default: STRATEGY_LAB_STORE, else .strategy-lab/runs.duckdb)")
    .option("--max-jobs <n>", "jobs running at once", "1")
    .action(async (o: ServeOptions) => {
      const projectRoot = process.cwd();
      const store = serveStoreSpec(o.store, projectRoot);
      if (store !== "memory" && !/^postgres(ql)?:\/\//i.test(store)) mkdirSync(dirname(resolve(store)), { recursive: true });
      const server = await createServer({
        store,
        ...(o.token === undefined ? {} : { token: o.token }),
        host: o.host ?? "127.0.0.1",
        port: parseIntegerOption(o.port ?? "0", "--port"),
        projectRoot,
        maxJobs: parseIntegerOption(o.maxJobs ?? "1", "--max-jobs"),
      });
      process.stdout.write(`Strategy Lab dashboard: ${server.dashboardUrl}\n`);
      process.stdout.write(`API: ${server.url}/api (Authorization: Bearer <token>) · store: ${store.replace(/\/\/[^@/]*@/, "//***@")}\n`);
      await untilInterrupted();
      process.stdout.write("stopping: running jobs are left interrupted (resume them from the next server)\n");
      await server.close();
    });
}
