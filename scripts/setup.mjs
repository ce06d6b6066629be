#!/usr/bin/env node
// Sets up whatever is missing on this machine, quickly when nothing is: npm dependencies, Debian's
// Jupyter (and Chromium for the report tests) when running as root, the TypeScript build, and the
// project-local "Strategy Lab (TypeScript)" kernel. Never touches user or system Jupyter state.
// Prints one "setup: ..." line per step (and one every half minute while a step runs long); the
// output of npm, apt-get and the compiler goes to logs in .setup/ (git-ignored), and a step that
// fails prints its log's path and last lines.
import { existsSync, statSync, chmodSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { aptInstall, elapsed, freshLog, reportFailure, reporter, runLogged, shown } from "./setup-lib.mjs";
import { findPostgresBin } from "./pg-cluster.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const logs = join(root, ".setup");
const python = process.env.STRATEGY_LAB_PYTHON ?? "/usr/bin/python3";
const APT_PACKAGES = ["jupyter-nbconvert", "jupyter-client", "jupyter-core", "python3-nbclient", "jupyter-notebook", "chromium", "postgresql-15", "redis-server"];
const say = reporter();
const started = performance.now();

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

const [major] = process.versions.node.split(".").map(Number);
if (major < 20) {
  say(`Node ${process.versions.node} is too old; Strategy Lab needs Node 20 or newer`);
  process.exit(1);
}

// 1. npm dependencies (install scripts are not run by npm here; nothing we use needs them).
const installedLock = join(root, "node_modules", ".package-lock.json");
if (!existsSync(installedLock) || mtime(join(root, "package-lock.json")) > mtime(installedLock) || mtime(join(root, "package.json")) > mtime(installedLock)) {
  const log = freshLog(join(logs, "npm.log"));
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const args = existsSync(join(root, "package-lock.json")) && process.env.CI ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"];
  say(`installing npm dependencies (log: ${shown(log)})`);
  const r = await runLogged({ cmd: npm, args, log, cwd: root, say, doing: `npm ${args[0]}` });
  if (r.status !== 0) process.exit(reportFailure(say, `npm ${args[0]}`, r, log));
  // npm 11 lists packages whose install scripts it did not run ("install-scripts" in the log):
  // expected here, since Strategy Lab needs none of them (this step runs what the project needs).
  say(`npm dependencies installed (${r.seconds.toFixed(1)} s; npm's "install-scripts" notes in the log are expected: no dependency's install script is needed)`);
} else {
  say("npm dependencies up to date");
}

// 2. Debian's Jupyter (and Chromium for the HTML report tests, PostgreSQL 15 for the PostgreSQL
// store's tests, which start their own throwaway clusters with its programs).
function jupyterReady() {
  return spawnSync(python, ["-c", "import nbclient, nbformat, nbconvert, jupyter_client"], { stdio: "ignore" }).status === 0;
}
const chromiumReady = () => existsSync("/usr/bin/chromium");
function postgresReady() {
  try {
    findPostgresBin();
    return true;
  } catch {
    return false;
  }
}
// redis-server: the queue tests and benchmarks of distributed sweeps start their own throwaway servers.
const redisReady = () => spawnSync(process.env.STRATEGY_LAB_REDIS_SERVER || "redis-server", ["--version"], { stdio: "ignore" }).status === 0;
const wantChromium = !process.env.STRATEGY_LAB_NO_CHROMIUM;
if (!jupyterReady() || (!chromiumReady() && wantChromium) || !postgresReady() || !redisReady()) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot && existsSync("/usr/bin/apt-get")) {
    const log = join(logs, "apt.log");
    say(`installing Debian packages ${APT_PACKAGES.join(" ")} (log: ${shown(log)})`);
    const r = await aptInstall(APT_PACKAGES, { log, say });
    if (r.status !== 0) process.exit(reportFailure(say, r.what, r, log));
    say(`Debian packages installed (${r.seconds.toFixed(1)} s)`);
  } else if (!jupyterReady()) {
    say(
      `Jupyter is missing for ${python}. Install it once as root:\n` +
        `  sudo apt-get update && sudo apt-get install -y ${APT_PACKAGES.join(" ")}\n` +
        `or point STRATEGY_LAB_PYTHON at a python3 that has nbclient, nbconvert and jupyter_client.`,
    );
    process.exit(1);
  } else {
    if (!chromiumReady() && wantChromium) say("Chromium is missing: the HTML report browser tests will be skipped (install the Debian package chromium to run them)");
    if (!postgresReady()) say("PostgreSQL 15 is missing: the PostgreSQL store tests will fail until it is installed (as root: apt-get install -y postgresql-15, or run npm run setup as root)");
    if (!redisReady()) say("redis-server is missing: the distributed sweep (queue) tests will fail until it is installed (as root: apt-get install -y redis-server, or run npm run setup as root)");
  }
  if (!jupyterReady()) {
    say(`Jupyter still cannot be imported by ${python} after installing`);
    process.exit(1);
  }
} else {
  say(`Debian packages present (Jupyter${wantChromium ? ", Chromium" : ""}, PostgreSQL, Redis)`);
}

// 3. Build (incremental: fast when nothing changed). The project's own TypeScript, not `npx tsc`
// (that name resolves to the notebook kernel's bundled TypeScript 5.0). Type errors do not stop
// setup when JavaScript was emitted: `npm test` has a test that fails on them with the full list,
// so one type error cannot hide every other result.
{
  const log = freshLog(join(logs, "build.log"));
  const errors = [];
  const r = await runLogged({
    cmd: process.execPath,
    args: [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"],
    log,
    cwd: root,
    say,
    doing: "TypeScript build",
    onLine: (line) => {
      if (/ error TS\d+:/.test(line)) errors.push(line);
    },
  });
  if (r.status !== 0 && !existsSync(join(root, "dist", "index.js"))) process.exit(reportFailure(say, "the TypeScript build", r, log));
  if (r.status !== 0) {
    say(`TypeScript build: ${errors.length} type error${errors.length === 1 ? "" : "s"}, JavaScript emitted (${r.seconds.toFixed(1)} s; list in ${shown(log)}); npm test fails until they are fixed. First: ${errors[0] ?? "(see the log)"}`);
  } else {
    say(`TypeScript build done (${r.seconds.toFixed(1)} s)`);
  }
  if (existsSync(join(root, "dist", "cli", "main.js"))) chmodSync(join(root, "dist", "cli", "main.js"), 0o755);
}

// 4. Kernel: patch tslab's headless behaviour and install the project-local kernelspec.
const { installGitFilter, installKernel, patchTslab } = await import("../kernels/install.mjs");
const patch = patchTslab(root);
const kernel = installKernel(root);
const filter = installGitFilter(root);
say(
  `kernel "Strategy Lab (TypeScript)" ${kernel.changed ? `installed in ${shown(join(root, ".jupyter"))}` : "up to date"}` +
    (patch.changed ? `; tslab patched to ${patch.applied.join(" and ")}` : "") +
    (filter.changed ? "; git stores notebooks/*.ipynb without outputs (filter strip-outputs)" : ""),
);
say(`ready (${elapsed(started)})`);
