/**
 * `ExchangeSim`: the simulated venue, running on the exchange clock. It replays each instrument's
 * feed into its own book (the market as the venue saw it, without feed latency), receives the
 * strategy's requests when they arrive (send time + entry latency), matches them against that book
 * and decides when resting orders fill with a queue model. Every outcome (ack, fill, cancel,
 * reject) is sent back as a response that reaches the strategy after the response latency.
 *
 * Matching rules
 * - Market: walks the opposite levels from the touch until filled; the unfilled rest is cancelled
 *   (`NoLiquidity`). Slippage = average fill − touch at arrival, in ticks (positive = worse).
 * - Limit GTC: a crossing part walks the opposite levels up to the limit as taker; the rest rests
 *   as maker. IOC: the rest is cancelled. FOK: fills entirely if the levels within the limit hold
 *   enough, else is cancelled untouched. Post-only: rejected if it would cross.
 * - Taking does not remove liquidity from the replayed book (the data does not know about us):
 *   sizes far above the visible depth are optimistic. Known limit, as in hftbacktest.
 * - A resting order fills (as maker, at its own price):
 *   · by a trade at its price against its side, once the queue model says the trades reached it;
 *     one trade's size is shared among our orders at that price in the order they arrived;
 *   · entirely, by a trade through its price (a sell printed below our bid, a buy above our ask);
 *   · entirely, when the opposite touch moves to or through its price (the book crossed it).
 *     An order that rests while the touch is already through it (after taking) waits for the
 *     touch to move again or for a trade.
 * - Cancel: removes an open order; otherwise `CancelRejected` (`OrderNotOpen`).
 * - Modify (new price and/or total size): same price and smaller size keeps the queue place; any
 *   other change re-enters the order at the back (and may take liquidity); a post-only modify that
 *   would cross is rejected and the order stays as it was.
 * - On L3 data the queue is exact (see queue/l3-fifo.ts); executions reported apart from their
 *   book change (`EventFlag.NoBookEffect`) are counted once.
 * - Clear rows keep our orders and their queue estimate; snapshot rows only cap it at the new size.
 * - Rows flagged `EventFlag.Hidden` (hidden-liquidity executions) do not change the book; they fill
 *   a resting order only by printing through its price. Rows flagged `EventFlag.LocalOnly` are skipped.
 * - What a trade at the order's price and a marketable arrival execute is the fill model's choice
 *   (fills.ts): "partial" as above, or "no-partial" (the whole order once its queue position is
 *   below zero; takers fill whole at the touch), hftbacktest's default exchange.
 */
import { EventFlag, EventKind, type TickBatch } from "../data/index.js";
import { Liquidity } from "../stats/index.js";
import type { SimBook, SimL3Book } from "./book-types.js";
import { RequestKind, ResponseKind, type RequestQueue, type ResponseQueue } from "./channels.js";
import { MutableLatencyOrderInfo, type LatencyModel } from "./latency.js";
import { OrderReason, OrderStatus, OrderType, TimeInForce } from "./orders.js";
import type { Portfolio, FillRecorder } from "./portfolio.js";
import type { L2QueueModel, L3QueueModel, QueueModel, QueueState } from "./queue/index.js";
import type { OrderTickets } from "./tickets.js";
import { partial, type FillModel } from "./fills.js";
import { grownCapacity, grownColumn } from "./grow.js";
import { SlotLists } from "./slot-lists.js";

const NO_PRICE = NaN;

export interface ExchangeHooks {
  /** Called after each fill is booked (for equity samples at fills). */
  afterFill(t: number, fillIndex: number): void;
}

/** What the simulated exchange works with; the event loop makes them once per run (loop.ts). */
export interface ExchangeParts {
  /** One book per instrument. */
  books: SimBook[];
  /** The books are order by order (L3). */
  l3: boolean;
  queue: QueueModel;
  latency: LatencyModel;
  tickets: OrderTickets;
  requests: RequestQueue;
  responses: ResponseQueue;
  portfolio: Portfolio;
  fills: FillRecorder;
  hooks: ExchangeHooks;
  /** What a trade at a resting order's price and a marketable arrival execute (fills.ts). @default partial() */
  fillModel?: FillModel;
}

export class ExchangeSim {
  readonly books: SimBook[];
  private readonly l3Books: (SimL3Book | null)[];
  private readonly l2Queue: L2QueueModel | null;
  private readonly l3Queue: L3QueueModel | null;

