// Streamed backtests at scale (run by bench/scale.bench.mjs; each measurement in a fresh process,
// so its peak RSS is its own):
//   node bench/streaming-scale.mjs generate        5 days x 20M generated L2 events into
//                                                  data/generated/scale-catalog (seeded; skipped
//                                                  when already there; not timed), and the
//                                                  catalog's column cache (lab.data.cacheCatalogColumns;
//                                                  not timed either)
//   node bench/streaming-scale.mjs ratio           day 1 (20M events): the in-memory engine on the
//                                                  batch read from the catalog (reading not timed)
//                                                  against the streamed run of the same rows from
//                                                  the column cache (the default read) and from the
//                                                  Parquet files (columnCache: "off"), in
//                                                  SCALE_RATIO_PAIRS (5) rounds in rotating order;
//                                                  each catalog read alone (no engine); and the in-memory engine alone against
//                                                  the same run with a Parquet reader busy in another
//                                                  process (SCALE_CONTENTION_PAIRS, 2): what sharing
//                                                  the machine's cores with a decoding reader costs
//   node bench/streaming-scale.mjs read-loop       reads day 1 from the catalog over and over (the
//                                                  busy reader of the contention figure)
//   node bench/streaming-scale.mjs stream <days> [quiet|observer]
//                                                  a streamed run over the first <days> days
//                                                  (0.5 = 13M events, 1.5 = 33M, 5 = 100M): "quiet"
//                                                  (default) is the template trading at most once
//                                                  a second; "observer" reads every event and never
//                                                  orders, so its result columns (the equity grid
//                                                  alone) barely grow and memory shows the data path
// Each prints one JSON line with its figures.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bestOf } from "./lib.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const CATALOG = join(root, "data", "generated", "scale-catalog");
export const DAYS = 5;
export const EVENTS_PER_DAY = Number(process.env.SCALE_EVENTS_PER_DAY ?? 20_000_000);
const DAY_NS = 86_400_000_000_000n;
const START = 1_704_153_600_000_000_000n; // 2024-01-02T00:00:00Z

const lab = await import("../dist/index.js");
const strategy = lab.strategies.imbalance({ threshold: 0.3, size: 1, maxPosition: 5 });
// For the memory figures: the same template trading at most once a second, so the run's own result
// columns (which any run keeps: ~120 B per order and per fill) stay small next to the data and
// the figures show whether memory grows with the data's length (the speed figures use `strategy`,
// which fills about once per eleven events).
const quiet = lab.strategies.imbalance({ threshold: 0.3, size: 1, maxPosition: 5, cooldownMs: 1000 });
/** Reads the book on every event (the engine does all its work for it) and never sends an order. */
const observer = { name: "observer", params: [], create: () => ({ onBook(_ctx, book) { book.mid(); } }) };
const options = { latencyNs: 50_000, queue: "riskAverse", seed: 1, check: "off" };

function peakRssBytes() {
  return process.resourceUsage().maxRSS * 1024;
}

async function generate() {
  const marker = join(CATALOG, `_complete-${DAYS}x${EVENTS_PER_DAY}`);
  if (existsSync(marker)) return { generated: false, cache: await lab.data.cacheCatalogColumns(CATALOG) };
  rmSync(CATALOG, { recursive: true, force: true });
  mkdirSync(CATALOG, { recursive: true });
  for (let d = 0; d < DAYS; d++) {
    // one day at a time: memory holds one day's batch, never the five
    const ticks = lab.data.generateTicks({ events: EVENTS_PER_DAY, seed: 100 + d, mode: "l2", startNs: START + BigInt(d) * DAY_NS, ratePerSecond: EVENTS_PER_DAY / 86_000 });
    await lab.data.writeCatalog(CATALOG, ticks);
  }
  mkdirSync(marker);
  return { generated: true, cache: await lab.data.cacheCatalogColumns(CATALOG) };
}

const range = (days, columnCache = "use") => ({ catalog: CATALOG, start: START, end: START + BigInt(Math.round(days * 86_400)) * 1_000_000_000n, chunkRows: 1_000_000, columnCache });

const CONTENTION_PAIRS = Number(process.env.SCALE_CONTENTION_PAIRS ?? 2);

/** Reads day 1 from the catalog's Parquet files until killed; prints a line once its first chunk is in. */
async function readLoop() {
  let told = false;
  for (;;) {
    const source = await lab.data.catalogChunks(CATALOG, { start: START, end: START + DAY_NS, chunkRows: 1_000_000, columnCache: "off" });
    for (let chunk = await source.next(); chunk; chunk = await source.next()) {
      if (!told) {
        process.stdout.write("reading\n");
        told = true;
      }
      source.release(chunk);
    }
    await source.close();
  }
}

/** Pairs of runs, in alternating order, so each side sees the same machine; best of each and the pairs' median. */
const RATIO_PAIRS = Number(process.env.SCALE_RATIO_PAIRS ?? 5);

