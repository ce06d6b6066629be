/**
 * `LocalView`: the strategy's side of the wire, running on the local clock. It replays the feed
 * into its own books when each row is *received* (exchange time + feed latency), learns about its
 * orders only from responses that have arrived, keeps its own position and cash from fill reports,
 * applies pre-trade risk checks and owns the timers. The strategy gets a `Context` bound to this
 * object and nothing else: there is no path from a strategy to exchange-side state or to rows it
 * has not received yet.
 *
 * Risk limits (checked when the strategy sends, like a gateway; rejected orders never leave):
 * - `maxPosition` (lots, per instrument): position + open orders on that side + the new size.
 * - `maxOrderQty` (lots), `allowShort` (false: no sell beyond the long position).
 * - `maxOrdersPerSecond`: new orders within any 1 s window of the local clock.
 * - `maxDrawdown` (currency): when local equity falls this far below its running peak, all open
 *   orders are cancelled, positions are flattened with market orders, and the strategy is halted
 *   (no more callbacks; further orders are rejected with `RiskHalted`).
 */
import { LabError, type InstrumentSpec } from "../core/index.js";
import { EventFlag, EventKind, type TickBatch } from "../data/index.js";
import { Liquidity } from "../stats/index.js";
import type { SimBook } from "./book-types.js";
import { RequestKind, ResponseKind, type RequestQueue, type ResponseQueue, type TimerHeap } from "./channels.js";
import type { TimeBase } from "./clock.js";
import { MutableLatencyOrderInfo, type LatencyModel } from "./latency.js";
import { ORDER_REASON_NAMES, ORDER_STATUS_NAMES, OrderReason, OrderStatus, OrderType, TIME_IN_FORCE_NAMES, TimeInForce } from "./orders.js";
import type { BookView, Context, FillEvent, OrderEvent, OrderOptions, OrderUpdate, StrategyHandlers, TradeView } from "./strategy-types.js";
import type { OrderTickets } from "./tickets.js";
import { UnitConverter } from "./units.js";
import { grownCapacity, grownColumn } from "./grow.js";
import { SlotLists } from "./slot-lists.js";

/** "None" (no level, no such order) as a module constant, not a literal NaN: see docs/architecture.md, "Hot paths". */
const ABSENT = NaN;

export interface RiskLimits {
  /** Max |position| in lots per instrument, counting open orders on the side that would grow it. */
  maxPosition?: number;
  /** Max size of one order, lots. */
  maxOrderQty?: number;
  /** Max new orders within any 1 s of local time. */
  maxOrdersPerSecond?: number;
  /** Drawdown (currency, from the running peak of local equity) that flattens and halts. */
  maxDrawdown?: number;
  /** Allow selling below zero position. @default true */
  allowShort?: boolean;
}

class LocalBookView implements BookView {
  constructor(
    readonly instrument: number,
    readonly spec: InstrumentSpec,
    private readonly book: SimBook,
  ) {}
  bestBid(): number {
    return this.book.bestBid();
  }
  bestAsk(): number {
    return this.book.bestAsk();
  }
  bestBidQty(): number {
    return this.book.bestBidQty();
  }
  bestAskQty(): number {
    return this.book.bestAskQty();
  }
  mid(): number {
    return (this.book.bestBid() + this.book.bestAsk()) / 2;
  }
  spread(): number {
    return this.book.bestAsk() - this.book.bestBid();
  }
  qtyAt(side: 1 | -1, priceTicks: number): number {
    return this.book.qtyAt(side, priceTicks);
  }
  levelCount(side: 1 | -1): number {
    return this.book.levelCount(side);
  }
  priceAt(side: 1 | -1, k: number): number {
    return this.book.priceAt(side, k);
  }
  qtyAtLevel(side: 1 | -1, k: number): number {
    return this.book.qtyAtLevel(side, k);
  }
  imbalance(levels = 1): number {
    let b = 0;
    let a = 0;
    if (levels <= 1) {
      b = this.book.bestBidQty();
      a = this.book.bestAskQty();
      if (b !== b) b = 0;
      if (a !== a) a = 0;
    } else {
      for (let k = 0, n = Math.min(levels, this.book.levelCount(1)); k < n; k++) b += this.book.qtyAtLevel(1, k);
      for (let k = 0, n = Math.min(levels, this.book.levelCount(-1)); k < n; k++) a += this.book.qtyAtLevel(-1, k);
    }
    return b + a > 0 ? (b - a) / (b + a) : ABSENT;
  }
  microprice(): number {
    const bq = this.book.bestBidQty();
    const aq = this.book.bestAskQty();
    return (this.book.bestBid() * aq + this.book.bestAsk() * bq) / (bq + aq);
  }
}

