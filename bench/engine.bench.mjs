// Full backtest throughput: generated L2 feed (7,000,000 rows) -> exchange book + local book +
// OrderBookImbalance + simulated exchange + portfolio, single core. Generation is not timed.
// Reported per run: wall time (the target: what a researcher waits for) and process CPU time (the
// machine may be shared; CPU time is what the run itself used, including V8's garbage-collection
// helper threads on the other core, so it can exceed wall time and is reported without a target).
// Also a MarketMaker run (orders resting: queue model on every row), and the heap bytes a backtest
// allocates per event (V8's sampling heap profiler, counting objects already collected): the event
// loop itself should allocate nothing, which an empty strategy shows (docs/architecture.md, "Hot paths").
// Last, the slice scenario (bench/slice-scenario.mjs: a whole-batch run after eight runs on
// slices), each in a fresh process: as V8 runs by default, median and worst of five (the figure
// depends on when background compiles finish, so on load), and once with the deterministic flags
// the test uses. The input check's cost (bench/input-check-cost.mjs): the OrderBookImbalance run
// with check "off" and "warn" in pairs (best against best), and the pass alone.
import { spawnSync } from "node:child_process";
import { Session } from "node:inspector/promises";
import { inputCheckCost, inputCheckEntries } from "./input-check-cost.mjs";
import { machine, rssTracker, result, writeResults } from "./lib.mjs";
import * as lab from "../dist/index.js";

const EVENTS = Number(process.env.ENGINE_BENCH_EVENTS ?? 7_000_000);
const REPEAT = Number(process.env.ENGINE_BENCH_REPEAT ?? 3);
const rss = rssTracker();
console.log(`engine bench on ${machine().cpuModel}: generating ${EVENTS.toLocaleString()} L2 events`);
const t0 = performance.now();
const ticks = lab.data.generateTicks({ events: EVENTS, seed: 1, mode: "l2" });
console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

function timed(fn) {
  let wall = Infinity;
  let cpu = Infinity;
  let last;
  for (let i = 0; i < REPEAT; i++) {
    globalThis.gc?.();
    const c0 = process.cpuUsage();
    const w0 = process.hrtime.bigint();
    last = fn();
    const w = Number(process.hrtime.bigint() - w0) / 1e9;
    const c = process.cpuUsage(c0);
    wall = Math.min(wall, w);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6);
    rss.sample();
  }
  return { wall, cpu, value: last };
}

/** Heap bytes allocated per event by one backtest (sampled every 4 KiB; includes garbage). */
async function allocatedPerEvent(strategy) {
  const batch = lab.data.sliceBatch(ticks, 0, Math.min(EVENTS, 2_000_000));
  lab.backtest(batch, strategy, options);
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  lab.backtest(batch, strategy, options);
  const { profile } = await session.post("HeapProfiler.stopSampling");
  session.disconnect();
  let bytes = 0;
  const walk = (node) => {
    bytes += node.selfSize;
    node.children.forEach(walk);
  };
  walk(profile.head);
  return bytes / batch.length;
}
// Order sizes pinned to one lot (the templates size from a notional by default) so figures stay
// comparable with earlier results.
const PINNED_IMBALANCE = { size: 1, maxPosition: 5 };
const imbalance = lab.strategies.imbalance({ threshold: 0.3, ...PINNED_IMBALANCE });
const options = { latencyNs: 50_000, queue: "riskAverse", seed: 1 };
// Warm-up on a slice so the timed runs measure steady-state code.
lab.backtest(lab.data.sliceBatch(ticks, 0, 300_000), imbalance, options);
const obi = timed(() => lab.backtest(ticks, imbalance, options));
console.log(String(obi.value));
const checkCost = inputCheckCost(ticks, imbalance, options, Number(process.env.ENGINE_BENCH_CHECK_PAIRS ?? 7));
// Measured while the engine has seen only this strategy (other strategies' handlers make the
// engine's call sites polymorphic, and per-order allocation then grows several-fold).
const imbalanceAlloc = await allocatedPerEvent(imbalance);

const maker = lab.strategies.marketMaker({ requoteMs: 50, size: 1, maxPosition: 10 });
const mm = timed(() => lab.backtest(ticks, maker, { ...options, queue: "prob" }));
console.log(String(mm.value));

const emptyStrategy = { name: "empty", params: [], create: () => ({ onBook() {} }) };
const emptyAlloc = await allocatedPerEvent(emptyStrategy);
console.log(`heap allocated per event: ${emptyAlloc.toFixed(2)} B (empty strategy), ${imbalanceAlloc.toFixed(2)} B (OrderBookImbalance)`);

rss.stop();

function sliceScenario(deterministic) {
  const args = [new URL("./slice-scenario.mjs", import.meta.url).pathname, ...(deterministic ? ["--deterministic"] : [])];
  const child = spawnSync(process.execPath, args, { encoding: "utf8" });
  if (child.status !== 0) throw new Error(`slice scenario failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").pop()).bytesPerEvent;
}
const SLICE_RUNS = Number(process.env.ENGINE_BENCH_SLICE_RUNS ?? 5);
const sliceDefault = Array.from({ length: SLICE_RUNS }, () => sliceScenario(false)).sort((a, b) => a - b);
const sliceDeterministic = sliceScenario(true);
console.log(`slice scenario, heap allocated per event: ${sliceDefault.map((b) => b.toFixed(1)).join(", ")} B (default V8), ${sliceDeterministic.toFixed(2)} B (deterministic flags)`);

writeResults("engine", [
  result("backtest events/s, wall (OrderBookImbalance, L2, riskAverse, 7M events)", EVENTS / obi.wall, "events/s", "higher", 5_000_000),
  result("backtest events/s, CPU time (OrderBookImbalance)", EVENTS / obi.cpu, "events/s", "higher"),
  result("orders / fills (OrderBookImbalance run)", `${obi.value.summary.orders} / ${obi.value.summary.trades}`, "", "higher"),
  ...inputCheckEntries(checkCost).map((e) => result(e.name, e.value, e.unit, e.better, e.target)),
  result("backtest events/s, wall (MarketMaker, L2, prob queue, 7M events)", EVENTS / mm.wall, "events/s", "higher"),
  result("backtest events/s, CPU time (MarketMaker)", EVENTS / mm.cpu, "events/s", "higher"),
  result("heap allocated per event (empty strategy: the event loop alone)", emptyAlloc, "bytes", "lower", 1),
  result("heap allocated per event (OrderBookImbalance)", imbalanceAlloc, "bytes", "lower"),
  result(`heap allocated per event, whole batch after 8 runs on slices (median of ${SLICE_RUNS} fresh processes)`, sliceDefault[Math.floor(SLICE_RUNS / 2)], "bytes", "lower", 30),
  result(`heap allocated per event, whole batch after 8 runs on slices (worst of ${SLICE_RUNS})`, sliceDefault[SLICE_RUNS - 1], "bytes", "lower", 30),
  result("heap allocated per event, whole batch after 8 runs on slices (deterministic V8 flags, as tested)", sliceDeterministic, "bytes", "lower", 30),
  result("peak RSS (7M-row batch + runs)", rss.peakBytes() / 2 ** 20, "MiB", "lower", 1024),
]);
