/**
 * Live messages to TickBatch rows, the way a capture read whole becomes them: each arriving piece
 * is read by the fast reader (src/live/fast-lines.ts) or, when it declines, parsed as text by the
 * binance-raw reader (`parseBinanceRaw`), both giving the same columns; its book messages go
 * through the book layer's sync one at a time (`BinanceDepthSync`), and the messages are laid out
 * as the reader's conversion (`binanceToTickBatch`) lays them out, in the order `binanceSyncedBatch` uses:
 * bookTicker and trades where they arrived, a snapshot where it arrived followed by the diffs it
 * releases from the buffer (at the snapshot's receive time), diffs not applied left out, rows
 * after an unresolved gap flagged AfterGap. Concatenated, the pieces' rows are the rows of
 * `readFile` on the same lines, row for row.
 */
import { EventFlag, EventKind, TICK_COLUMNS, TICK_COLUMN_NAMES, attachReadReport, readReportOf, tickBatch, type TickBatch, type TickColumns } from "../data/index.js";
import { binance } from "../venues/index.js";
import BinanceMessage = binance.Message;
import binanceToTickBatch = binance.toTickBatch;
import parseBinanceRaw = binance.parse;
type BinanceCapture = binance.Capture;
type BinanceMarket = binance.Market;
type BinanceReadProblem = binance.ReadProblem;
type BinanceTickOptions = binance.TickOptions;
import BinanceDepthSync = binance.DepthSync;
type BinanceGap = binance.Gap;
import type { InstrumentSpec } from "../core/index.js";
import { FastBinanceLines, lineText, type ReceivedLine } from "./fast-lines.js";

export interface LiveRowsOptions {
  market: BinanceMarket;
  instrument: InstrumentSpec;
  exchangeTime?: "event" | "transaction";
  tick?: BinanceTickOptions;
  /** Names the source in messages. */
  description: string;
}

/** A bad line: counted, skipped, kept with its text. */
export interface MalformedLine {
  /** 1-based number of the line among all lines received. */
  line: number;
  code: string;
  message: string;
  /** The line's text, shortened to 1,000 characters. */
  text: string;
}

export interface PieceResult {
  /** Rows of this piece (may be empty). */
  rows: TickBatch | undefined;
  messages: number;
  malformed: MalformedLine[];
  nonData: number;
  /** Gaps found in this piece. */
  gaps: BinanceGap[];
  /** Local minus exchange time (ns) of each message that has an exchange time. */
  lags: number[];
}

const TEXT_LIMIT = 1000;

export class LiveRows {
  readonly sync: BinanceDepthSync;
  lines = 0;
  private readonly afterGapOf = new WeakMap<BinanceCapture, Uint8Array>();
  // Output of the piece being laid out: message refs in row order.
  private outCapture: BinanceCapture[] = [];
  private outIndex: number[] = [];
  private outLocal: bigint[] = [];
  private outApplied: number[] = [];
  private outAfterGap: number[] = [];
  private readonly fast: FastBinanceLines;

  constructor(private readonly options: LiveRowsOptions) {
    this.fast = new FastBinanceLines(options.market, options.instrument, options.exchangeTime ?? "event");
    this.sync = new BinanceDepthSync(options.market === "futures", (capture, m, atCapture, at) => {
      const own = capture.localTs[m]!;
      const atLocal = atCapture.localTs[at]!;
      this.outCapture.push(capture);
      this.outIndex.push(m);
      this.outLocal.push(own < atLocal ? atLocal : own);
      this.outApplied.push(1);
      this.outAfterGap.push(capture.kind[m] === BinanceMessage.Snapshot ? 0 : this.afterGapOf.get(capture)![m]!);
    });
  }

  /** Lays out the complete lines `<ns> <json>` received since the last piece. */
  piece(lines: readonly string[]): PieceResult {
    const first = this.lines;
    this.lines += lines.length;
    const result: PieceResult = { rows: undefined, messages: 0, malformed: [], nonData: 0, gaps: [], lags: [] };
    const capture = this.parse(lines, first, result);
    return capture ? this.lay(capture, result) : result;
  }

