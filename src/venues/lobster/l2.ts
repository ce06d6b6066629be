/**
 * LOBSTER as an L2 market-data stream: the messages replayed as price levels, turned into
 * `TickBatch` rows any L2 consumer understands (L2Book, BookTimeline, featureSeries, the engine).
 *
 * What the files allow: the messages only report events inside the top-L window, and the starting
 * state is only the first orderbook row. A price-level replay therefore knows levels 1..L-1
 * exactly (verified against the orderbook file by `verifyLobster`), but when a deletion or an
 * execution empties a level inside the window, the level that moves up into place L was never
 * described by any message. Its size is copied from the orderbook row (a "seed" row, `aux` = -1),
 * and levels the replay still holds inside the window that the orderbook no longer lists
 * (stale knowledge of depth beyond the window) are removed (`aux` = -2). Rows that come from a
 * message carry `aux` = the LOBSTER type (1-6; a Halt row carries its halt/resume code).
 *
 * Rows per message, all at the message's time, the last flagged `EventFlag.Last`:
 * - types 1-4: LevelSet (side, price, new total at that price), then any seed/removal rows;
 * - types 4 and 5: a Trade row first (price, size, side = the aggressor = −direction; type 5 is
 *   flagged Hidden and leaves the levels alone);
 * - type 6: Trade + Cross; type 7: Halt (aux = the halt/resume code: -1 halt, 0 quoting, 1 trading).
 * Hidden executions at a midpoint keep their fractional tick price and the OffGrid flag.
 * The stream starts with Snapshot rows: the book before message 1 (orderbook row 1 with message
 * 1's effect undone), at message 1's time.
 */
import { L2Book } from "../../book/index.js";
import { LabError } from "../../core/index.js";
import { EventFlag, EventKind, TickBatchBuilder, type TickBatch } from "../../data/index.js";
import type { LobsterData } from "./read.js";

export interface LobsterL2Options {
  /** Window size used to decide what the messages can know. @default the orderbook's L */
  levels?: number;
}

export interface LobsterL2Result {
  /** The L2 stream (see the module comment). */
  batch: TickBatch;
  /** Batch rows after message i's group: rows [messageEnd[i-1], messageEnd[i]) belong to message i. */
  messageEnd: Int32Array;
  /** Level-L sizes copied from the orderbook because they entered the window from beyond it. */
  seeded: number;
  /** Levels dropped because the orderbook no longer lists them inside the window. */
  removed: number;
  /** Corrections the orderbook forced on levels 1..L-1 (0 when the messages explain every row). */
  corrections: number;
}

/** The book before the first message: orderbook row 0 with message 0's effect undone. */
export function lobsterStartBook(data: LobsterData, levels?: number): L2Book {
  const ob = requireOrderbook(data);
  const L = levels ?? ob.levels;
  const book = new L2Book();
  for (let k = 0; k < L; k++) {
    if (ob.bidSize[k]! > 0) book.setLevel(1, ob.bidPrice[k]!, ob.bidSize[k]!);
    if (ob.askSize[k]! > 0) book.setLevel(-1, ob.askPrice[k]!, ob.askSize[k]!);
  }
  const b = data.batch;
  if (b.length > 0) {
    const type = b.aux[0]!;
    const side = b.side[0]!;
    if (type >= 1 && type <= 4 && (side === 1 || side === -1)) {
      const p = b.priceTicks[0]!;
      const q = b.qtyLots[0]!;
      book.setLevel(side, p, book.qtyAt(side, p) + (type === 1 ? -q : q));
    }
  }
  return book;
}

export function requireOrderbook(data: LobsterData): NonNullable<LobsterData["orderbook"]> {
  if (!data.orderbook) throw new LabError({ code: "NO_ORDERBOOK", message: "the LOBSTER orderbook file is needed to seed levels entering the window", hint: "read the LOBSTER zip (it holds both files) or pass { orderbook: <file> } to readLobster" });
  return data.orderbook;
}

/** What a stream rebuilt from LOBSTER messages and reconciled with the orderbook file starts from. */
export interface LobsterStreamSetup {
  ob: NonNullable<LobsterData["orderbook"]>;
  /** Levels per side reconciled (1..the orderbook's L). */
  L: number;
  /** The messages. */
  m: TickBatch;
  out: TickBatchBuilder;
  messageEnd: Int32Array;
}

/** Checks `levels` against the orderbook file and allocates the output (shared by the L2 and L3 streams). */
export function lobsterStream(data: LobsterData, levels: number | undefined): LobsterStreamSetup {
  const ob = requireOrderbook(data);
  const L = levels ?? ob.levels;
  if (!Number.isInteger(L) || L < 1 || L > ob.levels) throw new LabError({ code: "BAD_OPTION", message: `levels must be an integer in 1..${ob.levels}, got ${L}`, hint: `the orderbook file has ${ob.levels} levels` });
  const m = data.batch;
  return { ob, L, m, out: new TickBatchBuilder(m.length * 2 + 4 * L), messageEnd: new Int32Array(m.length) };
}

