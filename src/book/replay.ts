/**
 * Book replay over a `TickBatch`: a callback loop (`replayBook`), a forward cursor (`BookCursor`)
 * and a timeline (`BookTimeline`) that answers "the L2 book at time t / after row i" for any t in
 * O(checkpoint interval) instead of O(rows).
 *
 * Two ways rows drive an `L2Book` (`mode`):
 * - `"l2"`: L2 rows as the book applies them (LevelSet, Clear, Bbo; see `L2Book.apply`).
 * - `"levels"`: L3 rows folded into price levels, for order-by-order sources replayed as an L2
 *   book (e.g. an equity venue's message file): Add adds its size at (side, price); Reduce, Delete and Execute remove theirs;
 *   Execute flagged Hidden does not touch the visible book; Trade and Halt rows change nothing.
 *   L2 rows in the same stream are applied as in "l2". Modify cannot be folded without order
 *   state (its old price/size are not in the row), nor can a row without a price or size: such
 *   rows are counted in `unfoldableRows`, never guessed.
 * `"auto"` (default) picks "levels" when the batch has L3 rows and no LevelSet row.
 *
 * Checkpoints copy every level of both sides (`L2Book.levels`) into flat Float64Arrays; a query
 * restores the nearest checkpoint at or before the row and replays forward. A checkpoint is never
 * taken inside a snapshot (after a Snapshot row without the Last flag), because the book's
 * "inside a snapshot" state is not part of its levels.
 */
import { LabError } from "../core/index.js";
import { EventFlag, EventKind, type TickBatch } from "../data/index.js";
import { L2Book } from "./l2-book.js";

export type ReplayMode = "l2" | "levels" | "auto";

/** Resolves "auto": "levels" when the batch has L3 rows (Add..Execute) and no LevelSet row. */
export function resolveReplayMode(batch: TickBatch, mode: ReplayMode = "auto"): "l2" | "levels" {
  if (mode !== "auto") return mode;
  let l3 = false;
  const kind = batch.kind;
  for (let i = 0; i < batch.length; i++) {
    const k = kind[i]!;
    if (k === EventKind.LevelSet) return "l2";
    if (k >= EventKind.Add && k <= EventKind.Execute) l3 = true;
  }
  return l3 ? "levels" : "l2";
}

/**
 * Applies row `i` to `book` with L3 rows folded into levels (mode "levels"). Returns false when the
 * row cannot be folded (Modify), true otherwise.
 */
export function applyFolded(book: L2Book, batch: TickBatch, i: number): boolean {
  const kind = batch.kind[i]!;
  if (kind < EventKind.Add) {
    book.apply(batch, i);
    return true;
  }
  const flags = batch.flags[i]!;
  if (flags & EventFlag.NoBookEffect) return true;
  if (kind === EventKind.Modify) return false;
  if (kind > EventKind.Execute) return true;
  if (kind === EventKind.Execute && flags & EventFlag.Hidden) return true;
  const side = batch.side[i]!;
  if (side !== 1 && side !== -1) return true;
  const price = batch.priceTicks[i]!;
  const size = batch.qtyLots[i]!;
  if (Number.isNaN(price) || Number.isNaN(size)) return false; // the size to add or remove is unknown
  if (!(size > 0)) return true;
  const current = book.qtyAt(side, price);
  book.setLevel(side, price, kind === EventKind.Add ? current + size : current - size);
  return true;
}

export interface ReplayOptions {
  /** Book to drive; a new empty `L2Book` when omitted (pass a seeded one to start from a known state). */
  book?: L2Book;
  /** @default "auto" */
  mode?: ReplayMode;
  /** First row to apply. @default 0 */
  start?: number;
  /** Row after the last to apply. @default batch.length */
  end?: number;
  /** Called after each row is applied. Return `false` to stop early. */
  onEvent?: (book: L2Book, row: number) => void | boolean;
}