  /**
   * `piece` for frames as received: read straight from their bytes when every line has a shape
   * the fast reader knows (src/live/fast-lines.ts), else as text by the binance-raw reader; the
   * rows are the same either way.
   */
  pieceOf(frames: readonly ReceivedLine[]): PieceResult {
    const capture = this.fast.read(frames, this.lines, this.options.description);
    if (!capture) return this.piece(frames.map(lineText));
    this.lines += frames.length;
    return this.lay(capture, { rows: undefined, messages: 0, malformed: [], nonData: 0, gaps: [], lags: [] });
  }

  private lay(capture: BinanceCapture, result: PieceResult): PieceResult {
    result.messages = capture.messages;
    const afterGap = new Uint8Array(capture.messages);
    this.afterGapOf.set(capture, afterGap);
    const gapsBefore = this.sync.gaps.length;
    for (let m = 0; m < capture.messages; m++) {
      if (this.sync.outOfSync) afterGap[m] = 1;
      if (capture.exchTs[m]! >= 0n) result.lags.push(Number(capture.localTs[m]! - capture.exchTs[m]!));
      const k = capture.kind[m]!;
      if (k === BinanceMessage.Diff || k === BinanceMessage.Snapshot) {
        this.sync.push(capture, m);
        continue;
      }
      this.outCapture.push(capture);
      this.outIndex.push(m);
      this.outLocal.push(capture.localTs[m]!);
      this.outApplied.push(0);
      this.outAfterGap.push(afterGap[m]!);
    }
    result.gaps = this.sync.gaps.slice(gapsBefore);
    result.rows = this.layOut(capture);
    return result;
  }

  /** The stream broke (reconnect, stale): out of sync until the next snapshot. */
  breakSync(message: string): BinanceGap {
    const gap: BinanceGap = { line: this.lines, expected: NaN, got: NaN, message: `${this.options.description}: after line ${this.lines}: ${message}; the book is out of sync until the next snapshot` };
    this.sync.breakSync(gap);
    return gap;
  }

  private parse(lines: readonly string[], first: number, result: PieceResult): BinanceCapture | undefined {
    const o = this.options;
    const read = { market: o.market, instrument: o.instrument, onBadRows: "quarantine" as const, ...(o.exchangeTime ? { exchangeTime: o.exchangeTime } : {}) };
    let capture: BinanceCapture;
    try {
      capture = parseBinanceRaw(lines.join("\n"), o.description, read);
    } catch (error) {
      // Nothing readable in the piece: each line again, alone, to tell bad lines from non-data ones.
      if (lines.length > 1) {
        for (let i = 0; i < lines.length; i++) {
          const one = this.parseOne(lines[i]!, first + i + 1);
          if (one === "non-data") result.nonData++;
          else if (one) result.malformed.push(one);
        }
      } else if (lines.length === 1) {
        const one = this.describeFailure(error, lines[0]!, first + 1);
        if (one === "non-data") result.nonData++;
        else result.malformed.push(one);
      }
      return undefined;
    }
    for (let m = 0; m < capture.messages; m++) capture.line[m] = capture.line[m]! + first;
    result.nonData = capture.readReport.nonData.lines;
    for (const p of capture.problems) result.malformed.push(this.malformed(p, lines[p.line - 1] ?? "", first));
    return capture;
  }

  private parseOne(line: string, lineNumber: number): MalformedLine | "non-data" | undefined {
    try {
      parseBinanceRaw(line, this.options.description, { market: this.options.market, instrument: this.options.instrument, onBadRows: "quarantine" });
      return undefined;
    } catch (error) {
      return this.describeFailure(error, line, lineNumber);
    }
  }

