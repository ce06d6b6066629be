// Research server benchmark (127.0.0.1 only, bounded in count and time):
// - trial writes/s into the DuckDB store and the PostgreSQL store (a throwaway cluster from
//   scripts/pg-cluster.mjs), recorded in batches of 1000 trials, each with 8 metrics and 64
//   per-period returns (target 20000/s each);
// - live trial messages/s delivered to 10 WebSocket clients (target 200000/s). Trial messages are
//   buffered and flushed every 100 ms (as arrays of messages, about 1 MiB a frame) but never
//   dropped, so this is the broadcast path itself at full rate; every client counts the trial
//   messages in every frame (one parses them all and checks it got each trial once, in order), and
//   the run ends only when each client has all of them;
// - p99 latency of GET /api/runs?limit=20 on a store of 500 runs (memory, DuckDB) under 100
//   concurrent keep-alive clients, one request in flight each, 30 measured requests each after
//   50 of warm-up (target < 20 ms); every answer is checked. The server asks the store at most
//   once per 250 ms for one listing, so the store's own time for a listing is reported beside it.
// Clients run in a child process (bench/server-clients.mjs), as browsers and scripts are other
// processes than the server. Beside the wall-clock figures: the CPU the server side spent per
// trial, message and answer, and the machine's load average at the start and the end.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { result, writeResults } from "./lib.mjs";

const dist = new URL("../dist/", import.meta.url);
const { openStore } = await import(new URL("store/index.js", dist).href);
const { createServer } = await import(new URL("server/index.js", dist).href);

const BATCH = 1000;
const BATCHES = 20;
const WRITE_SECONDS = 15;
const CLIENTS = 10;
const LIVE_TRIALS = 40_000;
const REST_CLIENTS = 100;
const REST_REQUESTS = 30;
/** Requests per client before the measured ones: the route compiled and the JIT warm. */
const REST_WARMUP = 50;
const results = [];
// Every figure here is wall-clock time on a machine others may share: the load average says how
// much of it the bench had (on 2 cores, a load of 2 or more means it had far less than a core).
const loadAtStart = loadavg()[0];
const dir = mkdtempSync(join(tmpdir(), "lab-server-bench-"));

function trial(i) {
  const returns = new Float64Array(64);
  for (let k = 0; k < 64; k++) returns[k] = Math.sin(i + k) * 1e-3;
  return {
    index: i, window: 0, phase: "search", generation: 0,
    params: { threshold: 0.05 + (i % 19) * 0.05, cooldownMs: 10 * (1 + (i % 7)), mode: i % 2 ? "maker" : "taker" },
    status: "ok",
    metrics: { sharpe: Math.sin(i), pnl: i * 0.5, trades: i % 300, maxDrawdown: 1 + (i % 13), fees: 0.1 * i, makerShare: 0.5, volume: 1e5 + i, orders: 2 * (i % 300) },
    objective: Math.sin(i), seed: i, durationMs: 1.5, events: 100_000, periodReturns: returns, range: { start: 0, end: 100_000 },
  };
}

async function trialWrites(spec, label) {
  const { store } = await openStore(spec);
  try {
    const { runId } = await store.beginRun({ fingerprint: `bench-${label}`, config: { bench: true }, resume: false });
    const batch = (b) => Array.from({ length: BATCH }, (_, i) => trial(b * BATCH + i));
    await store.record(runId, batch(0)); // warm-up: the first batch pays table and statement set-up
    // At most BATCHES batches or WRITE_SECONDS, whichever comes first (at least one measured batch).
    let measured = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    while (measured < BATCHES - 1 && (measured === 0 || performance.now() - t0 < WRITE_SECONDS * 1000)) await store.record(runId, batch(++measured));
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const stored = (await store.loadTrials(runId)).length;
    if (stored !== BATCH * (measured + 1)) throw new Error(`${label}: ${stored} trials stored, expected ${BATCH * (measured + 1)}`);
    return { rate: (measured * BATCH) / secs, cpuPerTrial: (cpu.user + cpu.system) / (measured * BATCH) };
  } finally {
    await store.close();
  }
}

{
  const duck = await trialWrites(join(dir, "bench.duckdb"), "duckdb");
  results.push(result("duckdb trial writes (batches of 1000)", duck.rate, "trials/s", "higher", 20000));
  // DuckDB works in this process's threads: its CPU is in this figure (the bench's making of the trials too).
  results.push(result("duckdb writer process CPU per stored trial", duck.cpuPerTrial, "µs", "lower"));
}

try {
  const { startPostgres } = await import(new URL("../scripts/pg-cluster.mjs", import.meta.url).href);
  const cluster = await startPostgres({ database: "bench" });
  try {
    const pg = await trialWrites(cluster.url, "postgres");
    results.push(result("postgres trial writes (batches of 1000)", pg.rate, "trials/s", "higher", 20000));
    // The client side only (the PostgreSQL server's own work is in its processes).
    results.push(result("postgres client process CPU per stored trial", pg.cpuPerTrial, "µs", "lower"));
  } finally {
    await cluster.stop();
  }
} catch (error) {
  console.log(`server: postgres trial writes skipped: ${error.message}`);
}

