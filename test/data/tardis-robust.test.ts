import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { EventKind, readBinanceDepthCsv, readReportOf, readTardisCsv, validate } from "../../src/venues/data-aliases.js";
import { ROOT } from "../helpers/paths.js";
import { hashBatch, caughtAsync as failure } from "../helpers/checks.js";

const dir = mkdtempSync(join(tmpdir(), "tardis-robust-"));
const tardis = (f: string): string => join(ROOT, "data", "tardis-csv-samples", f);
const binance = (f: string): string => join(ROOT, "data", "binance-futures-depth-csv-samples", f);
const TRADES = tardis("bitmex_trades_XBTUSD.csv");
const L2 = tardis("deribit_incremental_book_L2_BTC-PERPETUAL.csv");
const QUOTES = tardis("huobi-dm-swap_quotes_BTC-USD.csv");
const SNAP5 = tardis("binance-futures_book_snapshot_5_BTCUSDT.csv");
const UPDATE = binance("btcusdt-depth-update.csv");
const xbt = instrument({ symbol: "XBTUSD", venue: "bitmex", tickSize: "0.5", lotSize: "1" });
const perp = instrument({ symbol: "BTC-PERPETUAL", venue: "deribit", tickSize: "0.5", lotSize: "10" });
const btc = instrument({ symbol: "BTCUSDT", venue: "binance", tickSize: "0.1", lotSize: "0.001" });

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** A copy of `source` with line `n` (1-based, header = 1) changed by `edit`. */
function withLine(source: string, name: string, n: number, edit: (line: string) => string): string {
  const lines = readFileSync(source, "utf8").split("\n");
  lines[n - 1] = edit(lines[n - 1]!);
  return file(name, lines.join("\n"));
}

const setField = (k: number, value: string) => (line: string): string => line.split(",").map((f, i) => (i === k ? value : f)).join(",");

// trades: exchange,symbol,timestamp,local_timestamp,id,side,price,amount
describe("Tardis trades: bad values (line 5 = the 4th trade)", () => {
  it.each([
    ["NaN", "NaN", "BAD_VALUE", "type-error"],
    ["1e400", "1e400", "BAD_VALUE", "type-error"],
    ["text", "x8531.5", "BAD_VALUE", "type-error"],
    ["empty", "", "MISSING_VALUE", "missing-value"],
  ])("price %s: named by line and raw text; quarantine keeps the 9 other trades", async (name, value, code, cls) => {
    const bad = withLine(TRADES, `trades-${name}.csv`, 5, setField(6, value));
    const error = await failure(readTardisCsv(bad, { instrument: xbt }));
    expect(error.code).toBe(code);
    expect(error.context).toMatchObject({ file: bad, row: 3, line: 5, column: "price", value, goodRows: 9, badRows: 1 });
    expect(error.hint).toContain('{ onBadRows: "quarantine" }');
    const kept = await readTardisCsv(bad, { instrument: xbt, onBadRows: "quarantine" });
    expect(kept.length).toBe(9);
    expect(readReportOf(kept)!.issues).toEqual([expect.objectContaining({ class: cls, count: 1, samples: [{ row: 3, line: 5, column: "price", value }] })]);
    // Nothing passes validate() as clean: the read report travels with the batch.
    expect(validate(kept).issues.find((i) => i.class === cls)?.count).toBe(1);
  });

  it("a quoted price, CRLF line ends and a BOM read exactly like the plain file", async () => {
    const plain = hashBatch(await readTardisCsv(TRADES, { instrument: xbt }));
    const text = readFileSync(TRADES, "utf8");
    expect(hashBatch(await readTardisCsv(withLine(TRADES, "trades-quoted.csv", 5, setField(6, '"8531.5"')), { instrument: xbt }))).toBe(plain);
    expect(hashBatch(await readTardisCsv(file("trades-crlf.csv", text.replace(/\n/g, "\r\n")), { instrument: xbt }))).toBe(plain);
    expect(hashBatch(await readTardisCsv(file("trades-bom.csv", "\ufeff" + text), { instrument: xbt }))).toBe(plain);
  });

  it("a negative amount is read and reported by validate(); an off-tick price is OFF_GRID", async () => {
    const negative = await readTardisCsv(withLine(TRADES, "trades-negative.csv", 5, setField(7, "-4")), { instrument: xbt });
    expect(validate(negative).issues.find((i) => i.class === "bad-size")).toMatchObject({ count: 1, samples: [{ row: 3 }] });
    const offTick = withLine(TRADES, "trades-offtick.csv", 5, setField(6, "8531.25"));
    expect(await failure(readTardisCsv(offTick, { instrument: xbt }))).toMatchObject({ code: "OFF_GRID", context: { row: 3, line: 5, column: "price", value: "8531.25" } });
  });

  it("a line with a missing or an extra field is a bad row by line", async () => {
    const short = withLine(TRADES, "trades-short.csv", 6, (l) => l.split(",").slice(0, 7).join(","));
    expect(await failure(readTardisCsv(short, { instrument: xbt }))).toMatchObject({ code: "BAD_ROW", context: { line: 6, column: "amount", badRows: 1, goodRows: 9 } });
    const long = withLine(TRADES, "trades-long.csv", 6, (l) => `${l},1`);
    const kept = await readTardisCsv(long, { instrument: xbt, onBadRows: "quarantine" });
    expect(kept.length).toBe(9);
    expect(readReportOf(kept)!.issues[0]).toMatchObject({ class: "type-error", count: 1, samples: [{ line: 6, column: "(line)", value: "9 fields, the header has 8" }] });
  });
});

