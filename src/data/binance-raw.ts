/**
 * Binance raw websocket captures: one message per line, `<local receive ns> <raw JSON>`, plain or
 * gzip. Depth diffs (`depthUpdate` with U/u and, on futures, pu), REST depth snapshots
 * (`lastUpdateId`), bookTicker and trades, for USD-M futures and spot.
 *
 * Reading keeps every message in a message table (typed arrays, file line numbers kept), so the
 * book sync (src/book/binance-sync.ts) can apply Binance's documented rules and report gaps by
 * line. `binanceToTickBatch` then lays the synced stream out as TickBatch rows.
 *
 * Times: `localTs` is the capture's receive time; `exchTs` is the message's event time `E` (ms).
 * Spot bookTicker messages carry no event time: their rows get exchTs = localTs and
 * `EventFlag.NoExchangeTime`. Prices and sizes are decimal strings converted exactly onto the
 * instrument's grid; an off-grid value is reported, never rounded.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { InstrumentSpec, LabError, Progress, type ProgressSink } from "../core/index.js";
import { gridStep, toGridExact, type GridStep } from "./exact.js";
import { EventFlag, EventKind, TickBatchBuilder, type TickBatch } from "./tick-batch.js";

export const BinanceMessage = { Diff: 1, Snapshot: 2, BookTicker: 3, Trade: 4 } as const;
export type BinanceMessage = (typeof BinanceMessage)[keyof typeof BinanceMessage];

export type BinanceMarket = "futures" | "spot";

/** A problem found while reading: the line is skipped and reported, the rest is kept. */
export interface BinanceReadProblem {
  line: number;
  code: string;
  message: string;
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
  problems: BinanceReadProblem[];
  counts: { diffs: number; snapshots: number; bookTickers: number; trades: number; skipped: number };
}

export interface BinanceReadOptions {
  /** Default: detected from the depth stream name (`@depth@0ms` with `pu` = futures). */
  market?: BinanceMarket;
  /** Default: BTCUSDT futures tick 0.10 lot 0.001, spot tick 0.01 lot 0.00000001 (depth sizes carry 8 decimals). */
  instrument?: InstrumentSpec;
  progress?: ProgressSink;
}

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

function decompress(bytes: Uint8Array, file: string): string {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes).toString("utf8");
    } catch (error) {
      throw new LabError({ code: "CORRUPT_GZIP", message: `${file}: gzip data is corrupt or truncated (${(error as Error).message})`, hint: "re-download or re-copy the capture; gzip -t tells whether the file is whole", context: { file } });
    }
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}

type Json = Record<string, unknown>;

/** Reads a capture file (plain or .gz). */
export function readBinanceRaw(path: string, options: BinanceReadOptions = {}): BinanceCapture {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new LabError({ code: "FILE_NOT_FOUND", message: `cannot read ${path}: ${(error as Error).message}`, hint: "check the path", context: { file: path } });
  }
  return parseBinanceRaw(decompress(bytes, path), path, options);
}

