/**
 * Binance's formats in the data layer's registry: `binance-csv` (historical depth CSV) and
 * `binance-raw` (a websocket capture, whose depth diffs become rows only once synchronized with a
 * snapshot: sync.ts), with detection by content (the CSV header, `<local ns> {json}` lines).
 */
import { attachReadReport, readReportOf, registerDetector, registerFormat, toShared } from "../../data/index.js";
import { readBinanceDepthCsv } from "./depth-csv.js";
import { readBinanceRaw } from "./raw.js";
import { binanceSyncedBatch } from "./sync.js";

registerFormat("binance-csv", {
  description: "Binance historical depth CSV (snap/set rows with update ids)",
  read: (path, o) => readBinanceDepthCsv(path, { ...(o.instrument ? { instrument: o.instrument } : {}), ...(o.onBadRows ? { onBadRows: o.onBadRows } : {}), ...(o.shared ? { shared: true } : {}), ...(o.progress ? { progress: o.progress } : {}) }),
});

registerFormat("binance-raw", {
  description: "Binance raw websocket capture (`<local ns> <json>` lines, plain or .gz): depth synchronized with its snapshot, bookTicker, trades",
  read: async (path, o) => {
    const capture = readBinanceRaw(path, { ...(o.instrument ? { instrument: o.instrument } : {}), ...(o.progress ? { progress: o.progress } : {}), ...(o.onBadRows ? { onBadRows: o.onBadRows } : {}), ...(o.exchangeTime ? { exchangeTime: o.exchangeTime } : {}) });
    const batch = binanceSyncedBatch(capture);
    if (!o.shared) return batch;
    // The copy in shared memory must still say what reading skipped or cut.
    const shared = toShared(batch);
    if (!readReportOf(shared)) attachReadReport(shared, capture.readReport);
    return shared;
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
