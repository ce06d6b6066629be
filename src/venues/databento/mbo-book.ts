/**
 * Databento MBO book rules on top of `L3Book`, and the acceptance checks a researcher runs
 * before trusting an MBO replay.
 *
 * Rules (Databento, "state management of resting orders"; docs/l3-book.md):
 * - A adds; C removes `size` from the order (it leaves the book at 0); M changes price and/or
 *   size (a price change or size increase loses priority); R clears the book; snapshot records
 *   (F_SNAPSHOT) are adds like any other.
 * - T (trade print, aggressor side) and F (fill of a resting order) do not change the book:
 *   every fill is followed by the C or M that does. The DBN reader flags F rows
 *   `EventFlag.NoBookEffect`, which `L3Book.apply` honours; applying F as a reduction would
 *   remove liquidity twice.
 * - Book state is only consistent after a record with F_LAST (`EventFlag.Last`): the records
 *   of one event are applied as they come, but the top of book that queries return is the one
 *   published at the last F_LAST, so a reader never sees a half-applied event.
 */
import { L3Book, type L3BookOptions, type L3BookStats } from "../../book/index.js";
import { EventFlag, EventKind, type TickBatch } from "../../data/index.js";

/** Top of book as published at the last F_LAST row. */
export interface PublishedTop {
  bid: number;
  bidQty: number;
  ask: number;
  askQty: number;
  /** Row of the F_LAST that published it (-1 = none yet). */
  row: number;
}

export class DatabentoMboBook {
  readonly book: L3Book;
  private top: PublishedTop = { bid: NaN, bidQty: NaN, ask: NaN, askQty: NaN, row: -1 };
  /** True while rows of an event have been applied but its F_LAST has not come yet. */
  inGroup = false;

  constructor(options: Omit<L3BookOptions, "venueRules"> = {}) {
    this.book = new L3Book({ ...options, venueRules: "databento" });
  }

  /** Applies row i; publishes the top of book when the row carries F_LAST. */
  apply(batch: TickBatch, i: number): void {
    this.book.apply(batch, i);
    if ((batch.flags[i]! & EventFlag.Last) !== 0) {
      const t = this.top;
      const b = this.book;
      t.bid = b.bestBid();
      t.ask = b.bestAsk();
      t.bidQty = b.bestBidQty();
      t.askQty = b.bestAskQty();
      t.row = i;
      this.inGroup = false;
    } else {
      this.inGroup = true;
    }
  }

  /** Best bid at the last consistent point (NaN if none). */
  bestBid(): number {
    return this.top.bid;
  }
  bestAsk(): number {
    return this.top.ask;
  }
  bestBidQty(): number {
    return this.top.bidQty;
  }
  bestAskQty(): number {
    return this.top.askQty;
  }
  /** The published top (the same object is updated in place; copy it to keep it). */
  published(): Readonly<PublishedTop> {
    return this.top;
  }
  get stats(): L3BookStats {
    return this.book.stats;
  }
}

export interface MboCheckOptions {
  /**
   * How far (in ticks) outside [best bid, best ask] of the last consistent book a trade print may
   * be before it counts as inconsistent. @default 0. Prints of an aggressor sweeping several levels
   * are reported separately (`tradesThroughTouch`), not as inconsistent.
   */
  tradeToleranceTicks?: number;
  /** Batch rows to check. @default all */
  start?: number;
  end?: number;
}

export interface CrossedRun {
  firstRow: number;
  lastRow: number;
  firstTs: bigint;
  lastTs: bigint;
  points: number;
}

