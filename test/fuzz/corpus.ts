/**
 * The seeded corpus of damaged files for the reader fuzz suite: small real samples of every
 * bundled format, each with one defect at a time (truncation at several offsets, byte flips,
 * zero length, junk, a wrong format, value defects, schema defects, a huge claimed length).
 * Each case says what outcome is allowed (see `Expect`); the test checks it.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { strToU8, unzipSync, zipSync } from "fflate";
import { rng, type Rng } from "../../src/core/index.js";
import { generateTicks, writeTable, type TickBatch } from "../../src/data/index.js";
import { ROOT } from "../helpers/paths.js";

/**
 * Allowed outcomes:
 * - "error": a LabError;
 * - "reported": a LabError, or a batch whose reports carry more of some issue class than the
 *   intact sample's (the defect was counted, not swallowed);
 * - "truncated": a LabError, or a batch with a `truncated` issue and no more rows than the intact file;
 * - "same": a batch with exactly the intact file's row count and issues (a harmless variant);
 * - "any": a LabError or a batch (byte flips may land on a digit and make other valid data);
 *   still never a crash, a hang or a runaway allocation.
 */
export type Expect = "error" | "reported" | "truncated" | "same" | "any";

export interface FuzzCase {
  id: string;
  sample: string;
  format: string;
  defect: string;
  /** 1 defect class per row of the docs' outcome table. */
  defectClass: string;
  path: string;
  policy: "reject" | "quarantine";
  expect: Expect;
  instrument?: { symbol: string; venue: string; tickSize: string; lotSize?: string };
  bytes: number;
}

interface Sample {
  name: string;
  format: string;
  /** File name (some readers take the date or kind from it). */
  fileName: string;
  bytes: Uint8Array;
  instrument?: FuzzCase["instrument"];
  /** How the sample's content is laid out, for the value defects. */
  layout: "lobster-csv" | "lobster-zip" | "binance-raw-gz" | "csv-header" | "dbn" | "parquet" | "arrow";
  /** Columns of a header CSV to damage. */
  priceColumn?: string;
  sizeColumn?: string;
  timeColumn?: string;
}

const text = (b: Uint8Array): string => Buffer.from(b).toString("utf8");
const bytesOf = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "utf8"));

/** First `rows` rows of the LOBSTER GOOG level-5 day (messages and the orderbook). */
function lobsterParts(rows: number): { messages: string; orderbook: string } {
  const zip = unzipSync(readFileSync(join(ROOT, "data", "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip")));
  const pick = (part: string): string => {
    const name = Object.keys(zip).find((n) => n.includes(`_${part}_`) && n.endsWith(".csv"))!;
    return text(zip[name]!).split("\n").slice(0, rows).join("\n") + "\n";
  };
  return { messages: pick("message"), orderbook: pick("orderbook") };
}

