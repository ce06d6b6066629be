/**
 * Binance depth synchronization: a REST snapshot plus the diff stream, following Binance's
 * documented procedure ("How to manage a local order book correctly"):
 *
 * | step | USD-M futures | spot |
 * | --- | --- | --- |
 * | buffer | diffs that arrive before the snapshot are kept and replayed after it | same |
 * | drop | diffs with u < lastUpdateId | diffs with u <= lastUpdateId |
 * | first diff | U <= lastUpdateId <= u | U <= lastUpdateId + 1 <= u |
 * | continuity | pu == previous u | U == previous u + 1 |
 *
 * A break in continuity is a gap: it is reported with its file line, the book is marked out of
 * sync (its state is no longer trusted, nothing more is applied) and diffs are buffered again
 * until the next snapshot re-initializes the book. Diffs that arrive before a snapshot but cover
 * it are applied right after it, at the snapshot's receive time (they could not take effect
 * earlier).
 *
 * Verification: whenever a bookTicker carries the same update id `u` as an applied diff, the book
 * right after that diff must show exactly the bookTicker's best bid/ask prices and sizes.
 */
import { L2Book } from "../../book/index.js";
import type { TickBatch } from "../../data/index.js";
import { BinanceMessage, binanceToTickBatch, type BinanceCapture, type BinanceSyncMarks, type BinanceTickOptions } from "./raw.js";

export interface BinanceGap {
  /** 1-based file line of the diff that broke the sequence. */
  line: number;
  /** What continuity required (futures: pu; spot: U) and what the diff had. */
  expected: number;
  got: number;
  message: string;
}

export interface BinanceTickerMismatch {
  line: number;
  updateId: number;
  ticker: { bid: number; bidQty: number; ask: number; askQty: number };
  book: { bid: number; bidQty: number; ask: number; askQty: number };
}

export interface BinanceSyncReport {
  file: string;
  market: "futures" | "spot";
  snapshots: number;
  /** Snapshots that (re)initialized the book. */
  syncs: number;
  diffsApplied: number;
  /** Diffs superseded by a snapshot (u before its lastUpdateId): dropped by the procedure. */
  diffsSuperseded: number;
  /** Diffs not applied because of a gap: the one that broke the sequence and those received until the resync snapshot. */
  diffsOutOfSync: number;
  /** Diffs still waiting for a snapshot when the capture ended: never applied. */
  diffsUnapplied: number;
  gaps: BinanceGap[];
  resyncs: number;
  /** Whether the book ended in sync. */
  inSyncAtEnd: boolean;
  bookTickers: number;
  /** bookTickers whose update id equals an applied diff's final id. */
  tickersComparable: number;
  tickersEqual: number;
  tickersMismatched: number;
  firstTickerMismatch: BinanceTickerMismatch | null;
}

export interface BinanceSyncResult {
  report: BinanceSyncReport;
  marks: BinanceSyncMarks;
  /** Book messages (snapshot/diff) in the order they were applied. */
  applyOrder: Int32Array;
  /** For each entry of applyOrder: the message at whose arrival it was applied. */
  applyAt: Int32Array;
  /** The book after the last applied message. */
  book: L2Book;
}

export interface BinanceSyncOptions {
  /** Called after each applied snapshot/diff with the message index (for custom checks). */
  onApplied?: (message: number, book: L2Book) => void;
  /** Message indices to treat as absent (for experiments: what if this diff had been lost?). */
  skip?: ReadonlySet<number>;
}

const State = { NoSnapshot: 0, AwaitingFirst: 1, InSync: 2, OutOfSync: 3 } as const;

/**
 * The procedure one message at a time (see the module comment), for a capture read whole
 * (`syncBinanceDepth`) and for a live feed whose messages arrive in many small captures: a message
 * is a (capture, index) pair, and diffs buffered before a snapshot keep theirs. The book is applied
 * here; `onApplied(capture, m, atCapture, at)` runs after each applied snapshot or diff, with the
 * message at whose arrival it was applied (a buffered diff: the snapshot).
 */
