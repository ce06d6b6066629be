#!/usr/bin/env node
// Starts Jupyter Notebook (Debian's classic Notebook 6) for this project: the project folder as its
// root, 127.0.0.1 only, no browser opened, root allowed when running as root (settings in
// .jupyter/config, written by kernels/install.mjs), the "Strategy Lab (TypeScript)" kernel and
// project-local Jupyter state only. Arguments are passed on to Jupyter
// (`npm run notebook -- --port=9999`); PORT=9999 works too. Once the server listens, one line gives
// the address to open, token included.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { jupyterEnv, jupyterPython } from "../dist/cli/jupyter.js";
import { writeJupyterConfig } from "../kernels/install.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
writeJupyterConfig(root);
const args = ["-m", "notebook", ...(process.env.PORT ? [`--port=${process.env.PORT}`] : []), ...process.argv.slice(2)];
const child = spawn(jupyterPython(), args, { cwd: root, stdio: ["inherit", "inherit", "pipe"], env: jupyterEnv(root) });

// Notebook logs to stderr; pass it through and pick out the first URL that carries the token. The
// line is printed once the log goes quiet, so it comes after Jupyter's own start-up messages.
const URL_PATTERN = /(https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]|[\w.-]+):\d+)\/(?:tree)?\?token=([\w-]+)/;
let found;
let announced = false;
let pending = "";
let timer;
const announce = () => {
  announced = true;
  console.log(`\nStrategy Lab notebooks: ${found[1]}/tree/notebooks?token=${found[2]}\n(open it in a browser; Ctrl+C to stop)\n`);
};
child.stderr.on("data", (chunk) => {
  process.stderr.write(chunk);
  if (announced) return;
  if (!found) {
    pending += chunk.toString("utf8");
    found = URL_PATTERN.exec(pending) ?? undefined;
    if (pending.length > 65_536) pending = pending.slice(-4096);
  }
  if (found) {
    clearTimeout(timer);
    timer = setTimeout(announce, 300);
  }
});

child.on("error", (error) => {
  console.error(`cannot start ${jupyterPython()}: ${error.message}. Run npm run setup (installs Debian's Jupyter when root) or set STRATEGY_LAB_PYTHON.`);
  process.exit(1);
});
child.on("close", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
// Jupyter answers a first Ctrl+C with a y/n question and dies mid-shutdown on a second one; its
// SIGTERM handler shuts kernels down and exits cleanly. So every stop request becomes one SIGTERM
// (Ctrl+C in a terminal also reaches Jupyter itself, which then only starts its question).
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill("SIGTERM"));
