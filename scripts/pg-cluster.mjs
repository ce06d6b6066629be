// A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` in a temporary directory,
// trust authentication for the superuser on 127.0.0.1 only (other roles need their password), a
// free port, the Unix socket inside the directory (so it never meets a system cluster), fsync on
// (tests check durability), one database created and its URL returned. `stop()` stops it and
// removes the directory; a cluster its caller forgot is stopped when the process exits, and a
// watchdog stops it even when the process is killed outright.
//
// As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { freePort } from "./free-port.mjs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SETUP_HINT = "run `npm run setup` as root (it installs the Debian package postgresql-15), or set STRATEGY_LAB_PG_BINDIR to the directory holding initdb and pg_ctl";

/**
 * The directory holding initdb, pg_ctl and postgres: $STRATEGY_LAB_PG_BINDIR when set (and then
 * only it: an explicit choice is not silently replaced), else Debian's
 * /usr/lib/postgresql/15/bin or /usr/lib/postgresql/<newest>/bin, or `pg_config --bindir`.
 * @returns {string}
 */
export function findPostgresBin() {
  const has = (dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl")) && existsSync(join(dir, "postgres"));
  const chosen = process.env.STRATEGY_LAB_PG_BINDIR;
  if (chosen) {
    if (has(chosen)) return chosen;
    throw new Error(`STRATEGY_LAB_PG_BINDIR=${chosen} has no initdb, pg_ctl and postgres: point it at PostgreSQL's bin directory, or unset it and ${SETUP_HINT.split(", or set")[0]}`);
  }
  const candidates = [];
  candidates.push("/usr/lib/postgresql/15/bin");
  if (existsSync("/usr/lib/postgresql")) {
    const versions = readdirSync("/usr/lib/postgresql").filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  }
  const pgConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  const found = candidates.find(has);
  if (found === undefined) throw new Error(`PostgreSQL server programs (initdb, pg_ctl, postgres) not found in ${[...new Set(candidates)].join(", ")}: ${SETUP_HINT}`);
  return found;
}

/** The uid/gid to run the server as: postgres's when we are root, ours otherwise. */
function serverUser() {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) throw new Error(`running as root, but there is no "postgres" user to run the PostgreSQL server as: ${SETUP_HINT}`);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Runs a program (as `user` when given) and resolves with its output; rejects with the output when
 * it fails. Asynchronous, so a test worker's event loop is never blocked while a server starts.
 */
function run(cmd, args, { user, env, timeoutMs = 120_000 } = {}) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, LC_ALL: "C", ...env }, stdio: ["ignore", "pipe", "pipe"], ...(user ?? {}) });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveRun(out);
      else reject(new Error(`${cmd} ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${out.trim()}`));
    });
  });
}

/** Clusters of this process not yet stopped, for the exit hook. */
const live = new Set();
let hooked = false;

function stopNowSync(cluster) {
  spawnSync(join(cluster.bin, "pg_ctl"), ["-D", cluster.data, "stop", "-m", "immediate", "-w", "-t", "30"], { stdio: "ignore", ...(cluster.user ?? {}) });
  rmSync(cluster.dir, { recursive: true, force: true });
}

function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const cluster of live) stopNowSync(cluster);
    live.clear();
  });
}

/**
 * Starts a watchdog that stops the cluster and removes its directory once this process is gone,
 * however it ended (the exit hook does not run on SIGKILL).
 */