// ------------------------------------------------------------------------ live feed and REST clients
// The clients run in another process (bench/server-clients.mjs), as browsers and scripts do.
const clientsScript = fileURLToPath(new URL("server-clients.mjs", import.meta.url));

function clients(args) {
  const child = fork(clientsScript, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise((r) => child.on("exit", r));
  // The clients end themselves after their last message; one that does not is ended after 5 s.
  const stop = async () => {
    const timer = setTimeout(() => child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  };
  return { child, stop };
}

{
  const server = await createServer({ store: "memory", token: "bench", projectRoot: dir });
  const { child, stop } = clients(["live", server.url.replace("http", "ws") + "/api/live", "bench", String(CLIENTS), String(LIVE_TRIALS), fileURLToPath(new URL("../node_modules/ws/index.js", import.meta.url))]);
  try {
    await new Promise((r, reject) => child.on("message", (m) => (m.type === "open" ? r() : m.type === "error" && reject(new Error(m.error)))));
    const done = new Promise((r, reject) => {
      child.on("message", (m) => (m.type === "done" ? r(m.at) : m.type === "error" && reject(new Error(m.error))));
      setTimeout(() => reject(new Error("live feed: not every message arrived within 120 s")), 120_000).unref();
    });
    const started = Date.now();
    const cpu0 = process.cpuUsage();
    const t = trial(0);
    const wire = { index: 0, window: 0, phase: "search", params: t.params, status: "ok", objective: t.objective, metrics: t.metrics };
    for (let i = 0; i < LIVE_TRIALS; i++) {
      server.live.trial("run-bench", { ...wire, index: i });
      if (i % 2000 === 1999) await new Promise((r) => setImmediate(r));
    }
    const at = await done;
    const cpu = process.cpuUsage(cpu0);
    if (server.live.delivered !== CLIENTS * LIVE_TRIALS) throw new Error(`live feed: the server sent ${server.live.delivered} trial messages, expected ${CLIENTS * LIVE_TRIALS}`);
    results.push(result("live trial messages delivered to 10 WebSocket clients (100 ms batches, unthrottled count)", (CLIENTS * LIVE_TRIALS) / ((at - started) / 1000), "messages/s", "higher", 200000));
    // The server's own CPU (making, serializing and sending the messages), whatever the machine's load.
    results.push(result("server CPU per delivered live trial message", (cpu.user + cpu.system) / (CLIENTS * LIVE_TRIALS), "µs", "lower"));
  } finally {
    await stop();
    await server.close();
  }
}

async function restLatency(spec, label) {
  const { store } = await openStore(spec);
  const manifest = { kind: "backtest", strategy: { name: "imbalance", params: { threshold: 0.3 } }, data: { rows: 1000 }, engine: { latencyNs: 50000 }, version: "0.0.0", host: "bench", node: process.version };
  for (let i = 0; i < 500; i++) {
    const id = await store.createRun({ kind: "backtest", manifest });
    await store.updateRun(id, { state: "finished", metrics: { sharpe: Math.sin(i), pnl: i, trades: i % 50 }, params: { threshold: 0.3 } });
  }
  // The store's own cost of one listing, which the server's 250 ms listing cache pays once per interval.
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) await store.listRuns({ limit: 20 });
  results.push(result(`store listRuns({ limit: 20 }) of 500 runs, one caller (${label})`, (performance.now() - t0) / 20, "ms", "lower"));
  const server = await createServer({ store, token: "bench", projectRoot: dir });
  const { child, stop } = clients(["rest", `${server.url}/api/runs?limit=20`, "bench", String(REST_CLIENTS), String(REST_REQUESTS), "20", String(REST_WARMUP)]);
  let cpu0 = process.cpuUsage();
  let cpu;
  const answer = await new Promise((r) =>
    child.on("message", (m) => {
      if (m.type === "measuring") cpu0 = process.cpuUsage();
      else {
        cpu = process.cpuUsage(cpu0);
        r(m);
      }
    }),
  );
  await stop();
  await server.close();
  await store.close();
  if (answer.error !== undefined) throw new Error(`REST bench: ${answer.error}`);
  const { latencies } = answer;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  results.push(result(`GET /api/runs?limit=20 p99 latency, 100 concurrent clients (${label}, 500 runs)`, q(0.99), "ms", "lower", 20));
  results.push(result(`GET /api/runs?limit=20 p50 latency, 100 concurrent clients (${label}, 500 runs)`, q(0.5), "ms", "lower"));
  // The server's own CPU per measured answer, whatever the machine's load: 100 clients
  // each waiting for its answer see about 100 times this (and more when the server gets less than a core).
  results.push(result(`server CPU per GET /api/runs?limit=20 (${label})`, (cpu.user + cpu.system) / (REST_CLIENTS * REST_REQUESTS), "µs", "lower"));
}

// The memory store shows the server's own cost; the DuckDB store adds its listRuns query.
await restLatency("memory", "memory store");
await restLatency(join(dir, "rest.duckdb"), "DuckDB store");

rmSync(dir, { recursive: true, force: true });
results.push(result("machine load average (1 min) at the start", loadAtStart, "runnable tasks", "lower"));
results.push(result("machine load average (1 min) at the end", loadavg()[0], "runnable tasks", "lower"));
writeResults("server", results);
