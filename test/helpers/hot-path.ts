/**
 * Runs bench/slice-scenario.mjs (eight backtests on slices, a whole-batch run, then a measured
 * whole-batch run) in a fresh Node process and returns the heap bytes the measured run allocated
 * per event. `deterministic` (the default) runs V8 with the flags listed in that script, which
 * make the figure independent of machine load; without them it is the figure a user's process
 * gets, which is not.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./paths.js";

export interface SliceScenarioResult {
  bytesPerEvent: number;
  orders: number;
  seconds: number;
  deterministic: boolean;
}

/**
 * Throws with the child's stderr if the scenario fails. Asynchronous: a test worker blocked for a
 * minute loses its link to vitest ("Timeout calling onTaskUpdate"), and on a busy machine the
 * scenario can take a good part of that.
 */
export function runSliceScenario(deterministic = true): Promise<SliceScenarioResult> {
  const args = [join(ROOT, "bench", "slice-scenario.mjs"), ...(deterministic ? ["--deterministic"] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status, signal) => {
      if (status !== 0) return reject(new Error(`slice scenario failed (${status ?? signal}):\n${stderr}`));
      const result = JSON.parse(stdout.trim().split("\n").pop()!) as SliceScenarioResult;
      if (result.deterministic !== deterministic) return reject(new Error(`slice scenario ran with deterministic=${result.deterministic}, asked ${deterministic}`));
      resolve(result);
    });
  });
}