  private describeFailure(error: unknown, line: string, lineNumber: number): MalformedLine | "non-data" {
    const context = (error as { context?: { badLines?: number } }).context;
    if (context?.badLines === 0 && line.trim() !== "") return "non-data";
    const message = error instanceof Error ? error.message : String(error);
    return { line: lineNumber, code: (error as { code?: string }).code ?? "BAD_LINE", message, text: line.length > TEXT_LIMIT ? `${line.slice(0, TEXT_LIMIT)}…` : line };
  }

  private malformed(p: BinanceReadProblem, text: string, first: number): MalformedLine {
    return { line: p.line + first, code: p.code, message: p.message, text: text.length > TEXT_LIMIT ? `${text.slice(0, TEXT_LIMIT)}…` : text };
  }

  private layOut(source: BinanceCapture): TickBatch | undefined {
    const n = this.outIndex.length;
    if (n === 0) return undefined;
    // In sync, every message comes out where it arrived, at its own receive time: the piece as it is.
    const picked = isWhole(source, this.outCapture, this.outIndex, this.outLocal) ? source : pickMessages(source, this.outCapture, this.outIndex, this.outLocal);
    const marks = { applied: Uint8Array.from(this.outApplied), afterGap: Uint8Array.from(this.outAfterGap) };
    this.outCapture = [];
    this.outIndex = [];
    this.outLocal = [];
    this.outApplied = [];
    this.outAfterGap = [];
    return this.options.tick === undefined ? layRows(picked, marks.applied, marks.afterGap) : binanceToTickBatch(picked, marks, this.options.tick);
  }
}

/**
 * `binanceToTickBatch` with its default options, writing each row once into columns of the exact
 * length (the builder it uses grows, then copies its columns to trim them: a tenth of the feed's
 * time at full speed). Same rows, flags, seq and aux, and the capture's read report attached;
 * test/live/fast-lines.test.ts compares the pieces' rows with `syncedBatch` on the whole capture.
 */
function layRows(capture: BinanceCapture, applied: Uint8Array, afterGap: Uint8Array): TickBatch {
  const n = capture.messages;
  const { kind, localTs, exchTs, levelStart, levelEnd, levelSide, levelPrice, levelQty, firstId, lastId } = capture;
  let rows = 0;
  for (let m = 0; m < n; m++) {
    const k = kind[m]!;
    const levels = levelEnd[m]! - levelStart[m]!;
    if (k === BinanceMessage.Diff || k === BinanceMessage.Snapshot) rows += applied[m] ? Math.max(1, levels) : 0;
    else if (k === BinanceMessage.BookTicker) rows += levels;
    else if (k === BinanceMessage.Trade) rows += 1;
  }
  const room = roomFor(rows);
  const c = roomyColumns(rows, room);
  let r = 0;
  for (let m = 0; m < n; m++) {
    const k = kind[m]!;
    const local = localTs[m]!;
    const hasExch = exchTs[m]! >= 0n;
    const exch = hasExch ? exchTs[m]! : local;
    const baseFlags = (hasExch ? 0 : EventFlag.NoExchangeTime) | (afterGap[m] ? EventFlag.AfterGap : 0);
    const start = levelStart[m]!;
    const end = levelEnd[m]!;
    const seq = lastId[m]!;
    if (k === BinanceMessage.Diff || k === BinanceMessage.Snapshot) {
      if (!applied[m]) continue;
      const flags = baseFlags | (k === BinanceMessage.Snapshot ? EventFlag.Snapshot : 0);
      const aux = firstId[m]!;
      const first = r;
      for (let j = start; j < end; j++, r++) {
        c.exchTs[r] = exch;
        c.localTs[r] = local;
        c.kind[r] = EventKind.LevelSet;
        c.side[r] = levelSide[j]!;
        c.priceTicks[r] = levelPrice[j]!;
        c.qtyLots[r] = levelQty[j]!;
        c.flags[r] = flags;
        c.seq[r] = seq;
        c.aux[r] = aux;
      }
      if (r === first) {
        // An empty diff still advances the sequence: a marker row with no effect on the book.
        c.exchTs[r] = exch;
        c.localTs[r] = local;
        c.kind[r] = EventKind.LevelSet;
        c.side[r] = 0;
        c.priceTicks[r] = NaN;
        c.qtyLots[r] = NaN;
        c.flags[r] = flags | EventFlag.NoBookEffect;
        c.seq[r] = seq;
        c.aux[r] = aux;
        r++;
      }
      c.flags[r - 1] = c.flags[r - 1]! | EventFlag.Last;
      for (let i = first; i < r; i++) c.orderId[i] = NaN;
    } else if (k === BinanceMessage.BookTicker) {
      for (let j = start; j < end; j++, r++) {
        c.exchTs[r] = exch;
        c.localTs[r] = local;
        c.kind[r] = EventKind.Bbo;
        c.side[r] = levelSide[j]!;
        c.priceTicks[r] = levelPrice[j]!;
        c.qtyLots[r] = levelQty[j]!;
        c.orderId[r] = NaN;
        c.flags[r] = baseFlags | EventFlag.NoBookEffect | (j === end - 1 ? EventFlag.Last : 0);
        c.seq[r] = seq;
        c.aux[r] = NaN;
      }
    } else if (k === BinanceMessage.Trade) {
      c.exchTs[r] = exch;
      c.localTs[r] = local;
      c.kind[r] = EventKind.Trade;
      c.side[r] = levelSide[start]!;
      c.priceTicks[r] = levelPrice[start]!;
      c.qtyLots[r] = levelQty[start]!;
      c.orderId[r] = NaN;
      c.flags[r] = baseFlags;
      c.seq[r] = seq;
      c.aux[r] = NaN;
      r++;
    }
  }
  const batch = tickBatch(c, [capture.instrument], capture.file);
  attachReadReport(batch, capture.readReport);
  roomy.set(batch, { rows: room, run: undefined });
  return batch;
}

