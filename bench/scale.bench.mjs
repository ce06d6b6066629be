// Scale benchmarks. Streamed backtests from the catalog (see streamingResults below), then distributed sweeps: a grid of the imbalance strategy (the real backtest engine)
// sent through a Redis job queue (a throwaway redis-server) to `strategy-lab worker` processes on
// this machine, with 1 and then 2 worker processes. Each trial costs ~0.5-1 s (generated L2 data,
// EVENTS rows).
// - "sweep speedup, 2 Redis worker processes vs 1": wall time of the sweep with 1 worker process
//   over that with 2 (target 1.7; the machine's two cores bound it at 2).
// - "queue overhead per trial": with 1 worker, (sweep wall time − Σ trial durations measured in
//   the worker's trial thread) / trials: enqueueing, a worker taking the job, the result's trip
//   back through Redis and its decoding, per trial.
// - "2-worker sweep efficiency": (Σ trial durations / 2) / wall time of the 2-worker sweep: how
//   close the queue keeps two workers to busy all the time, whatever each trial cost at that moment
//   (on a machine shared with other work, the trials themselves slow down; this does not move with it).
// Three worker processes are started once: one on queue "one", two on queue "two" (an idle worker
// waits on Redis without using the CPU). Each queue's workers are warmed first (data loaded, engine
// compiled) by a sweep with another seed, so the measured sweeps compare steady trials; the two
// queues alternate over ROUNDS rounds and the best run of each counts (the machine may be shared).
import { spawn } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { parallelCapacity, result, writeResults } from "./lib.mjs";
import { startRedis } from "../scripts/redis-server.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(root, "dist", "cli", "main.js");
const EVENTS = 4_000_000;
const GENERATED = { events: EVENTS, seed: 7, mode: "l2" };
const SPACE = { threshold: { min: 0.2, max: 0.95, step: 0.05 }, size: 1, maxPosition: 5 };
const ROUNDS = 5;

const lab = await import("../dist/index.js");
const redis = await startRedis();
const children = [];

function startWorker(url) {
  const child = spawn(process.execPath, [CLI, "worker", "--queue", url, "--quiet"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  children.push(child);
  return child;
}

/** Runs bench/streaming-scale.mjs in a fresh process (its own peak RSS) and returns its JSON line. */
function streamingChild(...args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", join(root, "bench", "streaming-scale.mjs"), ...args], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop())) : reject(new Error(`streaming-scale.mjs ${args.join(" ")} exited ${code}`))));
  });
}

/**
 * Streamed backtests (bench/streaming-scale.mjs): on 5 days x 20M generated events in the catalog,
 * the streamed run's events/s against the in-memory engine's on the first day (same process), and
 * peak RSS. Memory is bounded by the chunks plus the run's own result columns: the flatness figure
 * uses a strategy that reads every event and never orders (its result columns are the equity grid
 * alone), so it shows whether the data path grows with the data; the template trading at most
 * once a second shows the total at 100M events (target 1.5 GB) with its orders and fills.
 */
