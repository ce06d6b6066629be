// Data layer throughput on 7,000,000 generated L2 events: generate, Parquet/CSV -> TickBatch,
// validation, catalog write/read, peak RSS. Files go to data/generated/ (git-ignored).
// Run: npx tsc -p tsconfig.json && node scripts/bench.mjs data
import { mkdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { data } from "../dist/index.js";
import { bestOf, result, rssTracker, writeResults } from "./lib.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "data", "generated", "bench");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const EVENTS = 7_000_000;
const gc = globalThis.gc ?? (() => {});
const rss = rssTracker();
// Other work on the machine slows every number here; the load average says how much there was.
const results = [result("load average (1 min) at start", os.loadavg()[0], "runnable tasks", "lower")];
const log = (text) => console.log(`data: ${text} (rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, peak ${(rss.sample() / 2 ** 20).toFixed(0)} MiB)`);

// 1. Generate.
let batch;
const gen = await bestOf(1, () => (batch = data.generateTicks({ events: EVENTS, seed: 1, mode: "l2" })).length);
results.push(result("generate 7M L2 events", gen.seconds, "s", "lower"));
log(`generated ${batch.length} rows in ${gen.seconds.toFixed(2)} s`);

// 2. Validate the generated batch (memory already touched: the steady-state cost).
const val = await bestOf(3, () => data.validate(batch).issues);
if (val.value.length !== 0) throw new Error(`generated data should be clean: ${JSON.stringify(val.value)}`);
results.push(result("validate 7M events", val.seconds, "s", "lower", 1));

// 3. Writers.
const parquet = join(out, "ticks.parquet");
const csv = join(out, "ticks.csv");
const catalog = join(out, "catalog");
const pw = await bestOf(1, () => data.writeParquet(batch, parquet));
results.push(result("TickBatch -> Parquet (zstd)", pw.seconds, "s", "lower"));
log(`parquet ${(statSync(parquet).size / 1e6).toFixed(0)} MB`);
const cw = await bestOf(1, () => data.writeCsv(batch, csv));
results.push(result("TickBatch -> CSV", cw.seconds, "s", "lower"));
log("csv written");
log(`csv ${(statSync(csv).size / 1e6).toFixed(0)} MB`);
const catw = await bestOf(1, () => data.writeCatalog(catalog, batch));
results.push(result("catalog write (venue/symbol/date partitions)", catw.seconds, "s", "lower"));
log("catalog written");
const spec = batch.instruments[0];
batch = undefined;
gc();

// 4. Parquet -> TickBatch, and the same followed by validation (the research loop's entry cost).
let readBack;
const pr = await bestOf(3, async () => {
  readBack = undefined;
  gc();
  readBack = await data.readParquet(parquet);
  return readBack.length;
});
if (pr.value !== EVENTS) throw new Error(`read ${pr.value} rows`);
results.push(result("Parquet -> TickBatch", pr.seconds, "s", "lower"));
const prv = await bestOf(2, async () => {
  readBack = undefined;
  gc();
  readBack = await data.readParquet(parquet);
  return data.validate(readBack).issues.length; // keep no reference to the batch
});
results.push(result("Parquet -> TickBatch + validation", prv.seconds, "s", "lower", 2));
log("parquet read + validated");
readBack = undefined;
gc();

// 5. CSV -> TickBatch (decimal text, exact tick conversion), and its cost relative to the Parquet
// read measured above in this same process: the shared machine's load moves both alike.
const cr = await bestOf(3, async () => {
  gc();
  return (await data.readTable(csv, { instrument: spec })).length;
});
if (cr.value !== EVENTS) throw new Error(`read ${cr.value} CSV rows`);
results.push(result("CSV -> TickBatch", cr.seconds, "s", "lower"));
results.push(result("CSV -> TickBatch / Parquet -> TickBatch", cr.seconds / pr.seconds, "ratio", "lower", 3));
log(`csv read: ${cr.seconds.toFixed(2)} s, ${(cr.seconds / pr.seconds).toFixed(2)}x the Parquet read`);
gc();

// 6. Catalog read (one symbol, whole range) and a 60 s range read (pushdown).
const catr = await bestOf(1, async () => (await data.readCatalog(catalog, { symbols: ["SYN"] })).length);
if (catr.value !== EVENTS) throw new Error(`catalog read ${catr.value} rows`);
results.push(result("catalog read (7M rows)", catr.seconds, "s", "lower"));
log("catalog read");
gc();
const t0 = data.generateTicks({ events: 2, seed: 1, mode: "l2" }).exchTs[0];
const range = await bestOf(3, async () => (await data.readCatalog(catalog, { symbols: ["SYN"], start: t0 + 60_000_000_000n, end: t0 + 120_000_000_000n })).length);
results.push(result(`catalog read 60 s range (${range.value} rows)`, range.seconds, "s", "lower"));

results.push(result("load average (1 min) at end", os.loadavg()[0], "runnable tasks", "lower"));
rss.stop();
results.push(result("peak RSS", rss.peakBytes(), "bytes", "lower", 1.5 * 2 ** 30));
writeResults("data", results);