/** Seconds to read day 1 chunk by chunk (no engine), and whether it came from the cache. */
async function readAlone(columnCache) {
  const t0 = performance.now();
  const source = await lab.data.catalogChunks(CATALOG, { start: START, end: START + DAY_NS, chunkRows: 1_000_000, columnCache });
  for (let chunk = await source.next(); chunk; chunk = await source.next()) source.release(chunk);
  await source.close();
  return { seconds: (performance.now() - t0) / 1000, cached: source.cached };
}

async function ratio() {
  const batch = await lab.data.readCatalog(CATALOG, { start: START, end: START + DAY_NS });
  lab.backtest(lab.data.sliceBatch(batch, 0, 300_000), strategy, options); // warm-up
  const memory = [];
  const streamed = [];
  const parquet = [];
  const reads = [];
  const parquetReads = [];
  let events = 0;
  const sides = ["memory", "stream", "parquet"];
  for (let pair = 0; pair < RATIO_PAIRS; pair++) {
    const cachedRead = await readAlone("use");
    if (!cachedRead.cached) throw new Error("day 1 has no column cache: run `node bench/streaming-scale.mjs generate` first");
    reads.push(cachedRead.seconds);
    parquetReads.push((await readAlone("off")).seconds);
    // each round starts with the next side, so every side is timed first, second and third
    for (const side of [...sides.slice(pair % 3), ...sides.slice(0, pair % 3)]) {
      // each run starts on a collected heap, so none pays for the garbage of the run before it;
      // and only what the rounds compare is kept (a whole result holds ~2M orders' and fills' columns)
      globalThis.gc?.();
      const t = performance.now();
      const run = side === "memory" ? lab.backtest(batch, strategy, options) : await lab.backtest(range(1, side === "stream" ? "use" : "off"), strategy, options);
      const seconds = (performance.now() - t) / 1000;
      (side === "memory" ? memory : side === "stream" ? streamed : parquet).push({ seconds, events: run.summary.events, fills: run.fills.ts.length, pnl: run.summary.pnl });
      events = run.summary.events;
    }
    const m = memory[pair];
    for (const s of [streamed[pair], parquet[pair]]) {
      if (s.events !== m.events || s.fills !== m.fills || s.pnl !== m.pnl) throw new Error("the streamed run differs from the in-memory run");
    }
  }
  // The engine alone, then beside a reader in another process (started first, so it is busy): the
  // engine's slowdown is what any streamed run pays on these cores for reading while it runs.
  const alone = [];
  const beside = [];
  for (let pair = 0; pair < CONTENTION_PAIRS; pair++) {
    alone.push((await bestOf(1, () => lab.backtest(batch, strategy, options))).seconds);
    const reader = spawn(process.execPath, [fileURLToPath(import.meta.url), "read-loop"], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise((resolve, reject) => {
      reader.stdout.once("data", resolve);
      reader.once("exit", (code) => reject(new Error(`read-loop exited ${code}`)));
    });
    beside.push((await bestOf(1, () => lab.backtest(batch, strategy, options))).seconds);
    reader.removeAllListeners("exit");
    const exited = new Promise((r) => reader.once("exit", r));
    reader.kill("SIGTERM");
    await exited;
  }
  const paired = (runs) => memory.map((m, i) => m.seconds / runs[i].seconds).sort((a, b) => a - b);
  const ratios = paired(streamed);
  const parquetRatios = paired(parquet);
  const best = (runs) => Math.min(...runs.map((r) => r.seconds));
  return {
    events,
    pairs: RATIO_PAIRS,
    memoryEventsPerSecond: events / best(memory),
    streamEventsPerSecond: events / best(streamed),
    parquetStreamEventsPerSecond: events / best(parquet),
    readRowsPerSecond: events / Math.min(...reads),
    parquetReadRowsPerSecond: events / Math.min(...parquetReads),
    pairedRatioMedian: ratios[ratios.length >> 1],
    pairedRatios: ratios,
    parquetPairedRatioMedian: parquetRatios[parquetRatios.length >> 1],
    engineBesideReader: Math.min(...alone) / Math.min(...beside),
  };
}

async function stream(days, which = "quiet") {
  const t = performance.now();
  const run = await lab.backtest(range(days), which === "observer" ? observer : quiet, options);
  const seconds = (performance.now() - t) / 1000;
  return { days, strategy: which, events: run.summary.events, seconds, eventsPerSecond: run.summary.events / seconds, peakRssBytes: peakRssBytes(), fills: run.fills.ts.length, orders: run.orders.id.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, arg, which] = process.argv.slice(2);
  if (mode === "read-loop") await readLoop();
  const out = mode === "generate" ? await generate() : mode === "ratio" ? await ratio() : mode === "stream" ? await stream(Number(arg), which) : undefined;
  if (!out) throw new Error("usage: streaming-scale.mjs generate | ratio | read-loop | stream <days> [quiet|observer]");
  console.log(JSON.stringify(out));
}