export interface MboCheckReport {
  rows: number;
  /** Rows carrying F_LAST: the consistent points checked. */
  lastPoints: number;
  snapshotRows: number;
  clears: number;
  /** Final order count and top of book. */
  orders: number;
  bestBid: number;
  bestBidQty: number;
  bestAsk: number;
  bestAskQty: number;
  /** C/M/F/execute/reduce events on ids the book does not hold (all actions together). */
  unknownIdEvents: number;
  firstUnknownIdRow: number;
  /** Unknown-id events by TickBatch kind name (Reduce = C, Modify = M, Execute = F). */
  unknownIdByKind: Record<string, number>;
  /** Modifies for unknown ids applied as adds (Databento rule). */
  modifyAsAddEvents: number;
  /** Reductions larger than the order (the order is removed; the book never goes negative). */
  negativeQtyEvents: number;
  /** Levels found with qty <= 0 at an F_LAST point (must be 0). */
  nonPositiveLevels: number;
  /** F_LAST points where best bid >= best ask. */
  crossedPoints: number;
  crossedRuns: CrossedRun[];
  /** Fills (Execute rows) naming an order in the book at that moment / not in it. */
  fillsOnKnownOrders: number;
  fillsOnUnknownOrders: number;
  firstUnknownFillRow: number;
  /**
   * Fills at a price other than the order's price in the book. Not an error: CME also sends F
   * for the aggressor, whose earlier resting order was re-priced through the touch (the C at its
   * old price follows), and auction fills happen at the auction price.
   */
  fillsAwayFromOrderPrice: number;
  trades: number;
  /** Trades checked against a two-sided consistent book. */
  tradesChecked: number;
  /** Trades at or between best bid and best ask (± tolerance). */
  tradesInsideTouch: number;
  /** Aggressor trades beyond the touch on the aggressor's side (a sweep through several levels). */
  tradesThroughTouch: number;
  /** Trades outside [bid - tol, ask + tol] that are not sweeps in the aggressor's direction. */
  tradesInconsistent: number;
  firstInconsistentTradeRow: number;
  maxTradeDistanceTicks: number;
  toleranceTicks: number;
  /** Hard failures: the replay cannot be trusted. */
  problems: string[];
  /** Conditions counted and reported (unknown ids, crossed runs, sweeps). */
  notes: string[];
  /** No problems. */
  ok: boolean;
}

/**
 * Replays an MBO TickBatch with Databento rules and checks the book at every F_LAST point:
 * never negative, never crossed (crossed runs are listed with their times: a pre-open auction
 * book may legitimately cross), fills refer to known orders, trade prints agree with the top of
 * book. Allocates nothing per row except the crossed-run list.
 */