function startWatchdog(data, dir) {
  // SIGQUIT is PostgreSQL's immediate shutdown; a signal needs no user switch (pg_ctl refuses root).
  const pidFile = join(data, "postmaster.pid");
  const script =
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ` +
    `if [ -f '${pidFile}' ]; then p=$(head -n 1 '${pidFile}'); kill -QUIT "$p" 2>/dev/null; i=0; ` +
    `while kill -0 "$p" 2>/dev/null && [ $i -lt 30 ]; do sleep 1; i=$((i+1)); done; fi; rm -rf '${dir}'`;
  const child = spawn("/bin/sh", ["-c", script], { detached: true, stdio: "ignore" });
  child.unref();
  return child;
}

/**
 * @typedef {object} PostgresCluster
 * @property {string} url        postgres://postgres@127.0.0.1:<port>/<database>
 * @property {string} host       "127.0.0.1"
 * @property {number} port
 * @property {string} database
 * @property {string} user       the superuser ("postgres"), trusted on 127.0.0.1
 * @property {string} dir        the temporary directory (data in dir/data, server log in dir/server.log)
 * @property {string} bin        the directory of the PostgreSQL programs
 * @property {(database: string) => string} urlFor  the URL of another database of this cluster
 * @property {(database: string) => Promise<string>} createDatabase  creates a database, returns its URL
 * @property {(mode?: "smart" | "fast" | "immediate") => Promise<void>} restart  stops and starts the server on the same port ("immediate": a crash, recovered from the WAL)
 * @property {() => Promise<void>} stop  stops the server (fast shutdown) and removes the directory
 */

/**
 * Starts a throwaway cluster.
 * @param {{ database?: string, fsync?: boolean, settings?: Record<string, string | number> }} [options]
 *   `settings`: extra postgresql.conf settings (e.g. `{ max_connections: 200 }`).
 * @returns {Promise<PostgresCluster>}
 */
export async function startPostgres(options = {}) {
  const database = options.database ?? "strategy_lab";
  const bin = findPostgresBin();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), "strategy-lab-pg-"));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, "data");
  const log = join(dir, "server.log");
  /** @type {{ bin: string, data: string, dir: string, user: {uid:number,gid:number} | undefined }} */
  const cluster = { bin, data, dir, user };
  live.add(cluster);
  hookExit();
  const watchdog = startWatchdog(data, dir);
  const env = { HOME: dir, PGDATA: data };
  let port = 0;
  try {
    await run(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-instructions"], { user, env });
    // Trust for the superuser only, and only on loopback and the private socket: other roles log in
    // with their password, so a wrong password can be tested.
    writeFileSync(
      join(data, "pg_hba.conf"),
      "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
    );
    if (user) chownSync(join(data, "pg_hba.conf"), user.uid, user.gid);
    const settings = {
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: `'${dir}'`,
      fsync: "on",
      synchronous_commit: "on",
      max_connections: 60,
      shared_buffers: "'32MB'",
      ...Object.fromEntries(Object.entries(options.settings ?? {}).map(([k, v]) => [k, typeof v === "number" ? v : `'${v}'`])),
    };
    if (options.fsync === false) settings.fsync = "off";
    appendFileSync(join(data, "postgresql.conf"), "\n# throwaway cluster\n" + Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join("\n") + "\n");
    // A port found free can be taken before the server binds it: try a few.
    let lastError;
    for (let attempt = 0; attempt < 5; attempt++) {
      port = await freePort();
      try {
        await run(join(bin, "pg_ctl"), ["-D", data, "-l", log, "-o", `-p ${port}`, "-w", "-t", "120", "start"], { user, env });
        lastError = undefined;
        break;
      } catch (error) {
        lastError = error;
      }
    }
    if (lastError) throw lastError;
    await run(join(bin, "createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", database], { env: { PGCONNECT_TIMEOUT: "30" } });
  } catch (error) {
    live.delete(cluster);
    stopNowSync(cluster);
    try {
      process.kill(watchdog.pid);
    } catch {
      // already gone
    }
    throw error;
  }
  const urlFor = (db) => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(db)}`;
  let stopping;
  return {
    url: urlFor(database),
    host: "127.0.0.1",
    port,
    database,
    user: "postgres",
    dir,
    bin,
    urlFor,
    async createDatabase(name) {
      await run(join(bin, "createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", name]);
      return urlFor(name);
    },
    async restart(mode = "fast") {
      // "immediate" is a crash as far as the data is concerned: no checkpoint, recovery from the WAL on start.
      await run(join(bin, "pg_ctl"), ["-D", data, "stop", "-m", mode, "-w", "-t", "60"], { user, env });
      await run(join(bin, "pg_ctl"), ["-D", data, "-l", log, "-o", `-p ${port}`, "-w", "-t", "120", "start"], { user, env });
    },
    stop() {
      stopping ??= (async () => {
        try {
          await run(join(bin, "pg_ctl"), ["-D", data, "stop", "-m", "fast", "-w", "-t", "60"], { user, env });
        } catch {
          // Already stopped (or it would not stop in time): make sure below.
          await run(join(bin, "pg_ctl"), ["-D", data, "stop", "-m", "immediate", "-w", "-t", "30"], { user, env }).catch(() => undefined);
        }
        live.delete(cluster);
        rmSync(dir, { recursive: true, force: true });
        try {
          process.kill(watchdog.pid);
        } catch {
          // already gone
        }
      })();
      return stopping;
    },
  };
}

/**
 * Runs `fn` with a fresh cluster and stops the cluster afterwards, also when `fn` throws (for
 * benchmarks: `await withPostgres((pg) => bench(pg.url))`).
 * @template T
 * @param {(cluster: PostgresCluster) => Promise<T>} fn
 * @param {{ database?: string, fsync?: boolean, settings?: Record<string, string | number> }} [options]
 * @returns {Promise<T>}
 */
export async function withPostgres(fn, options = {}) {
  const cluster = await startPostgres(options);
  try {
    return await fn(cluster);
  } finally {
    await cluster.stop();
  }
}

/**
 * The server's log so far (for failure messages).
 * @param {PostgresCluster} cluster
 * @returns {string}
 */
export function serverLog(cluster) {
  const r = spawnSync("tail", ["-n", "50", join(cluster.dir, "server.log")], { encoding: "utf8" });
  return r.stdout ?? "";
}

// `node scripts/pg-cluster.mjs`: a throwaway cluster to try the PostgreSQL store by hand; prints
// its URL and stops it (removing its data) on Ctrl-C.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const cluster = await startPostgres();
  process.stdout.write(`PostgreSQL ${cluster.bin} in ${cluster.dir}\nSTRATEGY_LAB_STORE=${cluster.url}\n(Ctrl-C stops it and removes its data)\n`);
  const stop = () => {
    cluster.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  setInterval(() => undefined, 1 << 30);
}