export async function buildSamples(dir: string): Promise<Sample[]> {
  const samples: Sample[] = [];
  const lob = lobsterParts(3000);
  samples.push({ name: "lobster-messages", format: "lobster", fileName: "GOOG_2012-06-21_34200000_57600000_message_5.csv", bytes: bytesOf(lob.messages), layout: "lobster-csv" });
  samples.push({
    name: "lobster-zip",
    format: "lobster-l3",
    fileName: "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip",
    bytes: zipSync({ "GOOG_2012-06-21_34200000_57600000_message_5.csv": strToU8(lob.messages), "GOOG_2012-06-21_34200000_57600000_orderbook_5.csv": strToU8(lob.orderbook) }),
    layout: "lobster-zip",
  });
  const capture = text(gunzipSync(readFileSync(join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz")))).split("\n").slice(0, 1500).join("\n") + "\n";
  samples.push({ name: "binance-raw", format: "binance-raw", fileName: "usdm_futures_btcusdt_20240808.gz", bytes: new Uint8Array(gzipSync(capture)), layout: "binance-raw-gz" });
  samples.push({ name: "binance-csv", format: "binance-csv", fileName: "btcusdt-depth-update.csv", bytes: readFileSync(join(ROOT, "data", "binance-futures-depth-csv-samples", "btcusdt-depth-update.csv")), layout: "csv-header", priceColumn: "price", sizeColumn: "qty", timeColumn: "timestamp" });
  samples.push({ name: "tardis-l2", format: "tardis", fileName: "deribit_incremental_book_L2_BTC-PERPETUAL.csv", bytes: readFileSync(join(ROOT, "data", "tardis-csv-samples", "deribit_incremental_book_L2_BTC-PERPETUAL.csv")), layout: "csv-header", priceColumn: "price", sizeColumn: "amount", timeColumn: "timestamp" });
  samples.push({ name: "tardis-trades", format: "tardis", fileName: "bitmex_trades_XBTUSD.csv", bytes: readFileSync(join(ROOT, "data", "tardis-csv-samples", "bitmex_trades_XBTUSD.csv")), layout: "csv-header", priceColumn: "price", sizeColumn: "amount", timeColumn: "timestamp" });
  const es = { symbol: "ESU4", venue: "GLBX", tickSize: "0.25" };
  samples.push({ name: "dbn-zst", format: "dbn", fileName: "esu4-futures_mbp-1.dbn.zst", bytes: readFileSync(join(ROOT, "data", "databento", "esu4-futures_mbp-1_2024-07-01T23-58_2024-07-02T00-02.dbn.zst")), instrument: es, layout: "dbn" });
  samples.push({ name: "dbn-plain", format: "dbn", fileName: "test_data.mbo.v3.dbn", bytes: readFileSync(join(ROOT, "data", "databento", "test_data.mbo.v3.dbn")), instrument: { symbol: "ESH1", venue: "GLBX", tickSize: "0.25" }, layout: "dbn" });

  const generated = generateTicks({ events: 1500, seed: 11, mode: "l2" });
  for (const [format, ext] of [["csv", "csv"], ["parquet", "parquet"], ["arrow", "arrow"]] as const) {
    const path = join(dir, `generated.${ext}`);
    await writeTable(generated, path);
    samples.push({ name: `normalized-${format}`, format, fileName: `generated.${ext}`, bytes: readFileSync(path), layout: format === "csv" ? "csv-header" : format, ...(format === "csv" ? { priceColumn: "price", sizeColumn: "qty", timeColumn: "exchTs" } : {}) });
  }
  return samples;
}

/** A CSV with a header, as rows of fields (no quoting in these samples). */
function csvRows(s: string): string[][] {
  return s.replace(/\n$/, "").split("\n").map((l) => l.split(","));
}
const csvText = (rows: string[][]): string => rows.map((r) => r.join(",")).join("\n") + "\n";

/** An offset inside a line (never right after a newline), so a text file is really cut mid-row. */
function insideLine(bytes: Uint8Array, fraction: number): number {
  let at = Math.max(1, Math.min(bytes.length - 2, Math.floor(bytes.length * fraction)));
  while (at < bytes.length - 1 && (bytes[at - 1] === 10 || bytes[at] === 10)) at++;
  return at;
}

function flip(bytes: Uint8Array, r: Rng, count: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let k = 0; k < count; k++) out[r.int(out.length)]! ^= 1 + r.int(255);
  return out;
}

/** Value defects for a header CSV: each replaces one cell (or row) in the middle of the file. */
function csvValueDefects(sample: Sample): { defect: string; defectClass: string; content: string; expect: Expect }[] {
  const rows = csvRows(text(sample.bytes));
  const header = rows[0]!;
  const mid = Math.max(1, Math.floor(rows.length / 2));
  const col = (name: string | undefined): number => (name === undefined ? -1 : header.indexOf(name));
  const price = col(sample.priceColumn);
  const size = col(sample.sizeColumn);
  const time = col(sample.timeColumn);
  const withCell = (c: number, value: string): string => {
    const copy = rows.map((r) => [...r]);
    copy[mid]![c] = value;
    return csvText(copy);
  };
  const out: { defect: string; defectClass: string; content: string; expect: Expect }[] = [];
  if (price >= 0) {
    out.push({ defect: "price abc", defectClass: "non-numeric price", content: withCell(price, "12ab"), expect: "reported" });
    out.push({ defect: "price NaN", defectClass: "NaN", content: withCell(price, "NaN"), expect: "reported" });
    out.push({ defect: "price 1e400", defectClass: "1e400", content: withCell(price, "1e400"), expect: "reported" });
    out.push({ defect: "price empty", defectClass: "empty value", content: withCell(price, ""), expect: "reported" });
  }
  if (size >= 0) out.push({ defect: "size -5", defectClass: "negative size", content: withCell(size, "-5"), expect: "reported" });
  if (time >= 0 && rows.length > 4) {
    // A row moved far back in time: earlier than the first row.
    const first = rows[1]![time]!;
    const earlier = /^\d+$/.test(first) ? String(BigInt(first) - 1_000_000n) : first;
    out.push({ defect: "time back", defectClass: "out-of-order times", content: withCell(time, earlier), expect: "reported" });
  }
  {
    const copy = rows.map((r) => [...r]);
    copy.splice(mid, 0, [...copy[mid]!], [...copy[mid]!]);
    out.push({ defect: "row x3", defectClass: "duplicate rows", content: csvText(copy), expect: "reported" });
  }
  {
    const copy = rows.map((r) => r.filter((_, c) => c !== (price >= 0 ? price : 0)));
    out.push({ defect: "price column dropped", defectClass: "missing column", content: csvText(copy), expect: "error" });
  }
  {
    const copy = rows.map((r, i) => [...r, i === 0 ? "extra_note" : `n${i}`]);
    out.push({ defect: "extra column", defectClass: "extra column", content: csvText(copy), expect: "same" });
  }
  return out;
}

/** Value defects for LOBSTER messages (time,type,order_id,size,price,direction; no header). */
function lobsterValueDefects(messages: string): { defect: string; defectClass: string; content: string; expect: Expect }[] {
  const rows = csvRows(messages);
  const mid = Math.floor(rows.length / 2);
  const withCell = (c: number, value: string): string => {
    const copy = rows.map((r) => [...r]);
    copy[mid]![c] = value;
    return csvText(copy);
  };
  const copyWith = (edit: (rows: string[][]) => void): string => {
    const copy = rows.map((r) => [...r]);
    edit(copy);
    return csvText(copy);
  };
  return [
    { defect: "price abc", defectClass: "non-numeric price", content: withCell(4, "58x"), expect: "reported" },
    { defect: "price NaN", defectClass: "NaN", content: withCell(4, "NaN"), expect: "reported" },
    { defect: "price 1e400", defectClass: "1e400", content: withCell(4, "1e400"), expect: "reported" },
    { defect: "size empty", defectClass: "empty value", content: withCell(3, ""), expect: "reported" },
    { defect: "size -5", defectClass: "negative size", content: withCell(3, "-5"), expect: "reported" },
    { defect: "order id abc", defectClass: "non-numeric id", content: withCell(2, "x17"), expect: "reported" },
    { defect: "time back", defectClass: "out-of-order times", content: withCell(0, "34000.5"), expect: "reported" },
    { defect: "row x3", defectClass: "duplicate rows", content: copyWith((c) => c.splice(mid, 0, [...c[mid]!], [...c[mid]!])), expect: "reported" },
    { defect: "field missing", defectClass: "missing column", content: copyWith((c) => c[mid]!.pop()), expect: "reported" },
    { defect: "extra field", defectClass: "extra column", content: copyWith((c) => c[mid]!.push("7")), expect: "reported" },
  ];
}

/** Value defects for a Binance capture (`<ns> <json>` lines). */
function binanceValueDefects(capture: string): { defect: string; defectClass: string; content: string; expect: Expect }[] {
  const lines = capture.replace(/\n$/, "").split("\n");
  const tradeAt = lines.findIndex((l, i) => i > 100 && l.includes('"e":"trade"'));
  const edit = (fn: (l: string[]) => void): string => {
    const copy = [...lines];
    fn(copy);
    return copy.join("\n") + "\n";
  };
  return [
    { defect: "invalid JSON line", defectClass: "invalid JSON", content: edit((l) => (l[tradeAt] = l[tradeAt]!.slice(0, -7))), expect: "reported" },
    { defect: "timestamp abc", defectClass: "non-numeric time", content: edit((l) => (l[tradeAt] = "17x3" + l[tradeAt]!.slice(l[tradeAt]!.indexOf(" ")))), expect: "reported" },
    { defect: "unknown message type", defectClass: "unknown message", content: edit((l) => (l[tradeAt] = l[tradeAt]!.replace('"e":"trade"', '"e":"tradeX"'))), expect: "reported" },
    { defect: "price 1e400", defectClass: "1e400", content: edit((l) => (l[tradeAt] = l[tradeAt]!.replace(/"p":"[^"]+"/, '"p":"1e400"'))), expect: "reported" },
    { defect: "price NaN", defectClass: "NaN", content: edit((l) => (l[tradeAt] = l[tradeAt]!.replace(/"p":"[^"]+"/, '"p":"NaN"'))), expect: "reported" },
    { defect: "price abc", defectClass: "non-numeric price", content: edit((l) => (l[tradeAt] = l[tradeAt]!.replace(/"p":"[^"]+"/, '"p":"6x"'))), expect: "reported" },
    { defect: "size -5", defectClass: "negative size", content: edit((l) => (l[tradeAt] = l[tradeAt]!.replace(/"q":"[^"]+"/, '"q":"-5"'))), expect: "reported" },
  ];
}

/** Normalized Parquet/Arrow with a value defect written into the columns. */
function batchDefects(): { defect: string; defectClass: string; edit: (b: TickBatch) => void; expect: Expect }[] {
  const mid = 700;
  return [
    { defect: "price NaN", defectClass: "NaN", edit: (b) => ((b.priceTicks as Float64Array)[mid] = NaN), expect: "reported" },
    { defect: "price Infinity", defectClass: "1e400", edit: (b) => ((b.priceTicks as Float64Array)[mid] = Infinity), expect: "reported" },
    { defect: "size -5", defectClass: "negative size", edit: (b) => ((b.qtyLots as Float64Array)[mid] = -5), expect: "reported" },
    { defect: "time back", defectClass: "out-of-order times", edit: (b) => ((b.exchTs as BigInt64Array)[mid] = b.exchTs[0]! - 1_000_000n), expect: "reported" },
    { defect: "kind 99", defectClass: "unknown kind", edit: (b) => ((b.kind as Uint8Array)[mid] = 99), expect: "reported" },
  ];
}

export async function buildCases(dir: string, seed: number): Promise<{ cases: FuzzCase[]; intact: FuzzCase[] }> {
  const r = rng(seed);
  const samples = await buildSamples(dir);
  const cases: FuzzCase[] = [];
  const intact: FuzzCase[] = [];
  let n = 0;
  const add = (sample: Sample, defect: string, defectClass: string, bytes: Uint8Array, expect: Expect | { reject: Expect; quarantine: Expect }, format = sample.format, list = cases): void => {
    const caseDir = join(dir, `c${n++}`);
    mkdirSync(caseDir, { recursive: true });
    const path = join(caseDir, sample.fileName);
    writeFileSync(path, bytes);
    for (const policy of ["reject", "quarantine"] as const) {
      const e = typeof expect === "string" ? expect : expect[policy];
      list.push({ id: `${sample.name} / ${defect} / ${policy}`, sample: sample.name, format, defect, defectClass, path, policy, expect: e, bytes: bytes.length, ...(sample.instrument ? { instrument: sample.instrument } : {}) });
    }
  };
  const lobsterZipWith = (messages: string): Uint8Array => {
    const lob = lobsterParts(3000);
    return zipSync({ "GOOG_2012-06-21_34200000_57600000_message_5.csv": strToU8(messages), "GOOG_2012-06-21_34200000_57600000_orderbook_5.csv": strToU8(lob.orderbook) });
  };
  const binary = (s: Sample): boolean => s.layout === "dbn" || s.layout === "parquet" || s.layout === "arrow" || s.layout === "lobster-zip" || s.layout === "binance-raw-gz";

  for (const sample of samples) {
    add(sample, "intact", "intact", sample.bytes, "any", sample.format, intact);
    // Truncation at several offsets (inside a line for text files).
    for (const fraction of [0.1, 0.5, 0.93]) {
      const at = binary(sample) ? Math.floor(sample.bytes.length * fraction) : insideLine(sample.bytes, fraction);
      add(sample, `cut at ${Math.round(fraction * 100)}%`, binary(sample) && sample.layout !== "parquet" && sample.layout !== "arrow" ? "compressed stream cut" : "truncation", sample.bytes.subarray(0, at), { reject: "error", quarantine: "truncated" });
    }
    for (const count of [1, 16]) add(sample, `${count} byte flip${count > 1 ? "s" : ""} (seeded)`, "byte flips", flip(sample.bytes, r, count), "any");
    add(sample, "zero length", "zero-length file", new Uint8Array(0), "error");
    const junk = new Uint8Array(2048);
    for (let i = 0; i < junk.length; i++) junk[i] = r.int(256);
    add(sample, "binary junk", "binary junk", junk, { reject: "error", quarantine: "reported" });
    const wrong = sample.format === "parquet" ? "csv" : sample.format === "dbn" ? "parquet" : sample.format === "binance-raw" ? "tardis" : sample.format === "lobster" || sample.format === "lobster-l3" ? "binance-raw" : "dbn";
    add(sample, `read as ${wrong}`, "wrong format", sample.bytes, { reject: "error", quarantine: "reported" }, wrong);

    if (sample.layout === "csv-header") for (const d of csvValueDefects(sample)) add(sample, d.defect, d.defectClass, bytesOf(d.content), d.expect);
    if (sample.layout === "lobster-csv") for (const d of lobsterValueDefects(text(sample.bytes))) add(sample, d.defect, d.defectClass, bytesOf(d.content), d.expect);
    if (sample.layout === "lobster-zip") {
      const d = lobsterValueDefects(lobsterParts(3000).messages)[0]!;
      add(sample, `member: ${d.defect}`, d.defectClass, lobsterZipWith(d.content), d.expect);
    }
    if (sample.layout === "binance-raw-gz") {
      const capture = text(gunzipSync(sample.bytes));
      for (const d of binanceValueDefects(capture)) add(sample, d.defect, d.defectClass, new Uint8Array(gzipSync(d.content)), d.expect);
      add(sample, "plain capture cut inside a line", "truncation", bytesOf(capture).subarray(0, insideLine(bytesOf(capture), 0.6)), { reject: "error", quarantine: "truncated" });
    }
    if (sample.layout === "parquet" || sample.layout === "arrow") {
      for (const d of batchDefects()) {
        const batch = generateTicks({ events: 1500, seed: 11, mode: "l2" });
        d.edit(batch);
        const path = join(dir, `defect-${n}.${sample.layout}`);
        await writeTable(batch, path);
        add(sample, d.defect, d.defectClass, readFileSync(path), d.expect);
      }
    }
    if (sample.layout === "parquet") {
      // A Parquet file with unrelated columns, and one whose priceTicks is text.
      const { DuckDBInstance } = await import("@duckdb/node-api");
      const db = await DuckDBInstance.create(":memory:");
      const con = await db.connect();
      const wrongSchema = join(dir, "wrong-schema.parquet");
      await con.run(`COPY (SELECT range AS a, 'x' || range AS b FROM range(100)) TO '${wrongSchema}' (FORMAT parquet)`);
      add(sample, "unrelated schema", "wrong schema", readFileSync(wrongSchema), "error");
      const textPrice = join(dir, "text-price.parquet");
      const original = join(dir, `generated.parquet`);
      await con.run(`COPY (SELECT * REPLACE (CAST(priceTicks AS VARCHAR) || 'x' AS priceTicks) FROM read_parquet('${original}')) TO '${textPrice}' (FORMAT parquet)`);
      add(sample, "priceTicks as text", "wrong schema", readFileSync(textPrice), { reject: "error", quarantine: "reported" });
      con.closeSync();
      // A footer that claims a huge metadata length.
      const huge = new Uint8Array(sample.bytes);
      new DataView(huge.buffer).setUint32(huge.length - 8, 0x7fffffff, true);
      add(sample, "footer claims 2 GB of metadata", "huge claimed length", huge, "error");
    }
    if (sample.layout === "dbn") {
      // The metadata length field (bytes 4-7 after "DBN" + version) claims ~4 GB; only for plain DBN.
      if (sample.fileName.endsWith(".dbn")) {
        const huge = new Uint8Array(sample.bytes);
        new DataView(huge.buffer).setUint32(4, 0xfffffff0, true);
        add(sample, "header claims 4 GB of metadata", "huge claimed length", huge, "error");
      }
    }
  }
  return { cases, intact };
}

export const sampleNameOf = (path: string): string => basename(path);