  // Exchange-side order state, indexed by order slot.
  private cap = 0;
  price = new Float64Array(0);
  qty = new Float64Array(0);
  leaves = new Float64Array(0);
  status = new Uint8Array(0);
  reason = new Uint8Array(0);
  arrivedT = new Float64Array(0);
  doneT = new Float64Array(0);
  touch = new Float64Array(0);
  readonly queueState: QueueState = { front: new Float64Array(0), traded: new Float64Array(0), priority: new Float64Array(0) };

  // Resting orders per instrument, in arrival order.
  /** Orders resting at the exchange, per instrument, in arrival order. */
  private readonly resting: SlotLists;
  private readonly restingCount: Int32Array;
  private scratch = new Int32Array(64);
  /** Per instrument: 1 while the data says trading is halted (Halt row with code −1 or 0 until code 1). */
  readonly halted: Uint8Array;
  /** Per instrument: 1 outside its trading session (backtest option `session`; src/engine/sessions.ts). */
  readonly closed: Uint8Array;
  private readonly prevBestBid: Float64Array;
  private readonly prevBestAsk: Float64Array;
  private readonly lastPriority: Float64Array;
  private readonly pendingExecId: Float64Array;
  private readonly pendingExecQty: Float64Array;
  private readonly info = new MutableLatencyOrderInfo();
  /**
   * Exchange time of the row handed to `processRow`, written by the loop just before the call.
   * Passed as an argument, a ns time (beyond the small-integer range) would be boxed in a fresh
   * heap number on every row; a Float64Array slot is not, so the feed path allocates nothing.
   */
  readonly rowTime = new Float64Array(1);

  private readonly latency: LatencyModel;
  private readonly tickets: OrderTickets;
  private readonly requests: RequestQueue;
  private readonly responses: ResponseQueue;
  private readonly portfolio: Portfolio;
  private readonly fills: FillRecorder;
  private readonly hooks: ExchangeHooks;
  private readonly fillModel: FillModel;

  constructor(parts: ExchangeParts) {
    const { books, l3, queue } = parts;
    this.latency = parts.latency;
    this.tickets = parts.tickets;
    this.requests = parts.requests;
    this.responses = parts.responses;
    this.portfolio = parts.portfolio;
    this.fills = parts.fills;
    this.hooks = parts.hooks;
    this.fillModel = parts.fillModel ?? partial();
    this.books = books;
    this.l3Books = books.map((b) => (l3 ? (b as SimL3Book) : null));
    this.l2Queue = queue.kind === "l2" ? queue : null;
    this.l3Queue = queue.kind === "l3" ? queue : null;
    const n = books.length;
    this.resting = new SlotLists(n);
    this.restingCount = this.resting.counts;
    this.halted = new Uint8Array(n);
    this.closed = new Uint8Array(n);
    this.prevBestBid = new Float64Array(n).fill(NaN);
    this.prevBestAsk = new Float64Array(n).fill(NaN);
    this.lastPriority = new Float64Array(n).fill(-Infinity);
    this.pendingExecId = new Float64Array(n).fill(NaN);
    this.pendingExecQty = new Float64Array(n);
    this.ensure(64);
  }

  /**
   * The session of instrument `k` closes at `t` (src/engine/sessions.ts): every order resting
   * there is cancelled (reason SessionClosed), and new orders and modifies are rejected until
   * `openSession`.
   */
  closeSession(k: number, t: number): void {
    this.closed[k] = 1;
    const n = this.copyResting(k);
    const orders = this.scratch;
    for (let j = 0; j < n; j++) {
      const o = orders[j]!;
      this.unrest(k, o);
      this.finish(o, OrderStatus.Cancelled, OrderReason.SessionClosed, t, ResponseKind.Cancelled);
    }
  }

  /** The session of instrument `k` opens: orders are accepted again. */
  openSession(k: number): void {
    this.closed[k] = 0;
  }

  /** Number of orders resting at the exchange for instrument `k`. */
  restingOrders(k: number): number {
    return this.restingCount[k]!;
  }

  // ------------------------------------------------------------------ market data