/**
 * Rows of room left before the columns of every batch the feed lays out: a streamed run writes the
 * rows it keeps from its previous window there instead of copying each new piece into a new window
 * (`TickChunkSource.frontRowsOf`). The rows kept are those between the exchange-time and
 * receive-time cursors, a handful on a Binance feed; past the room the run copies, as without room.
 * The room grows with the piece, from MIN_FRONT_ROWS to MAX_FRONT_ROWS: a piece of one frame (a
 * paced feed, a few rows) with 256 rows of room would allocate and zero ~15 KB for ~1 KB of rows
 * on every message; a large piece (a feed at full speed) keeps the large room so its rows are not
 * copied.
 */
export const MIN_FRONT_ROWS = 16;
export const MAX_FRONT_ROWS = 256;
/** Room in front of a piece of `rows` rows. */
const roomFor = (rows: number): number => Math.min(MAX_FRONT_ROWS, Math.max(MIN_FRONT_ROWS, rows));
/**
 * Batches with room in front: how many rows, and the run that writes there (one only: two runs on
 * one feed would overwrite each other's rows; undefined until a run takes it).
 */
const roomy = new WeakMap<TickBatch, { rows: number; run: object | undefined }>();

/** Rows of room before `batch`'s columns that a run may write (0 for a batch the feed did not lay out). */
export function frontRowsOf(batch: TickBatch): number {
  return roomy.get(batch)?.rows ?? 0;
}

/** Column names, widest elements first: one buffer holds them all, each aligned. */
const BY_WIDTH = [...TICK_COLUMN_NAMES].sort((x, y) => TICK_COLUMNS[y].BYTES_PER_ELEMENT - TICK_COLUMNS[x].BYTES_PER_ELEMENT);

/** Columns of `rows` rows, each a view starting `room` rows into its own stretch of one buffer. */
function roomyColumns(rows: number, room: number): TickColumns {
  const span = room + rows;
  let bytes = 0;
  for (const name of BY_WIDTH) bytes += span * TICK_COLUMNS[name].BYTES_PER_ELEMENT;
  const buffer = new ArrayBuffer(bytes);
  const out = {} as Record<keyof TickColumns, unknown>;
  let at = 0;
  for (const name of BY_WIDTH) {
    const Ctor = TICK_COLUMNS[name];
    out[name] = new Ctor(buffer, at + room * Ctor.BYTES_PER_ELEMENT, rows);
    at += span * Ctor.BYTES_PER_ELEMENT;
  }
  return out as TickColumns;
}

