// Pieces of scripts/setup.mjs that run long commands quietly: each command's output goes to a log
// file, the terminal gets one "setup: ..." line per step (plus a line every half minute while a
// step runs long), and a failing command prints its log's path and last lines. Separate from
// setup.mjs so tests can drive them with stand-in commands.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { dirname, relative } from "node:path";

/** Lines a failing step prints from the end of its log. */
export const TAIL_LINES = 20;

/** `say(message)` writes "setup: message" as one line to `stream` (stderr by default). */
export function reporter(stream = process.stderr) {
  return (message) => stream.write(`setup: ${message}\n`);
}

/** Seconds since `start` (a performance.now() value), one decimal. */
export function elapsed(start) {
  return `${((performance.now() - start) / 1000).toFixed(1)} s`;
}

/** The last `n` non-empty lines of a text file ("" when it cannot be read). */
export function tailOf(file, n = TAIL_LINES) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return "";
  }
  // apt-get and npm redraw progress with carriage returns; each redraw is a line of its own.
  const lines = text.split(/\r\n|\r|\n/).filter((l) => l.trim() !== "");
  return lines.slice(-n).join("\n");
}

/** A path as the user should type it: relative to the current directory when under it. */
export function shown(file) {
  const r = relative(process.cwd(), file);
  return r && !r.startsWith("..") ? r : file;
}

/** Starts `log` empty (a step's log holds the output of its latest run only). */
export function freshLog(log) {
  mkdirSync(dirname(log), { recursive: true });
  writeFileSync(log, "");
  return log;
}

/**
 * Runs `cmd args` with stdout and stderr appended to `log`, calling `onLine` for each output line
 * (to spot, say, a lock wait). While it runs, `say` reports "<doing> still running (N s)" every
 * `heartbeatMs`. Resolves with the exit status (a signal counts as failure) and the seconds taken.
 */
export function runLogged({ cmd, args, log, cwd, env, say, doing, onLine = () => {}, heartbeatMs = 30_000 }) {
  mkdirSync(dirname(log), { recursive: true });
  const fd = openSync(log, "a");
  writeSync(fd, `\n$ ${[cmd, ...args].join(" ")}    (${new Date().toISOString()}, in ${cwd ?? process.cwd()})\n`);
  const start = performance.now();
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      writeSync(fd, `could not start ${cmd}: ${error.message}\n`);
      closeSync(fd);
      resolve({ status: 127, seconds: 0 });
      return;
    }
    const timer = setInterval(() => say(`${doing} still running (${elapsed(start)})`), heartbeatMs);
    timer.unref();
    let partial = "";
    const take = (chunk) => {
      writeSync(fd, chunk);
      const text = partial + chunk.toString("utf8");
      const lines = text.split(/\r\n|\r|\n/);
      partial = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    let settled = false;
    const finish = (status, note) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      if (partial) onLine(partial);
      if (note) writeSync(fd, `${note}\n`);
      closeSync(fd);
      resolve({ status, seconds: (performance.now() - start) / 1000 });
    };
    child.on("error", (error) => finish(127, `could not start ${cmd}: ${error.message}`));
    child.on("close", (code, signal) => finish(code ?? 1, signal ? `killed by ${signal}` : undefined));
  });
}

/** Prints a failed step's exit status, its log's path and last lines; returns exit code 1. */
export function reportFailure(say, what, result, log, stream = process.stderr) {
  say(`${what} failed (exit code ${result.status}, after ${result.seconds.toFixed(1)} s); full output in ${shown(log)}. Last lines:`);
  const tail = tailOf(log);
  if (tail) stream.write(tail.replace(/^/gm, "  | ") + "\n");
  return 1;
}

const LOCK_WAIT = /Waiting for cache lock: (.*?)(?:\.\.\.)?\s*$/;
const LOCK_HELD = /Could not get lock (\S+?)\.? It is held by (.*?)\.?\s*$/;
const NO_LOCK = /Could not get lock|Unable to lock/;

/**
 * `apt-get update` then `apt-get install -y --no-install-recommends packages`, output to `log`.
 * A package-manager lock held by another process (an unattended upgrade, another install) is
 * waited for, up to `lockTimeoutS` seconds, with one line saying so: apt-get install waits by
 * itself (DPkg::Lock::Timeout); apt-get update does not, so it is retried until the lock is free.
 * Resolves with the failing command's result, or { status: 0 }.
 */
export async function aptInstall(packages, { log, say, aptGet = "apt-get", lockTimeoutS = 300, retryMs = 5_000, env = process.env, heartbeatMs = 30_000 }) {
  freshLog(log);
  const aptEnv = { ...env, DEBIAN_FRONTEND: "noninteractive" };
  const lockOption = ["-o", `DPkg::Lock::Timeout=${lockTimeoutS}`];
  let saidWaiting = false;
  const waiting = (detail) => {
    if (saidWaiting) return;
    saidWaiting = true;
    say(`waiting for the Debian package lock (${detail}); up to ${lockTimeoutS} s`);
  };
  const watch = (line) => {
    const m = LOCK_WAIT.exec(line);
    if (!m) return;
    const held = LOCK_HELD.exec(m[1]);
    waiting(held ? `${held[1]} is held by ${held[2]}` : m[1]);
  };

  const deadline = performance.now() + lockTimeoutS * 1000;
  for (;;) {
    let held;
    const update = await runLogged({
      cmd: aptGet,
      args: ["update", ...lockOption],
      log,
      env: aptEnv,
      say,
      doing: "apt-get update",
      heartbeatMs,
      onLine: (line) => {
        watch(line);
        const m = LOCK_HELD.exec(line);
        if (m) held = `${m[1]} is held by ${m[2]}`;
        else if (NO_LOCK.test(line)) held ??= line.replace(/^E:\s*/, "");
      },
    });
    if (update.status === 0) break;
    if (held === undefined || performance.now() + retryMs > deadline) return { ...update, what: "apt-get update" };
    waiting(held);
    await new Promise((r) => setTimeout(r, retryMs));
  }
  const install = await runLogged({
    cmd: aptGet,
    args: ["install", "-y", "--no-install-recommends", ...lockOption, ...packages],
    log,
    env: aptEnv,
    say,
    doing: "apt-get install",
    heartbeatMs,
    onLine: watch,
  });
  return install.status === 0 ? { status: 0, seconds: install.seconds } : { ...install, what: "apt-get install" };
}