  /** Applies feed row `i` (instrument `k`) at exchange time `rowTime[0]` and runs fills it causes. */
  processRow(k: number, batch: TickBatch, i: number): void {
    if (batch.kind[i] === EventKind.Halt) {
      // aux: −1 halted, 0 quoting resumes (still no trading), 1 trading resumes.
      this.halted[k] = batch.aux[i] === 1 ? 0 : 1;
      return;
    }
    if ((batch.flags[i]! & (EventFlag.Hidden | EventFlag.LocalOnly)) !== 0) {
      // A row for the strategy's processor only (hftbacktest's split rows) never reached the venue.
      if ((batch.flags[i]! & EventFlag.LocalOnly) !== 0) return;
      // Hidden-liquidity executions print on the tape but leave the visible book as it is; they
      // only matter to us when they trade through a resting order's price. The row's side is the
      // hidden order's (for Execute rows), so the aggressor is the other side.
      if (this.restingCount[k]! > 0) {
        const kind = batch.kind[i]!;
        const side = batch.side[i]!;
        this.onTradeThrough(k, kind === EventKind.Execute ? -side : side, batch.priceTicks[i]!, this.rowTime[0]!);
      }
      return;
    }
    if (this.l3Books[k] !== null) {
      this.processRowL3(k, batch, i);
      return;
    }
    const book = this.books[k]!;
    if (this.restingCount[k] === 0) {
      book.apply(batch, i);
      return;
    }
    const t = this.rowTime[0]!;
    const kind = batch.kind[i]!;
    const flags = batch.flags[i]!;
    if (kind === EventKind.Trade) {
      book.apply(batch, i);
      this.onTrade(k, batch.side[i]!, batch.priceTicks[i]!, batch.qtyLots[i]!, t);
      return;
    }
    if (kind === EventKind.LevelSet || kind === EventKind.Bbo) {
      const side = batch.side[i]! as 1 | -1;
      const p = batch.priceTicks[i]!;
      const hit = this.hasRestingAt(k, side, p);
      const prev = hit ? book.qtyAt(side, p) : 0;
      book.apply(batch, i);
      if (hit) {
        const now = book.qtyAt(side, p);
        const snapshot = (flags & EventFlag.Snapshot) !== 0;
        const list = this.resting.backing(k);
        const q = this.queueState;
        for (let j = 0, n = this.restingCount[k]!; j < n; j++) {
          const o = list[j]!;
          if (this.tickets.side[o] !== side || this.price[o] !== p) continue;
          if (snapshot) {
            if (now < q.front[o]!) q.front[o] = now;
          } else {
            this.l2Queue!.onLevelChange(q, o, prev, now);
          }
        }
      }
      this.checkCross(k, t);
      return;
    }
    book.apply(batch, i);
    this.checkCross(k, t);
  }

  private processRowL3(k: number, batch: TickBatch, i: number): void {
    const book = this.l3Books[k]!;
    const kind = batch.kind[i]!;
    if (this.restingCount[k] === 0) {
      book.apply(batch, i);
      if (kind === EventKind.Add || kind === EventKind.Modify) this.notePriority(k, book, batch.orderId[i]!);
      return;
    }
    const t = this.rowTime[0]!;
    const flags = batch.flags[i]!;
    const id = batch.orderId[i]!;
    switch (kind) {
      case EventKind.Trade:
        book.apply(batch, i);
        this.onTradeThrough(k, batch.side[i]!, batch.priceTicks[i]!, t);
        return;
      case EventKind.Add:
        book.apply(batch, i);
        this.notePriority(k, book, id);
        this.checkCross(k, t);
        return;
      case EventKind.Reduce:
      case EventKind.Delete:
      case EventKind.Modify:
      case EventKind.Execute: {
        const oldSide = book.orderSide(id);
        const oldPrice = book.orderPrice(id);
        const prioBefore = book.orderPriority(id);
        const oldQty = book.orderQty(id);
        const noBookEffect = (flags & EventFlag.NoBookEffect) !== 0;
        book.apply(batch, i);
        if (kind === EventKind.Modify) this.notePriority(k, book, id);
        if (oldSide === oldSide && this.hasRestingAt(k, oldSide as 1 | -1, oldPrice)) {
          const newQty = book.orderQty(id);
          const newPrice = book.orderPrice(id);
          const prioAfter = book.orderPriority(id);
          let execQty = 0;
          let removed = 0;
          if (kind === EventKind.Execute) {
            execQty = batch.qtyLots[i]!;
            if (!(execQty > 0)) execQty = oldQty - (newQty === newQty ? newQty : 0);
            if (noBookEffect) {
              this.pendingExecId[k] = id;
              this.pendingExecQty[k] = execQty;
            }
          } else {
            const left = newQty === newQty ? newQty : 0;
            removed = prioAfter !== prioBefore || newPrice !== oldPrice ? oldQty : oldQty - left;
            if (this.pendingExecId[k] === id) {
              const already = Math.min(removed, this.pendingExecQty[k]!);
              removed -= already;
              this.pendingExecQty[k] = this.pendingExecQty[k]! - already;
              if (this.pendingExecQty[k]! <= 0) this.pendingExecId[k] = NaN;
            }
          }
          this.onL3LevelEvent(k, oldSide as 1 | -1, oldPrice, prioBefore, execQty, removed, t);
        }
        this.checkCross(k, t);
        return;
      }
      default:
        book.apply(batch, i);
        this.checkCross(k, t);
    }
  }

