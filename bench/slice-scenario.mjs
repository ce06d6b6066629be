// The notebook pattern the engine's optimized code has to survive (docs/architecture.md, "Hot
// paths"): eight backtests on 20,000-row slices, one on the whole million-row batch, then a second
// whole-batch run measured with V8's sampling heap profiler (objects already collected included).
// Prints one JSON line: {"bytesPerEvent", "orders", "seconds", "deterministic"}.
//
// Run it in a fresh process: the figure is about the JIT state this scenario alone leaves.
//   node bench/slice-scenario.mjs                  as V8 runs by default (bench/engine.bench.mjs)
//   node bench/slice-scenario.mjs --deterministic  re-runs itself with DETERMINISTIC_V8_FLAGS
// By default the figure depends on machine load: TurboFan compiles on background threads, so which
// code a run executes (interpreted, compiled while running, fully optimized) depends on when those
// threads got a core; GC pacing and heap growth follow measured times; the heap sampler samples at
// random intervals. The flags take time out of all three, so the figure is the same, to a heap
// sample or two, on an idle and on a busy machine (test/robustness/load-independence.test.ts).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const DETERMINISTIC_V8_FLAGS = [
  // Compilation (TurboFan, on-stack replacement, Sparkplug) and garbage collection run on the main
  // thread, at points the executed code alone decides.
  "--single-threaded",
  // A fixed random seed (identity hashes, Math.random) and no timer-driven memory reducer.
  "--predictable",
  // Fixed heap limits instead of growth computed from measured GC and mutator speeds.
  "--predictable-gc-schedule",
  // Full collections where allocation triggers them, not paced by elapsed time; no scavenges
  // posted as tasks.
  "--no-incremental-marking",
  "--no-minor-gc-task",
  // Type feedback recorded from a function's first call instead of from a later call or budget
  // tick: what a function had recorded when it was compiled otherwise varied from run to run.
  "--no-lazy-feedback-allocation",
  // A heap sample every 4 KiB exactly instead of at random intervals averaging 4 KiB.
  "--sampling-heap-profiler-suppress-randomness",
  // No on-stack replacement: even single-threaded, whether a long loop was replaced mid-run
  // varied from process to process (two inlining outcomes 0.47 bytes per event apart, ~1 run in
  // 5); functions are then optimized at their next call, as in a chunked event loop they are.
  "--no-use-osr",
];

if (process.argv.includes("--deterministic")) {
  const child = spawnSync(process.execPath, [...DETERMINISTIC_V8_FLAGS, fileURLToPath(import.meta.url), "--flags-set"], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}
const deterministic = process.argv.includes("--flags-set");
import { Session } from "node:inspector/promises";
import * as lab from "../dist/index.js";

const events = 1_000_000;
const data = lab.data.generateTicks({ events, seed: 7, mode: "l2" });
const options = { latencyNs: 50_000 };
for (let i = 0; i < 8; i++) lab.backtest(lab.data.sliceBatch(data, 0, 20_000), lab.strategies.imbalance({ threshold: 0.2 + 0.025 * i, size: 1, maxPosition: 5 }), options);
lab.backtest(data, lab.strategies.imbalance({ threshold: 0.3, size: 1, maxPosition: 5 }), options);

const session = new Session();
session.connect();
await session.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
const t0 = process.hrtime.bigint();
const run = lab.backtest(data, lab.strategies.imbalance({ threshold: 0.3, size: 1, maxPosition: 5 }), options);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const { profile } = await session.post("HeapProfiler.stopSampling");
session.disconnect();
let bytes = 0;
const walk = (node) => {
  bytes += node.selfSize;
  node.children.forEach(walk);
};
walk(profile.head);
console.log(JSON.stringify({ bytesPerEvent: bytes / events, orders: run.summary.orders, seconds, deterministic }));