/** Parses capture text (already decompressed). `file` names the source in messages. */
export function parseBinanceRaw(text: string, file: string, options: BinanceReadOptions = {}): BinanceCapture {
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const market = options.market ?? detectMarket(lines);
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
  let m = 0;
  let levels = 0;
  const progress = new Progress("binance", options.progress, { total: lines.length, unit: "lines" });

  const problem = (line: number, code: string, message: string): void => {
    counts.skipped++;
    problems.push({ line, code, message: `${file}:${line}: ${message}` });
  };

  /** Appends one level row; returns false (and records why) if a value is off the grid. */
  const pushLevel = (line: number, side: number, priceText: unknown, qtyText: unknown): boolean => {
    const price = toTicks(priceText, priceStep);
    const qty = toTicks(qtyText, sizeStep);
    if (price === undefined || qty === undefined) {
      problem(line, "OFF_GRID", `price ${String(priceText)} or size ${String(qtyText)} is not on the grid of tick ${instrument.tickSize} / lot ${instrument.lotSize}`);
      return false;
    }
    levelSide.ensure(levels + 1);
    levelPrice.ensure(levels + 1);
    levelQty.ensure(levels + 1);
    levelSide.data[levels] = side;
    levelPrice.data[levels] = price;
    levelQty.data[levels] = qty;
    levels++;
    return true;
  };

  for (let l = 0; l < lines.length; l++) {
    const lineNumber = l + 1;
    if ((l & 4095) === 0) progress.update(l);
    const raw = lines[l]!;
    if (raw.trim() === "") continue;
    const space = raw.indexOf(" ");
    const tsText = space > 0 ? raw.slice(0, space) : "";
    if (!/^\d{1,19}$/.test(tsText)) {
      problem(lineNumber, "BAD_LINE", `expected "<local ns> <json>", got ${JSON.stringify(raw.slice(0, 40))}`);
      continue;
    }
    let message: Json;
    try {
      message = JSON.parse(raw.slice(space + 1)) as Json;
    } catch (error) {
      problem(lineNumber, "BAD_JSON", `invalid JSON (${(error as Error).message})`);
      continue;
    }
    const data = (typeof message.data === "object" && message.data !== null ? message.data : message) as Json;
    const stream = typeof message.stream === "string" ? message.stream : "";
    let msgKind: BinanceMessage;
    if ("lastUpdateId" in data) msgKind = BinanceMessage.Snapshot;
    else if (data.e === "depthUpdate") msgKind = BinanceMessage.Diff;
    else if (data.e === "bookTicker" || stream.endsWith("@bookTicker")) msgKind = BinanceMessage.BookTicker;
    else if (data.e === "trade") msgKind = BinanceMessage.Trade;
    else {
      problem(lineNumber, "UNKNOWN_MESSAGE", `message type ${JSON.stringify(data.e ?? stream)} is not depthUpdate, bookTicker, trade or a depth snapshot`);
      continue;
    }
    const startLevels = levels;
    let ok = true;
    let first = NaN, last = NaN, prev = NaN;
    switch (msgKind) {
      case BinanceMessage.Diff:
      case BinanceMessage.Snapshot: {
        const bids = (msgKind === BinanceMessage.Diff ? data.b : data.bids) as unknown;
        const asks = (msgKind === BinanceMessage.Diff ? data.a : data.asks) as unknown;
        if (!Array.isArray(bids) || !Array.isArray(asks)) {
          problem(lineNumber, "BAD_DEPTH", "depth message without bid/ask arrays");
          continue;
        }
        for (const [side, rows] of [[1, bids], [-1, asks]] as const) {
          for (const row of rows as unknown[][]) ok = pushLevel(lineNumber, side, row[0], row[1]) && ok;
        }
        if (msgKind === BinanceMessage.Diff) {
          first = Number(data.U);
          last = Number(data.u);
          prev = data.pu === undefined ? NaN : Number(data.pu);
          counts.diffs++;
        } else {
          first = last = Number(data.lastUpdateId);
          counts.snapshots++;
        }
        break;
      }
      case BinanceMessage.BookTicker:
        ok = pushLevel(lineNumber, 1, data.b, data.B) && pushLevel(lineNumber, -1, data.a, data.A);
        first = last = Number(data.u);
        counts.bookTickers++;
        break;
      case BinanceMessage.Trade:
        // m = "buyer is the maker": the seller hit the bid, so the aggressor sold.
        ok = pushLevel(lineNumber, data.m === true ? -1 : 1, data.p, data.q);
        first = last = Number(data.t);
        counts.trades++;
        break;
    }
    if (!ok) {
      levels = startLevels; // the message is dropped whole (reported above), never half-applied
      continue;
    }
    kind.ensure(m + 1); lineNo.ensure(m + 1); localTs.ensure(m + 1); exchTs.ensure(m + 1);
    firstId.ensure(m + 1); lastId.ensure(m + 1); prevId.ensure(m + 1); levelStart.ensure(m + 1); levelEnd.ensure(m + 1);
    kind.data[m] = msgKind;
    lineNo.data[m] = lineNumber;
    localTs.data[m] = BigInt(tsText);
    exchTs.data[m] = typeof data.E === "number" ? BigInt(data.E) * 1_000_000n : -1n;
    firstId.data[m] = first;
    lastId.data[m] = last;
    prevId.data[m] = prev;
    levelStart.data[m] = startLevels;
    levelEnd.data[m] = levels;
    m++;
  }
  progress.finish();
  if (m === 0) {
    throw new LabError({ code: "NO_MESSAGES", message: `${file}: no Binance messages could be read (${problems.length} problem lines${problems[0] ? `, first: ${problems[0].message}` : ""})`, hint: "expected lines of `<local ns> <json>` from a Binance websocket capture", context: { file } });
  }
  return {
    file, market, instrument, messages: m,
    kind: kind.trimmed(m), line: lineNo.trimmed(m), localTs: localTs.trimmed(m), exchTs: exchTs.trimmed(m),
    firstId: firstId.trimmed(m), lastId: lastId.trimmed(m), prevId: prevId.trimmed(m),
    levelStart: levelStart.trimmed(m), levelEnd: levelEnd.trimmed(m),
    levelSide: levelSide.trimmed(levels), levelPrice: levelPrice.trimmed(levels), levelQty: levelQty.trimmed(levels),
    problems, counts,
  };
}

function toTicks(text: unknown, step: GridStep): number | undefined {
  if (typeof text !== "string" && typeof text !== "number") return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  const t = toGridExact(value, step);
  return t === undefined || Number.isNaN(t) ? undefined : t;
}

/** Futures depth diffs carry `pu`; spot diffs do not. */
function detectMarket(lines: readonly string[]): BinanceMarket {
  for (let i = 0; i < Math.min(lines.length, 5000); i++) {
    const line = lines[i]!;
    if (!line.includes('"depthUpdate"')) continue;
    return line.includes('"pu":') ? "futures" : "spot";
  }
  return "futures";
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
}

/**
 * Lays a capture out as TickBatch rows in file order: the applied snapshot (LevelSet rows flagged
 * Snapshot, the last one also Last), each applied diff (LevelSet rows, Last on the final row,
 * seq = u, aux = U), bookTicker (two Bbo rows, bid then ask, flagged NoBookEffect because the depth
 * stream already carries the same change; seq = u), trades (Trade rows, side = aggressor,
 * seq = trade id). Diffs the sync did not apply (superseded by the snapshot) are left out; rows
 * after an unresolved gap are flagged AfterGap.
 */
export function binanceToTickBatch(capture: BinanceCapture, marks: BinanceSyncMarks, options: BinanceTickOptions = {}): TickBatch {
  const withTicker = options.bookTicker ?? true;
  const withTrades = options.trades ?? true;
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
      if (!marks.applied[m]) continue;
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
  return builder.build([capture.instrument], capture.file);
}