class TradeFlyweight implements TradeView {
  instrument = 0;
  priceTicks = NaN;
  qtyLots = NaN;
  side = 0;
}

const TIF_BY_NAME: Readonly<Record<string, number>> = { GTC: TimeInForce.GTC, IOC: TimeInForce.IOC, FOK: TimeInForce.FOK, PostOnly: TimeInForce.PostOnly };
const EVENT_BY_RESPONSE: Readonly<Record<number, OrderEvent>> = {
  [ResponseKind.Ack]: "ack",
  [ResponseKind.Fill]: "fill",
  [ResponseKind.Cancelled]: "cancelled",
  [ResponseKind.Rejected]: "rejected",
  [ResponseKind.Modified]: "modified",
  [ResponseKind.CancelRejected]: "cancelRejected",
  [ResponseKind.ModifyRejected]: "modifyRejected",
};

export class LocalView {
  readonly views: LocalBookView[];
  /**
   * The receive time and feed latency of the row handed to `processRow`, written by the loop just
   * before the call (a Float64Array slot, unlike a ns-time argument, is not boxed on the heap per row).
   */
  readonly rowTime = new Float64Array(2);
  /** Current local time (ns since the time base); a double field from the start (see `cash`). */
  now = NaN;
  readonly ctx: Context;

  // Local order state, indexed by order slot.
  private cap = 0;
  status = new Uint8Array(0);
  reason = new Uint8Array(0);
  price = new Float64Array(0);
  qty = new Float64Array(0);
  leaves = new Float64Array(0);
  ackT = new Float64Array(0);
  doneT = new Float64Array(0);
  /** The strategy's open orders, per instrument, in the order they were sent. */
  private readonly open: SlotLists;
  private readonly openCount: Int32Array;
  private readonly openBuy: Float64Array;
  private readonly openSell: Float64Array;

  readonly position: Float64Array;
  /**
   * NaN first, then the starting cash: a double field from the first instance on. A number field
   * first stored as a small integer changes representation the first time it holds a fraction,
   * which deprecates the object's map and deoptimizes the code built on it (docs/architecture.md,
   * "Hot paths").
   */
  cash = NaN;
  private readonly lotUnits: Float64Array;
  private readonly tickValue: Float64Array;
  private readonly multiplier: Float64Array;
  private readonly units: UnitConverter[];

  // Risk state.
  private readonly maxPosition: number;
  private readonly maxOrderQty: number;
  private readonly allowShort: boolean;
  private readonly rateLimit: number;
  private readonly sendTimes: Float64Array;
  private sendCount = 0;
  private readonly maxDrawdown: number;
  private peakEquity = -Infinity;
  isHalted = false;
  haltT = NaN;

  // Timers.
  private timerTags: (string | number)[] = [];
  private timerCancelled = new Uint8Array(16);
  /** Fixed-step timers (`ctx.every`), by timer id: step (0 = a one-off timer) and handler. */
  private timerStep = new Float64Array(16);
  private readonly timerHandler: (((ctx: Context) => void) | undefined)[] = [];
  /**
   * Receive time of the data's first row (before any fast-forward), the origin of `ctx.every`
   * grids that start at the first row; the run's start until the loop says otherwise.
   */
  firstRowT = NaN;
  /** Local time the strategy started (the run's start). */
  startT = NaN;
  /** Where `ctx.every` grids start when the strategy does not say (option everyOrigin). */
  everyOrigin: "start" | "firstRow" = "start";
  /**
   * Every fill report as it reached the strategy: order, exchange time, local arrival time, price
   * (ticks) and lots, in arrival order (the fills CSV, src/engine/fills-csv.ts).
   */
  readonly reports = { length: 0, order: new Int32Array(64), exchT: new Float64Array(64), localT: new Float64Array(64), price: new Float64Array(64), qty: new Float64Array(64) };
  /** Cancels the strategy sent (requests that left, whatever their answer). */
  cancelsSent = 0;
  /** Times a fixed-step (`ctx.every`) handler ran: hftbacktest's loop iterations. */
  steps = 0;
  /** Per order: the request in flight without a response yet (1 cancel, 2 modify, 0 none). */
  private pendingRequest = new Uint8Array(0);

