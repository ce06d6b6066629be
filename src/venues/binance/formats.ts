/**
 * Binance's formats in the data layer's registry: `binance-csv` (historical depth CSV) and
 * `binance-raw` (a websocket capture, whose depth diffs become rows only once synchronized with a
 * snapshot: sync.ts), with detection by content (the CSV header, `<local ns> {json}` lines).
 */
import { attachReadReport, clockOffsetsFor, readReportOf, registerDetector, registerFormat, shiftLocalTimes, toShared, type FormatReadOptions, type TickBatch } from "../../data/index.js";
import { splitByExchangeOrder } from "../hftbacktest/index.js";
import { readBinanceDepthCsv } from "./depth-csv.js";
import { readBinanceRaw, type BinanceReadOptions } from "./raw.js";
import { binanceSyncedBatch, syncBinanceDepth } from "./sync.js";

/** A batch in shared memory when asked, still saying what reading skipped or cut. */
function sharedIfAsked(batch: TickBatch, shared: boolean | undefined): TickBatch {
  if (!shared) return batch;
  const copy = toShared(batch);
  const report = readReportOf(batch);
  if (report && !readReportOf(copy)) attachReadReport(copy, report);
  return copy;
}

registerFormat("binance-csv", {
  description: "Binance historical depth CSV (snap/set rows with update ids)",
  read: (path, o) => readBinanceDepthCsv(path, { ...(o.instrument ? { instrument: o.instrument } : {}), ...(o.onBadRows ? { onBadRows: o.onBadRows } : {}), ...(o.shared ? { shared: true } : {}), ...(o.progress ? { progress: o.progress } : {}) }),
});

/** The reader's options out of a `readFile` call's. */
function rawOptions(o: FormatReadOptions): BinanceReadOptions {
  return { ...(o.instrument ? { instrument: o.instrument } : {}), ...(o.progress ? { progress: o.progress } : {}), ...(o.onBadRows ? { onBadRows: o.onBadRows } : {}), ...(o.exchangeTime ? { exchangeTime: o.exchangeTime } : {}) };
}

registerFormat("binance-raw", {
  description: "Binance raw websocket capture (`<local ns> <json>` lines, plain or .gz): depth synchronized with its snapshot, bookTicker, trades",
  read: async (path, o) => {
    const capture = readBinanceRaw(path, rawOptions(o));
    return sharedIfAsked(binanceSyncedBatch(capture), o.shared);
  },
  /**
   * As hftbacktest's Binance converter makes events of a capture: transaction times T (unless
   * `exchangeTime` says otherwise); depth and trades only (it reads no bookTicker, so the clock
   * offset estimated from the rows is the one it sees); every depth line kept, those the snapshot
   * supersedes as rows that do not change the book (the data, and a step grid from its first
   * row, start at the capture's first line); the clock offset applied; rows whose exchange order
   * differs from their receive order split (`splitByExchangeOrder`). docs/fidelity.md.
   */
  compatRead: async (path, o) => {
    const capture = readBinanceRaw(path, { ...rawOptions(o), exchangeTime: o.exchangeTime ?? "transaction" });
    const rows = binanceSyncedBatch(capture, syncBinanceDepth(capture), { bookTicker: false, unapplied: "mark" });
    const shifted = o.clockOffsetNs === undefined ? rows : shiftLocalTimes(rows, clockOffsetsFor(rows, o.clockOffsetNs));
    const split = splitByExchangeOrder(shifted);
    attachReadReport(split, capture.readReport);
    return sharedIfAsked(split, o.shared);
  },
});

const DEPTH_CSV_COLUMNS = ["timestamp", "first_update_id", "last_update_id", "side", "update_type", "price", "qty"];

registerDetector({
  format: "binance-raw",
  signature: "lines of `<local ns> {json}` (also gzip/zstd)",
  order: 50,
  readsCompressed: ["gzip", "zstd"],
  text: ({ lines }) => (/^\d{10,20} [{[]/.test(lines[0] ?? "") ? "lines of `<local ns> {json}` (Binance raw capture)" : undefined),
});

registerDetector({
  format: "binance-csv",
  signature: "header symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu",
  order: 80,
  readsCompressed: ["gzip", "zstd"],
  text: ({ header, lower }) => (DEPTH_CSV_COLUMNS.every((c) => lower.includes(c)) ? `Binance depth CSV header (${header.join(",")})` : undefined),
});
