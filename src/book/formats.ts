/**
 * Formats whose rows only make sense after book-level processing register here, above the data
 * layer: a Binance raw capture becomes a TickBatch only once its depth diffs are synchronized
 * with a snapshot (src/book/binance-sync.ts).
 */
import { readBinanceRaw, registerFormat, toShared } from "../data/index.js";
import { binanceSyncedBatch } from "./binance-sync.js";

registerFormat("binance-raw", {
  description: "Binance raw websocket capture (`<local ns> <json>` lines, plain or .gz): depth synchronized with its snapshot, bookTicker, trades",
  read: async (path, o) => {
    const capture = readBinanceRaw(path, { ...(o.instrument ? { instrument: o.instrument } : {}), ...(o.progress ? { progress: o.progress } : {}) });
    const batch = binanceSyncedBatch(capture);
    return o.shared ? toShared(batch) : batch;
  },
});
