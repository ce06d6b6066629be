/**
 * Binance raw websocket captures: one message per line, `<local receive ns> <raw JSON>`, plain,
 * gzip or zstd. Depth diffs (`depthUpdate` with U/u and, on futures, pu), REST depth snapshots
 * (`lastUpdateId`), bookTicker and trades, for USD-M futures and spot.
 *
 * Reading keeps every message in a message table (typed arrays, file line numbers kept), so the
 * book sync (src/book/binance-sync.ts) can apply Binance's documented rules and report gaps by
 * line. `binanceToTickBatch` then lays the synced stream out as TickBatch rows, with the read
 * report attached (`readReportOf(batch)`, merged by `validate()`).
 *
 * Times: `localTs` is the capture's receive time; `exchTs` is, with `exchangeTime: "event"` (the
 * default), the message's event time `E` (ms), or with `exchangeTime: "transaction"` its
 * transaction time `T` (ms), the matching engine's time, which futures depth diffs, snapshots,
 * bookTickers and trades carry (spot diffs have none: they keep `E`). `E` is the default because
 * every message with a time carries it on both markets, so one capture has one clock, and it is
 * the time the message left the venue, which makes receive − exchange time the feed latency the
 * strategy really faced; `T` (E − T is a few ms on futures) orders rows as the book changed and is
 * what hftbacktest's Binance converter stamps, so compare against it with "transaction".
 * Spot bookTicker messages carry no event time: their rows get exchTs = localTs and
 * `EventFlag.NoExchangeTime`. Prices and sizes are decimal strings converted exactly onto the
 * instrument's grid; an off-grid value is reported, never rounded.
 *
 * What is kept, flagged and rejected (`onBadRows`; default "reject" when reading a file,
 * "quarantine" for `parseBinanceRaw` on text already in memory):
 *
 * | case | "reject" | "quarantine" |
 * | --- | --- | --- |
 * | a bad line (below) | LabError naming file, line, JSON field and its raw text | the line is skipped whole (a message is never half-applied), listed in `capture.problems` and counted in the read report by issue class, with samples (line, field, raw text); every other line is kept |
 * | gzip/zstd stream that ends early or is damaged | CORRUPT_GZIP / CORRUPT_ZSTD | every complete line decoded before the damage is kept, the partial last line dropped, one `truncated` issue (byte offset, messages kept) |
 * | gzip that decodes to its end but fails its checksum | CORRUPT_GZIP | lines that still parse are kept, the others are bad lines, and one `truncated` issue says the content may be damaged anywhere |
 * | plain capture whose last line is cut (no newline, JSON incomplete) | TRUNCATED | complete lines kept, one `truncated` issue |
 * | subscription replies (`{"result":null,"id":1}`), request error replies, Binance streams this reader does not use (aggTrade, markPriceUpdate, kline, ...) | skipped, counted by type in `report.nonData` (information, not bad rows) | same |
 * | blank lines | ignored | ignored |
 * | no message at all (empty file, only junk) | NO_MESSAGES | NO_MESSAGES |
 *
 * A bad line, with its error code and issue class: no or a malformed receive time (BAD_LINE;
 * missing-value / type-error), not a JSON object (BAD_JSON; type-error), an event type the reader
 * does not know (UNKNOWN_MESSAGE; type-error), a depth message without its bid/ask arrays or with
 * a level that is not a [price, size] pair (BAD_DEPTH; missing-value / type-error), a required
 * field absent (MISSING_VALUE; missing-value: E on diffs and trades, update and trade ids, pu on
 * futures diffs, prices, sizes, the trade's m), a number that is not one, not finite, or too large
 * for the grid or for int64 nanoseconds, such as `"1e400"` (BAD_VALUE; type-error), a zero or
 * negative price (NON_POSITIVE_PRICE; non-positive-price), a negative size or a zero trade size
 * (BAD_SIZE; bad-size), a value off the tick/lot grid (OFF_GRID; off-grid). Bad lines cannot be
 * represented as TickBatch rows, so the report has no `quarantine` batch; its samples point at the
 * lines. No value read from the file sizes an allocation: columns grow with the lines read.
 */
import { InstrumentSpec, LabError, Progress, type LabErrorCode, type ProgressSink } from "../../core/index.js";
import { EventFlag, EventKind, ISSUE_CLASSES, IssueCollector, TickBatchBuilder, attachReadReport, completeLinesLength, decodeSource, gridStep, readSourceBytes, toGridExact, truncatedIssue, type BadRowPolicy, type GridStep, type IssueClass, type QualityIssue, type ReadReport, type StreamCut, type TickBatch } from "../../data/index.js";

export const BinanceMessage = { Diff: 1, Snapshot: 2, BookTicker: 3, Trade: 4 } as const;
export type BinanceMessage = (typeof BinanceMessage)[keyof typeof BinanceMessage];

