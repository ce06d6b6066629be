/**
 * Order-book features from any price-level view of a book (L2Book, or L3Book through the same
 * questions), a sampled feature series over a TickBatch, and crossed/locked detection that counts
 * and locates those states instead of hiding them.
 *
 * Conventions (prices in ticks, sizes in lots, NaN = not defined, never 0):
 * | feature | formula | NaN when |
 * | --- | --- | --- |
 * | spread | a1 − b1 (negative when crossed, 0 when locked) | a side is empty |
 * | mid | (a1 + b1) / 2 | a side is empty |
 * | depth(side, N) | Σ q_k over the N best levels of the side (fewer if it has fewer) | never (0 if empty) |
 * | cumulativeDepth(side, N) | prices, sizes and running totals q_0, q_0+q_1, … of the best N levels | — |
 * | imbalance(N) | (B_N − A_N) / (B_N + A_N), B/A = depth to N levels; in [−1, 1], > 0 = more bids | both sides empty |
 * | microprice | (b1·Qa + a1·Qb) / (Qb + Qa), Q = size at the touch | a side is empty |
 * | weightedMid(N) | (b1·A_N + a1·B_N) / (B_N + A_N): the microprice with depth to N levels as weights | a side is empty |
 *
 * The microprice is the imbalance-weighted mid of Gatheral & Oomen (2010), which Stoikov ("The
 * micro-price", 2018) uses as the first-order estimate of his micro-price; his fitted correction
 * from imbalance/spread transition statistics is not applied. It leans toward the side with LESS
 * size: a large bid queue pushes it up toward the ask. weightedMid(1) equals the microprice.
 *
 * Consistent points: a book is only meaningful after a whole atomic group (a depth diff, a venue's
 * end-of-event flag, a generator message). When a batch carries `EventFlag.Last`, samples and
 * crossed/locked checks happen only at rows flagged Last; a batch without Last flags is checked
 * after every row.
 */
import { LabError } from "../core/index.js";
import { EventFlag, type TickBatch } from "../data/index.js";
import { L2Book } from "./l2-book.js";
import { applyFolded, resolveReplayMode, type ReplayMode } from "./replay.js";

/** "None" as a module constant, not a literal NaN: see docs/architecture.md, "Hot paths". */
const ABSENT = NaN;

/** The price-level questions both L2Book and L3Book answer. */
export interface BookLevelsView {
  bestBid(): number;
  bestAsk(): number;
  bestBidQty(): number;
  bestAskQty(): number;
  levelCount(side: 1 | -1): number;
  /** Price of the k-th best level (k = 0 is best), NaN if absent. */
  priceAt(side: 1 | -1, k: number): number;
  qtyAtLevel(side: 1 | -1, k: number): number;
}

/** Every feature at one instant. */
export interface BookFeatures {
  levels: number;
  bestBid: number;
  bestAsk: number;
  bestBidQty: number;
  bestAskQty: number;
  spread: number;
  mid: number;
  microprice: number;
  weightedMid: number;
  imbalance: number;
  bidDepth: number;
  askDepth: number;
  crossed: boolean;
  locked: boolean;
}

/** Book state codes `bookState` returns. */
export const BookState = { Normal: 0, Locked: 1, Crossed: 2, OneSided: 3, Empty: 4 } as const;
export type BookState = (typeof BookState)[keyof typeof BookState];
export const BOOK_STATE_NAMES: Readonly<Record<number, string>> = { 0: "normal", 1: "locked", 2: "crossed", 3: "one-sided", 4: "empty" };

export function bookState(book: BookLevelsView): BookState {
  const b = book.bestBid();
  const a = book.bestAsk();
  const noBid = Number.isNaN(b);
  const noAsk = Number.isNaN(a);
  if (noBid && noAsk) return BookState.Empty;
  if (noBid || noAsk) return BookState.OneSided;
  if (b > a) return BookState.Crossed;
  if (b === a) return BookState.Locked;
  return BookState.Normal;
}

export function spread(book: BookLevelsView): number {
  return book.bestAsk() - book.bestBid();
}

