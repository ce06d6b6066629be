#!/usr/bin/env node
// Runs a command while spinning processes keep every core busy, to check that a test suite does
// not depend on machine load:
//   node scripts/cpu-hog.mjs [--hogs N] -- npm test
// N defaults to the number of cores. The hogs are stopped when the command ends (or this script is
// interrupted); the command's exit code is this script's.
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const own = dash === -1 ? [] : argv.slice(0, dash);
const command = dash === -1 ? argv : argv.slice(dash + 1);
const hogsAt = own.indexOf("--hogs");
const count = hogsAt === -1 ? availableParallelism() : Number(own[hogsAt + 1]);
if (command.length === 0 || !Number.isInteger(count) || count < 1) {
  process.stderr.write("usage: node scripts/cpu-hog.mjs [--hogs N] -- <command> [args...]\n");
  process.exit(2);
}

const hogs = Array.from({ length: count }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
const stopHogs = () => {
  for (const h of hogs) if (h.exitCode === null && h.signalCode === null) h.kill("SIGKILL");
};
process.on("exit", stopHogs);
const started = performance.now();
process.stderr.write(`cpu-hog: ${count} busy processes (pids ${hogs.map((h) => h.pid).join(", ")}); running: ${command.join(" ")}\n`);
const child = spawn(command[0], command.slice(1), { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("close", (code, signal) => {
  stopHogs();
  process.stderr.write(`cpu-hog: command ended (${signal ?? `exit code ${code}`}) after ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  process.exit(code ?? 1);
});
child.on("error", (error) => {
  stopHogs();
  process.stderr.write(`cpu-hog: cannot run ${command[0]}: ${error.message}\n`);
  process.exit(127);
});