export type BinanceMarket = "futures" | "spot";

/** A bad line: skipped and reported (under "quarantine"), the rest is kept. */
export interface BinanceReadProblem {
  line: number;
  /** BAD_LINE, BAD_JSON, UNKNOWN_MESSAGE, BAD_DEPTH, MISSING_VALUE, BAD_VALUE, NON_POSITIVE_PRICE, BAD_SIZE, OFF_GRID. */
  code: string;
  message: string;
  /** The JSON field at fault (`localTs` for the receive time, `(json)` when the line is not JSON). */
  column: string;
  /** Its raw text, shortened to 60 characters; absent when the field is missing. */
  value?: string;
  issueClass: IssueClass;
}

/** What reading found, attached to the synced TickBatch (`readReportOf`) and kept on the capture. */
export interface BinanceReadReport extends ReadReport {
  /**
   * Lines that are valid JSON but no market data this reader uses: subscription replies
   * (`{"result":null,"id":1}`), request error replies, and Binance streams such as aggTrade or
   * markPriceUpdate. They are skipped and counted here by type; they are not bad rows, so they are
   * not `issues` (a reject policy never fails on them).
   */
  nonData: { lines: number; byType: Record<string, number>; firstLine: number | null };
}

/**
 * One row per message. Ids are exact as float64 (Binance update ids are < 2^53).
 * Level rows (diff/snapshot levels, bookTicker bid+ask, the trade) live in the `level*` arrays at
 * [levelStart[m], levelEnd[m]).
 */
export interface BinanceCapture {
  file: string;
  market: BinanceMarket;
  instrument: InstrumentSpec;
  messages: number;
  kind: Uint8Array;
  /** 1-based line in the file. */
  line: Int32Array;
  localTs: BigInt64Array;
  /** Event time E in ns; -1n when the message has none (spot bookTicker, spot snapshot). */
  exchTs: BigInt64Array;
  /** Diff: first update id U. Snapshot: lastUpdateId. BookTicker: u. Trade: trade id. */
  firstId: Float64Array;
  /** Diff: final update id u. Snapshot: lastUpdateId. BookTicker: u. Trade: trade id. */
  lastId: Float64Array;
  /** Futures diff: pu (previous final update id). NaN otherwise. */
  prevId: Float64Array;
  levelStart: Int32Array;
  levelEnd: Int32Array;
  /** 1 bid / buy aggressor, -1 ask / sell aggressor. */
  levelSide: Int8Array;
  levelPrice: Float64Array;
  levelQty: Float64Array;
  /** Every bad line skipped (empty under "reject", which throws on the first). */
  problems: BinanceReadProblem[];
  /** Messages kept by kind; `skipped` = bad lines. */
  counts: { diffs: number; snapshots: number; bookTickers: number; trades: number; skipped: number };
  /** Issues by class (bad lines, a cut), lines read, non-data lines: attached to the TickBatch. */
  readReport: BinanceReadReport;
}

export interface BinanceReadOptions {
  /** Default: detected from the depth stream name (`@depth@0ms` with `pu` = futures). */
  market?: BinanceMarket;
  /** Default: BTCUSDT futures tick 0.10 lot 0.001, spot tick 0.01 lot 0.00000001 (depth sizes carry 8 decimals). */
  instrument?: InstrumentSpec;
  progress?: ProgressSink;
  /**
   * "reject": the first bad line, a cut or damaged file throws a LabError. "quarantine": bad lines
   * are skipped and reported, a cut file keeps every complete line (see the module comment).
   * @default "reject" (readBinanceRaw), "quarantine" (parseBinanceRaw)
   */
  onBadRows?: BadRowPolicy;
  /**
   * Which Binance time becomes `exchTs`: "event" (`E`, when the message was sent) or
   * "transaction" (`T`, the matching engine's time; messages without `T` keep `E`). See the
   * module comment for why "event" is the default. @default "event"
   */
  exchangeTime?: BinanceExchangeTime;
}

export type BinanceExchangeTime = "event" | "transaction";

/** The instrument Binance lists for BTCUSDT on each market (tick and lot sizes as of 2024). */
export function binanceBtcUsdt(market: BinanceMarket): InstrumentSpec {
  return market === "futures"
    ? new InstrumentSpec({ symbol: "BTCUSDT", venue: "BINANCE-FUTURES", tickSize: "0.1", lotSize: "0.001", makerFee: 0.0002, takerFee: 0.0005, currency: "USDT" })
    : new InstrumentSpec({ symbol: "BTCUSDT", venue: "BINANCE", tickSize: "0.01", lotSize: "0.00000001", makerFee: 0.001, takerFee: 0.001, currency: "USDT" });
}

