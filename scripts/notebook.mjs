#!/usr/bin/env node
// Starts Jupyter Notebook on 127.0.0.1 only, with the project's kernel and project-local state.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { jupyterEnv, jupyterPython } from "../dist/cli/jupyter.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const port = process.env.PORT ?? "8888";
console.log(`Starting Jupyter on http://127.0.0.1:${port} (kernel: Strategy Lab (TypeScript)). Ctrl+C to stop.`);
const child = spawn(jupyterPython(), ["-m", "notebook", "--ip=127.0.0.1", `--port=${port}`, "--no-browser", `--notebook-dir=${join(root, "notebooks")}`], { stdio: "inherit", env: jupyterEnv(root) });
child.on("close", (code) => process.exit(code ?? 0));
process.on("SIGINT", () => child.kill("SIGINT"));