export function mid(book: BookLevelsView): number {
  return (book.bestAsk() + book.bestBid()) / 2;
}

/** Total size over the `levels` best levels of a side (0 for an empty side). */
export function depth(book: BookLevelsView, side: 1 | -1, levels: number): number {
  if (book instanceof L2Book) return book.depth(side, levels);
  const n = Math.min(levels, book.levelCount(side));
  let total = 0;
  for (let k = 0; k < n; k++) total += book.qtyAtLevel(side, k);
  return total;
}

/** Prices, sizes and running size totals of the `levels` best levels of a side (shorter if the side has fewer). */
export function cumulativeDepth(book: BookLevelsView, side: 1 | -1, levels: number): { prices: Float64Array; qtys: Float64Array; cumulative: Float64Array } {
  const cap = Math.max(0, Math.min(levels, book.levelCount(side)));
  const prices = new Float64Array(cap);
  const qtys = new Float64Array(cap);
  let n: number;
  if (book instanceof L2Book) n = book.levels(side, cap, prices, qtys);
  else {
    n = cap;
    for (let k = 0; k < n; k++) {
      prices[k] = book.priceAt(side, k);
      qtys[k] = book.qtyAtLevel(side, k);
    }
  }
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cumulative[k] = total += qtys[k]!;
  return { prices: prices.subarray(0, n), qtys: qtys.subarray(0, n), cumulative };
}

/** (B − A) / (B + A) over `levels` levels per side; NaN when both sides are empty. */
export function imbalance(book: BookLevelsView, levels = 1): number {
  return imbalanceOf(depth(book, 1, levels), depth(book, -1, levels));
}

/**
 * The imbalance formula on sizes already summed: bid size B and ask size A (depths to N levels, or
 * the sizes at the touch), so a caller holding them in typed arrays or locals needs no book view.
 * NaN when B + A is 0.
 */
export function imbalanceOf(bidSize: number, askSize: number): number {
  return bidSize + askSize > 0 ? (bidSize - askSize) / (bidSize + askSize) : ABSENT;
}

/** Imbalance-weighted mid: (b1·Qa + a1·Qb) / (Qb + Qa). */
export function microprice(book: BookLevelsView): number {
  return micropriceOf(book.bestBid(), book.bestAsk(), book.bestBidQty(), book.bestAskQty());
}

/** The microprice formula on the touch's prices and sizes: (b1·Qa + a1·Qb) / (Qb + Qa). */
export function micropriceOf(bid: number, ask: number, bidQty: number, askQty: number): number {
  return (bid * askQty + ask * bidQty) / (bidQty + askQty);
}

/** (b1·A_N + a1·B_N) / (B_N + A_N) with B/A the depth to `levels` levels. */
export function weightedMid(book: BookLevelsView, levels = 5): number {
  const b = depth(book, 1, levels);
  const a = depth(book, -1, levels);
  return (book.bestBid() * a + book.bestAsk() * b) / (b + a);
}

/** All features at once, `levels` levels deep for depth, imbalance and weighted mid. */
export function bookFeatures(book: BookLevelsView, levels = 5): BookFeatures {
  const bestBid = book.bestBid();
  const bestAsk = book.bestAsk();
  const bidDepth = depth(book, 1, levels);
  const askDepth = depth(book, -1, levels);
  return {
    levels,
    bestBid,
    bestAsk,
    bestBidQty: book.bestBidQty(),
    bestAskQty: book.bestAskQty(),
    spread: bestAsk - bestBid,
    mid: (bestAsk + bestBid) / 2,
    microprice: microprice(book),
    weightedMid: (bestBid * askDepth + bestAsk * bidDepth) / (bidDepth + askDepth),
    imbalance: imbalanceOf(bidDepth, askDepth),
    bidDepth,
    askDepth,
    crossed: bestBid > bestAsk,
    locked: bestBid === bestAsk,
  };
}

/** Crossed (bid > ask) and locked (bid = ask) books at consistent points. Rows are 0-based; -1 = never. */
export interface CrossedLockedReport {
  /** Consistent points examined. */
  checked: number;
  crossed: number;
  locked: number;
  firstCrossedRow: number;
  firstLockedRow: number;
  /** Maximal runs of consecutive crossed (locked) points. */
  crossedEpisodes: number;
  lockedEpisodes: number;
}

