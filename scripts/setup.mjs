#!/usr/bin/env node
// Sets up whatever is missing on this machine, quickly when nothing is: npm dependencies, Debian's
// Jupyter (and Chromium for the report tests) when running as root, the TypeScript build, and the
// project-local "Strategy Lab (TypeScript)" kernel. Never touches user or system Jupyter state.
import { spawnSync } from "node:child_process";
import { existsSync, statSync, chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const python = process.env.STRATEGY_LAB_PYTHON ?? "/usr/bin/python3";
const APT_PACKAGES = ["jupyter-nbconvert", "jupyter-client", "jupyter-core", "python3-nbclient", "jupyter-notebook", "chromium"];

function step(message) {
  process.stderr.write(`setup: ${message}\n`);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...options });
  if (r.status !== 0) {
    process.stderr.write(`setup: "${cmd} ${args.join(" ")}" failed with exit code ${r.status ?? r.signal}\n`);
    process.exit(1);
  }
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

const [major] = process.versions.node.split(".").map(Number);
if (major < 20) {
  process.stderr.write(`setup: Node ${process.versions.node} is too old; Strategy Lab needs Node 20 or newer\n`);
  process.exit(1);
}

// 1. npm dependencies (install scripts are not run by npm here; nothing we use needs them).
const installedLock = join(root, "node_modules", ".package-lock.json");
if (!existsSync(installedLock) || mtime(join(root, "package-lock.json")) > mtime(installedLock) || mtime(join(root, "package.json")) > mtime(installedLock)) {
  step("installing npm dependencies");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  run(npm, existsSync(join(root, "package-lock.json")) && process.env.CI ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"]);
}

// 2. Debian's Jupyter (and Chromium for the HTML report tests).
function jupyterReady() {
  return spawnSync(python, ["-c", "import nbclient, nbformat, nbconvert, jupyter_client"], { stdio: "ignore" }).status === 0;
}
const chromiumReady = () => existsSync("/usr/bin/chromium");
if (!jupyterReady() || (!chromiumReady() && !process.env.STRATEGY_LAB_NO_CHROMIUM)) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot && existsSync("/usr/bin/apt-get")) {
    step(`installing Debian packages: ${APT_PACKAGES.join(" ")}`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    run("apt-get", ["update", "-qq"], { env });
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...APT_PACKAGES], { env });
  } else if (!jupyterReady()) {
    process.stderr.write(
      `setup: Jupyter is missing for ${python}. Install it once as root:\n` +
        `  sudo apt-get update && sudo apt-get install -y ${APT_PACKAGES.join(" ")}\n` +
        `or point STRATEGY_LAB_PYTHON at a python3 that has nbclient, nbconvert and jupyter_client.\n`,
    );
    process.exit(1);
  } else {
    step("chromium is missing: the HTML report browser tests will be skipped (install the Debian package chromium to run them)");
  }
  if (!jupyterReady()) {
    process.stderr.write(`setup: Jupyter still cannot be imported by ${python} after installing\n`);
    process.exit(1);
  }
}

// 3. Build (incremental: fast when nothing changed). The project's own TypeScript, not `npx tsc`
// (that name resolves to the notebook kernel's bundled TypeScript 5.0). Type errors do not stop
// setup when JavaScript was emitted: `npm test` has a test that fails on them with the full list,
// so one type error cannot hide every other result.
const build = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { stdio: "inherit", cwd: root });
if (build.status !== 0) {
  if (!existsSync(join(root, "dist", "index.js"))) {
    process.stderr.write("setup: the TypeScript build failed and produced no output\n");
    process.exit(1);
  }
  step("TypeScript reported type errors (listed above); continuing with the emitted JavaScript. npm test fails until they are fixed.");
}
if (existsSync(join(root, "dist", "cli", "main.js"))) chmodSync(join(root, "dist", "cli", "main.js"), 0o755);

// 4. Kernel: patch tslab's headless behaviour and install the project-local kernelspec.
const { installKernel, patchTslab } = await import("../kernels/install.mjs");
const patch = patchTslab(root);
if (patch.changed) step("patched tslab to keep running cells after an error when the client asks to continue");
const kernel = installKernel(root);
if (kernel.changed) step(`installed kernel "Strategy Lab (TypeScript)" in ${join(root, ".jupyter")}`);
step("ready");