  private readonly trade = new TradeFlyweight();
  private readonly reqInfo = new MutableLatencyOrderInfo();
  private readonly handlers: StrategyHandlers;
  private readonly onBook: StrategyHandlers["onBook"];
  private readonly onTrade: StrategyHandlers["onTrade"];
  private readonly observeFeed: ((ns: number) => void) | undefined;
  /** Count of strategy callbacks made (diagnostics). */
  callbacks = 0;
  /**
   * Per instrument: 1 when its feed has no Trade rows but has executions (LOBSTER): each visible
   * or hidden execution is then reported to `onTrade`, with the aggressor on the other side of the
   * executed order.
   */
  readonly executionsAreTrades: Uint8Array;
  /** Per instrument: event groups after which the strategy's book had best bid > best ask, and the first such row. */
  readonly crossedGroups: Float64Array;
  readonly firstCrossedRow: Float64Array;
  /** Per instrument: rows of the data before the rows handed in now (a streamed run's window), so row numbers stay the data's. */
  readonly rowBase: Float64Array;
  /** Per instrument: event groups seen. */
  readonly groups: Float64Array;

  constructor(
    readonly books: SimBook[],
    readonly instruments: readonly InstrumentSpec[],
    handlers: StrategyHandlers,
    params: Readonly<Record<string, number | boolean | string>>,
    private readonly time: TimeBase,
    private readonly latency: LatencyModel,
    private readonly tickets: OrderTickets,
    private readonly requests: RequestQueue,
    private readonly responses: ResponseQueue,
    private readonly notices: ResponseQueue,
    private readonly timers: TimerHeap,
    risk: RiskLimits,
    initialCash: number,
  ) {
    const n = books.length;
    this.views = books.map((b, k) => new LocalBookView(k, instruments[k]!, b));
    this.executionsAreTrades = new Uint8Array(n);
    this.crossedGroups = new Float64Array(n);
    this.firstCrossedRow = new Float64Array(n).fill(-1);
    this.rowBase = new Float64Array(n);
    this.groups = new Float64Array(n);
    this.open = new SlotLists(n);
    this.openCount = this.open.counts;
    this.openBuy = new Float64Array(n);
    this.openSell = new Float64Array(n);
    this.position = new Float64Array(n);
    this.now = 0;
    this.cash = initialCash;
    this.lotUnits = Float64Array.from(instruments, (s) => s.lot);
    this.tickValue = Float64Array.from(instruments, (s) => s.tick);
    this.multiplier = Float64Array.from(instruments, (s) => s.multiplier);
    this.units = instruments.map((s) => new UnitConverter(s));
    this.maxPosition = risk.maxPosition ?? Infinity;
    this.maxOrderQty = risk.maxOrderQty ?? Infinity;
    this.allowShort = risk.allowShort ?? true;
    this.rateLimit = risk.maxOrdersPerSecond ?? Infinity;
    this.sendTimes = new Float64Array(Number.isFinite(this.rateLimit) ? Math.max(1, Math.floor(this.rateLimit)) : 1);
    this.maxDrawdown = risk.maxDrawdown ?? Infinity;
    this.handlers = handlers;
    this.onBook = handlers.onBook;
    this.onTrade = handlers.onTrade;
    this.observeFeed = latency.observeFeed ? latency.observeFeed.bind(latency) : undefined;
    this.ensure(64);
    this.ctx = this.makeContext(params);
  }

  /** True when the strategy wants trade callbacks (the loop skips the branch otherwise). */
  get wantsTrades(): boolean {
    return this.onTrade !== undefined;
  }

  // ------------------------------------------------------------------ feed

  /** Fast-forward (`startAt`): the row only updates the strategy's book (and the feed latency seen); no callbacks. */
  applySilently(k: number, batch: TickBatch, i: number, feedLatency: number): void {
    const flags = batch.flags[i]!;
    if ((flags & EventFlag.ExchangeOnly) !== 0) return;
    if ((flags & EventFlag.Hidden) === 0) this.books[k]!.apply(batch, i);
    if (this.observeFeed) this.observeFeed(feedLatency);
  }

