// Research server benchmark (127.0.0.1 only, bounded in count and time):
// - trial writes/s into the DuckDB store and the PostgreSQL store (a throwaway cluster from
//   scripts/pg-cluster.mjs), recorded in batches of 1000 trials, each with 8 metrics and 64
//   per-period returns (target 20000/s each);
// - live trial messages/s delivered to 10 WebSocket clients (target 200000/s). Trial messages are
//   buffered and flushed every 100 ms but never dropped or merged, so this is the broadcast path
//   itself at full rate; the clients run in a worker thread, as a browser would be another process;
// - p99 latency of GET /api/runs?limit=20 on a store of 500 runs (memory, DuckDB) under 100
//   concurrent keep-alive clients (in a worker thread), 30 requests each (target < 20 ms); the
//   server asks the store at most once per 250 ms for one listing, so the store's own time for a
//   listing is reported beside it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
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
const results = [];
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
    while (measured < BATCHES - 1 && (measured === 0 || performance.now() - t0 < WRITE_SECONDS * 1000)) await store.record(runId, batch(++measured));
    const secs = (performance.now() - t0) / 1000;
    const stored = (await store.loadTrials(runId)).length;
    if (stored !== BATCH * (measured + 1)) throw new Error(`${label}: ${stored} trials stored, expected ${BATCH * (measured + 1)}`);
    return (measured * BATCH) / secs;
  } finally {
    await store.close();
  }
}

results.push(result("duckdb trial writes (batches of 1000)", await trialWrites(join(dir, "bench.duckdb"), "duckdb"), "trials/s", "higher", 20000));

try {
  const { startPostgres } = await import(new URL("../scripts/pg-cluster.mjs", import.meta.url).href);
  const cluster = await startPostgres({ database: "bench" });
  try {
    results.push(result("postgres trial writes (batches of 1000)", await trialWrites(cluster.url, "postgres"), "trials/s", "higher", 20000));
  } finally {
    await cluster.stop();
  }
} catch (error) {
  console.log(`server: postgres trial writes skipped: ${error.message}`);
}

// ------------------------------------------------------------------------ live feed
const clientCode = `
const { parentPort, workerData } = require("node:worker_threads");
const WebSocket = require(workerData.ws);
let received = 0;
let open = 0;
const sockets = [];
for (let i = 0; i < workerData.clients; i++) {
  const s = new WebSocket(workerData.url, { headers: { authorization: "Bearer " + workerData.token } });
  s.on("open", () => { if (++open === workerData.clients) parentPort.postMessage({ type: "open" }); });
  // Counting frames, not parsing them: the figure is what the server delivers, not a client's JSON speed.
  s.on("message", (data) => {
    if (data[9] !== 116 || data[10] !== 114) return; // {"type":"tr...
    if (++received === workerData.expected) { parentPort.postMessage({ type: "done", at: Date.now() }); for (const x of sockets) x.close(); }
  });
  sockets.push(s);
}
`;

{
  const server = await createServer({ store: "memory", token: "bench", projectRoot: dir });
  const worker = new Worker(clientCode, { eval: true, workerData: { url: server.url.replace("http", "ws") + "/api/live", token: "bench", clients: CLIENTS, expected: CLIENTS * LIVE_TRIALS, ws: new URL("../node_modules/ws/index.js", import.meta.url).pathname } });
  await new Promise((r) => worker.on("message", (m) => m.type === "open" && r()));
  const done = new Promise((r, reject) => {
    worker.on("message", (m) => m.type === "done" && r(m.at));
    setTimeout(() => reject(new Error("live feed: not every message arrived within 120 s")), 120_000).unref();
  });
  const started = Date.now();
  const t = trial(0);
  const wire = { index: 0, window: 0, phase: "search", params: t.params, status: "ok", objective: t.objective, metrics: t.metrics };
  for (let i = 0; i < LIVE_TRIALS; i++) {
    server.live.trial("run-bench", { ...wire, index: i });
    if (i % 2000 === 1999) await new Promise((r) => setImmediate(r));
  }
  const at = await done;
  results.push(result("live trial messages delivered to 10 WebSocket clients (100 ms batches, unthrottled count)", (CLIENTS * LIVE_TRIALS) / ((at - started) / 1000), "messages/s", "higher", 200000));
  await worker.terminate();
  await server.close();
}

// ------------------------------------------------------------------------ REST latency
const restCode = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  const latencies = [];
  const one = async () => {
    for (let i = 0; i < workerData.requests; i++) {
      const t0 = performance.now();
      const r = await fetch(workerData.url, { headers: { authorization: "Bearer bench" } });
      const body = await r.json();
      if (r.status !== 200 || body.runs.length !== 20) throw new Error("bad answer " + r.status);
      latencies.push(performance.now() - t0);
    }
  };
  // Warm-up: connections opened and the route compiled before the measured rounds.
  await Promise.all(Array.from({ length: workerData.clients }, () => fetch(workerData.url, { headers: { authorization: "Bearer bench" } }).then((r) => r.arrayBuffer())));
  await Promise.all(Array.from({ length: workerData.clients }, one));
  parentPort.postMessage(latencies);
})().catch((e) => parentPort.postMessage({ error: e.message }));
`;

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
  const worker = new Worker(restCode, { eval: true, workerData: { url: `${server.url}/api/runs?limit=20`, clients: REST_CLIENTS, requests: REST_REQUESTS } });
  const latencies = await new Promise((r) => worker.on("message", r));
  await worker.terminate();
  await server.close();
  await store.close();
  if (!Array.isArray(latencies)) throw new Error(`REST bench: ${latencies.error}`);
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  results.push(result(`GET /api/runs?limit=20 p99 latency, 100 concurrent clients (${label}, 500 runs)`, q(0.99), "ms", "lower", 20));
  results.push(result(`GET /api/runs?limit=20 p50 latency, 100 concurrent clients (${label}, 500 runs)`, q(0.5), "ms", "lower"));
}

// The memory store shows the server's own cost; the DuckDB store adds its listRuns query.
await restLatency("memory", "memory store");
await restLatency(join(dir, "rest.duckdb"), "DuckDB store");

rmSync(dir, { recursive: true, force: true });
writeResults("server", results);
