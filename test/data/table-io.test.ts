import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { EventFlag, EventKind, TICK_COLUMN_NAMES, fromArrow, generateTicks, readCatalog, readTable, readParquet, tickBatch, toArrow, toGridExact, gridStep, writeArrowFile, writeCatalog, writeCsv, writeParquet, type TickBatch } from "../../src/data/index.js";
import { constantColumns, duckConnection } from "../../src/data/duck.js";
import { TEST_OUTPUT } from "../helpers/paths.js";

const dir = join(TEST_OUTPUT, "data-io");
mkdirSync(dir, { recursive: true });

function hashBatch(batch: TickBatch): string {
  const h = createHash("sha256");
  for (const name of TICK_COLUMN_NAMES) {
    const col = batch[name];
    h.update(new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
  }
  return h.digest("hex");
}

describe("exact price conversion", () => {
  it("61800.20 at tick 0.01 and 585.3300 at tick 0.0001 are exact tick counts (hand calculation)", () => {
    const btc = instrument({ symbol: "BTCUSDT", venue: "X", tickSize: "0.01", lotSize: "0.001" });
    const eth = instrument({ symbol: "ETH", venue: "X", tickSize: "0.0001" });
    // 61800.20 / 0.01 = 6,180,020 ; 585.3300 / 0.0001 = 5,853,300
    expect(toGridExact(61800.2, gridStep(btc, "price"))).toBe(6180020);
    expect(toGridExact(585.33, gridStep(eth, "price"))).toBe(5853300);
    // 0.1 + 0.2 is not the decimal 0.3: the float check refuses it instead of rounding.
    expect(toGridExact(0.1 + 0.2, gridStep(btc, "price"))).toBeUndefined();
    expect(toGridExact(61800.205, gridStep(btc, "price"))).toBeUndefined();
    expect(toGridExact(0.003, gridStep(btc, "size"))).toBe(3);
  });

  it("decimal text survives CSV -> ticks -> Parquet -> ticks -> CSV unchanged", async () => {
    const file = join(dir, "exact.csv");
    writeFileSync(file, ["ts,sym,px,sz,side", "1700000000000,BTCUSDT,61800.20,0.015,buy", "1700000000001,ETH,585.3300,2,sell", "1700000000002,BTCUSDT,0.01,1.000,b"].join("\n") + "\n");
    const instruments = [instrument({ symbol: "BTCUSDT", venue: "X", tickSize: "0.01", lotSize: "0.001" }), instrument({ symbol: "ETH", venue: "X", tickSize: "0.0001", lotSize: "1" })];
    const batch = await readTable(file, { columns: { exchTs: "ts", symbol: "sym", price: "px", qty: "sz", side: "side" }, instruments, timeUnit: "ms" });
    expect([...batch.priceTicks]).toEqual([6180020, 5853300, 1]);
    expect([...batch.qtyLots]).toEqual([15, 2, 1000]);
    expect([...batch.instrument]).toEqual([0, 1, 0]);
    expect([...batch.side]).toEqual([1, -1, 1]);
    expect(batch.exchTs[0]).toBe(1_700_000_000_000_000_000n);
    expect(batch.kind[0]).toBe(EventKind.Trade);
    // No local timestamp column: localTs = exchTs, flagged as not a real receive time.
    expect(batch.localTs[1]).toBe(batch.exchTs[1]);
    expect(batch.flags[0]! & EventFlag.BadTimestamp).toBe(EventFlag.BadTimestamp);

    const pq = join(dir, "exact.parquet");
    await writeParquet(batch, pq);
    const back = await readParquet(pq);
    expect(hashBatch(back)).toBe(hashBatch(batch));
    expect(back.instruments.map((s) => [s.symbol, s.tickSize, s.lotSize])).toEqual([["BTCUSDT", "0.01", "0.001"], ["ETH", "0.0001", "1"]]);
    expect(back.instruments[0]!.priceString(back.priceTicks[0]!)).toBe("61800.2");
    expect(back.instruments[1]!.priceString(back.priceTicks[1]!)).toBe("585.33");

    const csv = join(dir, "exact-out.csv");
    await writeCsv(back, csv);
    const lines = readFileSync(csv, "utf8").trim().split("\n");
    expect(lines[1]).toContain(",61800.20,0.015,");
    expect(lines[2]).toContain(",585.3300,2,");
  });

  it("prices stored as float64 in a user's Parquet convert exactly, off-grid ones are refused", async () => {
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    const file = join(dir, "doubles.parquet");
    await c.run(`COPY (SELECT * FROM (VALUES (TIMESTAMP_NS '2024-01-02 14:30:00.123456789', 61800.20::DOUBLE, 1.5::DOUBLE), (TIMESTAMP_NS '2024-01-02 14:30:00.123456790', 585.33::DOUBLE, 0.001::DOUBLE)) t(t, p, q)) TO '${file}' (FORMAT parquet)`);
    c.closeSync();
    const spec = instrument({ symbol: "X", venue: "Y", tickSize: "0.01", lotSize: "0.001" });
    const batch = await readTable(file, { columns: { exchTs: "t", price: "p", qty: "q" }, instrument: spec });
    expect([...batch.priceTicks]).toEqual([6180020, 58533]);
    expect([...batch.qtyLots]).toEqual([1500, 1]);
    expect(batch.exchTs[0]).toBe(1704205800123456789n);
    expect(batch.exchTs[1]! - batch.exchTs[0]!).toBe(1n);
    const coarse = instrument({ symbol: "X", venue: "Y", tickSize: "0.1", lotSize: "0.001" });
    await expect(readTable(file, { columns: { exchTs: "t", price: "p", qty: "q" }, instrument: coarse })).rejects.toMatchObject({ code: "OFF_GRID", context: { row: 1, column: "p", value: "585.33" } }); // 61800.2 is on the 0.1 grid, 585.33 is not
  });
});

describe("round trips of generated data", () => {
  it.each(["l2", "l3"] as const)("%s: Parquet, CSV, Arrow file and Arrow table give back identical columns", async (mode) => {
    const batch = generateTicks({ events: 20_000, seed: 4, mode });
    const h = hashBatch(batch);
    const pq = join(dir, `gen-${mode}.parquet`);
    await writeParquet(batch, pq);
    expect(hashBatch(await readParquet(pq))).toBe(h);
    const shared = await readParquet(pq, { shared: true });
    expect(shared.priceTicks.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(hashBatch(shared)).toBe(h);

    const csv = join(dir, `gen-${mode}.csv`);
    await writeCsv(batch, csv);
    const fromCsv = await readTable(csv, { instrument: batch.instruments[0]! });
    expect(hashBatch(fromCsv)).toBe(h);

    const arrowFile = join(dir, `gen-${mode}.arrow`);
    await writeArrowFile(batch, arrowFile);
    expect(hashBatch(await readTable(arrowFile))).toBe(h);
    const table = toArrow(batch);
    expect(table.numRows).toBe(20_000);
    expect(table.getChild("instrument")!.get(0)).toBe("SYN");
    expect(hashBatch(fromArrow(table))).toBe(h);
  });
});

describe("apache-arrow interop", () => {
  it("a table from toArrow works with apache-arrow as a notebook loads it (require): IPC bytes round trip", () => {
    const arrow = createRequire(import.meta.url)("apache-arrow") as typeof import("apache-arrow");
    const batch = generateTicks({ events: 5_000, seed: 9, mode: "l2" });
    const bytes = arrow.tableToIPC(toArrow(batch), "file");
    const back = fromArrow(arrow.tableFromIPC(bytes));
    expect(hashBatch(back)).toBe(hashBatch(batch));
    expect(back.instruments[0]!.symbol).toBe(batch.instruments[0]!.symbol);
  });

  it("importing the package does not load apache-arrow (it loads on first use)", () => {
    // ES module loads are seen by a resolve hook (it logs to a file), require loads in require.cache.
    const log = join(dir, "arrow-loads.txt");
    rmSync(log, { force: true });
    const hooks = `import { appendFileSync } from "node:fs"; export async function resolve(s, c, next) { if (s.includes("apache-arrow")) appendFileSync(${JSON.stringify(log)}, s + "\\n"); return next(s, c); }`;
    const script = `
      import { createRequire, register } from "node:module";
      import { existsSync, readFileSync } from "node:fs";
      register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hooks)}));
      const require = createRequire(import.meta.url);
      const loaded = () => (existsSync(${JSON.stringify(log)}) && readFileSync(${JSON.stringify(log)}, "utf8").length > 0) || Object.keys(require.cache).some((k) => k.includes("apache-arrow"));
      const lab = await import(${JSON.stringify(pathToFileURL(join(process.cwd(), "dist", "index.js")).href)});
      const before = loaded();
      lab.data.toArrow(lab.data.generateTicks({ events: 10, seed: 1, mode: "l2" }));
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ before: false, after: true });
  });
});

describe("user column mapping", () => {
  it("maps names, kind and side words, µs epochs and ISO times", async () => {
    const file = join(dir, "mapped.csv");
    writeFileSync(file, ["when,recv,what,dir,p,q,oid", "1585699200245000,1585699200355684,add,bid,6421.5,100,7", "1585699200245001,1585699200355685,Trade,SELL,6421.5,40,", "1585699200245002,1585699200355686,delete,b,6421.5,60,7"].join("\n") + "\n");
    const spec = instrument({ symbol: "BTC-PERPETUAL", venue: "deribit", tickSize: "0.5", lotSize: "10" });
    const batch = await readTable(file, { columns: { exchTs: "when", localTs: "recv", kind: "what", side: "dir", price: "p", qty: "q", orderId: "oid" }, instrument: spec });
    expect([...batch.kind]).toEqual([EventKind.Add, EventKind.Trade, EventKind.Delete]);
    expect([...batch.side]).toEqual([1, -1, 1]);
    expect([...batch.priceTicks]).toEqual([12843, 12843, 12843]); // 6421.5 / 0.5
    expect([...batch.qtyLots]).toEqual([10, 4, 6]);
    expect(batch.orderId[0]).toBe(7);
    expect(Number.isNaN(batch.orderId[1]!)).toBe(true);
    expect(batch.exchTs[0]).toBe(1585699200245000000n); // guessed µs from 16 digits
    expect(batch.localTs[2]).toBe(1585699200355686000n);
    const iso = join(dir, "iso.csv");
    writeFileSync(iso, "time,price,size\n2024-08-08T23:54:15.030314667,100.25,1\n");
    const b2 = await readTable(iso, { columns: { exchTs: "time" }, instrument: instrument({ symbol: "A", venue: "B", tickSize: "0.05" }) });
    expect(b2.exchTs[0]).toBe(1723161255030314667n);
    expect(b2.priceTicks[0]).toBe(2005);
  });

  it("infers the finest decimal grid when no instrument is given", async () => {
    const file = join(dir, "infer.csv");
    writeFileSync(file, "timestamp,price,amount\n1,20377.00,1.770\n2,20376.90,0.001\n");
    const batch = await readTable(file, { timeUnit: "s" });
    expect(batch.instruments[0]!.tickSize).toBe("0.1");
    expect(batch.instruments[0]!.lotSize).toBe("0.001");
    expect([...batch.priceTicks]).toEqual([203770, 203769]);
  });
});

describe("columns fixed by the Parquet footer", () => {
  it("are filled in memory instead of streamed, and every column still reads back bit for bit", async () => {
    const base = generateTicks({ events: 3000, seed: 8, mode: "l2" });
    const cols = Object.fromEntries(TICK_COLUMN_NAMES.map((n) => [n, base[n].slice()])) as unknown as Parameters<typeof tickBatch>[0];
    cols.flags.fill(3);
    cols.orderId.fill(NaN);
    // A DOUBLE column that is NaN except one value: its min = max statistics must not be trusted.
    cols.aux.fill(NaN);
    cols.aux[1234] = 7.5;
    cols.seq.fill(NaN);
    const batch = tickBatch(cols, base.instruments, "constants");
    const pq = join(dir, "constants.parquet");
    await writeParquet(batch, pq);
    const connection = await duckConnection();
    try {
      const fixed = await constantColumns(connection, [pq]);
      expect(Object.fromEntries(fixed)).toEqual({ flags: 3, instrument: 0, orderId: NaN, seq: NaN });
    } finally {
      connection.closeSync();
    }
    const back = await readParquet(pq);
    expect(hashBatch(back)).toBe(hashBatch(batch));
    expect(back.aux[1234]).toBe(7.5);
    expect(Number.isNaN(back.aux[1233]!)).toBe(true);
  });

  it("per-file constants that differ between catalog files are streamed", async () => {
    const base = generateTicks({ events: 4000, seed: 9, mode: "l2" });
    const cols = Object.fromEntries(TICK_COLUMN_NAMES.map((n) => [n, base[n].slice()])) as unknown as Parameters<typeof tickBatch>[0];
    // Two days: the second half is moved forward by one day and carries another flag value.
    const day = 86_400_000_000_000n;
    for (let i = 0; i < 4000; i++) {
      cols.flags[i] = i < 2000 ? 1 : 2;
      if (i >= 2000) {
        cols.exchTs[i] = cols.exchTs[i]! + day;
        cols.localTs[i] = cols.localTs[i]! + day;
      }
    }
    const batch = tickBatch(cols, base.instruments, "two-days");
    const root = join(dir, "constants-catalog");
    rmSync(root, { recursive: true, force: true });
    await writeCatalog(root, batch);
    const back = await readCatalog(root);
    expect(back.length).toBe(4000);
    expect(hashBatch(back)).toBe(hashBatch(batch));
  });
});