/** Growable typed column; readers do not know the message count up front. */
class Column<T extends Float64Array | Int32Array | Int8Array | Uint8Array | BigInt64Array> {
  data: T;
  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }
  ensure(n: number): void {
    if (n <= this.data.length) return;
    const next = this.make(Math.max(n, this.data.length * 2));
    (next as unknown as { set(a: T): void }).set(this.data);
    this.data = next;
  }
  trimmed(n: number): T {
    return this.data.slice(0, n) as T;
  }
}

type Json = Record<string, unknown>;

const QUARANTINE_OPTION = '{ onBadRows: "quarantine" } (--on-bad-rows quarantine)';
const QUARANTINE_HINT = `or pass ${QUARANTINE_OPTION} to skip bad lines, keep every other message and count the skipped ones in the read report`;
/** Largest event time E (ms) whose nanoseconds fit an int64. */
const MAX_EVENT_MS = 9_223_372_036_854;
const MAX_LOCAL_NS = "9223372036854775807";
const MAX_GRID = 2 ** 53;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Longer than any decimal Binance prints: refused before it reaches a regex or Number(). */
const MAX_NUMBER_TEXT = 40;
const SAMPLE_CHARS = 60;
/**
 * Event types of Binance market streams this reader does not use. A capture that subscribed to
 * them as well is still a valid capture: their lines are counted as non-data, not as bad rows.
 */
const OTHER_STREAM_EVENTS: ReadonlySet<string> = new Set([
  "aggTrade", "markPriceUpdate", "indexPriceUpdate", "kline", "continuous_kline", "indexPrice_kline", "markPrice_kline",
  "24hrTicker", "24hrMiniTicker", "forceOrder", "compositeIndex", "contractInfo", "assetIndexUpdate", "avgPrice",
]);

/** Raw text of a JSON value for messages and samples: never more than SAMPLE_CHARS characters. */
function sampleText(value: unknown): string {
  if (typeof value === "string") return value.length > SAMPLE_CHARS ? `${value.slice(0, SAMPLE_CHARS)}…` : value;
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  if (Array.isArray(value)) return `[array of ${value.length}]`;
  return typeof value === "object" ? "{object}" : String(value);
}

function checkPolicy(policy: unknown): BadRowPolicy {
  if (policy === "reject" || policy === "quarantine") return policy;
  throw new LabError({ code: "BAD_OPTION", message: `onBadRows must be "reject" or "quarantine", got ${JSON.stringify(policy)}`, hint: '"quarantine" keeps every good line and reports the bad ones', context: { option: "onBadRows" } });
}

/**
 * Reads a capture file (plain, .gz or .zst). Filesystem faults are coded errors naming the path
 * (FILE_NOT_FOUND, IS_A_DIRECTORY, PERMISSION_DENIED); see the module comment for the rest.
 */
export function readBinanceRaw(path: string, options: BinanceReadOptions = {}): BinanceCapture {
  const policy = checkPolicy(options.onBadRows ?? "reject");
  const bytes = readSourceBytes(path, "Binance capture");
  const decoded = decodeSource(bytes, path, { keepPrefix: policy === "quarantine", keepPrefixOption: QUARANTINE_OPTION });
  return parseCapture(decoded.bytes, path, options, policy, decoded.cut);
}

/**
 * Parses capture text already in memory (an edited or generated capture). `file` names the source
 * in messages. Bad lines are skipped and listed in `problems` unless `onBadRows: "reject"`.
 */
export function parseBinanceRaw(text: string, file: string, options: BinanceReadOptions = {}): BinanceCapture {
  return parseCapture(Buffer.from(text, "utf8"), file, options, checkPolicy(options.onBadRows ?? "quarantine"), undefined);
}

const Line = { Kept: 0, NonData: 1, Bad: 2, Cut: 3 } as const;

/** What a rejected or skipped line was, kept in scalars so a clean line allocates nothing for it. */
class Fault {
  code: LabErrorCode | "" = "";
  cls: IssueClass = "type-error";
  column = "";
  value: string | undefined = undefined;
  what = "";
  set(code: LabErrorCode, cls: IssueClass, column: string, value: string | undefined, what: string): false {
    this.code = code;
    this.cls = cls;
    this.column = column;
    this.value = value;
    this.what = what;
    return false;
  }
  /** `set`, as the outcome of a whole line. */
  line(code: LabErrorCode, cls: IssueClass, column: string, value: string | undefined, what: string): number {
    this.set(code, cls, column, value, what);
    return Line.Bad;
  }
}