describe("Tardis: a file cut off", () => {
  it("cut inside the last line: TRUNCATED; quarantine keeps the complete lines and reports one truncated issue", async () => {
    const text = readFileSync(L2, "utf8");
    const cutAt = text.lastIndexOf("\n", text.length - 2) + 30; // inside the last line
    const cut = file("l2-cut.csv", text.slice(0, cutAt));
    const error = await failure(readTardisCsv(cut, { instrument: perp }));
    expect(error).toMatchObject({ code: "TRUNCATED", context: { file: cut, line: 16, rowsKept: 14 } });
    expect(error.hint).toContain("--on-bad-rows quarantine");
    const kept = await readTardisCsv(cut, { instrument: perp, onBadRows: "quarantine" });
    const whole = await readTardisCsv(L2, { instrument: perp });
    expect(kept.length).toBe(15); // the Clear and 14 levels
    expect(kept.kind[0]).toBe(EventKind.Clear);
    expect(hashBatch(kept, 0, 14)).toBe(hashBatch(whole, 0, 14));
    expect(readReportOf(kept)!.issues).toEqual([expect.objectContaining({ class: "truncated", count: 1, samples: [expect.objectContaining({ row: 14, line: 16 })] })]);
  });

  it("a last line without its line end counts as cut (Tardis ends every line)", async () => {
    const text = readFileSync(TRADES, "utf8");
    const error = await failure(readTardisCsv(file("trades-no-eol.csv", text.replace(/\n$/, "")), { instrument: xbt }));
    expect(error).toMatchObject({ code: "TRUNCATED", context: { line: 11, rowsKept: 9 } });
  });

  it("a .csv.gz reads like the plain file; cut, it is CORRUPT_GZIP, or its complete lines with quarantine", async () => {
    const gz = gzipSync(readFileSync(SNAP5));
    const whole = await readTardisCsv(SNAP5);
    expect(hashBatch(await readTardisCsv(file("snap5.csv.gz", gz)))).toBe(hashBatch(whole));
    const cut = file("snap5-cut.csv.gz", gz.subarray(0, gz.length - 200));
    expect(await failure(readTardisCsv(cut))).toMatchObject({ code: "CORRUPT_GZIP" });
    const kept = await readTardisCsv(cut, { onBadRows: "quarantine" });
    expect(kept.length % 11).toBe(0); // whole snapshots only (Clear + 10 levels per line)
    expect(kept.length).toBeLessThan(110);
    expect(hashBatch(kept)).toBe(hashBatch(whole, 0, kept.length));
    expect(readReportOf(kept)!.issues[0]).toMatchObject({ class: "truncated", samples: [{ row: kept.length / 11 }] });
  });

  it("an empty file, a directory and a Parquet file under a .csv name are coded errors", async () => {
    expect((await failure(readTardisCsv(file("empty.csv", "")))).code).toBe("EMPTY_FILE");
    expect((await failure(readTardisCsv(dir))).code).toBe("IS_A_DIRECTORY");
    expect((await failure(readTardisCsv(file("par.csv", "PAR1\u0000\u0000garbage")))).code).toBe("WRONG_FORMAT");
  });
});

