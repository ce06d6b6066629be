/**
 * Runs bench/slice-scenario.mjs (eight backtests on slices, a whole-batch run, then a measured
 * whole-batch run) in a fresh Node process and returns the heap bytes the measured run allocated
 * per event. `deterministic` (the default) runs V8 with the flags listed in that script, which
 * make the figure independent of machine load; without them it is the figure a user's process
 * gets, which is not.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./paths.js";

export interface SliceScenarioResult {
  bytesPerEvent: number;
  orders: number;
  seconds: number;
  deterministic: boolean;
}

/** Throws with the child's stderr if the scenario fails. */
export function runSliceScenario(deterministic = true): SliceScenarioResult {
  const args = [join(ROOT, "bench", "slice-scenario.mjs"), ...(deterministic ? ["--deterministic"] : [])];
  // The timeout only stops a hung child: a run takes ~3 s on an idle machine, ~10 s on a busy one.
  const child = spawnSync(process.execPath, args, { encoding: "utf8", cwd: ROOT, timeout: 300_000 });
  if (child.status !== 0) throw new Error(`slice scenario failed (${child.status ?? child.signal}):\n${child.stderr}`);
  const result = JSON.parse(child.stdout.trim().split("\n").pop()!) as SliceScenarioResult;
  if (result.deterministic !== deterministic) throw new Error(`slice scenario ran with deterministic=${result.deterministic}, asked ${deterministic}`);
  return result;
}