  private notePriority(k: number, book: SimL3Book, id: number): void {
    const p = book.orderPriority(id);
    if (p > this.lastPriority[k]!) this.lastPriority[k] = p;
  }

  /** Row removed `removed` lots from (or executed `execQty` lots of) a feed order at our level. */
  private onL3LevelEvent(k: number, side: 1 | -1, price: number, prio: number, execQty: number, removed: number, t: number): void {
    const model = this.l3Queue!;
    const q = this.queueState;
    const n = this.copyResting(k);
    let remaining = execQty;
    for (let j = 0; j < n; j++) {
      const o = this.scratch[j]!;
      if (this.tickets.side[o] !== side || this.price[o] !== price || this.leaves[o]! <= 0) continue;
      const ahead = prio <= q.priority[o]!;
      if (execQty > 0) {
        if (remaining <= 0) break;
        const lots = model.onExecution(q, o, remaining, ahead, this.leaves[o]!);
        if (lots > 0) {
          this.fill(k, o, lots, price, Liquidity.Maker, t);
          remaining -= lots;
        }
      } else if (ahead && removed > 0) {
        model.onRemovedAhead(q, o, removed);
      }
    }
  }

  private hasRestingAt(k: number, side: number, price: number): boolean {
    const list = this.resting.backing(k);
    for (let j = 0, n = this.restingCount[k]!; j < n; j++) {
      const o = list[j]!;
      if (this.price[o] === price && this.tickets.side[o] === side) return true;
    }
    return false;
  }

  private copyResting(k: number): number {
    const n = this.restingCount[k]!;
    if (this.scratch.length < n) this.scratch = new Int32Array(n * 2);
    this.scratch.set(this.resting.backing(k).subarray(0, n));
    return n;
  }

  /** Aggressor side ±1 (0 = unknown: inferred from the touch). */
  private aggressorOf(k: number, side: number, price: number): number {
    if (side === 1 || side === -1) return side;
    const book = this.books[k]!;
    if (price <= book.bestBid()) return -1;
    if (price >= book.bestAsk()) return 1;
    return 0;
  }

  private onTrade(k: number, aggressorSide: number, price: number, qty: number, t: number): void {
    const aggressor = this.aggressorOf(k, aggressorSide, price);
    if (aggressor === 0) return;
    const model = this.l2Queue!;
    const fills = this.fillModel;
    const q = this.queueState;
    const n = this.copyResting(k);
    let remaining = qty;
    for (let j = 0; j < n; j++) {
      const o = this.scratch[j]!;
      const side = this.tickets.side[o]!;
      if (side !== -aggressor || this.leaves[o]! <= 0) continue;
      const p = this.price[o]!;
      if (side === 1 ? p > price : p < price) {
        this.fill(k, o, this.leaves[o]!, p, Liquidity.Maker, t);
      } else if (p === price) {
        model.onTrade(q, o, qty);
        const lots = fills.tradeAtPrice(model, q, o, this.leaves[o]!, remaining);
        if (lots > 0) {
          this.fill(k, o, lots, p, Liquidity.Maker, t);
          remaining -= lots;
        }
      }
    }
  }

