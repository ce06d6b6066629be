/**
 * LOBSTER limit-order-book data (lobsterdata.com): a message file (time, type, order id, size,
 * price, direction) and an orderbook file (the top L levels after every message), as CSVs or in
 * LOBSTER's zip.
 *
 * Mapping into TickBatch rows (aux = the LOBSTER event type 1-6; for halts the halt/resume code):
 * | type | meaning | kind | notes |
 * | 1 | new limit order | Add | |
 * | 2 | partial cancel | Reduce | qty = size removed |
 * | 3 | full delete | Delete | qty = size removed |
 * | 4 | visible execution | Execute | side = the RESTING order's side (the aggressor is the other side) |
 * | 5 | hidden execution | Execute + Hidden | order id 0 -> NaN; the visible book is unchanged; a midpoint price between ticks keeps its exact fractional tick count and gets OffGrid |
 * | 6 | cross trade | Trade + Cross | auction print |
 * | 7 | trading halt | Halt | aux = LOBSTER's price field (the halt/resume code, as TickBatch defines aux for Halt): -1 halt, 0 quoting resumes, 1 trading resumes; qtyLots NaN |
 *
 * Times are seconds after midnight, New York time, with up to 9 decimals: the fraction is read as
 * text and right-padded to 9 digits (never through a float of seconds), then the session date's
 * midnight in New York (UTC offset from the time-zone database for that date) is added, giving
 * exact UTC ns. LOBSTER has no receive time: localTs = exchTs.
 * Prices are dollars x 10000; with the default tick of 0.01 a price p is p / 100 ticks, exactly.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { unzipSync } from "fflate";
import { InstrumentSpec, LabError, NS_PER_SECOND, parseIso, Progress, type ProgressSink } from "../core/index.js";
import { EventFlag, EventKind, allocateColumns, tickBatch, type TickBatch } from "./tick-batch.js";

export interface LobsterOrderbook {
  levels: number;
  rows: number;
  /** Row-major: value of level k (0-based) in row r is at [r * levels + k]. Prices in ticks, NaN = empty level. */
  askPrice: Float64Array;
  askSize: Float64Array;
  bidPrice: Float64Array;
  bidSize: Float64Array;
}

export interface LobsterData {
  /** The messages as L3 rows (see module comment). */
  batch: TickBatch;
  orderbook?: LobsterOrderbook;
  date: string;
  symbol: string;
  counts: Record<"add" | "partialCancel" | "delete" | "execute" | "hiddenExecute" | "cross" | "halt", number>;
}

export interface LobsterReadOptions {
  /** Message CSV, or a LOBSTER zip holding it (and the orderbook). */
  messages: string;
  /** Orderbook CSV or zip; default: the orderbook inside the messages zip, if any. Pass false to skip. */
  orderbook?: string | false;
  /** Session date YYYY-MM-DD; default: from the file name (TICKER_YYYY-MM-DD_...). */
  date?: string;
  /** Default: from the file name. */
  symbol?: string;
  /** IANA time zone of the timestamps. @default "America/New_York" */
  timeZone?: string;
  /** Default: the symbol on NASDAQ with tick 0.01, lot 1. */
  instrument?: InstrumentSpec;
  progress?: ProgressSink;
}

const NAME_RE = /([A-Za-z.]+)_(\d{4}-\d{2}-\d{2})_\d+_\d+_(message|orderbook)_(\d+)\.csv$/;

function lobsterError(code: string, message: string, file: string, hint: string, row?: number, column?: string): LabError {
  const context: Record<string, unknown> = { file };
  if (row !== undefined) context.row = row;
  if (column !== undefined) context.column = column;
  return new LabError({ code, message, hint, context });
}