/** One side of orderbook row `row`, as far as it is reconciled: its listed levels and the window's edge. */
export interface OrderbookSide {
  prices: Float64Array;
  sizes: Float64Array;
  /** Index of the row's level 1 in `prices`/`sizes`. */
  base: number;
  /** Levels listed (at most L). */
  count: number;
  /**
   * The deepest price the window covers: level L's price, or ±Infinity when fewer than L levels
   * are listed (then the orderbook shows the whole side).
   */
  edge: number;
}

export function orderbookSide(ob: NonNullable<LobsterData["orderbook"]>, row: number, side: 1 | -1, L: number): OrderbookSide {
  const prices = side === 1 ? ob.bidPrice : ob.askPrice;
  const sizes = side === 1 ? ob.bidSize : ob.askSize;
  const base = row * ob.levels;
  let count = 0;
  while (count < L && !Number.isNaN(prices[base + count]!)) count++;
  const edge = count === L ? prices[base + L - 1]! : side === 1 ? -Infinity : Infinity;
  return { prices, sizes, base, count, edge };
}

/** True when a price of `side` lies beyond the window's edge (deeper than level L). */
export function beyondEdge(side: 1 | -1, price: number, edge: number): boolean {
  return side === 1 ? price < edge : price > edge;
}

/** Builds the L2 stream; see the module comment. */
export function lobsterL2Batch(data: LobsterData, options: LobsterL2Options = {}): LobsterL2Result {
  const { ob, L, m, out, messageEnd } = lobsterStream(data, options.levels);
  const book = lobsterStartBook(data, L);
  const t0 = m.length > 0 ? m.exchTs[0]! : 0n;
  // Starting snapshot, best levels first.
  const snapRows: number[] = [];
  for (const side of [1, -1] as const) {
    for (let k = 0; k < book.levelCount(side); k++) snapRows.push(out.push(t0, t0, EventKind.LevelSet, side, book.priceAt(side, k), book.qtyAtLevel(side, k), NaN, EventFlag.Snapshot, 0, NaN, 0));
  }
  if (snapRows.length > 0) out.orFlags(snapRows[snapRows.length - 1]!, EventFlag.Last);

  let seeded = 0, removed = 0, corrections = 0;
  let mine = new Float64Array(2 * L + 2);
  let mineQty = new Float64Array(2 * L + 2);
  for (let i = 0; i < m.length; i++) {
    const ts = m.exchTs[i]!;
    const local = m.localTs[i]!;
    const type = m.kind[i] === EventKind.Halt ? 7 : m.aux[i]!; // a Halt row's aux is its code
    const side = m.side[i]!;
    const price = m.priceTicks[i]!;
    const size = m.qtyLots[i]!;
    const groupStart = out.length;
    if (type === 4 || type === 5) {
      out.push(ts, local, EventKind.Trade, -side, price, size, m.orderId[i]!, m.flags[i]! & (EventFlag.Hidden | EventFlag.OffGrid), 0, NaN, type);
    } else if (type === 6) {
      out.push(ts, local, EventKind.Trade, side, price, size, NaN, EventFlag.Cross | (side === 0 ? EventFlag.AggressorUnknown : 0), 0, NaN, type);
    } else if (type === 7) {
      out.push(ts, local, EventKind.Halt, 0, NaN, NaN, NaN, 0, 0, NaN, m.aux[i]!);
    }
    if (type >= 1 && type <= 4 && (side === 1 || side === -1)) {
      const q = book.qtyAt(side, price) + (type === 1 ? size : -size);
      book.setLevel(side, price, q);
      out.push(ts, local, EventKind.LevelSet, side, price, q > 0 ? q : 0, NaN, 0, 0, NaN, type);
    }
    // Reconcile the window with the orderbook row: seeds at level L, stale levels out.
    for (const s of [1, -1] as const) {
      const { prices: refP, sizes: refQ, base, count: refCount, edge } = orderbookSide(ob, i, s, L);
      // Every level the replay holds at or inside the edge (stale ones can be many ranks deep).
      let n = 0;
      for (;;) {
        n = book.levels(s, mine.length, mine, mineQty);
        const last = mine[n - 1]!;
        if (n < mine.length || beyondEdge(s, last, edge)) break;
        mine = new Float64Array(mine.length * 2);
        mineQty = new Float64Array(mine.length);
      }
      for (let k = 0; k < n; k++) {
        const p = mine[k]!;
        if (beyondEdge(s, p, edge)) break;
        let listed = false;
        for (let j = 0; j < refCount; j++) if (refP[base + j] === p) listed = true;
        if (!listed) {
          book.setLevel(s, p, 0);
          out.push(ts, local, EventKind.LevelSet, s, p, 0, NaN, 0, 0, NaN, -2);
          removed++;
        }
      }
      for (let j = 0; j < refCount; j++) {
        const p = refP[base + j]!;
        const q = refQ[base + j]!;
        if (book.qtyAt(s, p) === q) continue;
        book.setLevel(s, p, q);
        out.push(ts, local, EventKind.LevelSet, s, p, q, NaN, 0, 0, NaN, -1);
        if (j === L - 1) seeded++;
        else corrections++;
      }
    }
    if (out.length > groupStart) out.orFlags(out.length - 1, EventFlag.Last);
    messageEnd[i] = out.length;
  }
  const batch = out.build(m.instruments, `${m.source ?? "LOBSTER"} (L2, ${L} levels)`);
  return { batch, messageEnd, seeded, removed, corrections };
}
