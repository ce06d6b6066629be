#!/usr/bin/env node
// npm start: set up what is missing, execute every notebook on bundled data, export HTML reports.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// The notebooks' backtests are recorded in the project's run store, so `npm run serve` shows them.
const store = process.env.STRATEGY_LAB_STORE ?? join(root, ".strategy-lab", "runs.duckdb");
const run = (args) => spawnSync(process.execPath, args, { stdio: "inherit", cwd: root, env: { ...process.env, STRATEGY_LAB_STORE: store } }).status ?? 1;

if (run([join(root, "scripts", "setup.mjs")]) !== 0) process.exit(1);
const status = run([join(root, "dist", "cli", "main.js"), "notebooks", "run", "notebooks", "--html", "reports", "--skip-unchanged"]);
console.log(`
Reports: ${join(root, "reports", "index.html")} (open it in a browser; every page works offline)
Runs recorded:      ${store} (browse them: npm run serve, then open the dashboard URL it prints)
Work interactively: npm run notebook  (Jupyter on http://127.0.0.1:8888 with the "Strategy Lab (TypeScript)" kernel)
Command line:       npx strategy-lab --help
`);
process.exit(status);