export interface ReplayResult {
  book: L2Book;
  /** Rows applied. */
  rows: number;
  /** Rows mode "levels" could not fold (Modify); the book ignored them. */
  unfoldableRows: number;
  firstUnfoldableRow: number;
}

/** Drives a book over rows [start, end), calling `onEvent` after each row. */
export function replayBook(batch: TickBatch, options: ReplayOptions = {}): ReplayResult {
  const book = options.book ?? new L2Book();
  const mode = resolveReplayMode(batch, options.mode);
  const start = options.start ?? 0;
  const end = Math.min(options.end ?? batch.length, batch.length);
  const onEvent = options.onEvent;
  let unfoldable = 0;
  let firstUnfoldable = -1;
  let i = start;
  if (mode === "l2") {
    if (onEvent) {
      for (; i < end; i++) {
        book.apply(batch, i);
        if (onEvent(book, i) === false) {
          i++;
          break;
        }
      }
    } else for (; i < end; i++) book.apply(batch, i);
  } else {
    for (; i < end; i++) {
      if (!applyFolded(book, batch, i)) {
        if (unfoldable++ === 0) firstUnfoldable = i;
      }
      if (onEvent && onEvent(book, i) === false) {
        i++;
        break;
      }
    }
  }
  return { book, rows: i - start, unfoldableRows: unfoldable, firstUnfoldableRow: firstUnfoldable };
}