export interface FeatureSeriesOptions {
  /** Levels per side for depth, imbalance and weighted mid. @default 5 */
  levels?: number;
  /** Take a sample at every `every`-th consistent point (the first one included). @default 1 */
  every?: number;
  /**
   * Sample by time instead: one sample per interval [k·intervalNs, (k+1)·intervalNs) of exchange
   * time that holds a consistent point, showing the book at the last one in it.
   */
  intervalNs?: bigint | number;
  /** Rows [start, end) to replay. @default the whole batch */
  start?: number;
  end?: number;
  /** How rows drive the L2 book (see replay.ts). @default "auto" */
  mode?: ReplayMode;
  /** Book to drive (e.g. one holding a starting state). @default a new L2Book */
  book?: L2Book;
}

/** Sampled feature columns (one entry per sample) plus the crossed/locked report. */
export interface FeatureSeries {
  length: number;
  levels: number;
  /** Batch row after which the sample was taken. */
  row: Int32Array;
  /** Exchange time of that row. */
  timeNs: BigInt64Array;
  bestBid: Float64Array;
  bestAsk: Float64Array;
  bestBidQty: Float64Array;
  bestAskQty: Float64Array;
  spread: Float64Array;
  mid: Float64Array;
  microprice: Float64Array;
  weightedMid: Float64Array;
  imbalance: Float64Array;
  bidDepth: Float64Array;
  askDepth: Float64Array;
  /** Crossed/locked over every consistent point replayed (not only the sampled ones). */
  crossedLocked: CrossedLockedReport;
  /** The book after the last replayed row. */
  book: L2Book;
}

function hasLastFlags(batch: TickBatch, start: number, end: number): boolean {
  const flags = batch.flags;
  for (let i = start; i < end; i++) if (flags[i]! & EventFlag.Last) return true;
  return false;
}

/** Counts crossed/locked states; fed the book after each consistent point. */
class CrossedLockedCounter {
  readonly report: CrossedLockedReport = { checked: 0, crossed: 0, locked: 0, firstCrossedRow: -1, firstLockedRow: -1, crossedEpisodes: 0, lockedEpisodes: 0 };
  private wasCrossed = false;
  private wasLocked = false;

  see(book: BookLevelsView, row: number): void {
    const b = book.bestBid();
    const a = book.bestAsk();
    const r = this.report;
    r.checked++;
    const crossed = b > a;
    const locked = b === a;
    if (crossed) {
      r.crossed++;
      if (r.firstCrossedRow < 0) r.firstCrossedRow = row;
      if (!this.wasCrossed) r.crossedEpisodes++;
    }
    if (locked) {
      r.locked++;
      if (r.firstLockedRow < 0) r.firstLockedRow = row;
      if (!this.wasLocked) r.lockedEpisodes++;
    }
    this.wasCrossed = crossed;
    this.wasLocked = locked;
  }
}

/**
 * Replays `batch` into an L2 book and reports crossed/locked books at consistent points
 * (`groupEnds: false` checks after every row, including inside atomic groups).
 */
export function detectCrossedLocked(batch: TickBatch, options: { groupEnds?: boolean; start?: number; end?: number; mode?: ReplayMode; book?: L2Book } = {}): CrossedLockedReport {
  const start = options.start ?? 0;
  const end = Math.min(options.end ?? batch.length, batch.length);
  const folded = resolveReplayMode(batch, options.mode) === "levels";
  const book = options.book ?? new L2Book();
  const groups = (options.groupEnds ?? true) && hasLastFlags(batch, start, end);
  const counter = new CrossedLockedCounter();
  for (let i = start; i < end; i++) {
    if (folded) applyFolded(book, batch, i);
    else book.apply(batch, i);
    if (groups && !(batch.flags[i]! & EventFlag.Last)) continue;
    counter.see(book, i);
  }
  return counter.report;
}