/** Reads `name` (a CSV or a zip) and returns the CSV bytes of the wanted part. */
function loadPart(path: string, part: "message" | "orderbook"): { bytes: Uint8Array; name: string } | undefined {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw lobsterError("FILE_NOT_FOUND", `cannot read ${path}: ${(error as Error).message}`, path, "check the path to the LOBSTER message/orderbook file or zip");
  }
  const isZip = bytes.length > 4 && bytes[0] === 0x50 && bytes[1] === 0x4b;
  if (!isZip) return { bytes, name: basename(path) };
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => f.name.includes(`_${part}_`) && f.name.endsWith(".csv") });
  } catch (error) {
    throw lobsterError("CORRUPT_ZIP", `${path}: zip archive is damaged (${(error as Error).message})`, path, "re-download the LOBSTER zip");
  }
  const names = Object.keys(files);
  if (names.length === 0) return undefined;
  const name = names[0]!;
  return { bytes: files[name]!, name };
}

/** Offset of `timeZone` from UTC in minutes at the instant `utcMs` (e.g. -240 for New York in June). */
export function timeZoneOffsetMinutes(timeZone: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((asUtc - utcMs) / 60_000);
}

/** UTC ns of local midnight of `date` in `timeZone` (offset taken at local noon, away from DST switches). */
function localMidnightNs(date: string, timeZone: string): bigint {
  const utcMidnight = parseIso(date);
  const offset = timeZoneOffsetMinutes(timeZone, Number(utcMidnight / 1_000_000n) + 12 * 3_600_000);
  return utcMidnight - BigInt(offset) * 60n * NS_PER_SECOND;
}