  /** Row `i` of instrument `k` received at local time `rowTime[0]` after feed latency `rowTime[1]`; `groupEnd` = the book is consistent now. */
  processRow(k: number, batch: TickBatch, i: number, groupEnd: boolean): void {
    this.now = this.rowTime[0]!;
    const flags = batch.flags[i]!;
    // A row for the exchange's processor only (hftbacktest's split rows) is never received; it
    // may still close the group the rows before it opened.
    const received = (flags & EventFlag.ExchangeOnly) === 0;
    const hidden = (flags & EventFlag.Hidden) !== 0;
    // Hidden-liquidity executions leave the visible book unchanged (they are shown as trades).
    if (!hidden && received) this.books[k]!.apply(batch, i);
    if (this.observeFeed && received) this.observeFeed(this.rowTime[1]!);
    if (this.isHalted) return;
    if (this.onTrade !== undefined && received) {
      const kind = batch.kind[i]!;
      if (kind === EventKind.Trade || (kind === EventKind.Execute && (hidden || this.executionsAreTrades[k] === 1) && (batch.flags[i]! & EventFlag.NoBookEffect) === 0)) {
        const tr = this.trade;
        tr.instrument = k;
        tr.priceTicks = batch.priceTicks[i]!;
        tr.qtyLots = batch.qtyLots[i]!;
        tr.side = kind === EventKind.Trade ? batch.side[i]! : -batch.side[i]!;
        this.callbacks++;
        this.onTrade.call(this.handlers, this.ctx, tr);
      }
    }
    if (groupEnd) {
      // A crossed book is not the venue's book (inconsistent data, a missed event): counted so
      // the result can say so instead of silently simulating fills against it.
      const book = this.books[k]!;
      this.groups[k]!++;
      if (book.bestBid() > book.bestAsk()) {
        if (this.crossedGroups[k]!++ === 0) this.firstCrossedRow[k] = i + this.rowBase[k]!;
      }
      if (this.maxDrawdown !== Infinity) this.checkDrawdown();
      if (this.onBook !== undefined && !this.isHalted) {
        this.callbacks++;
        this.onBook.call(this.handlers, this.ctx, this.views[k]!);
      }
    }
  }

  // ------------------------------------------------------------------ responses

  /** Applies the head of `queue` (a response from the exchange or a local notice) at time `t`. */
  processResponse(queue: ResponseQueue, t: number): void {
    this.now = t;
    const j = queue.peek();
    const kind = queue.kind[j]!;
    const o = queue.slot[j]!;
    const qty = queue.qty[j]!;
    const price = queue.price[j]!;
    const fee = queue.fee[j]!;
    const liquidity = queue.liquidity[j]!;
    const reason = queue.reason[j]!;
    const exchT = queue.exchT[j]!;
    queue.pop();
    const k = this.tickets.instrument[o]!;
    const side = this.tickets.side[o]!;
    // Any answer about the order settles the request in flight (as a response replaces the
    // order's local state in hftbacktest).
    this.pendingRequest[o] = 0;
    let fill: FillEvent | undefined;
    switch (kind) {
      case ResponseKind.Ack:
        if (this.status[o] === OrderStatus.New) this.status[o] = OrderStatus.Acked;
        this.ackT[o] = t;
        break;
      case ResponseKind.Fill: {
        this.noteReport(o, exchT, t, price, qty);
        this.leaves[o] = Math.max(0, this.leaves[o]! - qty);
        if (side === 1) this.openBuy[k] = this.openBuy[k]! - qty;
        else this.openSell[k] = this.openSell[k]! - qty;
        this.position[k] = this.position[k]! + side * qty;
        const u = this.units[k]!;
        this.cash -= side * u.price(price) * u.size(qty) * this.multiplier[k]! + fee;
        if (this.leaves[o] === 0) {
          this.status[o] = OrderStatus.Filled;
          this.close(k, o, t);
        } else {
          this.status[o] = OrderStatus.PartiallyFilled;
        }
        if (this.handlers.onFill !== undefined) {
          fill = { orderId: o, instrument: k, side, priceTicks: price, qtyLots: qty, fee, maker: liquidity === Liquidity.Maker, exchangeTs: this.time.toBigInt(exchT), ts: this.time.toBigInt(t) };
        }
        break;
      }
      case ResponseKind.Cancelled:
      case ResponseKind.Rejected:
        this.status[o] = kind === ResponseKind.Cancelled ? OrderStatus.Cancelled : OrderStatus.Rejected;
        this.reason[o] = reason;
        if (this.ackT[o] !== this.ackT[o]) this.ackT[o] = t;
        this.close(k, o, t);
        break;
      case ResponseKind.Modified: {
        const before = this.leaves[o]!;
        const filled = this.qty[o]! - before;
        this.price[o] = price;
        this.qty[o] = qty;
        this.leaves[o] = Math.max(0, qty - filled);
        const d = this.leaves[o]! - before;
        if (side === 1) this.openBuy[k] = this.openBuy[k]! + d;
        else this.openSell[k] = this.openSell[k]! + d;
        break;
      }
      default:
        // CancelRejected / ModifyRejected: the order's state is unchanged.
        break;
    }
    if (kind === ResponseKind.Fill && this.maxDrawdown !== Infinity) this.checkDrawdown();
    if (this.isHalted) return;
    const h = this.handlers;
    if (fill !== undefined && h.onFill) {
      this.callbacks++;
      h.onFill(this.ctx, fill);
    }
    if (h.onOrderUpdate) {
      this.callbacks++;
      h.onOrderUpdate(this.ctx, this.orderUpdate(o, EVENT_BY_RESPONSE[kind] ?? "ack", reason));
    }
  }