/**
 * `batch` itself when the feed laid it out (with rows of room in front) and no other run has
 * taken its room, else a copy with that room; `run` takes the room.
 */
export function withFrontRoom(batch: TickBatch, run: object): TickBatch {
  const room = roomy.get(batch);
  if (room !== undefined && (room.run === undefined || room.run === run)) {
    room.run = run;
    return batch;
  }
  return roomyCopy(batch, run);
}

/** A batch of no rows with rows of room, whose room `run` takes (a paper session's step of the clock without data). */
export function roomyEmpty(instruments: TickBatch["instruments"], source: string | undefined, run: object): TickBatch {
  const room = roomFor(0);
  const empty = tickBatch(roomyColumns(0, room), instruments, source);
  roomy.set(empty, { rows: room, run });
  return empty;
}

/** A copy of `batch` with rows of room, whose room `run` takes (a run that rewrites a column copies the feed's rows first). */
export function roomyCopy(batch: TickBatch, run: object): TickBatch {
  const room = roomFor(batch.length);
  const c = roomyColumns(batch.length, room);
  for (const name of TICK_COLUMN_NAMES) (c[name] as unknown as { set(a: ArrayLike<number | bigint>): void }).set(batch[name] as ArrayLike<number | bigint>);
  const copy = tickBatch(c, batch.instruments, batch.source);
  const report = readReportOf(batch);
  if (report) attachReadReport(copy, report);
  roomy.set(copy, { rows: room, run });
  return copy;
}

/** Whether the picked messages are all of `source`'s, in its order, at its receive times. */
function isWhole(source: BinanceCapture, captures: readonly BinanceCapture[], index: readonly number[], local: readonly bigint[]): boolean {
  const n = index.length;
  if (n !== source.messages) return false;
  for (let i = 0; i < n; i++) if (captures[i] !== source || index[i] !== i || local[i] !== source.localTs[i]) return false;
  return true;
}

/** One capture of the given messages of several captures, in that order, with the given receive times. */
function pickMessages(like: BinanceCapture, captures: readonly BinanceCapture[], index: readonly number[], local: readonly bigint[]): BinanceCapture {
  const n = index.length;
  let levels = 0;
  for (let i = 0; i < n; i++) levels += captures[i]!.levelEnd[index[i]!]! - captures[i]!.levelStart[index[i]!]!;
  const out: BinanceCapture = {
    ...like,
    messages: n,
    kind: new Uint8Array(n),
    line: new Int32Array(n),
    localTs: BigInt64Array.from(local),
    exchTs: new BigInt64Array(n),
    firstId: new Float64Array(n),
    lastId: new Float64Array(n),
    prevId: new Float64Array(n),
    levelStart: new Int32Array(n),
    levelEnd: new Int32Array(n),
    levelSide: new Int8Array(levels),
    levelPrice: new Float64Array(levels),
    levelQty: new Float64Array(levels),
  };
  let at = 0;
  for (let i = 0; i < n; i++) {
    const c = captures[i]!;
    const m = index[i]!;
    out.kind[i] = c.kind[m]!;
    out.line[i] = c.line[m]!;
    out.exchTs[i] = c.exchTs[m]!;
    out.firstId[i] = c.firstId[m]!;
    out.lastId[i] = c.lastId[m]!;
    out.prevId[i] = c.prevId[m]!;
    out.levelStart[i] = at;
    const s = c.levelStart[m]!;
    const e = c.levelEnd[m]!;
    out.levelSide.set(c.levelSide.subarray(s, e), at);
    out.levelPrice.set(c.levelPrice.subarray(s, e), at);
    out.levelQty.set(c.levelQty.subarray(s, e), at);
    at += e - s;
    out.levelEnd[i] = at;
  }
  return out;
}
