/**
 * Formats whose rows only make sense after book-level processing register here, above the data
 * layer: a Binance raw capture becomes a TickBatch only once its depth diffs are synchronized
 * with a snapshot (src/book/binance-sync.ts); LOBSTER messages become a stream equal to LOBSTER's
 * own book only with its orderbook file (src/book/lobster-book.ts, lobster-l3.ts).
 */
import { LabError } from "../core/index.js";
import { attachReadReport, readBinanceRaw, readLobster, readReportOf, registerFormat, toShared, type FormatReadOptions, type LobsterData, type TickBatch } from "../data/index.js";
import { binanceSyncedBatch } from "./binance-sync.js";
import { lobsterL2Batch } from "./lobster-book.js";
import { lobsterL3Batch } from "./lobster-l3.js";

/** The stream keeps what the reader counted (rows set aside, rounded times, a cut), by file row. */
function withReadReport(batch: TickBatch, data: LobsterData): TickBatch {
  const report = readReportOf(data.batch);
  if (report) attachReadReport(batch, report);
  return batch;
}

function readLobsterWithBook(path: string, o: FormatReadOptions): LobsterData {
  const data = readLobster({ messages: path, ...(o.instrument ? { instrument: o.instrument } : {}), ...(o.onBadRows ? { onBadRows: o.onBadRows } : {}), ...(o.progress ? { progress: o.progress } : {}) });
  if (!data.orderbook) {
    // A zip cut before its orderbook member (its messages kept under quarantine), or a bare message CSV.
    throw new LabError({ code: "NO_ORDERBOOK", message: `${path} holds no readable orderbook file; the lobster-l3/lobster-l2 formats rebuild LOBSTER's book from it`, hint: 'read the complete LOBSTER zip, or read the messages alone with --format lobster ({ format: "lobster" })', context: { file: path } });
  }
  return data;
}

registerFormat("lobster-l3", {
  description: "LOBSTER zip (messages + orderbook): order by order, reconciled with the orderbook file after every message (lab.book.lobsterL3Batch)",
  read: async (path, o) => {
    const data = readLobsterWithBook(path, o);
    const batch = lobsterL3Batch(data).batch;
    return withReadReport(o.shared ? toShared(batch) : batch, data);
  },
});

registerFormat("lobster-l2", {
  description: "LOBSTER zip (messages + orderbook): price levels equal to the orderbook file (lab.book.lobsterL2Batch)",
  read: async (path, o) => {
    const data = readLobsterWithBook(path, o);
    const batch = lobsterL2Batch(data).batch;
    return withReadReport(o.shared ? toShared(batch) : batch, data);
  },
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