  fireTimer(t: number): void {
    this.now = t;
    const id = this.timers.peekId();
    this.timers.pop();
    if (this.timerCancelled[id] === 1 || this.isHalted) return;
    const step = this.timerStep[id]!;
    if (step > 0) {
      // A fixed-step timer: the next point of its grid, then its handler.
      this.timers.push(t + step, id);
      this.callbacks++;
      this.steps++;
      this.timerHandler[id]!(this.ctx);
      return;
    }
    this.timerCancelled[id] = 1;
    if (this.handlers.onTimer) {
      this.callbacks++;
      this.handlers.onTimer(this.ctx, this.timerTags[id]!);
    }
  }

  start(t: number): void {
    this.now = t;
    this.startT = t;
    if (this.firstRowT !== this.firstRowT) this.firstRowT = t;
    if (this.handlers.onStart) this.handlers.onStart(this.ctx);
  }

  end(t: number): void {
    this.now = t;
    if (this.handlers.onEnd) this.handlers.onEnd(this.ctx);
  }

  // ------------------------------------------------------------------ orders

  private send(k: number, side: number, type: number, tif: number, price: number, qty: number, internal: boolean): number {
    const t = this.now;
    const o = this.tickets.add(k, side, type, tif, price, qty, t);
    this.ensure(o + 1);
    this.price[o] = price;
    this.qty[o] = qty;
    this.leaves[o] = qty;
    this.status[o] = OrderStatus.New;
    this.reason[o] = 0;
    this.ackT[o] = NaN;
    this.doneT[o] = NaN;
    this.pendingRequest[o] = 0;
    const reject = internal ? OrderReason.None : this.preTradeCheck(k, side, type, price, qty);
    if (reject !== OrderReason.None) {
      this.status[o] = OrderStatus.Rejected;
      this.reason[o] = reject;
      this.notices.push(t, NaN, ResponseKind.Rejected, o, 0, NaN, 0, 0, reject);
      return o;
    }
    if (!internal && this.rateLimit !== Infinity) this.noteSend(t);
    this.open.add(k, o);
    if (side === 1) this.openBuy[k] = this.openBuy[k]! + qty;
    else this.openSell[k] = this.openSell[k]! + qty;
    const entry = this.entryLatency(o, RequestKind.New, price, qty);
    if (entry < 0) {
      this.responses.push(t - entry, NaN, ResponseKind.Rejected, o, 0, NaN, 0, 0, OrderReason.ExchangeRejected);
    } else {
      this.requests.push(t + entry, RequestKind.New, o, price, qty);
    }
    return o;
  }

  private entryLatency(o: number, request: number, price: number, qty: number): number {
    const info = this.reqInfo;
    const tk = this.tickets;
    info.id = o;
    info.instrument = tk.instrument[o]!;
    info.side = tk.side[o]!;
    info.priceTicks = price;
    info.qtyLots = qty;
    info.type = tk.type[o]!;
    info.request = request;
    const e = this.latency.entryNs(this.now, info);
    if (e !== e) throw new LabError({ code: "BAD_LATENCY", message: `latency model ${this.latency.name} returned NaN entry latency`, hint: "a latency model must return a number of ns (negative = request dropped)" });
    return Math.round(e);
  }

  private preTradeCheck(k: number, side: number, type: number, price: number, qty: number): number {
    if (this.isHalted) return OrderReason.RiskHalted;
    if (!(qty > 0) || !Number.isInteger(qty)) return OrderReason.BadSizeLot;
    if (type === OrderType.Limit && (!Number.isInteger(price) || !(price > 0))) return OrderReason.BadPriceTick;
    if (qty > this.maxOrderQty) return OrderReason.RiskMaxOrderQty;
    const pos = this.position[k]!;
    if (side === 1) {
      if (pos + this.openBuy[k]! + qty > this.maxPosition) return OrderReason.RiskMaxPosition;
    } else {
      if (!this.allowShort && pos - this.openSell[k]! - qty < 0) return OrderReason.InsufficientPosition;
      if (pos - this.openSell[k]! - qty < -this.maxPosition) return OrderReason.RiskMaxPosition;
    }
    if (this.rateLimit !== Infinity) {
      const n = this.sendTimes.length;
      if (this.sendCount >= n && this.now - this.sendTimes[this.sendCount % n]! < 1e9) return OrderReason.RiskOrderRate;
    }
    return OrderReason.None;
  }

  private noteSend(t: number): void {
    this.sendTimes[this.sendCount % this.sendTimes.length] = t;
    this.sendCount++;
  }

  private close(k: number, o: number, t: number): void {
    this.doneT[o] = t;
    if (!this.open.remove(k, o)) return;
    const rest = this.leaves[o]!;
    if (rest > 0) {
      if (this.tickets.side[o] === 1) this.openBuy[k] = this.openBuy[k]! - rest;
      else this.openSell[k] = this.openSell[k]! - rest;
    }
  }