export function checkMboBook(batch: TickBatch, options: MboCheckOptions = {}): MboCheckReport {
  const tol = options.tradeToleranceTicks ?? 0;
  const start = options.start ?? 0;
  const end = options.end ?? batch.length;
  const mbo = new DatabentoMboBook();
  const book = mbo.book;
  const r: MboCheckReport = {
    rows: end - start,
    lastPoints: 0,
    snapshotRows: 0,
    clears: 0,
    orders: 0,
    bestBid: NaN,
    bestBidQty: NaN,
    bestAsk: NaN,
    bestAskQty: NaN,
    unknownIdEvents: 0,
    firstUnknownIdRow: -1,
    unknownIdByKind: {},
    modifyAsAddEvents: 0,
    negativeQtyEvents: 0,
    nonPositiveLevels: 0,
    crossedPoints: 0,
    crossedRuns: [],
    fillsOnKnownOrders: 0,
    fillsOnUnknownOrders: 0,
    firstUnknownFillRow: -1,
    fillsAwayFromOrderPrice: 0,
    trades: 0,
    tradesChecked: 0,
    tradesInsideTouch: 0,
    tradesThroughTouch: 0,
    tradesInconsistent: 0,
    firstInconsistentTradeRow: -1,
    maxTradeDistanceTicks: 0,
    toleranceTicks: tol,
    problems: [],
    notes: [],
    ok: false,
  };
  const unknownByKind = new Float64Array(256);
  let run: CrossedRun | undefined;
  for (let i = start; i < end; i++) {
    const kind = batch.kind[i]!;
    const flags = batch.flags[i]!;
    if ((flags & EventFlag.Snapshot) !== 0) r.snapshotRows++;
    if (kind === EventKind.Execute) {
      const id = batch.orderId[i]!;
      if (book.hasOrder(id)) {
        r.fillsOnKnownOrders++;
        if (book.orderPrice(id) !== batch.priceTicks[i]!) r.fillsAwayFromOrderPrice++;
      } else {
        r.fillsOnUnknownOrders++;
        if (r.firstUnknownFillRow < 0) r.firstUnknownFillRow = i;
      }
    } else if (kind === EventKind.Trade) {
      r.trades++;
      const top = mbo.published();
      const bid = top.bid;
      const ask = top.ask;
      if (bid === bid && ask === ask) {
        r.tradesChecked++;
        const p = batch.priceTicks[i]!;
        const lo = Math.min(bid, ask) - tol;
        const hi = Math.max(bid, ask) + tol;
        if (p >= lo && p <= hi) r.tradesInsideTouch++;
        else {
          const side = batch.side[i]!;
          const dist = p > hi ? p - hi + tol : lo + tol - p;
          if ((side === 1 && p > hi) || (side === -1 && p < lo)) r.tradesThroughTouch++;
          else {
            r.tradesInconsistent++;
            if (r.firstInconsistentTradeRow < 0) r.firstInconsistentTradeRow = i;
          }
          if (dist > r.maxTradeDistanceTicks) r.maxTradeDistanceTicks = dist;
        }
      }
    }
    const before = book.stats.unknownIdEvents;
    mbo.apply(batch, i);
    if (book.stats.unknownIdEvents !== before) unknownByKind[kind]!++;
    if ((flags & EventFlag.Last) !== 0) {
      r.lastPoints++;
      const b = book.bestBid();
      const a = book.bestAsk();
      if (book.bestBidQty() <= 0) r.nonPositiveLevels++;
      if (book.bestAskQty() <= 0) r.nonPositiveLevels++;
      if (b >= a) {
        r.crossedPoints++;
        const ts = batch.exchTs[i]!;
        if (run !== undefined) {
          run.lastRow = i;
          run.lastTs = ts;
          run.points++;
        } else {
          run = { firstRow: i, lastRow: i, firstTs: ts, lastTs: ts, points: 1 };
          r.crossedRuns.push(run);
        }
      } else if (run !== undefined) {
        run = undefined;
      }
    }
  }
  const st = book.stats;
  r.clears = st.clears;
  r.orders = book.orderCount();
  r.bestBid = book.bestBid();
  r.bestBidQty = book.bestBidQty();
  r.bestAsk = book.bestAsk();
  r.bestAskQty = book.bestAskQty();
  r.unknownIdEvents = st.unknownIdEvents;
  r.firstUnknownIdRow = st.firstUnknownIdRow;
  r.modifyAsAddEvents = st.modifyAsAddEvents;
  r.negativeQtyEvents = st.negativeQtyEvents;
  for (let k = 0; k < 256; k++) if (unknownByKind[k]! > 0) r.unknownIdByKind[kindName(k)] = unknownByKind[k]!;
  if (r.negativeQtyEvents > 0) r.problems.push(`${r.negativeQtyEvents} reductions larger than the order (the order was removed instead of going negative)`);
  if (r.nonPositiveLevels > 0) r.problems.push(`${r.nonPositiveLevels} best levels with size <= 0 at F_LAST points`);
  if (r.tradesInconsistent > 0) r.problems.push(`${r.tradesInconsistent} trade prints outside best bid/ask ± ${tol} ticks against the aggressor's direction (first at row ${r.firstInconsistentTradeRow})`);
  if (r.unknownIdEvents > 0) r.notes.push(`${r.unknownIdEvents} events on unknown order ids (first at row ${r.firstUnknownIdRow}): ${JSON.stringify(r.unknownIdByKind)}`);
  if (r.fillsOnUnknownOrders > 0) r.notes.push(`${r.fillsOnUnknownOrders} fills name orders not in the book (first at row ${r.firstUnknownFillRow})`);
  for (const c of r.crossedRuns.slice(0, 10)) r.notes.push(`book crossed at ${c.points} F_LAST points, rows ${c.firstRow}-${c.lastRow}`);
  if (r.crossedRuns.length > 10) r.notes.push(`... ${r.crossedRuns.length - 10} more crossed runs`);
  if (r.tradesThroughTouch > 0) r.notes.push(`${r.tradesThroughTouch} prints beyond the touch in the aggressor's direction (sweeps, up to ${r.maxTradeDistanceTicks} ticks)`);
  r.ok = r.problems.length === 0;
  return r;
}

function kindName(kind: number): string {
  for (const [name, v] of Object.entries(EventKind)) if (v === kind) return name;
  return `kind-${kind}`;
}
