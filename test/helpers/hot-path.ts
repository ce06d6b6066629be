/**
 * Runs bench/slice-scenario.mjs (eight backtests on slices, a whole-batch run, then a measured
 * whole-batch run) in a fresh Node process and returns the heap bytes the measured run allocated
 * per event.
 *
 * As V8 runs by default, that figure depends on machine load: TurboFan compiles on background
 * threads, so which code a run executes (interpreted, compiled while running, fully optimized)
 * depends on when those threads got a core; GC pacing and heap growth follow measured times; the
 * heap sampler samples at random intervals. DETERMINISTIC_V8_FLAGS take time out of all three, so
 * the figure is the same, to a sample or two, on an idle and on a busy machine
 * (test/robustness/load-independence.test.ts checks this under a CPU hog).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./paths.js";

export const DETERMINISTIC_V8_FLAGS: readonly string[] = [
  // Compilation (TurboFan, on-stack replacement, Sparkplug) and garbage collection run on the main
  // thread, at points the executed code alone decides.
  "--single-threaded",
  // A fixed random seed (identity hashes, Math.random) and no timer-driven memory reducer.
  "--predictable",
  // Fixed heap limits instead of growth computed from measured GC and mutator speeds.
  "--predictable-gc-schedule",
  // Full collections where allocation triggers them, not paced by elapsed time.
  "--no-incremental-marking",
  "--no-minor-gc-task",
  // A heap sample every 4 KiB exactly instead of at random intervals averaging 4 KiB.
  "--sampling-heap-profiler-suppress-randomness",
];

export interface SliceScenarioResult {
  bytesPerEvent: number;
  orders: number;
  seconds: number;
}

/** Runs the scenario in a fresh process with `flags`; throws with its stderr if it fails. */
export function runSliceScenario(flags: readonly string[] = DETERMINISTIC_V8_FLAGS): SliceScenarioResult {
  // The timeout only stops a hung child; a run takes ~3 s idle and ~10 s on a busy machine.
  const child = spawnSync(process.execPath, [...flags, join(ROOT, "bench", "slice-scenario.mjs")], { encoding: "utf8", cwd: ROOT, timeout: 300_000 });
  if (child.status !== 0) throw new Error(`slice scenario failed (${child.status ?? child.signal}):\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").pop()!) as SliceScenarioResult;
}