export class BinanceDepthSync {
  readonly book = new L2Book();
  readonly gaps: BinanceGap[] = [];
  snapshots = 0;
  syncs = 0;
  diffsSuperseded = 0;
  diffsApplied = 0;
  diffsOutOfSync = 0;
  resyncs = 0;
  private state: number = State.NoSnapshot;
  private lastUpdateId = NaN;
  private previousU = NaN;
  private bufferCaptures: BinanceCapture[] = [];
  private bufferIndex: number[] = [];

  constructor(
    private readonly futures: boolean,
    private readonly onApplied: (capture: BinanceCapture, m: number, atCapture: BinanceCapture, at: number) => void = () => {},
  ) {}

  /** No snapshot yet, or a gap not yet resolved by one: the book is not trusted. */
  get synced(): boolean {
    return this.state === State.InSync || this.state === State.AwaitingFirst;
  }

  /** A snapshot and the diffs since are applied without a break. */
  get inSync(): boolean {
    return this.state === State.InSync;
  }

  /** A gap (or a broken connection) is waiting for the next snapshot. */
  get outOfSync(): boolean {
    return this.state === State.OutOfSync;
  }

  /** The final update id of the last applied diff (or the snapshot's lastUpdateId). */
  get lastAppliedId(): number {
    return this.previousU;
  }

  /** Diffs waiting for a snapshot. */
  get buffered(): number {
    return this.bufferIndex.length;
  }

  /**
   * The stream itself broke (a dropped connection, a stale feed): whatever was missed cannot be
   * known, so the book is out of sync until the next snapshot, as after a sequence gap.
   */
  breakSync(gap: BinanceGap): void {
    this.gaps.push(gap);
    // Before any snapshot the book is empty anyway; the diffs buffered before the break cannot be joined to those after it.
    if (this.state !== State.NoSnapshot) this.state = State.OutOfSync;
    this.bufferCaptures = [];
    this.bufferIndex = [];
  }

  /** One message in arrival order; bookTicker and trades are not book messages and are ignored. */
  push(capture: BinanceCapture, m: number): void {
    const k = capture.kind[m]!;
    if (k === BinanceMessage.Snapshot) this.snapshot(capture, m);
    else if (k === BinanceMessage.Diff) this.diff(capture, m);
  }

  private snapshot(capture: BinanceCapture, m: number): void {
    this.snapshots++;
    if (this.state === State.OutOfSync) this.resyncs++;
    this.book.clear(0);
    this.applyLevels(capture, m);
    this.onApplied(capture, m, capture, m);
    this.lastUpdateId = capture.lastId[m]!;
    this.previousU = this.lastUpdateId;
    this.state = State.AwaitingFirst;
    this.syncs++;
    const captures = this.bufferCaptures;
    const pending = this.bufferIndex;
    this.bufferCaptures = [];
    this.bufferIndex = [];
    // Diffs after a gap inside the replayed buffer wait for the next snapshot.
    for (let i = 0; i < pending.length; i++) if (this.state !== State.OutOfSync) this.offer(captures[i]!, pending[i]!, capture, m);
  }

  private diff(capture: BinanceCapture, m: number): void {
    if (this.state === State.NoSnapshot || this.state === State.OutOfSync) {
      if (this.state === State.OutOfSync) this.diffsOutOfSync++;
      this.bufferCaptures.push(capture);
      this.bufferIndex.push(m);
      return;
    }
    this.offer(capture, m, capture, m);
  }

  private applyLevels(capture: BinanceCapture, m: number): void {
    for (let j = capture.levelStart[m]!; j < capture.levelEnd[m]!; j++) {
      this.book.setLevel(capture.levelSide[j] as 1 | -1, capture.levelPrice[j]!, capture.levelQty[j]!);
    }
  }

  private applyDiff(capture: BinanceCapture, m: number, atCapture: BinanceCapture, at: number): void {
    this.applyLevels(capture, m);
    this.diffsApplied++;
    this.previousU = capture.lastId[m]!;
    this.onApplied(capture, m, atCapture, at);
  }

  private outOfSyncAt(capture: BinanceCapture, m: number, gap: BinanceGap): void {
    this.gaps.push(gap);
    this.state = State.OutOfSync;
    this.diffsOutOfSync++;
    this.bufferCaptures = [capture];
    this.bufferIndex = [m];
  }