async function streamingResults() {
  await streamingChild("generate");
  const ratio = await streamingChild("ratio");
  const n = (x) => Math.round(x).toLocaleString("en-US");
  console.log(`streamed ${n(ratio.streamEventsPerSecond)} events/s from the column cache, ${n(ratio.parquetStreamEventsPerSecond)} from Parquet, in memory ${n(ratio.memoryEventsPerSecond)} events/s on ${ratio.events.toLocaleString("en-US")} events (best of ${ratio.pairs} each; rounds ${ratio.pairedRatios.map((r) => r.toFixed(2)).join(", ")}); the read alone ${n(ratio.readRowsPerSecond)} rows/s from the cache, ${n(ratio.parquetReadRowsPerSecond)} from Parquet; the in-memory engine beside a busy Parquet reader runs at ${ratio.engineBesideReader.toFixed(2)} of its speed alone`);
  const observed = [];
  for (const days of [0.5, 1.5, 5]) {
    const r = await streamingChild("stream", String(days), "observer");
    console.log(`streamed ${r.events.toLocaleString("en-US")} events (no orders) in ${r.seconds.toFixed(1)} s, peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
    observed.push(r);
  }
  const trading = await streamingChild("stream", "5", "quiet");
  console.log(`streamed ${trading.events.toLocaleString("en-US")} events with ${trading.orders.toLocaleString("en-US")} orders and ${trading.fills.toLocaleString("en-US")} fills in ${trading.seconds.toFixed(1)} s, peak RSS ${(trading.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
  const rss = observed.map((r) => r.peakRssBytes);
  return [
    result("streamed backtest events/s (catalog with its column cache, 20M events, chunks of 1M)", ratio.streamEventsPerSecond, "events/s", "higher"),
    result("streamed / in-memory events/s (same 20M events, best run of each; streamed from the column cache)", ratio.streamEventsPerSecond / ratio.memoryEventsPerSecond, "ratio", "higher", 0.9),
    result("streamed / in-memory, median of the rounds (column cache)", ratio.pairedRatioMedian, "ratio", "higher"),
    result("streamed from the Parquet files (columnCache: \"off\") / in-memory events/s, best run of each", ratio.parquetStreamEventsPerSecond / ratio.memoryEventsPerSecond, "ratio", "higher"),
    result("streamed from the Parquet files / in-memory, median of the rounds", ratio.parquetPairedRatioMedian, "ratio", "higher"),
    result("catalog read alone from the column cache (threadpool reads, no engine) / in-memory engine, rows/s over events/s", ratio.readRowsPerSecond / ratio.memoryEventsPerSecond, "ratio", "higher", 1.1),
    result("catalog read alone from the Parquet files / in-memory engine, rows/s over events/s", ratio.parquetReadRowsPerSecond / ratio.memoryEventsPerSecond, "ratio", "higher"),
    result("in-memory engine beside a busy Parquet reader in another process / alone (what sharing the cores with a decoding reader costs)", ratio.engineBesideReader, "ratio", "higher"),
    result(`peak RSS, streamed run of ${Math.round(trading.events / 1e6)}M events trading (${trading.orders.toLocaleString("en-US")} orders, ${trading.fills.toLocaleString("en-US")} fills)`, trading.peakRssBytes, "bytes", "lower", 1.5 * 2 ** 30),
    ...observed.map((r) => result(`peak RSS, streamed run of ${Math.round(r.events / 1e6)}M events, no orders (the data path)`, r.peakRssBytes, "bytes", "lower")),
    result("peak RSS spread, streamed runs of 13M to 100M events, no orders (max / min)", Math.max(...rss) / Math.min(...rss), "ratio", "lower", 1.2),
  ];
}
async function stopWorker(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

const data = lab.data.generateTicks({ ...GENERATED, shared: true });

async function sweep(url, seed, runId) {
  const t0 = performance.now();
  const res = await lab.optimize({ data, strategy: "imbalance", space: SPACE, backtest: { latencyNs: 50_000 }, objective: "pnl", seed, runId, queue: { url, data: { generated: GENERATED } }, onWarning: () => undefined });
  const seconds = (performance.now() - t0) / 1000;
  const failed = res.trials.filter((t) => t.status === "failed");
  if (failed.length) throw new Error(`failed trials: ${failed.map((t) => t.error).join("; ")}`);
  return { seconds, trials: res.trialCount, trialSeconds: res.trials.reduce((a, t) => a + t.durationMs, 0) / 1000, pnl: res.trials.map((t) => t.metrics.pnl) };
}

try {
  const capacityBefore = await parallelCapacity();
  const loadBefore = os.loadavg()[0];
  const one = [];
  const two = [];
  const urls = { 1: `${redis.url}/scale-one`, 2: `${redis.url}/scale-two` };
  const workers = [startWorker(urls[1]), startWorker(urls[2]), startWorker(urls[2])];
  // Warm-up: every worker loads the data and compiles the engine (other seeds, the same work).
  await sweep(urls[1], 1000, "warm-1");
  await sweep(urls[2], 1001, "warm-2");
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of round % 2 === 0 ? [1, 2] : [2, 1]) {
      const r = await sweep(urls[n], 7 + round, `measured-${round}-${n}`);
      (n === 1 ? one : two).push(r);
      console.log(`round ${round}, ${n} worker process${n === 1 ? "" : "es"}: ${r.trials} trials in ${r.seconds.toFixed(2)} s (trial time ${r.trialSeconds.toFixed(2)} s, load ${os.loadavg()[0].toFixed(1)})`);
    }
  }
  await Promise.all(workers.map(stopWorker));
  const best = (runs) => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const b1 = best(one);
  const b2 = best(two);
  for (let round = 0; round < ROUNDS; round++) if (JSON.stringify(one[round].pnl) !== JSON.stringify(two[round].pnl)) throw new Error(`round ${round}: 1 and 2 workers gave different results`);
  const capacity = Math.min(capacityBefore, await parallelCapacity());
  const efficiency = Math.max(...two.map((r) => r.trialSeconds / 2 / r.seconds));
  const overheads = one.map((r) => ((r.seconds - r.trialSeconds) / r.trials) * 1000);
  const streaming = await streamingResults();
  writeResults("scale", [
    ...streaming,
    result("sweep speedup, 2 Redis worker processes vs 1", b1.seconds / b2.seconds, "ratio", "higher", 1.7),
    result("queue overhead per trial", Math.min(...overheads), "ms", "lower"),
    result("2-worker sweep efficiency (trial time / 2 / wall time)", efficiency, "ratio", "higher"),
    result("queued sweep, 1 worker process", b1.seconds, "s", "lower"),
    result("queued sweep, 2 worker processes", b2.seconds, "s", "lower"),
    result("mean trial time (queued sweep)", (b1.trialSeconds / b1.trials) * 1000, "ms", "lower"),
    result("queued sweep trials", b1.trials, "trials", "higher"),
    // Read the speedup against these: what two threads of a plain CPU loop gained at that moment, and the load.
    result("parallel-capacity (2 threads vs 1, plain CPU loop)", capacity, "ratio", "higher"),
    result("load average at start (1 min)", loadBefore, "runnable", "lower"),
  ]);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await redis.stop();
}