/** Reads LOBSTER messages (and the orderbook when present) exactly. */
export function readLobster(options: LobsterReadOptions): LobsterData {
  const messagePart = loadPart(options.messages, "message");
  if (!messagePart) throw lobsterError("NO_MESSAGE_FILE", `${options.messages}: no *_message_*.csv inside the zip`, options.messages, "pass the LOBSTER zip or the message CSV itself");
  const nameMatch = NAME_RE.exec(messagePart.name);
  const date = options.date ?? nameMatch?.[2];
  const symbol = options.symbol ?? nameMatch?.[1] ?? "UNKNOWN";
  if (!date) {
    throw lobsterError("NO_DATE", `cannot tell the session date of ${messagePart.name}`, options.messages, 'pass { date: "YYYY-MM-DD" } (LOBSTER names files TICKER_YYYY-MM-DD_start_end_message_L.csv)');
  }
  const instrument = options.instrument ?? new InstrumentSpec({ symbol, venue: "NASDAQ", tickSize: "0.01", lotSize: "1" });
  // LOBSTER prices are integers in 1/10000 dollar; one tick is tickUnits of them.
  const tickUnits = Number(instrument.tickSize) * 10_000;
  if (!Number.isInteger(tickUnits) || tickUnits <= 0) {
    throw lobsterError("BAD_INSTRUMENT", `tick size ${instrument.tickSize} is not a whole number of 1/10000 dollars`, options.messages, "use a tick size such as 0.01 or 0.0001");
  }
  const midnight = localMidnightNs(date, options.timeZone ?? "America/New_York");
  const file = options.messages;

  const text = Buffer.from(messagePart.bytes.buffer, messagePart.bytes.byteOffset, messagePart.bytes.byteLength).toString("latin1");
  let rows = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) rows++;
  if (text.length > 0 && text.charCodeAt(text.length - 1) !== 10) rows++;
  const cols = allocateColumns(rows);
  const counts = { add: 0, partialCancel: 0, delete: 0, execute: 0, hiddenExecute: 0, cross: 0, halt: 0 };
  const progress = new Progress("lobster", options.progress, { total: rows, unit: "rows" });
  let pos = 0;
  let r = 0;
  let previousNs = -1;
  while (pos < text.length && r < rows) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end).replace(/\r$/, "");
    pos = end + 1;
    if (line === "") continue;
    const rowNumber = r + 1;
    const f = line.split(",");
    if (f.length < 6) throw lobsterError("BAD_ROW", `${file}: row ${rowNumber} has ${f.length} fields, a LOBSTER message has 6 (time,type,order_id,size,price,direction)`, file, "check that this is a LOBSTER message file", rowNumber);
    const [timeText = "", typeText = "", idText = "", sizeText = "", priceText = "", dirText = ""] = f;
    const dot = timeText.indexOf(".");
    const wholeText = dot < 0 ? timeText : timeText.slice(0, dot);
    const fracText = dot < 0 ? "" : timeText.slice(dot + 1);
    if (!/^\d+$/.test(wholeText) || !/^\d{0,9}$/.test(fracText)) {
      throw lobsterError("BAD_TIME", `${file}: row ${rowNumber}, column time: "${timeText}" is not seconds after midnight with at most 9 decimals`, file, "LOBSTER times look like 34200.015105074", rowNumber, "time");
    }
    // Seconds of a day in ns stay below 2^53, so this sum is exact in a float64.
    const nsOfDay = Number(wholeText) * 1e9 + Number(fracText.padEnd(9, "0"));
    if (nsOfDay < previousNs) {
      throw lobsterError("TIME_NOT_MONOTONIC", `${file}: row ${rowNumber}, column time: ${timeText} is earlier than the previous row`, file, "LOBSTER message files are time-ordered; the file may be damaged or concatenated", rowNumber, "time");
    }
    previousNs = nsOfDay;
    const type = Number(typeText);
    const size = Number(sizeText);
    const price = Number(priceText);
    const direction = Number(dirText);
    const orderId = Number(idText);
    if (!Number.isInteger(type) || type < 1 || type > 7 || !Number.isFinite(size) || !Number.isFinite(price) || !Number.isFinite(orderId)) {
      const column = !Number.isInteger(type) || type < 1 || type > 7 ? "type" : !Number.isFinite(size) ? "size" : !Number.isFinite(price) ? "price" : "order_id";
      throw lobsterError("BAD_VALUE", `${file}: row ${rowNumber}, column ${column}: "${line}" has an invalid ${column}`, file, "types are 1-7; sizes, prices and ids are integers", rowNumber, column);
    }
    const ts = midnight + BigInt(nsOfDay);
    cols.exchTs[r] = ts;
    cols.localTs[r] = ts;
    cols.aux[r] = type;
    cols.side[r] = direction === 1 ? 1 : direction === -1 ? -1 : 0;
    if (type === 7) {
      cols.kind[r] = EventKind.Halt;
      cols.aux[r] = price; // -1 halt, 0 quoting resumes, 1 trading resumes
      cols.side[r] = 0;
    } else {
      const ticks = price / tickUnits;
      // Hidden (midpoint) executions and crosses may print between ticks; they do not touch the
      // visible book, so keep the exact fractional tick count and flag it instead of rejecting.
      if (!Number.isInteger(ticks) && (type === 5 || type === 6)) cols.flags[r] = EventFlag.OffGrid;
      else if (!Number.isInteger(ticks)) {
        throw lobsterError("OFF_TICK", `${file}: row ${rowNumber}, column price: ${price} (x10000) is not a multiple of tick ${instrument.tickSize}`, file, "pass an instrument with the right tick size", rowNumber, "price");
      }
      cols.priceTicks[r] = ticks;
      cols.qtyLots[r] = size;
      cols.orderId[r] = orderId === 0 ? NaN : orderId;
      switch (type) {
        case 1: cols.kind[r] = EventKind.Add; counts.add++; break;
        case 2: cols.kind[r] = EventKind.Reduce; counts.partialCancel++; break;
        case 3: cols.kind[r] = EventKind.Delete; counts.delete++; break;
        case 4: cols.kind[r] = EventKind.Execute; counts.execute++; break;
        case 5: cols.kind[r] = EventKind.Execute; cols.flags[r] = cols.flags[r]! | EventFlag.Hidden; counts.hiddenExecute++; break;
        case 6: cols.kind[r] = EventKind.Trade; cols.flags[r] = cols.flags[r]! | EventFlag.Cross; counts.cross++; break;
      }
    }
    if (type === 7) counts.halt++;
    r++;
    if ((r & 16383) === 0) progress.update(r);
  }
  progress.finish();
  const trimmed = r === rows ? cols : (Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, (v as Float64Array).slice(0, r)])) as unknown as typeof cols);
  const batch = tickBatch(trimmed, [instrument], file);

  let orderbook: LobsterOrderbook | undefined;
  if (options.orderbook !== false) {
    const bookPart = options.orderbook ? loadPart(options.orderbook, "orderbook") : loadPart(options.messages, "orderbook");
    if (options.orderbook && !bookPart) throw lobsterError("NO_ORDERBOOK_FILE", `${options.orderbook}: no *_orderbook_*.csv inside the zip`, options.orderbook, "pass the LOBSTER zip or the orderbook CSV itself");
    if (bookPart) orderbook = parseOrderbook(bookPart.bytes, options.orderbook || options.messages, tickUnits, r);
  }
  const data: LobsterData = { batch, date, symbol, counts };
  if (orderbook) data.orderbook = orderbook;
  return data;
}