class Growing {
  n = 0;
  row = new Int32Array(1024);
  time = new BigInt64Array(1024);
  f: Float64Array[] = Array.from({ length: 11 }, () => new Float64Array(1024));
  reserve(): number {
    if (this.n === this.row.length) {
      const cap = this.row.length * 2;
      const row = new Int32Array(cap);
      row.set(this.row);
      this.row = row;
      const time = new BigInt64Array(cap);
      time.set(this.time);
      this.time = time;
      this.f = this.f.map((a) => {
        const b = new Float64Array(cap);
        b.set(a);
        return b;
      });
    }
    return this.n++;
  }
}

/** Replays `batch` and samples every feature; see FeatureSeriesOptions for when. */
export function featureSeries(batch: TickBatch, options: FeatureSeriesOptions = {}): FeatureSeries {
  const levels = options.levels ?? 5;
  if (!Number.isInteger(levels) || levels < 1) {
    throw new LabError({ code: "BAD_OPTION", message: `levels must be a positive integer, got ${levels}`, hint: "levels per side for depth, imbalance and weighted mid, e.g. 5" });
  }
  const every = options.every ?? 1;
  if (!Number.isInteger(every) || every < 1) {
    throw new LabError({ code: "BAD_OPTION", message: `every must be a positive integer (a sample every N consistent points), got ${every}`, hint: "use intervalNs for time sampling" });
  }
  const interval = options.intervalNs === undefined ? 0n : BigInt(options.intervalNs);
  if (options.intervalNs !== undefined && interval <= 0n) {
    throw new LabError({ code: "BAD_OPTION", message: `intervalNs must be positive, got ${String(options.intervalNs)}`, hint: "e.g. intervalNs: 1_000_000_000n for one sample per second" });
  }
  const start = options.start ?? 0;
  const end = Math.min(options.end ?? batch.length, batch.length);
  const folded = resolveReplayMode(batch, options.mode) === "levels";
  const book = options.book ?? new L2Book();
  const groups = hasLastFlags(batch, start, end);
  const counter = new CrossedLockedCounter();
  const out = new Growing();

  const record = (row: number, n: number): void => {
    out.row[n] = row;
    out.time[n] = batch.exchTs[row]!;
    const f = out.f;
    const bid = book.bestBid(), ask = book.bestAsk();
    const bq = book.bestBidQty(), aq = book.bestAskQty();
    const bd = book.depth(1, levels), ad = book.depth(-1, levels);
    f[0]![n] = bid;
    f[1]![n] = ask;
    f[2]![n] = bq;
    f[3]![n] = aq;
    f[4]![n] = ask - bid;
    f[5]![n] = (ask + bid) / 2;
    f[6]![n] = micropriceOf(bid, ask, bq, aq);
    f[7]![n] = (bid * ad + ask * bd) / (bd + ad);
    f[8]![n] = imbalanceOf(bd, ad);
    f[9]![n] = bd;
    f[10]![n] = ad;
  };

  let point = 0;
  let lastBucket = -1n;
  for (let i = start; i < end; i++) {
    if (folded) applyFolded(book, batch, i);
    else book.apply(batch, i);
    if (groups && !(batch.flags[i]! & EventFlag.Last)) continue;
    counter.see(book, i);
    if (interval > 0n) {
      // The last consistent point of an interval overwrites the earlier ones in the same interval.
      const bucket = batch.exchTs[i]! / interval;
      record(i, bucket === lastBucket && out.n > 0 ? out.n - 1 : out.reserve());
      lastBucket = bucket;
    } else if (point++ % every === 0) record(i, out.reserve());
  }

  const n = out.n;
  const f = out.f.map((a) => a.slice(0, n));
  return {
    length: n,
    levels,
    row: out.row.slice(0, n),
    timeNs: out.time.slice(0, n),
    bestBid: f[0]!, bestAsk: f[1]!, bestBidQty: f[2]!, bestAskQty: f[3]!, spread: f[4]!, mid: f[5]!,
    microprice: f[6]!, weightedMid: f[7]!, imbalance: f[8]!, bidDepth: f[9]!, askDepth: f[10]!,
    crossedLocked: counter.report,
    book,
  };
}
