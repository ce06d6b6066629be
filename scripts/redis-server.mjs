// A throwaway redis-server for tests and benchmarks: 127.0.0.1 only, a free port, a temporary
// directory, no persistence (`--save ""`, `--appendonly no`), in the foreground as a child of this
// process. `stop()` stops it and removes the directory; a server its caller forgot is stopped when
// the process exits, and a watchdog stops it even when the process is killed outright.
//
//   node scripts/redis-server.mjs     starts one by hand and prints its URL (Ctrl-C stops it)
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { freePort } from "./free-port.mjs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const SETUP_HINT = "run `npm run setup` as root (it installs the Debian package redis-server), or set STRATEGY_LAB_REDIS_SERVER to the redis-server program";

/** The redis-server program: $STRATEGY_LAB_REDIS_SERVER when set, else redis-server on the PATH. @returns {string} */
export function findRedisServer() {
  const chosen = process.env.STRATEGY_LAB_REDIS_SERVER;
  const program = chosen || "redis-server";
  const probe = spawnSync(program, ["--version"], { encoding: "utf8" });
  if (probe.status !== 0) throw new Error(`${program} not found or not runnable${probe.error ? ` (${probe.error.message})` : ""}: ${SETUP_HINT}`);
  return program;
}

/** Resolves once the server answers PING on `port`. */
async function waitForPing(port, child, log) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}: ${log().slice(-2000)}`);
    const ok = await new Promise((resolveOk) => {
      const socket = createConnection({ host: "127.0.0.1", port });
      let reply = "";
      socket.setTimeout(500, () => socket.destroy());
      socket.on("connect", () => socket.write("PING\r\n"));
      socket.on("data", (d) => {
        reply += d.toString();
        if (reply.includes("\r\n")) {
          socket.destroy();
          resolveOk(reply.startsWith("+PONG"));
        }
      });
      socket.on("error", () => resolveOk(false));
      socket.on("close", () => resolveOk(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer on 127.0.0.1:${port} within 10 s: ${log().slice(-2000)}`);
}

/** Stops the server and removes its directory once this process is gone, however it ended (the exit hook does not run on SIGKILL). */
function startWatchdog(pid, dir) {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -TERM ${pid} 2>/dev/null; sleep 2; kill -KILL ${pid} 2>/dev/null; rm -rf '${dir}'`;
  const child = spawn("/bin/sh", ["-c", script], { detached: true, stdio: "ignore" });
  child.unref();
  return child;
}

const running = new Set();
let exitHookInstalled = false;

/**
 * Starts a throwaway redis-server.
 * @param {{ port?: number }} [options]
 * @returns {Promise<import("./redis-server.d.mts").RedisServer>}
 */
export async function startRedis(options = {}) {
  const program = findRedisServer();
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "strategy-lab-redis-"));
  const child = spawn(program, ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d.toString()));
  child.stderr.on("data", (d) => (output += d.toString()));
  // The server must not keep a script alive on its own: stop() or the exit hook ends it.
  child.unref();
  child.stdout.unref?.();
  child.stderr.unref?.();
  const watchdog = startWatchdog(child.pid, dir);
  let stopped = false;
  const server = {
    url: `redis://127.0.0.1:${port}`,
    host: "127.0.0.1",
    port,
    dir,
    pid: child.pid,
    log: () => output,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      running.delete(server);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
      try {
        process.kill(watchdog.pid, "SIGKILL");
      } catch {
        // already gone
      }
    },
  };
  running.add(server);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const s of running) {
        try {
          process.kill(s.pid, "SIGKILL");
        } catch {
          // already gone
        }
        rmSync(s.dir, { recursive: true, force: true });
      }
    });
  }
  try {
    await waitForPing(port, child, () => output);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** Runs `fn` with a fresh server and stops it afterwards, also when `fn` throws. */
export async function withRedis(fn, options) {
  const server = await startRedis(options);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const server = await startRedis();
  process.stdout.write(`redis-server on ${server.url} (data in ${server.dir}); queue URLs: ${server.url}/<queue name>. Ctrl-C stops it.\n`);
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const stop = () => {
    clearInterval(keepAlive);
    void server.stop().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