const DUMMY_ASK = 9999999999;

/**
 * Parses the orderbook CSV straight from bytes: 40 integers per row over ~150k rows is 6 million
 * fields, and splitting strings for them costs seconds; a byte loop takes tens of milliseconds.
 */
function parseOrderbook(bytes: Uint8Array, file: string, tickUnits: number, expectedRows: number): LobsterOrderbook {
  let width = 1;
  for (let i = 0; i < bytes.length && bytes[i] !== 10; i++) if (bytes[i] === 44) width++;
  if (width % 4 !== 0) throw lobsterError("BAD_ORDERBOOK", `${file}: orderbook rows have ${width} columns, expected 4 per level`, file, "LOBSTER orderbook rows are ask_px,ask_sz,bid_px,bid_sz repeated per level");
  const levels = width / 4;
  const values = new Float64Array(width);
  const askPrice = new Float64Array(expectedRows * levels);
  const askSize = new Float64Array(expectedRows * levels);
  const bidPrice = new Float64Array(expectedRows * levels);
  const bidSize = new Float64Array(expectedRows * levels);
  let row = 0;
  let field = 0;
  let value = 0;
  let negative = false;
  let digits = 0;
  const bad = (why: string): LabError => lobsterError("BAD_ORDERBOOK", `${file}: row ${row + 1}, column ${field + 1}: ${why}`, file, "the orderbook file is damaged", row + 1, String(field + 1));
  for (let i = 0; i <= bytes.length; i++) {
    const c = i < bytes.length ? bytes[i]! : 10;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
    } else if (c === 45 && digits === 0) negative = true;
    else if (c === 44 || c === 10) {
      if (c === 10 && field === 0 && digits === 0) continue; // blank line / trailing newline
      if (digits === 0) throw bad("empty or non-numeric field");
      if (field >= width) throw bad(`more than ${width} columns`);
      values[field++] = negative ? -value : value;
      value = 0;
      digits = 0;
      negative = false;
      if (c === 10) {
        if (field !== width) throw bad(`${field} columns, expected ${width}`);
        if (row >= expectedRows) throw lobsterError("ROW_COUNT_MISMATCH", `${file}: the orderbook has more rows than the message file (${expectedRows})`, file, "use the message and orderbook files of the same LOBSTER download", row + 1);
        for (let k = 0; k < levels; k++) {
          const at = row * levels + k;
          const ap = values[4 * k]!;
          const bp = values[4 * k + 2]!;
          askPrice[at] = ap >= DUMMY_ASK ? NaN : ap / tickUnits;
          askSize[at] = ap >= DUMMY_ASK ? 0 : values[4 * k + 1]!;
          bidPrice[at] = bp <= -DUMMY_ASK ? NaN : bp / tickUnits;
          bidSize[at] = bp <= -DUMMY_ASK ? 0 : values[4 * k + 3]!;
        }
        row++;
        field = 0;
      }
    } else if (c !== 13) throw bad(`unexpected character ${JSON.stringify(String.fromCharCode(c))}`);
  }
  if (row !== expectedRows) throw lobsterError("ROW_COUNT_MISMATCH", `${file}: the orderbook has ${row} rows, the message file ${expectedRows}`, file, "use the message and orderbook files of the same LOBSTER download", row);
  return { levels, rows: row, askPrice, askSize, bidPrice, bidSize };
}
