/**
 * LOBSTER's formats in the data layer's registry: `lobster` (the messages, as they are), and
 * `lobster-l3` / `lobster-l2`, whose rows only make sense after book-level processing: LOBSTER
 * messages become a stream equal to LOBSTER's own book only with its orderbook file (l3.ts,
 * l2.ts). Detection by content (the zip's member names, message rows); and LOBSTER's L3 book
 * conventions as the `lobster` venue rules (`new L3Book({ venueRules: "lobster" })`).
 */
import { LabError } from "../../core/index.js";
import { registerVenueRules } from "../../book/index.js";
import { attachReadReport, readReportOf, registerDetector, registerFormat, toShared, type FormatReadOptions, type TickBatch } from "../../data/index.js";
import { lobsterL2Batch } from "./l2.js";
import { lobsterL3Batch } from "./l3.js";
import { readLobster, type LobsterData } from "./read.js";

registerFormat("lobster", {
  description: "LOBSTER message file or zip (L3 messages; the orderbook file is read too when present)",
  extensions: ["_message_1.csv", "_message_5.csv", "_message_10.csv"],
  read: async (path, o) => {
    const { batch } = readLobster({ messages: path, orderbook: false, ...(o.instrument ? { instrument: o.instrument } : {}), ...(o.onBadRows ? { onBadRows: o.onBadRows } : {}), ...(o.progress ? { progress: o.progress } : {}) });
    if (!o.shared) return batch;
    // The shared copy must still say what reading set aside or cut.
    const shared = toShared(batch);
    const report = readReportOf(batch);
    if (report) attachReadReport(shared, report);
    return shared;
  },
});

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
  description: "LOBSTER zip (messages + orderbook): order by order, reconciled with the orderbook file after every message (lab.venues.lobster.l3Batch)",
  read: async (path, o) => {
    const data = readLobsterWithBook(path, o);
    const batch = lobsterL3Batch(data).batch;
    return withReadReport(o.shared ? toShared(batch) : batch, data);
  },
});

registerFormat("lobster-l2", {
  description: "LOBSTER zip (messages + orderbook): price levels equal to the orderbook file (lab.venues.lobster.l2Batch)",
  read: async (path, o) => {
    const data = readLobsterWithBook(path, o);
    const batch = lobsterL2Batch(data).batch;
    return withReadReport(o.shared ? toShared(batch) : batch, data);
  },
});

const MEMBER = /_(message|orderbook)_\d+\.csv$/i;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A LOBSTER message row: time (s after midnight), type 1-7, order id, size, price, direction ±1. */
function isMessageRow(line: string): boolean {
  const f = line.split(",");
  if (f.length !== 6 || !f.every((x) => NUMBER.test(x.trim()))) return false;
  const [time, type, , , , direction] = f.map(Number) as [number, number, number, number, number, number];
  return time >= 0 && time <= 86_400 && Number.isInteger(type) && type >= 1 && type <= 7 && (direction === 1 || direction === -1);
}

/** A LOBSTER orderbook row: 4 x levels integers (ask price, ask size, bid price, bid size per level). */
function isOrderbookRow(line: string): boolean {
  const f = line.split(",");
  return f.length >= 4 && f.length % 4 === 0 && f.every((x) => /^-?\d+$/.test(x.trim()));
}

registerDetector({
  format: "lobster",
  signature: "a zip with *_message_*.csv, or rows of 6 numbers starting with seconds after midnight (34200.0123,...)",
  order: 40,
  readsCompressed: ["gzip", "zstd"],
  zip: (members) => (members.some((n) => MEMBER.test(n)) ? `a zip holding LOBSTER files (${members.filter((n) => MEMBER.test(n)).join(", ")})` : undefined),
  zipLabel: "LOBSTER",
  text: ({ rows }) => (rows.length > 0 && rows.every(isMessageRow) ? `LOBSTER message rows (${rows[0]})` : undefined),
  describeUnmatched: ({ rows }) =>
    rows.length > 0 && rows.every(isOrderbookRow)
      ? "rows of 4 x levels integers without a header, like a LOBSTER orderbook file, which is read together with its message file (the LOBSTER zip, or readLobster({ messages, orderbook }))"
      : undefined,
});

/**
 * NASDAQ via LOBSTER: there are no in-place modifies in the data (a replace is a delete plus a new
 * order), so any modify loses priority; cancels/executions of orders submitted before the file
 * window are unknown ids: counted, not fatal, and their size is taken from anonymous liquidity
 * seeded from the first order book row (`addAnonymous`).
 */
registerVenueRules("lobster", { sizeIncreaseLosesPriority: true, sizeDecreaseLosesPriority: true, modifyUnknownAddsOrder: false, unknownIdTakesAnonymous: true });