describe("Tardis quotes and snapshots: one value of a pair missing", () => {
  // quotes: exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount
  it("a quote side with a price but no amount is missing a value; a side with neither is an empty side", async () => {
    const oneEmpty = withLine(QUOTES, "quotes-one.csv", 3, setField(4, ""));
    expect(await failure(readTardisCsv(oneEmpty))).toMatchObject({ code: "MISSING_VALUE", context: { row: 1, line: 3, column: "ask_amount", value: "" } });
    const bothEmpty = await readTardisCsv(withLine(QUOTES, "quotes-both.csv", 3, (l) => setField(5, "")(setField(4, "")(l))));
    expect(bothEmpty.length).toBe(20);
    expect(Number.isNaN(bothEmpty.priceTicks[3]!)).toBe(true);
  });

  // snapshot_5: ...,asks[0].price,asks[0].amount,bids[0].price,bids[0].amount,asks[1].price,...
  it("a snapshot level with an amount but no price is named by its column; an empty level is skipped", async () => {
    const nan = withLine(SNAP5, "snap-nan.csv", 3, setField(8, "NaN"));
    expect(await failure(readTardisCsv(nan))).toMatchObject({ code: "BAD_VALUE", context: { row: 1, line: 3, column: "asks[1].price", value: "NaN" } });
    const empty = withLine(SNAP5, "snap-empty.csv", 3, setField(8, ""));
    const kept = await readTardisCsv(empty, { onBadRows: "quarantine" });
    expect(kept.length).toBe(109);
    expect(readReportOf(kept)!.issues[0]).toMatchObject({ class: "missing-value", count: 1, samples: [{ row: 1, line: 3, column: "asks[1].price" }] });
    const level = await readTardisCsv(withLine(SNAP5, "snap-level.csv", 3, (l) => setField(9, "")(setField(8, "")(l))));
    expect(level.length).toBe(109);
  });
});

// symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu
describe("Binance depth CSV", () => {
  it.each([
    ["NaN price", 6, "NaN", "BAD_VALUE", "price"],
    ["empty qty", 7, "", "MISSING_VALUE", "qty"],
    ["text pu", 8, "abc", "BAD_VALUE", "pu"],
    ["empty last_update_id", 3, "", "BAD_VALUE", "last_update_id"],
    ["unknown update_type", 5, "upd", "BAD_VALUE", "update_type"],
  ])("%s: a bad row named by line and column; quarantine keeps the 99 others", async (name, k, value, code, column) => {
    const bad = withLine(UPDATE, `binance-${name.replace(/\W/g, "_")}.csv`, 10, setField(k, value));
    const error = await failure(readBinanceDepthCsv(bad, { instrument: btc }));
    expect(error).toMatchObject({ code, context: { file: bad, row: 8, line: 10, column, value, badRows: 1 } });
    const kept = await readBinanceDepthCsv(bad, { instrument: btc, onBadRows: "quarantine" });
    expect(kept.length).toBe(99);
    expect(readReportOf(kept)!.quarantine!.batch.length).toBe(1);
  });

  it("cut inside the last line: TRUNCATED, or the 99 complete lines with quarantine", async () => {
    const text = readFileSync(UPDATE, "utf8");
    const cut = file("update-cut.csv", text.slice(0, text.length - 10));
    expect(await failure(readBinanceDepthCsv(cut, { instrument: btc }))).toMatchObject({ code: "TRUNCATED", context: { line: 101, rowsKept: 99 } });
    const kept = await readBinanceDepthCsv(cut, { instrument: btc, onBadRows: "quarantine" });
    expect(kept.length).toBe(99);
    expect(hashBatch(kept, 0, 98)).toBe(hashBatch(await readBinanceDepthCsv(UPDATE, { instrument: btc }), 0, 98));
    expect(readReportOf(kept)!.issues.map((i) => i.class)).toEqual(["truncated"]);
  });

  it("a timestamp too large for nanoseconds is a bad value, not an overflow", async () => {
    const bad = withLine(UPDATE, "binance-ts.csv", 4, setField(1, "99999999999999999"));
    expect(await failure(readBinanceDepthCsv(bad, { instrument: btc }))).toMatchObject({ code: "BAD_VALUE", context: { line: 4, column: "timestamp", value: "99999999999999999" } });
  });
});