  private isOpen(o: number): boolean {
    if (!(o >= 0 && o < this.tickets.length)) return false;
    const s = this.status[o];
    return s === OrderStatus.New || s === OrderStatus.Acked || s === OrderStatus.PartiallyFilled;
  }

  private cancelOrder(o: number): boolean {
    if (!this.isOpen(o)) return false;
    const e = this.entryLatency(o, RequestKind.Cancel, NaN, NaN);
    if (e >= 0) {
      this.requests.push(this.now + e, RequestKind.Cancel, o, NaN, NaN);
      this.pendingRequest[o] = 1;
      this.cancelsSent++;
    }
    return true;
  }

  private modifyOrder(o: number, priceTicks: number, qtyLots: number): boolean {
    if (!this.isOpen(o)) return false;
    if (this.isHalted) return false;
    const e = this.entryLatency(o, RequestKind.Modify, priceTicks, qtyLots);
    if (e >= 0) {
      this.requests.push(this.now + e, RequestKind.Modify, o, priceTicks, qtyLots);
      this.pendingRequest[o] = 2;
    }
    return true;
  }

  localEquity(): number {
    let e = this.cash;
    for (let k = 0; k < this.position.length; k++) {
      const pos = this.position[k]!;
      if (pos === 0) continue;
      const mid = this.views[k]!.mid();
      if (mid === mid) e += pos * this.lotUnits[k]! * mid * this.tickValue[k]! * this.multiplier[k]!;
    }
    return e;
  }

  private checkDrawdown(): void {
    if (this.isHalted) return;
    const e = this.localEquity();
    if (e > this.peakEquity) this.peakEquity = e;
    if (this.peakEquity - e <= this.maxDrawdown) return;
    this.isHalted = true;
    this.haltT = this.now;
    for (let k = 0; k < this.openCount.length; k++) {
      const list = this.open.backing(k).slice(0, this.openCount[k]!);
      for (const o of list) this.cancelOrder(o);
      const pos = this.position[k]!;
      if (pos !== 0) this.send(k, pos > 0 ? -1 : 1, OrderType.Market, TimeInForce.IOC, NaN, Math.abs(pos), true);
    }
  }

  /** `now` as ns since the epoch, made once per time (every order update at one time shares it). */
  private nowNs(): bigint {
    if (this.nowNsAt !== this.now) {
      this.nowNsAt = this.now;
      this.nowNsValue = this.time.toBigInt(this.now);
    }
    return this.nowNsValue;
  }
  private nowNsAt = NaN;
  private nowNsValue = 0n;

  /**
   * `orderUpdate` written into an object the strategy passed back (`ctx.order(id, o)`): a loop over
   * open orders then allocates nothing. A method of its own: the usual path below stays a plain
   * object literal, which the compiler can keep off the heap when the callback does not keep it.
   */
  private fillOrderUpdate(o: number, reason: number, reuse: OrderUpdate): OrderUpdate {
    const tk = this.tickets;
    const u = reuse as { -readonly [K in keyof OrderUpdate]: OrderUpdate[K] };
    u.id = o;
    u.event = "ack";
    u.instrument = tk.instrument[o]!;
    u.side = tk.side[o]!;
    u.type = tk.type[o] === OrderType.Market ? "market" : "limit";
    u.tif = TIME_IN_FORCE_NAMES[tk.tif[o]!] ?? "GTC";
    u.priceTicks = this.price[o]!;
    u.qtyLots = this.qty[o]!;
    u.filledLots = this.qty[o]! - this.leaves[o]!;
    u.leavesLots = this.status[o] === OrderStatus.New || this.status[o] === OrderStatus.Acked || this.status[o] === OrderStatus.PartiallyFilled ? this.leaves[o]! : 0;
    u.status = ORDER_STATUS_NAMES[this.status[o]!] ?? "New";
    u.reason = ORDER_REASON_NAMES[reason] ?? "None";
    u.ts = this.nowNs();
    u.pendingRequest = this.pendingRequest[o] !== 0;
    u.pendingCancel = this.pendingRequest[o] === 1;
    u.cancellable = (this.status[o] === OrderStatus.Acked || this.status[o] === OrderStatus.PartiallyFilled) && this.pendingRequest[o] === 0;
    return u;
  }