  /** Steps 3-5 for one diff once a snapshot is loaded. */
  private offer(capture: BinanceCapture, m: number, atCapture: BinanceCapture, at: number): void {
    const futures = this.futures;
    const U = capture.firstId[m]!;
    const u = capture.lastId[m]!;
    if (this.state === State.AwaitingFirst) {
      const lastUpdateId = this.lastUpdateId;
      if (futures ? u < lastUpdateId : u <= lastUpdateId) {
        this.diffsSuperseded++;
        return;
      }
      const target = futures ? lastUpdateId : lastUpdateId + 1;
      if (U <= target && target <= u) {
        this.state = State.InSync;
        this.applyDiff(capture, m, atCapture, at);
        return;
      }
      // The first diff after the snapshot does not cover it: updates were lost in between.
      this.outOfSyncAt(capture, m, { line: capture.line[m]!, expected: target, got: U, message: `${capture.file}:${capture.line[m]}: first diff after snapshot ${lastUpdateId} starts at U=${U}, it must cover update ${target}` });
      return;
    }
    // In sync: continuity.
    const previousU = this.previousU;
    const expected = futures ? previousU : previousU + 1;
    const got = futures ? capture.prevId[m]! : U;
    if (got === expected) {
      this.applyDiff(capture, m, atCapture, at);
      return;
    }
    this.outOfSyncAt(capture, m, { line: capture.line[m]!, expected, got, message: `${capture.file}:${capture.line[m]}: sequence gap: ${futures ? "pu" : "U"}=${got}, expected ${expected} (previous u=${previousU}); the book is out of sync until the next snapshot` });
  }
}

/** Replays a capture with Binance's sync rules; see the module comment. */
export function syncBinanceDepth(capture: BinanceCapture, options: BinanceSyncOptions = {}): BinanceSyncResult {
  const n = capture.messages;
  const applied = new Uint8Array(n);
  const afterGap = new Uint8Array(n);
  const applyOrder: number[] = [];
  const applyAt: number[] = [];

  // Tickers by update id, to compare with the book right after the diff that ends at that id.
  const tickersById = new Map<number, number[]>();
  let bookTickers = 0;
  for (let m = 0; m < n; m++) {
    if (capture.kind[m] !== BinanceMessage.BookTicker) continue;
    bookTickers++;
    const id = capture.lastId[m]!;
    const list = tickersById.get(id);
    if (list) list.push(m);
    else tickersById.set(id, [m]);
  }
  let comparable = 0, equal = 0, mismatched = 0;
  let firstMismatch: BinanceTickerMismatch | null = null;

  const compareTickers = (u: number): void => {
    const list = tickersById.get(u);
    if (!list) return;
    for (const t of list) {
      comparable++;
      const s = capture.levelStart[t]!;
      const ticker = { bid: capture.levelPrice[s]!, bidQty: capture.levelQty[s]!, ask: capture.levelPrice[s + 1]!, askQty: capture.levelQty[s + 1]! };
      const mine = { bid: book.bestBid(), bidQty: book.bestBidQty(), ask: book.bestAsk(), askQty: book.bestAskQty() };
      if (ticker.bid === mine.bid && ticker.bidQty === mine.bidQty && ticker.ask === mine.ask && ticker.askQty === mine.askQty) equal++;
      else {
        mismatched++;
        firstMismatch ??= { line: capture.line[t]!, updateId: u, ticker, book: mine };
      }
    }
  };

  const sync = new BinanceDepthSync(capture.market === "futures", (_c, m, _a, at) => {
    applied[m] = 1;
    applyOrder.push(m);
    applyAt.push(at);
    options.onApplied?.(m, book);
    if (capture.kind[m] === BinanceMessage.Snapshot) afterGap[m] = 0;
    else compareTickers(capture.lastId[m]!);
  });
  const book = sync.book;

  for (let m = 0; m < n; m++) {
    if (options.skip?.has(m)) continue;
    if (sync.outOfSync) afterGap[m] = 1;
    sync.push(capture, m);
  }

  const report: BinanceSyncReport = {
    file: capture.file,
    market: capture.market,
    snapshots: sync.snapshots,
    syncs: sync.syncs,
    diffsApplied: sync.diffsApplied,
    diffsSuperseded: sync.diffsSuperseded,
    diffsOutOfSync: sync.diffsOutOfSync,
    // Whatever is still buffered never met a snapshot.
    diffsUnapplied: sync.buffered,
    gaps: sync.gaps,
    resyncs: sync.resyncs,
    inSyncAtEnd: sync.inSync,
    bookTickers,
    tickersComparable: comparable,
    tickersEqual: equal,
    tickersMismatched: mismatched,
    firstTickerMismatch: firstMismatch,
  };
  return { report, marks: { applied, afterGap }, applyOrder: Int32Array.from(applyOrder), applyAt: Int32Array.from(applyAt), book };
}