  /** L3 data: trades only matter when they print through our price (executions drive the queue). */
  private onTradeThrough(k: number, aggressorSide: number, price: number, t: number): void {
    const aggressor = this.aggressorOf(k, aggressorSide, price);
    if (aggressor === 0) return;
    const n = this.copyResting(k);
    for (let j = 0; j < n; j++) {
      const o = this.scratch[j]!;
      const side = this.tickets.side[o]!;
      if (side !== -aggressor || this.leaves[o]! <= 0) continue;
      const p = this.price[o]!;
      if (side === 1 ? p > price : p < price) this.fill(k, o, this.leaves[o]!, p, Liquidity.Maker, t);
    }
  }

  /** Fills resting orders the opposite touch has just moved to or through. */
  private checkCross(k: number, t: number): void {
    const book = this.books[k]!;
    const bb = book.bestBid();
    const ba = book.bestAsk();
    const pbb = this.prevBestBid[k]!;
    const pba = this.prevBestAsk[k]!;
    this.prevBestBid[k] = bb;
    this.prevBestAsk[k] = ba;
    if ((bb === pbb || (bb !== bb && pbb !== pbb)) && (ba === pba || (ba !== ba && pba !== pba))) return;
    const n = this.copyResting(k);
    for (let j = 0; j < n; j++) {
      const o = this.scratch[j]!;
      if (this.leaves[o]! <= 0) continue;
      const p = this.price[o]!;
      if (this.tickets.side[o] === 1) {
        if (ba <= p && !(pba <= p)) this.fill(k, o, this.leaves[o]!, p, Liquidity.Maker, t);
      } else if (bb >= p && !(pbb >= p)) {
        this.fill(k, o, this.leaves[o]!, p, Liquidity.Maker, t);
      }
    }
  }

  // ------------------------------------------------------------------ requests

  /** Processes the request at the head of the queue (its arrival time is `t`). */
  processRequest(t: number): void {
    const r = this.requests;
    const j = r.peek();
    const kind = r.kind[j]!;
    const o = r.slot[j]!;
    const price = r.price[j]!;
    const qty = r.qty[j]!;
    r.pop();
    if (kind === RequestKind.New) this.onNew(o, t);
    else if (kind === RequestKind.Cancel) this.onCancel(o, t);
    else this.onModify(o, price, qty, t);
  }

  private onNew(o: number, t: number): void {
    this.ensure(o + 1);
    const tk = this.tickets;
    const k = tk.instrument[o]!;
    if ((this.halted[k]! | this.closed[k]!) !== 0) {
      this.price[o] = tk.price[o]!;
      this.qty[o] = tk.qty[o]!;
      this.leaves[o] = tk.qty[o]!;
      this.arrivedT[o] = t;
      this.touch[o] = NaN;
      this.finish(o, OrderStatus.Rejected, this.closed[k] === 1 ? OrderReason.MarketClosed : OrderReason.TradingHalted, t, ResponseKind.Rejected);
      return;
    }
    const side = tk.side[o]!;
    const book = this.books[k]!;
    this.price[o] = tk.price[o]!;
    this.qty[o] = tk.qty[o]!;
    this.leaves[o] = tk.qty[o]!;
    this.arrivedT[o] = t;
    this.doneT[o] = NaN;
    this.reason[o] = 0;
    const touch = side === 1 ? book.bestAsk() : book.bestBid();
    this.touch[o] = touch;
    const type = tk.type[o]!;
    const tif = tk.tif[o]!;
    if (type === OrderType.Market) {
      if (touch !== touch) {
        this.finish(o, OrderStatus.Rejected, OrderReason.NoLiquidity, t, ResponseKind.Rejected);
        return;
      }
      this.status[o] = OrderStatus.Acked;
      this.respond(t, ResponseKind.Ack, o, 0, NO_PRICE, 0, 0, 0);
      this.take(k, o, side, side === 1 ? Infinity : -Infinity, t);
      if (this.leaves[o]! > 0) this.finish(o, OrderStatus.Cancelled, OrderReason.NoLiquidity, t, ResponseKind.Cancelled);
      return;
    }
    const limit = this.price[o]!;
    const crosses = side === 1 ? limit >= book.bestAsk() : limit <= book.bestBid();
    if (crosses && tif === TimeInForce.PostOnly) {
      this.finish(o, OrderStatus.Rejected, OrderReason.PostOnlyWouldCross, t, ResponseKind.Rejected);
      return;
    }
    this.status[o] = OrderStatus.Acked;
    this.respond(t, ResponseKind.Ack, o, 0, NO_PRICE, 0, 0, 0);
    if (tif === TimeInForce.FOK) {
      if (!crosses || this.available(k, side, limit) < this.leaves[o]!) {
        this.finish(o, OrderStatus.Cancelled, OrderReason.FokNotFillable, t, ResponseKind.Cancelled);
        return;
      }
    }
    if (crosses) this.take(k, o, side, limit, t);
    if (this.leaves[o]! <= 0) return;
    if (tif === TimeInForce.IOC || tif === TimeInForce.FOK) {
      this.finish(o, OrderStatus.Cancelled, OrderReason.IocRemainder, t, ResponseKind.Cancelled);
      return;
    }
    this.rest(k, o);
  }