  private orderUpdate(o: number, event: OrderEvent, reason: number): OrderUpdate {
    const tk = this.tickets;
    return {
      id: o,
      event,
      instrument: tk.instrument[o]!,
      side: tk.side[o]!,
      type: tk.type[o] === OrderType.Market ? "market" : "limit",
      tif: TIME_IN_FORCE_NAMES[tk.tif[o]!] ?? "GTC",
      priceTicks: this.price[o]!,
      qtyLots: this.qty[o]!,
      // Unfilled lots stay in `leaves` after an order ends (cancel, reject); an ended order has none open.
      filledLots: this.qty[o]! - this.leaves[o]!,
      leavesLots: this.status[o] === OrderStatus.New || this.status[o] === OrderStatus.Acked || this.status[o] === OrderStatus.PartiallyFilled ? this.leaves[o]! : 0,
      status: ORDER_STATUS_NAMES[this.status[o]!] ?? "New",
      reason: ORDER_REASON_NAMES[reason] ?? "None",
      ts: this.time.toBigInt(this.now),
      pendingRequest: this.pendingRequest[o] !== 0,
      pendingCancel: this.pendingRequest[o] === 1,
      cancellable: (this.status[o] === OrderStatus.Acked || this.status[o] === OrderStatus.PartiallyFilled) && this.pendingRequest[o] === 0,
    };
  }

  /** Grows the order columns ×4 without pre-filling (see ExchangeSim.ensure); `send` writes each slot. */
  private ensure(n: number): void {
    if (n <= this.cap) return;
    const cap = grownCapacity(this.cap, n);
    this.status = grownColumn(this.status, cap);
    this.reason = grownColumn(this.reason, cap);
    this.price = grownColumn(this.price, cap);
    this.qty = grownColumn(this.qty, cap);
    this.leaves = grownColumn(this.leaves, cap);
    this.ackT = grownColumn(this.ackT, cap);
    this.doneT = grownColumn(this.doneT, cap);
    this.pendingRequest = grownColumn(this.pendingRequest, cap);
    this.cap = cap;
  }

  private instrumentIndex(value: number | undefined, where: string): number {
    const k = value ?? 0;
    if (!Number.isInteger(k) || k < 0 || k >= this.books.length) {
      throw new LabError({ code: "BAD_INSTRUMENT", message: `${where}: instrument ${String(value)} is not in this run (0..${this.books.length - 1})`, hint: "pass the index of the instrument in the run's instruments list", context: { instrument: value } });
    }
    return k;
  }

