/**
 * server: the research server behind `strategy-lab serve`: a REST API over a run store (runs,
 * trials, artifacts, comparisons), jobs (optimizations and backtests in worker threads, queued,
 * cancellable, resumable after a crash), a WebSocket live feed, the dashboard's static files and
 * an OpenAPI document, all behind a token. See docs/server.md.
 */
import { readFileSync } from "node:fs";
import { LabError } from "../core/index.js";
import { openStore, type StoreSpec } from "../store/index.js";
import { buildApp } from "./app.js";
import { checkHost, newToken } from "./auth.js";
import { JobManager, type ServerStore } from "./jobs.js";
import { LiveHub } from "./live.js";
import { StoreWatcher } from "./watch.js";

export { BODY_LIMIT } from "./app.js";
export { COOKIE_NAME, newToken, sameToken, isLoopback } from "./auth.js";
export { toJson, fromWireNumber, type WireNumber } from "./json.js";
export { openApiDocument, ROUTES, openApiPath, type RouteDoc } from "./openapi.js";
export { LiveHub, MAX_FRAME_BYTES, PROGRESS_MS, TRIAL_MS, type LiveProgress, type LiveTrial } from "./live.js";
export { JOB_FILE, type Job, type JobState, type JobProgress, type ServerStore } from "./jobs.js";
export type { JobBody } from "./schemas.js";

export interface ServerOptions {
  /** An open store (RunStore and TrialStore), a DuckDB path, "memory" or a postgres:// URL. */
  store: StoreSpec | ServerStore;
  /** The API token. @default 24 random bytes, base64url */
  token?: string;
  /** @default "127.0.0.1"; any other than a loopback address needs `token` */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** Folder job data paths are relative to (and confined to), and whose data/ is listed. @default process.cwd() */
  projectRoot?: string;
  /** Jobs running at once; the others wait. @default 1 */
  maxJobs?: number;
  /** Dashboard folder. @default src/server/dashboard of the package */
  dashboardDir?: string;
  /** How often runs of other processes are polled, ms. @default 500 */
  watchMs?: number;
}

export interface ResearchServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** The URL that opens the dashboard and sets the token cookie. */
  readonly dashboardUrl: string;
  /** Every route as "METHOD /path" (what the OpenAPI document must describe). */
  readonly routes: readonly string[];
  readonly live: LiveHub;
  /** Stops jobs (their runs become "interrupted" and can be resumed), closes connections, and closes the store if it was opened here. */
  close(): Promise<void>;
}

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

function isRunStore(value: unknown): value is ServerStore {
  const s = value as Partial<ServerStore> | null;
  return typeof s === "object" && s !== null && typeof s.createRun === "function" && typeof s.listRuns === "function" && typeof s.loadTrials === "function";
}

export async function createServer(options: ServerOptions): Promise<ResearchServer> {
  const host = options.host ?? "127.0.0.1";
  checkHost(host, options.token !== undefined);
  const token = options.token ?? newToken();
  if (token.length < 1 || /\s/.test(token)) throw new LabError({ code: "BAD_OPTION", message: "the server token must be non-empty and contain no spaces", hint: "e.g. --token $(openssl rand -base64 24)", context: { option: "token" } });
  const maxJobs = options.maxJobs ?? 1;
  if (!Number.isInteger(maxJobs) || maxJobs < 1) throw new LabError({ code: "BAD_OPTION", message: `maxJobs must be an integer ≥ 1, got ${String(maxJobs)}`, hint: "e.g. maxJobs: 1", context: { option: "maxJobs" } });
  const opened = isRunStore(options.store) ? { store: options.store, owned: false } : await openStore(options.store as StoreSpec);
  const store = opened.store as unknown as ServerStore;
  if (!isRunStore(store)) {
    if (opened.owned) await opened.store.close();
    throw new LabError({ code: "STORE_UNSUPPORTED", message: `the ${opened.store.kind} store at ${opened.store.location} keeps no run registry`, hint: 'serve a DuckDB file, "memory" or a postgres:// URL' });
  }
  const version = packageVersion();
  const projectRoot = options.projectRoot ?? process.cwd();
  const live = new LiveHub();
  const jobs = new JobManager({ store, projectRoot, maxJobs, live, version });
  const watcher = new StoreWatcher(store, live, options.watchMs);
  try {
    await jobs.load();
    const app = await buildApp({ store, token, projectRoot, version, jobs, live, ...(options.dashboardDir === undefined ? {} : { dashboardDir: options.dashboardDir }) });
    try {
      await app.listen({ host, port: options.port ?? 0 });
    } catch (error) {
      await app.close();
      throw new LabError({ code: "SERVER_LISTEN_FAILED", message: `cannot listen on ${host}:${options.port ?? 0}: ${(error as Error).message}`, hint: "choose another port (--port 0 picks a free one) or another host", context: { host, port: options.port ?? 0 }, cause: error });
    }
    watcher.start();
    const address = app.server.address();
    const port = typeof address === "object" && address !== null ? address.port : options.port ?? 0;
    const shownHost = host.includes(":") ? `[${host}]` : host;
    const url = `http://${shownHost}:${port}`;
    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      token,
      dashboardUrl: `${url}/?token=${encodeURIComponent(token)}`,
      routes: (app as unknown as { apiRoutes: string[] }).apiRoutes,
      live,
      close: () =>
        (closing ??= (async () => {
          await watcher.stop();
          await jobs.close();
          live.close();
          await app.close();
          if (opened.owned) await store.close();
        })()),
    };
  } catch (error) {
    await watcher.stop();
    await jobs.close();
    if (opened.owned) await store.close();
    throw error;
  }
}