/** Index of the first row whose `column` time is > t (rows [0, result) are at or before t). Column must be non-decreasing. */
export function rowsUpTo(times: BigInt64Array, t: bigint): number {
  let lo = 0, hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkMonotonic(times: BigInt64Array, column: string, source: string | undefined): void {
  for (let i = 1; i < times.length; i++) {
    if (times[i]! < times[i - 1]!) {
      throw new LabError({
        code: "TIME_NOT_MONOTONIC",
        message: `${column} goes backwards at row ${i}${source ? ` of ${source}` : ""}`,
        hint: column === "exchTs" ? 'use { clock: "localTs" } or sort the batch first' : "sort the batch by this column first",
        context: { row: i, column, ...(source ? { file: source } : {}) },
      });
    }
  }
}

/**
 * A forward-only cursor: `advanceTo(row)` / `advanceToTime(t)` apply rows up to that point. The
 * book is live (it changes on the next advance).
 */
export class BookCursor {
  readonly book: L2Book;
  private readonly mode: "l2" | "levels";
  private next = 0;
  private readonly times: BigInt64Array;
  unfoldableRows = 0;

  constructor(private readonly batch: TickBatch, options: { book?: L2Book; mode?: ReplayMode; clock?: "exchTs" | "localTs" } = {}) {
    this.book = options.book ?? new L2Book();
    this.mode = resolveReplayMode(batch, options.mode);
    this.times = batch[options.clock ?? "exchTs"];
  }

  /** Rows applied so far (the next row to apply). */
  get position(): number {
    return this.next;
  }

  /** Applies one row; false at the end. */
  step(): boolean {
    if (this.next >= this.batch.length) return false;
    this.applyRow(this.next++);
    return true;
  }

  /** Applies rows until `rows` rows have been applied (no-op if already past). */
  advanceTo(rows: number): void {
    const end = Math.min(rows, this.batch.length);
    while (this.next < end) this.applyRow(this.next++);
  }

  /** Applies every row with time <= t. */
  advanceToTime(t: bigint): void {
    while (this.next < this.batch.length && this.times[this.next]! <= t) this.applyRow(this.next++);
  }

  private applyRow(i: number): void {
    if (this.mode === "l2") this.book.apply(this.batch, i);
    else if (!applyFolded(this.book, this.batch, i)) this.unfoldableRows++;
  }
}

export interface BookTimelineOptions {
  /** Rows between checkpoints. @default 4096 */
  every?: number;
  /** @default "auto" */
  mode?: ReplayMode;
  /** Time column for `atTime`. @default "exchTs" */
  clock?: "exchTs" | "localTs";
  /** Book state before row 0 (copied; the argument is not changed). */
  initial?: L2Book;
}

/** One side's levels, best first. */
export interface BookSideLevels {
  prices: Float64Array;
  qtys: Float64Array;
}

/** A copy of the book after `rows` rows. */
export interface BookSnapshot {
  /** Rows applied (the state after row `rows - 1`). */
  rows: number;
  /** Time of the last applied row (NaN-free: null before the first row). */
  timeNs: bigint | null;
  bids: BookSideLevels;
  asks: BookSideLevels;
}

/**
 * "The book at time t" for any t: checkpoints every `every` rows, then replay forward from the
 * nearest one. Building costs one replay of the batch; a query costs at most `every` rows.
 */
export class BookTimeline {
  readonly batch: TickBatch;
  readonly every: number;
  readonly mode: "l2" | "levels";
  private readonly times: BigInt64Array;
  /** Row count each checkpoint was taken after. */
  private cpRows: Int32Array;
  /** Per checkpoint: start offsets into the level pools (bids then asks), length cp*2+1. */
  private cpOffsets: Int32Array;
  private poolPrices: Float64Array;
  private poolQtys: Float64Array;
  private cpCount = 0;
  private poolUsed = 0;
  private readonly scratch = new L2Book();
  private scratchRows = -1;

  constructor(batch: TickBatch, options: BookTimelineOptions = {}) {
    const every = options.every ?? 4096;
    if (!Number.isInteger(every) || every < 1) throw new LabError({ code: "BAD_OPTION", message: `every must be a positive integer, got ${every}`, hint: "rows between checkpoints, e.g. 4096" });
    this.batch = batch;
    this.every = every;
    this.mode = resolveReplayMode(batch, options.mode);
    const clock = options.clock ?? "exchTs";
    this.times = batch[clock];
    checkMonotonic(this.times, clock, batch.source);
    const maxCp = Math.floor(batch.length / every) + 2;
    this.cpRows = new Int32Array(maxCp);
    this.cpOffsets = new Int32Array(maxCp * 2 + 1);
    this.poolPrices = new Float64Array(1024);
    this.poolQtys = new Float64Array(1024);
    const book = new L2Book();
    if (options.initial) copyBook(options.initial, book);
    this.checkpoint(book, 0);
    let nextCp = every;
    for (let i = 0; i < batch.length; i++) {
      if (this.mode === "l2") book.apply(batch, i);
      else applyFolded(book, batch, i);
      if (i + 1 >= nextCp) {
        // Never inside a snapshot: the next snapshot row would otherwise clear the restored book.
        const f = batch.flags[i]!;
        if (batch.kind[i] === EventKind.LevelSet && f & EventFlag.Snapshot && !(f & EventFlag.Last)) continue;
        this.checkpoint(book, i + 1);
        nextCp = i + 1 + every;
      }
    }
  }

  /** Number of checkpoints held. */
  get checkpoints(): number {
    return this.cpCount;
  }

  private ensurePool(extra: number): void {
    if (this.poolUsed + extra <= this.poolPrices.length) return;
    let size = this.poolPrices.length * 2;
    while (size < this.poolUsed + extra) size *= 2;
    const p = new Float64Array(size);
    const q = new Float64Array(size);
    p.set(this.poolPrices.subarray(0, this.poolUsed));
    q.set(this.poolQtys.subarray(0, this.poolUsed));
    this.poolPrices = p;
    this.poolQtys = q;
  }

  private checkpoint(book: L2Book, rows: number): void {
    if (this.cpCount === this.cpRows.length) {
      const r = new Int32Array(this.cpRows.length * 2);
      r.set(this.cpRows);
      this.cpRows = r;
      const o = new Int32Array(this.cpRows.length * 2 + 1);
      o.set(this.cpOffsets);
      this.cpOffsets = o;
    }
    const c = this.cpCount++;
    this.cpRows[c] = rows;
    for (const [s, side] of [[0, 1], [1, -1]] as const) {
      const n = book.levelCount(side);
      this.ensurePool(n);
      this.cpOffsets[c * 2 + s] = this.poolUsed;
      book.levels(side, n, this.poolPrices.subarray(this.poolUsed, this.poolUsed + n), this.poolQtys.subarray(this.poolUsed, this.poolUsed + n));
      this.poolUsed += n;
    }
    this.cpOffsets[c * 2 + 2] = this.poolUsed;
  }

  private restore(c: number, book: L2Book): void {
    book.clear(0);
    for (const [s, side] of [[0, 1], [1, -1]] as const) {
      const from = this.cpOffsets[c * 2 + s]!;
      const to = this.cpOffsets[c * 2 + s + 1]!;
      // Best first, so the dense window is centred on the touch from the first level.
      for (let k = from; k < to; k++) book.setLevel(side, this.poolPrices[k]!, this.poolQtys[k]!);
    }
  }

  /**
   * The book after `rows` rows (0 = before the first row). Returns the timeline's own book: it is
   * valid until the next query; copy it (`copyBook`) to keep it.
   */
  afterRows(rows: number): L2Book {
    if (!Number.isInteger(rows) || rows < 0 || rows > this.batch.length) {
      throw new LabError({ code: "BAD_ROW", message: `rows must be an integer in 0..${this.batch.length}, got ${rows}`, hint: "pass how many rows to apply (row index + 1)" });
    }
    const book = this.scratch;
    let from: number;
    if (this.scratchRows >= 0 && this.scratchRows <= rows && rows - this.scratchRows <= this.every) {
      from = this.scratchRows; // moving forward a little: continue from where the last query stopped
    } else {
      let lo = 0, hi = this.cpCount - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (this.cpRows[mid]! <= rows) lo = mid;
        else hi = mid - 1;
      }
      this.restore(lo, book);
      from = this.cpRows[lo]!;
    }
    if (this.mode === "l2") for (let i = from; i < rows; i++) book.apply(this.batch, i);
    else for (let i = from; i < rows; i++) applyFolded(book, this.batch, i);
    this.scratchRows = rows;
    return book;
  }

  /** Rows at or before time t (every row with time <= t). */
  rowsAt(t: bigint): number {
    return rowsUpTo(this.times, t);
  }

  /** The book after every row with time <= t (same lifetime rule as `afterRows`). */
  at(t: bigint): L2Book {
    return this.afterRows(this.rowsAt(t));
  }

  /** A copy of the top `levels` levels per side at time t. */
  snapshotAt(t: bigint, levels = 10): BookSnapshot {
    return this.snapshotAfterRows(this.rowsAt(t), levels);
  }

  snapshotAfterRows(rows: number, levels = 10): BookSnapshot {
    const book = this.afterRows(rows);
    return { rows, timeNs: rows > 0 ? this.times[rows - 1]! : null, bids: sideLevels(book, 1, levels), asks: sideLevels(book, -1, levels) };
  }
}

/** The top `n` levels of a side as fresh arrays (length = levels present, up to n). */
export function sideLevels(book: L2Book, side: 1 | -1, n: number): BookSideLevels {
  const prices = new Float64Array(n);
  const qtys = new Float64Array(n);
  const w = book.levels(side, n, prices, qtys);
  return { prices: prices.slice(0, w), qtys: qtys.slice(0, w) };
}

/** Copies every level of `from` into `to` (which is cleared first). */
export function copyBook(from: L2Book, to: L2Book = new L2Book()): L2Book {
  to.clear(0);
  for (const side of [1, -1] as const) {
    const n = from.levelCount(side);
    const prices = new Float64Array(n);
    const qtys = new Float64Array(n);
    from.levels(side, n, prices, qtys);
    for (let k = 0; k < n; k++) to.setLevel(side, prices[k]!, qtys[k]!);
  }
  return to;
}