  private rest(k: number, o: number): void {
    const book = this.books[k]!;
    // The touch seen while nothing rested is stale for cross detection: start from the book now.
    if (this.restingCount[k] === 0) {
      this.prevBestBid[k] = book.bestBid();
      this.prevBestAsk[k] = book.bestAsk();
    }
    const side = this.tickets.side[o]! as 1 | -1;
    const levelQty = book.qtyAt(side, this.price[o]!);
    if (this.l3Queue) this.l3Queue.onNew(this.queueState, o, levelQty, this.lastPriority[k]!);
    else this.l2Queue!.onNew(this.queueState, o, levelQty);
    this.resting.add(k, o);
  }

  private unrest(k: number, o: number): void {
    this.resting.remove(k, o);
  }

  private isResting(k: number, o: number): boolean {
    return this.resting.has(k, o);
  }

  /** Opposite-side size at prices within `limit`. */
  private available(k: number, side: number, limit: number): number {
    const book = this.books[k]!;
    const opp = -side as 1 | -1;
    let total = 0;
    for (let lv = 0, n = book.levelCount(opp); lv < n; lv++) {
      const px = book.priceAt(opp, lv);
      if (side === 1 ? px > limit : px < limit) break;
      const q = book.qtyAtLevel(opp, lv);
      if (q > 0) total += q;
    }
    return total;
  }

  /** Walks the opposite levels up to `limit`, filling as taker (or, fill model "touch", all of it at the touch). */
  private take(k: number, o: number, side: number, limit: number, t: number): void {
    const book = this.books[k]!;
    if (this.fillModel.taking === "touch") {
      const touch = side === 1 ? book.bestAsk() : book.bestBid();
      if (touch === touch && (side === 1 ? touch <= limit : touch >= limit)) this.fill(k, o, this.leaves[o]!, touch, Liquidity.Taker, t);
      return;
    }
    const opp = -side as 1 | -1;
    for (let lv = 0, n = book.levelCount(opp); lv < n && this.leaves[o]! > 0; lv++) {
      const px = book.priceAt(opp, lv);
      if (side === 1 ? px > limit : px < limit) break;
      const q = book.qtyAtLevel(opp, lv);
      if (!(q > 0)) continue;
      const lots = Math.min(q, this.leaves[o]!);
      this.fill(k, o, lots, px, Liquidity.Taker, t);
    }
  }

  private onCancel(o: number, t: number): void {
    const k = this.tickets.instrument[o]!;
    if (o >= this.cap || !(this.status[o] === OrderStatus.Acked || this.status[o] === OrderStatus.PartiallyFilled) || !this.isResting(k, o)) {
      this.respond(t, ResponseKind.CancelRejected, o, 0, NO_PRICE, 0, 0, OrderReason.OrderNotOpen);
      return;
    }
    this.unrest(k, o);
    this.finish(o, OrderStatus.Cancelled, OrderReason.UserCancel, t, ResponseKind.Cancelled);
  }