  private makeContext(params: Readonly<Record<string, number | boolean | string>>): Context {
    const self = this;
    const tifOf = (options: OrderOptions | undefined): number => {
      if (options?.postOnly) return TimeInForce.PostOnly;
      const name = options?.tif ?? "GTC";
      const tif = TIF_BY_NAME[name];
      if (tif === undefined) throw new LabError({ code: "BAD_OPTION", message: `unknown time in force "${String(name)}"`, hint: 'use "GTC", "IOC", "FOK" or "PostOnly"', context: { tif: name } });
      return tif;
    };
    const limit = (side: 1 | -1, priceTicks: number, qtyLots: number, options?: OrderOptions): number => {
      if (side !== 1 && side !== -1) throw new LabError({ code: "BAD_SIDE", message: `side must be 1 (buy) or -1 (sell), got ${String(side)}`, hint: "use ctx.buy / ctx.sell, or pass 1 / -1" });
      return self.send(self.instrumentIndex(options?.instrument, "order"), side, OrderType.Limit, tifOf(options), priceTicks, qtyLots, false);
    };
    const market = (side: 1 | -1, qtyLots: number, options?: { instrument?: number }): number => {
      if (side !== 1 && side !== -1) throw new LabError({ code: "BAD_SIDE", message: `side must be 1 (buy) or -1 (sell), got ${String(side)}`, hint: "use ctx.buy / ctx.sell, or pass 1 / -1" });
      return self.send(self.instrumentIndex(options?.instrument, "order"), side, OrderType.Market, TimeInForce.IOC, NaN, qtyLots, false);
    };
    return {
      params,
      instruments: this.instruments,
      now: () => self.time.toBigInt(self.now),
      elapsedNs: () => self.now,
      book: (instrument?: number) => self.views[self.instrumentIndex(instrument, "book")]!,
      position: (instrument?: number) => self.position[self.instrumentIndex(instrument, "position")]!,
      cash: () => self.cash,
      equity: () => self.localEquity(),
      buy: (qtyLots, priceTicks, options) => (priceTicks === undefined ? market(1, qtyLots, options) : limit(1, priceTicks, qtyLots, options)),
      sell: (qtyLots, priceTicks, options) => (priceTicks === undefined ? market(-1, qtyLots, options) : limit(-1, priceTicks, qtyLots, options)),
      limit,
      market,
      cancel: (orderId) => self.cancelOrder(orderId),
      cancelAll: (instrument?: number) => {
        let sent = 0;
        for (let k = 0; k < self.books.length; k++) {
          if (instrument !== undefined && k !== instrument) continue;
          const list = self.open.backing(k).slice(0, self.openCount[k]!);
          for (const o of list) if (self.cancelOrder(o)) sent++;
        }
        return sent;
      },
      modify: (orderId, change) => self.modifyOrder(orderId, change.priceTicks ?? NaN, change.qtyLots ?? NaN),
      setTimer: (delayNs, tag = 0) => self.addTimer(self.now + Math.max(0, Math.round(delayNs)), tag),
      setTimerAt: (atNs, tag = 0) => self.addTimer(Math.max(self.now, self.time.fromBigInt(atNs, "timer time")), tag),
      every: (stepNs, handler, options) => {
        const step = Math.round(stepNs);
        if (!(step > 0) || typeof handler !== "function") {
          throw new LabError({ code: "BAD_OPTION", message: `ctx.every needs a step > 0 ns and a handler, got ${String(stepNs)}`, hint: "e.g. ctx.every(100_000_000, (ctx) => { ... }) for every 100 ms", context: { option: "stepNs" } });
        }
        const o = options?.origin ?? self.everyOrigin;
        const origin = o === "firstRow" ? self.firstRowT : o === "start" ? self.startT : self.time.fromBigInt(o, "ctx.every origin");
        // The first point of the grid origin + k·step (k ≥ 1) after now: a loop of
        // `while elapse(step)` from the origin.
        const k = Math.max(1, Math.floor((self.now - origin) / step) + 1);
        const at = origin + k * step;
        const id = self.addTimer(at, 0);
        self.timerStep[id] = step;
        self.timerHandler[id] = handler;
        return id;
      },
      clearTimer: (timerId) => {
        if (timerId >= 0 && timerId < self.timerTags.length) self.timerCancelled[timerId] = 1;
      },
      order: (orderId, reuse) => (orderId >= 0 && orderId < self.tickets.length ? (reuse === undefined ? self.orderUpdate(orderId, "ack", self.reason[orderId]!) : self.fillOrderUpdate(orderId, self.reason[orderId]!, reuse)) : undefined),
      openOrderCount: (instrument?: number) => {
        if (instrument !== undefined) return self.openCount[self.instrumentIndex(instrument, "openOrderCount")]!;
        let n = 0;
        for (let k = 0; k < self.openCount.length; k++) n += self.openCount[k]!;
        return n;
      },
      openOrderIds: (instrument?: number) => {
        const out: number[] = [];
        for (let k = 0; k < self.books.length; k++) {
          if (instrument !== undefined && k !== instrument) continue;
          const list = self.open.backing(k);
          for (let j = 0; j < self.openCount[k]!; j++) out.push(list[j]!);
        }
        return out;
      },
      openOrderAt: (index: number, instrument?: number) => {
        if (instrument !== undefined) {
          const k = self.instrumentIndex(instrument, "openOrderAt");
          return index >= 0 && index < self.openCount[k]! ? self.open.backing(k)[index]! : -1;
        }
        let j = index;
        for (let k = 0; k < self.openCount.length; k++) {
          const n = self.openCount[k]!;
          if (j >= 0 && j < n) return self.open.backing(k)[j]!;
          j -= n;
        }
        return -1;
      },
      openQty: (side, instrument?: number) => {
        const k = self.instrumentIndex(instrument, "openQty");
        return side === 1 ? self.openBuy[k]! : self.openSell[k]!;
      },
      halted: () => self.isHalted,
    };
  }

  private noteReport(o: number, exchT: number, t: number, price: number, qty: number): void {
    const r = this.reports;
    if (r.length === r.order.length) {
      const cap = r.length * 2;
      r.order = grownColumn(r.order, cap);
      r.exchT = grownColumn(r.exchT, cap);
      r.localT = grownColumn(r.localT, cap);
      r.price = grownColumn(r.price, cap);
      r.qty = grownColumn(r.qty, cap);
    }
    const j = r.length++;
    r.order[j] = o;
    r.exchT[j] = exchT;
    r.localT[j] = t;
    r.price[j] = price;
    r.qty[j] = qty;
  }

  private addTimer(t: number, tag: string | number): number {
    const id = this.timerTags.length;
    this.timerTags.push(tag);
    if (id >= this.timerCancelled.length) {
      const next = new Uint8Array(this.timerCancelled.length * 2);
      next.set(this.timerCancelled);
      this.timerCancelled = next;
      const steps = new Float64Array(this.timerStep.length * 2);
      steps.set(this.timerStep);
      this.timerStep = steps;
    }
    this.timers.push(t, id);
    return id;
  }
}