function parseCapture(input: Uint8Array, file: string, options: BinanceReadOptions, policy: BadRowPolicy, cut: StreamCut | undefined): BinanceCapture {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const total = buf.length;
  const market = options.market ?? detectMarket(buf);
  const futures = market === "futures";
  const exchangeTime = options.exchangeTime ?? "event";
  if (exchangeTime !== "event" && exchangeTime !== "transaction") {
    throw new LabError({ code: "BAD_OPTION", message: `exchangeTime must be "event" or "transaction", got ${JSON.stringify(exchangeTime)}`, hint: '"event" stamps rows with Binance\'s E (the default), "transaction" with T (as hftbacktest\'s converter does)', context: { option: "exchangeTime" } });
  }
  const transaction = exchangeTime === "transaction";
  const instrument = options.instrument ?? binanceBtcUsdt(market);
  const priceStep = gridStep(instrument, "price");
  const sizeStep = gridStep(instrument, "size");

  const kind = new Column((n) => new Uint8Array(n));
  const lineNo = new Column((n) => new Int32Array(n));
  const localTs = new Column((n) => new BigInt64Array(n));
  const exchTs = new Column((n) => new BigInt64Array(n));
  const firstId = new Column((n) => new Float64Array(n));
  const lastId = new Column((n) => new Float64Array(n));
  const prevId = new Column((n) => new Float64Array(n));
  const levelStart = new Column((n) => new Int32Array(n));
  const levelEnd = new Column((n) => new Int32Array(n));
  const levelSide = new Column((n) => new Int8Array(n));
  const levelPrice = new Column((n) => new Float64Array(n));
  const levelQty = new Column((n) => new Float64Array(n));
  const problems: BinanceReadProblem[] = [];
  const counts = { diffs: 0, snapshots: 0, bookTickers: 0, trades: 0, skipped: 0 };
  const collector = new IssueCollector();
  const nonData = { lines: 0, byType: {} as Record<string, number>, firstLine: null as number | null };
  const fault = new Fault();
  let m = 0;
  let levels = 0;
  let rowsRead = 0;
  const progress = new Progress("binance", options.progress, { total, unit: "bytes" });

  // ---- field readers: each returns undefined (and fills `fault`) when the field is bad ----

  const readId = (data: Json, key: string): number | undefined => {
    const v = data[key];
    if (v === undefined || v === null) return void fault.set("MISSING_VALUE", "missing-value", key, undefined, `${key} is missing`);
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) return void fault.set("BAD_VALUE", "type-error", key, sampleText(v), `${key} is not an integer id below 2^53`);
    return v;
  };

  /** Event time in ns; -1n when absent and optional. */
  const readEventTime = (data: Json, required: boolean): bigint | undefined => {
    // With exchangeTime "transaction", T when the message has one (spot diffs do not).
    const key = transaction && data.T !== undefined && data.T !== null ? "T" : "E";
    const v = data[key];
    const name = key === "T" ? "transaction time T" : "event time E";
    if (v === undefined || v === null) return required ? void fault.set("MISSING_VALUE", "missing-value", "E", undefined, "event time E is missing") : -1n;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > MAX_EVENT_MS) return void fault.set("BAD_VALUE", "type-error", key, sampleText(v), `${name} is not a millisecond count within int64 nanoseconds`);
    return BigInt(v) * 1_000_000n;
  };

  /** Price (which = "price") or size in grid steps. */
  const readGrid = (v: unknown, column: string, which: "price" | "size", what: string, positive: boolean): number | undefined => {
    // An empty string is a missing value, as an empty CSV cell is in the other readers.
    if (v === undefined || v === null || v === "") return void fault.set("MISSING_VALUE", "missing-value", column, v === "" ? "" : undefined, `${what} is ${v === "" ? "empty" : "missing"}`);
    let x: number;
    if (typeof v === "string") {
      if (v.length > MAX_NUMBER_TEXT || !DECIMAL.test(v)) return void fault.set("BAD_VALUE", "type-error", column, sampleText(v), `${what} is not a decimal number`);
      x = Number(v);
    } else if (typeof v === "number") x = v;
    else return void fault.set("BAD_VALUE", "type-error", column, sampleText(v), `${what} is not a number`);
    if (!Number.isFinite(x)) return void fault.set("BAD_VALUE", "type-error", column, sampleText(v), `${what} is not a finite number`);
    if (which === "price" && x <= 0) return void fault.set("NON_POSITIVE_PRICE", "non-positive-price", column, sampleText(v), `${what} is not positive`);
    if (which === "size" && (x < 0 || (positive && x === 0))) return void fault.set("BAD_SIZE", "bad-size", column, sampleText(v), `${what} is ${x < 0 ? "negative" : "zero"}`);
    const step = which === "price" ? priceStep : sizeStep;
    if (!(Math.abs(Math.round((x * step.pow) / step.units) * step.units) < MAX_GRID)) {
      return void fault.set("BAD_VALUE", "type-error", column, sampleText(v), `${what} is too large for the grid of ${which === "price" ? `tick ${instrument.tickSize}` : `lot ${instrument.lotSize}`}`);
    }
    const t = toGridExact(x, step);
    if (t === undefined || Number.isNaN(t)) return void fault.set("OFF_GRID", "off-grid", column, sampleText(v), `${what} is not on the grid of ${which === "price" ? `tick ${instrument.tickSize}` : `lot ${instrument.lotSize}`}`);
    return t;
  };

  const pushLevel = (side: number, price: number, qty: number): void => {
    levelSide.ensure(levels + 1);
    levelPrice.ensure(levels + 1);
    levelQty.ensure(levels + 1);
    levelSide.data[levels] = side;
    levelPrice.data[levels] = price;
    levelQty.data[levels] = qty;
    levels++;
  };

  /** Depth levels of one side; false (with `fault`) at the first bad level. */
  const readLevels = (rows: unknown, column: string, side: 1 | -1): boolean => {
    if (rows === undefined || rows === null) return fault.set("BAD_DEPTH", "missing-value", column, undefined, `depth message without its ${column} array`);
    if (!Array.isArray(rows)) return fault.set("BAD_DEPTH", "type-error", column, sampleText(rows), `${column} is not an array of [price, size] levels`);
    const name = side === 1 ? "bid" : "ask";
    for (let k = 0; k < rows.length; k++) {
      const row: unknown = rows[k];
      if (!Array.isArray(row) || row.length < 2) return fault.set("BAD_DEPTH", "type-error", column, sampleText(row), `${name} level ${k} is not a [price, size] pair`);
      const price = readGrid(row[0], column, "price", `${name} level ${k} price`, false);
      if (price === undefined) return false;
      const qty = readGrid(row[1], column, "size", `${name} level ${k} size`, false);
      if (qty === undefined) return false;
      pushLevel(side, price, qty);
    }
    return true;
  };

  let truncation: { line: number; byteOffset: number; detail: string } | undefined;

  /**
   * One line: a message kept (KEPT), a non-data line (NON_DATA), a bad line (BAD, described in
   * `fault`) or the partial line of a cut file (CUT, described in `truncation`). `tail`: the last line, with no newline after it,
   * of a stream that was not cut: when it breaks off inside its JSON the file was cut there.
   */
  const readLine = (raw: string, lineNumber: number, byteOffset: number, tail: boolean): number => {
    const space = raw.indexOf(" ");
    if (space <= 0 && (space === 0 || raw.startsWith("{"))) {
      return fault.line("BAD_LINE", "missing-value", "localTs", undefined, 'the receive time is missing (expected "<local ns> <json>")');
    }
    const tsText = space > 0 ? raw.slice(0, space) : raw;
    // 19 digits compare as text against int64's maximum: no BigInt per line.
    if (space < 0 || !/^\d{1,19}$/.test(tsText) || (tsText.length === 19 && tsText > MAX_LOCAL_NS)) {
      return fault.line("BAD_LINE", "type-error", "localTs", sampleText(tsText), 'the receive time is not an integer nanosecond count within int64 (expected "<local ns> <json>")');
    }
    const jsonText = raw.slice(space + 1);
    let parsed: unknown;
    try {
      parsed = JSON.parse(jsonText);
    } catch (error) {
      if (tail && jsonText.startsWith("{")) {
        truncation = { line: lineNumber, byteOffset, detail: `line ${lineNumber} breaks off after ${raw.length.toLocaleString("en-US")} characters without a newline` };
        return Line.Cut;
      }
      const reason = (error as Error).message;
      return fault.line("BAD_JSON", "type-error", "(json)", sampleText(jsonText), `invalid JSON (${reason.length > 100 ? `${reason.slice(0, 100)}…` : reason})`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return fault.line("BAD_JSON", "type-error", "(json)", sampleText(jsonText), "invalid JSON: a line must hold one JSON object");
    }
    const message = parsed as Json;
    const data = (typeof message.data === "object" && message.data !== null && !Array.isArray(message.data) ? message.data : message) as Json;
    const stream = typeof message.stream === "string" ? message.stream : "";
    let msgKind: BinanceMessage;
    if ("lastUpdateId" in data) msgKind = BinanceMessage.Snapshot;
    else if (data.e === "depthUpdate") msgKind = BinanceMessage.Diff;
    else if (data.e === "bookTicker" || stream.endsWith("@bookTicker")) msgKind = BinanceMessage.BookTicker;
    else if (data.e === "trade") msgKind = BinanceMessage.Trade;
    else {
      const type = "result" in message && "id" in message ? "subscription reply" : "code" in message && "msg" in message ? "error reply" : typeof data.e === "string" && OTHER_STREAM_EVENTS.has(data.e) ? data.e : undefined;
      if (type !== undefined) {
        nonData.lines++;
        nonData.byType[type] = (nonData.byType[type] ?? 0) + 1;
        nonData.firstLine ??= lineNumber;
        return Line.NonData;
      }
      if (data.e === undefined && stream === "") return fault.line("UNKNOWN_MESSAGE", "missing-value", "e", undefined, "the message has no event type e and no stream name");
      return fault.line("UNKNOWN_MESSAGE", "type-error", "e", sampleText(data.e ?? stream), "message type is not depthUpdate, bookTicker, trade or a depth snapshot");
    }
    const startLevels = levels;
    let first = NaN, last = NaN, prev = NaN;
    let exch: bigint | undefined;
    let ok = true;
    switch (msgKind) {
      case BinanceMessage.Diff: {
        exch = readEventTime(data, true);
        const U = exch === undefined ? undefined : readId(data, "U");
        const u = U === undefined ? undefined : readId(data, "u");
        const pu = u === undefined ? undefined : futures ? readId(data, "pu") : NaN;
        ok = pu !== undefined && readLevels(data.b, "b", 1) && readLevels(data.a, "a", -1);
        if (ok) {
          first = U!;
          last = u!;
          prev = pu!;
        }
        break;
      }
      case BinanceMessage.Snapshot: {
        const id = readId(data, "lastUpdateId");
        exch = id === undefined ? undefined : readEventTime(data, false);
        ok = exch !== undefined && readLevels(data.bids, "bids", 1) && readLevels(data.asks, "asks", -1);
        if (ok) first = last = id!;
        break;
      }
      case BinanceMessage.BookTicker: {
        const u = readId(data, "u");
        exch = u === undefined ? undefined : readEventTime(data, false);
        const bid = exch === undefined ? undefined : readGrid(data.b, "b", "price", "best bid price", false);
        const bidQty = bid === undefined ? undefined : readGrid(data.B, "B", "size", "best bid size", false);
        const ask = bidQty === undefined ? undefined : readGrid(data.a, "a", "price", "best ask price", false);
        const askQty = ask === undefined ? undefined : readGrid(data.A, "A", "size", "best ask size", false);
        ok = askQty !== undefined;
        if (ok) {
          pushLevel(1, bid!, bidQty!);
          pushLevel(-1, ask!, askQty!);
          first = last = u!;
        }
        break;
      }
      case BinanceMessage.Trade: {
        exch = readEventTime(data, true);
        const t = exch === undefined ? undefined : readId(data, "t");
        const price = t === undefined ? undefined : readGrid(data.p, "p", "price", "trade price", false);
        const qty = price === undefined ? undefined : readGrid(data.q, "q", "size", "trade size", true);
        if (qty !== undefined && typeof data.m !== "boolean") {
          ok = data.m === undefined ? fault.set("MISSING_VALUE", "missing-value", "m", undefined, "m (buyer is maker) is missing") : fault.set("BAD_VALUE", "type-error", "m", sampleText(data.m), "m (buyer is maker) is not true or false");
        } else ok = qty !== undefined;
        if (ok) {
          // m = "buyer is the maker": the seller hit the bid, so the aggressor sold.
          pushLevel(data.m === true ? -1 : 1, price!, qty!);
          first = last = t!;
        }
        break;
      }
    }
    if (!ok) {
      levels = startLevels; // the message is dropped whole, never half-applied
      return Line.Bad;
    }
    if (msgKind === BinanceMessage.Diff) counts.diffs++;
    else if (msgKind === BinanceMessage.Snapshot) counts.snapshots++;
    else if (msgKind === BinanceMessage.BookTicker) counts.bookTickers++;
    else counts.trades++;
    kind.ensure(m + 1); lineNo.ensure(m + 1); localTs.ensure(m + 1); exchTs.ensure(m + 1);
    firstId.ensure(m + 1); lastId.ensure(m + 1); prevId.ensure(m + 1); levelStart.ensure(m + 1); levelEnd.ensure(m + 1);
    kind.data[m] = msgKind;
    lineNo.data[m] = lineNumber;
    localTs.data[m] = BigInt(tsText);
    exchTs.data[m] = exch!;
    firstId.data[m] = first;
    lastId.data[m] = last;
    prevId.data[m] = prev;
    levelStart.data[m] = startLevels;
    levelEnd.data[m] = levels;
    m++;
    return Line.Kept;
  };

  // A cut stream's last line never got its newline: it is the partial line, dropped unread.
  const streamCut = cut !== undefined && !cut.checksumOnly;
  const keptEnd = streamCut ? completeLinesLength(buf) : total;
  let pos = 0;
  let lineNumber = 0;
  while (pos < keptEnd) {
    const newline = buf.indexOf(10, pos);
    const stop = newline >= 0 && newline < keptEnd ? newline : keptEnd;
    lineNumber++;
    if ((lineNumber & 4095) === 0) progress.update(pos);
    let raw = buf.toString("utf8", pos, stop);
    if (raw.endsWith("\r")) raw = raw.slice(0, -1);
    if (lineNumber === 1 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    const lineStart = pos;
    pos = stop + 1;
    if (raw.trim() === "") continue;
    const tail = stop === total && newline < 0;
    const outcome = readLine(raw, lineNumber, lineStart, tail);
    if (outcome === Line.Cut) break;
    rowsRead++;
    if (outcome !== Line.Bad) continue;
    if (policy === "reject") {
      throw new LabError({
        code: fault.code as LabErrorCode, // set() ran: this line is Bad
        message: `${file}: line ${lineNumber}, column "${fault.column}": ${fault.what}${fault.value !== undefined ? ` (${JSON.stringify(fault.value)})` : ""}`,
        hint: `fix or remove the line, ${QUARANTINE_HINT}`,
        context: { file, line: lineNumber, column: fault.column, ...(fault.value !== undefined ? { value: fault.value } : {}) },
      });
    }
    counts.skipped++;
    const problem: BinanceReadProblem = { line: lineNumber, code: fault.code, message: `${file}:${lineNumber}: ${fault.what}${fault.value !== undefined ? ` (${JSON.stringify(fault.value)})` : ""}`, column: fault.column, issueClass: fault.cls };
    if (fault.value !== undefined) problem.value = fault.value;
    problems.push(problem);
    collector.add(fault.cls, lineNumber - 1, fault.column, fault.value, lineNumber);
  }
  progress.update(keptEnd);
  progress.finish();

  if (truncation && policy === "reject") {
    throw new LabError({
      code: "TRUNCATED",
      message: `${file}: the capture is cut off at byte ${truncation.byteOffset.toLocaleString("en-US")}: ${truncation.detail}`,
      hint: `a collector stopped in the middle of a write, or the copy is incomplete: re-copy the capture, ${QUARANTINE_HINT.replace("skip bad lines", "drop the partial last line")}`,
      context: { file, line: truncation.line, byteOffset: truncation.byteOffset },
    });
  }
  const issues: QualityIssue[] = collector.issues(file, {}, (cls, count) => `${count} line${count === 1 ? "" : "s"} skipped: ${ISSUE_CLASSES[cls].title.toLowerCase()}`).map((issue) => ({ ...issue, policy: "quarantine" }));
  if (cut) {
    const detail = cut.checksumOnly
      ? `the ${cut.compression} checksum does not match (${cut.reason}): the content may be damaged anywhere; lines that still parse are kept, the others are reported as bad lines`
      : `the ${cut.compression} stream of ${cut.compressedBytes.toLocaleString("en-US")} bytes stops decoding there (${cut.reason}); the partial last line is dropped`;
    issues.push(truncatedIssue(file, m, cut.checksumOnly ? total : keptEnd, detail));
  } else if (truncation) {
    issues.push(truncatedIssue(file, m, truncation.byteOffset, `${truncation.detail}; the partial line is dropped`));
  }

  if (m === 0) {
    const why = total === 0
      ? "the file is empty (0 bytes)"
      : `no Binance messages could be read (${counts.skipped} bad line${counts.skipped === 1 ? "" : "s"}${nonData.lines > 0 ? `, ${nonData.lines} non-data lines` : ""}${problems[0] ? `, first: ${problems[0].message}` : ""}${cut ? `; ${issues[issues.length - 1]!.message}` : ""})`;
    throw new LabError({ code: "NO_MESSAGES", message: `${file}: ${why}`, hint: "expected lines of `<local ns> <json>` from a Binance websocket capture (depth diffs, a depth snapshot, bookTicker, trades)", context: { file, badLines: counts.skipped } });
  }
  const readReport: BinanceReadReport = { file, format: "binance-raw", rowsRead, issues, nonData };
  return {
    file, market, instrument, messages: m,
    kind: kind.trimmed(m), line: lineNo.trimmed(m), localTs: localTs.trimmed(m), exchTs: exchTs.trimmed(m),
    firstId: firstId.trimmed(m), lastId: lastId.trimmed(m), prevId: prevId.trimmed(m),
    levelStart: levelStart.trimmed(m), levelEnd: levelEnd.trimmed(m),
    levelSide: levelSide.trimmed(levels), levelPrice: levelPrice.trimmed(levels), levelQty: levelQty.trimmed(levels),
    problems, counts, readReport,
  };
}

/** Futures depth diffs carry `pu`; spot diffs do not. The first diff decides. */
function detectMarket(buf: Buffer): BinanceMarket {
  const at = buf.indexOf('"depthUpdate"');
  if (at < 0) return "futures";
  const start = buf.lastIndexOf(10, at) + 1;
  const newline = buf.indexOf(10, at);
  const end = newline < 0 ? buf.length : newline;
  const pu = buf.indexOf('"pu":', start);
  return pu >= 0 && pu < end ? "futures" : "spot";
}

/** Which messages the book sync applied, and what it found (see src/book/binance-sync.ts). */
export interface BinanceSyncMarks {
  /** Per message: 1 if applied to the synced book (snapshot or diff), 0 otherwise. */
  applied: Uint8Array;
  /** Per message: 1 if it follows a sequence gap before the book was resynchronized. */
  afterGap: Uint8Array;
}

export interface BinanceTickOptions {
  /** Include bookTicker rows (as Bbo rows that do not change an L2 book rebuilt from depth). @default true */
  bookTicker?: boolean;
  /** Include trades. @default true */
  trades?: boolean;
  /** Instrument index written into the rows. @default 0 */
  instrumentIndex?: number;
  /**
   * Depth diffs the sync did not apply (received before the snapshot, or superseded by it):
   * "drop" leaves them out; "mark" keeps their levels as rows flagged NoBookEffect (received, no
   * change to the book), so the data starts where the capture does, as a reader that keeps every
   * line (hftbacktest's converter) has it. @default "drop"
   */
  unapplied?: "drop" | "mark";
}

/**
 * Lays a capture out as TickBatch rows in file order: the applied snapshot (LevelSet rows flagged
 * Snapshot, the last one also Last), each applied diff (LevelSet rows, Last on the final row,
 * seq = u, aux = U), bookTicker (two Bbo rows, bid then ask, flagged NoBookEffect because the depth
 * stream already carries the same change; seq = u), trades (Trade rows, side = aggressor,
 * seq = trade id). Diffs the sync did not apply (superseded by the snapshot) are left out; rows
 * after an unresolved gap are flagged AfterGap. The capture's read report is attached to the batch.
 */
export function binanceToTickBatch(capture: BinanceCapture, marks: BinanceSyncMarks, options: BinanceTickOptions = {}): TickBatch {
  const withTicker = options.bookTicker ?? true;
  const withTrades = options.trades ?? true;
  const markUnapplied = options.unapplied === "mark";
  const instrument = options.instrumentIndex ?? 0;
  const builder = new TickBatchBuilder(capture.levelSide.length + 16);
  for (let m = 0; m < capture.messages; m++) {
    const k = capture.kind[m]!;
    const local = capture.localTs[m]!;
    const hasExch = capture.exchTs[m]! >= 0n;
    const exch = hasExch ? capture.exchTs[m]! : local;
    const baseFlags = (hasExch ? 0 : EventFlag.NoExchangeTime) | (marks.afterGap[m] ? EventFlag.AfterGap : 0);
    const start = capture.levelStart[m]!;
    const end = capture.levelEnd[m]!;
    if (k === BinanceMessage.Diff || k === BinanceMessage.Snapshot) {
      if (!marks.applied[m]) {
        if (!markUnapplied || k !== BinanceMessage.Diff) continue;
        for (let j = start; j < end; j++) builder.push(exch, local, EventKind.LevelSet, capture.levelSide[j]!, capture.levelPrice[j]!, capture.levelQty[j]!, NaN, baseFlags | EventFlag.NoBookEffect, instrument, capture.lastId[m]!, capture.firstId[m]!);
        continue;
      }
      const flags = baseFlags | (k === BinanceMessage.Snapshot ? EventFlag.Snapshot : 0);
      let row = -1;
      for (let j = start; j < end; j++) {
        row = builder.push(exch, local, EventKind.LevelSet, capture.levelSide[j]!, capture.levelPrice[j]!, capture.levelQty[j]!, NaN, flags, instrument, capture.lastId[m]!, capture.firstId[m]!);
      }
      if (row < 0) {
        // An empty diff still advances the sequence: keep it visible as a Clear-free marker row.
        row = builder.push(exch, local, EventKind.LevelSet, 0, NaN, NaN, NaN, flags | EventFlag.NoBookEffect, instrument, capture.lastId[m]!, capture.firstId[m]!);
      }
      builder.orFlags(row, EventFlag.Last);
    } else if (k === BinanceMessage.BookTicker && withTicker) {
      for (let j = start; j < end; j++) {
        builder.push(exch, local, EventKind.Bbo, capture.levelSide[j]!, capture.levelPrice[j]!, capture.levelQty[j]!, NaN, baseFlags | EventFlag.NoBookEffect | (j === end - 1 ? EventFlag.Last : 0), instrument, capture.lastId[m]!);
      }
    } else if (k === BinanceMessage.Trade && withTrades) {
      builder.push(exch, local, EventKind.Trade, capture.levelSide[start]!, capture.levelPrice[start]!, capture.levelQty[start]!, NaN, baseFlags, instrument, capture.lastId[m]!);
    }
  }
  const batch = builder.build([capture.instrument], capture.file);
  // The rows alone cannot tell what was skipped or cut while reading: the report travels with them.
  attachReadReport(batch, capture.readReport);
  return batch;
}