  private onModify(o: number, newPrice: number, newQty: number, t: number): void {
    const k = this.tickets.instrument[o]!;
    if (o >= this.cap || !this.isResting(k, o)) {
      this.respond(t, ResponseKind.ModifyRejected, o, 0, NO_PRICE, 0, 0, OrderReason.OrderNotOpen);
      return;
    }
    if ((this.halted[k]! | this.closed[k]!) !== 0) {
      this.respond(t, ResponseKind.ModifyRejected, o, 0, NO_PRICE, 0, 0, this.closed[k] === 1 ? OrderReason.MarketClosed : OrderReason.TradingHalted);
      return;
    }
    const price = newPrice === newPrice ? newPrice : this.price[o]!;
    const qty = newQty === newQty ? newQty : this.qty[o]!;
    const filled = this.qty[o]! - this.leaves[o]!;
    if (qty <= filled) {
      this.respond(t, ResponseKind.ModifyRejected, o, 0, NO_PRICE, 0, 0, OrderReason.BadModify);
      return;
    }
    const side = this.tickets.side[o]!;
    const book = this.books[k]!;
    if (price === this.price[o] && qty <= this.qty[o]!) {
      this.qty[o] = qty;
      this.leaves[o] = qty - filled;
      this.respond(t, ResponseKind.Modified, o, qty, price, 0, 0, 0);
      return;
    }
    const crosses = side === 1 ? price >= book.bestAsk() : price <= book.bestBid();
    if (crosses && this.tickets.tif[o] === TimeInForce.PostOnly) {
      this.respond(t, ResponseKind.ModifyRejected, o, 0, NO_PRICE, 0, 0, OrderReason.PostOnlyWouldCross);
      return;
    }
    this.unrest(k, o);
    this.price[o] = price;
    this.qty[o] = qty;
    this.leaves[o] = qty - filled;
    this.respond(t, ResponseKind.Modified, o, qty, price, 0, 0, 0);
    if (crosses) this.take(k, o, side, price, t);
    if (this.leaves[o]! > 0) this.rest(k, o);
  }

  // ------------------------------------------------------------------ outcomes

  private fill(k: number, o: number, lots: number, priceTicks: number, liquidity: number, t: number): void {
    const side = this.tickets.side[o]!;
    this.leaves[o] = this.leaves[o]! - lots;
    const fee = this.portfolio.applyFill(k, side, priceTicks, lots, liquidity);
    const fi = this.fills.push(t, k, o, side, priceTicks, lots, fee, liquidity);
    if (this.leaves[o]! <= 0) {
      this.leaves[o] = 0;
      this.status[o] = OrderStatus.Filled;
      this.doneT[o] = t;
      this.unrest(k, o);
    } else {
      this.status[o] = OrderStatus.PartiallyFilled;
    }
    this.respond(t, ResponseKind.Fill, o, lots, priceTicks, fee, liquidity, 0);
    this.hooks.afterFill(t, fi);
  }

  private finish(o: number, status: number, reason: number, t: number, response: number): void {
    this.status[o] = status;
    this.reason[o] = reason;
    this.doneT[o] = t;
    this.respond(t, response, o, 0, NO_PRICE, 0, 0, reason);
  }

  private respond(t: number, kind: number, o: number, qty: number, price: number, fee: number, liquidity: number, reason: number): void {
    const info = this.info;
    const tk = this.tickets;
    info.id = o;
    info.instrument = tk.instrument[o]!;
    info.side = tk.side[o]!;
    info.priceTicks = o < this.cap ? this.price[o]! : tk.price[o]!;
    info.qtyLots = tk.qty[o]!;
    info.type = tk.type[o]!;
    info.request = kind;
    let lat = this.latency.responseNs(t, info);
    if (!(lat >= 0)) lat = 0;
    this.responses.push(t + lat, t, kind, o, qty, price, fee, liquidity, reason);
  }

  /**
   * Grows the order columns ×4 (fresh memory is the expensive part, so few, large steps) and
   * never pre-fills them: a slot's fields are written when its order arrives (status 0 = never
   * arrived), so pages past the last order are never touched.
   */
  private ensure(n: number): void {
    if (n <= this.cap) return;
    const cap = grownCapacity(this.cap, n);
    this.price = grownColumn(this.price, cap);
    this.qty = grownColumn(this.qty, cap);
    this.leaves = grownColumn(this.leaves, cap);
    this.status = grownColumn(this.status, cap);
    this.reason = grownColumn(this.reason, cap);
    this.arrivedT = grownColumn(this.arrivedT, cap);
    this.doneT = grownColumn(this.doneT, cap);
    this.touch = grownColumn(this.touch, cap);
    this.queueState.front = grownColumn(this.queueState.front, cap);
    this.queueState.traded = grownColumn(this.queueState.traded, cap);
    this.queueState.priority = grownColumn(this.queueState.priority, cap);
    this.cap = cap;
  }

  /** Makes sure state exists for orders up to `n` (orders that never arrived stay blank). */
  reserve(n: number): void {
    this.ensure(n);
  }
}