/**
 * A capture as TickBatch rows ready for replay: book messages in the order the sync applied
 * them (a diff buffered before the snapshot is laid out right after it, with the snapshot's
 * receive time), bookTicker and trades in file order. See `binanceToTickBatch` for the columns.
 */
export function binanceSyncedBatch(capture: BinanceCapture, sync: BinanceSyncResult = syncBinanceDepth(capture), options: BinanceTickOptions = {}): TickBatch {
  // Re-order: messages applied later than their arrival move to their application point.
  const order: number[] = [];
  const bookPositions = new Map<number, number[]>();
  for (let i = 0; i < sync.applyOrder.length; i++) {
    const at = sync.applyAt[i]!;
    const list = bookPositions.get(at);
    if (list) list.push(sync.applyOrder[i]!);
    else bookPositions.set(at, [sync.applyOrder[i]!]);
  }
  const effectiveLocal = capture.localTs.slice();
  // unapplied: "mark" keeps the diffs the sync did not apply where they arrived (rows without a book effect)
  const keepUnapplied = options.unapplied === "mark";
  for (let m = 0; m < capture.messages; m++) {
    const k = capture.kind[m]!;
    if (k !== BinanceMessage.Diff && k !== BinanceMessage.Snapshot) order.push(m);
    else if (keepUnapplied && k === BinanceMessage.Diff && !sync.marks.applied[m]) order.push(m);
    const appliedHere = bookPositions.get(m);
    if (appliedHere) {
      for (const b of appliedHere) {
        if (effectiveLocal[b]! < capture.localTs[m]!) effectiveLocal[b] = capture.localTs[m]!;
        order.push(b);
      }
    }
  }
  const reordered = reorderCapture(capture, Int32Array.from(order), effectiveLocal);
  const marks = { applied: pick(sync.marks.applied, order), afterGap: pick(sync.marks.afterGap, order) };
  return binanceToTickBatch(reordered, marks, options);
}

function pick(values: Uint8Array, order: readonly number[]): Uint8Array {
  const out = new Uint8Array(order.length);
  for (let i = 0; i < order.length; i++) out[i] = values[order[i]!]!;
  return out;
}

function reorderCapture(capture: BinanceCapture, order: Int32Array, localTs: BigInt64Array): BinanceCapture {
  const take = <T extends { length: number; [i: number]: number | bigint }>(src: T, make: (n: number) => T): T => {
    const out = make(order.length);
    for (let i = 0; i < order.length; i++) out[i] = src[order[i]!]!;
    return out;
  };
  return {
    ...capture,
    messages: order.length,
    kind: take(capture.kind, (k) => new Uint8Array(k)),
    line: take(capture.line, (k) => new Int32Array(k)),
    localTs: take(localTs, (k) => new BigInt64Array(k)),
    exchTs: take(capture.exchTs, (k) => new BigInt64Array(k)),
    firstId: take(capture.firstId, (k) => new Float64Array(k)),
    lastId: take(capture.lastId, (k) => new Float64Array(k)),
    prevId: take(capture.prevId, (k) => new Float64Array(k)),
    levelStart: take(capture.levelStart, (k) => new Int32Array(k)),
    levelEnd: take(capture.levelEnd, (k) => new Int32Array(k)),
  };
}
