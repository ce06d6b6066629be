/**
 * `LocalView`: the strategy's side of the wire, running on the local clock. It replays the feed
 * into its own books when each row is *received* (exchange time + feed latency), applies the
 * responses that have arrived, owns the timers, and hands the strategy a `Context` bound to it and
 * nothing else: there is no path from a strategy to exchange-side state or to rows it has not
 * received yet.
 *
 * The context is small; its state lives in three parts (src/engine/context/):
 * - `OrderState`: what the strategy knows of its orders (status, last reason, size left, request
 *   in flight, open orders per instrument); `ctx.order()` and the open-order questions read it.
 * - `LocalBookView`s: the books as received, read through the book layer's features.
 * - `Account`: position, cash and the pre-trade risk limits (with the drawdown stop, which the
 *   context carries out: cancel every open order, flatten, halt).
 */
import { LabError, type InstrumentSpec } from "../core/index.js";
import { EventFlag, EventKind, type TickBatch } from "../data/index.js";
import { Liquidity } from "../stats/index.js";
import type { SimBook } from "./book-types.js";
import { RequestKind, ResponseKind, type RequestQueue, type ResponseQueue, type TimerHeap } from "./channels.js";
import type { TimeBase } from "./clock.js";
import { MutableLatencyOrderInfo, type LatencyModel } from "./latency.js";
import type { NormalizedOptions } from "./options.js";
import { OrderReason, OrderStatus, OrderType, TimeInForce } from "./orders.js";
import type { Context, FillEvent, OrderEvent, OrderOptions, StrategyHandlers, TradeView } from "./strategy-types.js";
import type { OrderTickets } from "./tickets.js";
import { Account } from "./context/account.js";
import { LocalBookView } from "./context/book-views.js";
import { LocalClock } from "./context/clock.js";
import { OrderState, PendingRequest } from "./context/order-state.js";

export type { RiskLimits } from "./context/account.js";

/** The channels and shared run state the context sends through and reads. */
export interface LocalLinks {
  time: TimeBase;
  tickets: OrderTickets;
  requests: RequestQueue;
  responses: ResponseQueue;
  /** Answers made locally (orders refused before they left), delivered like responses. */
  notices: ResponseQueue;
  timers: TimerHeap;
}

/** The strategy: its callbacks and the parameters `ctx.params` shows. */
export interface LocalStrategy {
  handlers: StrategyHandlers;
  params: Readonly<Record<string, number | boolean | string>>;
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
  readonly books: SimBook[];
  readonly instruments: readonly InstrumentSpec[];
  readonly views: LocalBookView[];
  readonly orders: OrderState;
  readonly account: Account;
  /**
   * The receive time and feed latency of the row handed to `processRow`, written by the loop just
   * before the call (a Float64Array slot, unlike a ns-time argument, is not boxed on the heap per row).
   */
  readonly rowTime = new Float64Array(2);
  /** Current local time, shared with the order state and the account. */
  private readonly clock: LocalClock;
  readonly ctx: Context;

  private readonly time: TimeBase;
  private readonly latency: LatencyModel;
  private readonly tickets: OrderTickets;
  private readonly requests: RequestQueue;
  private readonly responses: ResponseQueue;
  private readonly notices: ResponseQueue;
  private readonly timers: TimerHeap;

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
  readonly everyOrigin: "start" | "firstRow";
  /** Cancels the strategy sent (requests that left, whatever their answer). */
  cancelsSent = 0;
  /** Times a fixed-step (`ctx.every`) handler ran: hftbacktest's loop iterations. */
  steps = 0;

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

  /** `books`: the strategy's own books, one per instrument (replayed at receive time). */
  constructor(books: SimBook[], instruments: readonly InstrumentSpec[], strategy: LocalStrategy, links: LocalLinks, opts: NormalizedOptions) {
    const n = books.length;
    this.books = books;
    this.instruments = instruments;
    this.time = links.time;
    this.latency = opts.latency;
    this.tickets = links.tickets;
    this.requests = links.requests;
    this.responses = links.responses;
    this.notices = links.notices;
    this.timers = links.timers;
    this.clock = new LocalClock();
    this.views = books.map((b, k) => new LocalBookView(k, instruments[k]!, b));
    this.orders = new OrderState(n, links.tickets, links.time, this.clock);
    this.account = new Account(instruments, opts.risk, opts.initialCash, this.orders, this.clock);
    this.everyOrigin = opts.everyOrigin;
    this.executionsAreTrades = new Uint8Array(n);
    this.crossedGroups = new Float64Array(n);
    this.firstCrossedRow = new Float64Array(n).fill(-1);
    this.rowBase = new Float64Array(n);
    this.groups = new Float64Array(n);
    const handlers = strategy.handlers;
    this.handlers = handlers;
    this.onBook = handlers.onBook;
    this.onTrade = handlers.onTrade;
    this.observeFeed = this.latency.observeFeed ? this.latency.observeFeed.bind(this.latency) : undefined;
    this.ctx = this.makeContext(strategy.params);
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
    this.clock.now = this.rowTime[0]!;
    const flags = batch.flags[i]!;
    // A row for the exchange's processor only (hftbacktest's split rows) is never received; it
    // may still close the group the rows before it opened.
    const received = (flags & EventFlag.ExchangeOnly) === 0;
    const hidden = (flags & EventFlag.Hidden) !== 0;
    // Hidden-liquidity executions leave the visible book unchanged (they are shown as trades).
    if (!hidden && received) this.books[k]!.apply(batch, i);
    if (this.observeFeed && received) this.observeFeed(this.rowTime[1]!);
    const account = this.account;
    if (account.halted) return;
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
      if (account.maxDrawdown !== Infinity) this.checkDrawdown();
      if (this.onBook !== undefined && !account.halted) {
        this.callbacks++;
        this.onBook.call(this.handlers, this.ctx, this.views[k]!);
      }
    }
  }

  // ------------------------------------------------------------------ responses

  /** Applies the head of `queue` (a response from the exchange or a local notice) at time `t`. */
  processResponse(queue: ResponseQueue, t: number): void {
    this.clock.now = t;
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
    const orders = this.orders;
    // Any answer about the order settles the request in flight (as a response replaces the
    // order's local state in hftbacktest).
    orders.pendingRequest[o] = PendingRequest.None;
    let fill: FillEvent | undefined;
    switch (kind) {
      case ResponseKind.Ack:
        orders.acked(o, t);
        break;
      case ResponseKind.Fill: {
        orders.noteReport(o, exchT, t, price, qty);
        orders.filled(k, o, side, qty, t);
        this.account.applyFill(k, side, price, qty, fee);
        if (this.handlers.onFill !== undefined) {
          fill = { orderId: o, instrument: k, side, priceTicks: price, qtyLots: qty, fee, maker: liquidity === Liquidity.Maker, exchangeTs: this.time.toBigInt(exchT), ts: this.time.toBigInt(t) };
        }
        break;
      }
      case ResponseKind.Cancelled:
      case ResponseKind.Rejected:
        orders.ended(k, o, kind === ResponseKind.Cancelled ? OrderStatus.Cancelled : OrderStatus.Rejected, reason, t);
        break;
      case ResponseKind.Modified:
        orders.modified(k, o, side, price, qty);
        break;
      default:
        // CancelRejected / ModifyRejected: the order's state is unchanged.
        break;
    }
    if (kind === ResponseKind.Fill && this.account.maxDrawdown !== Infinity) this.checkDrawdown();
    if (this.account.halted) return;
    const h = this.handlers;
    if (fill !== undefined && h.onFill) {
      this.callbacks++;
      h.onFill(this.ctx, fill);
    }
    if (h.onOrderUpdate) {
      this.callbacks++;
      h.onOrderUpdate(this.ctx, orders.orderUpdate(o, EVENT_BY_RESPONSE[kind] ?? "ack", reason));
    }
  }

  fireTimer(t: number): void {
    this.clock.now = t;
    const id = this.timers.peekId();
    this.timers.pop();
    if (this.timerCancelled[id] === 1 || this.account.halted) return;
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
    this.clock.now = t;
    this.startT = t;
    if (this.firstRowT !== this.firstRowT) this.firstRowT = t;
    if (this.handlers.onStart) this.handlers.onStart(this.ctx);
  }

  end(t: number): void {
    this.clock.now = t;
    if (this.handlers.onEnd) this.handlers.onEnd(this.ctx);
  }

  // ------------------------------------------------------------------ orders

  private send(k: number, side: number, type: number, tif: number, price: number, qty: number, internal: boolean): number {
    const t = this.clock.now;
    const o = this.tickets.add(k, side, type, tif, price, qty, t);
    const orders = this.orders;
    orders.begin(o, price, qty);
    const reject = internal ? OrderReason.None : this.account.preTradeCheck(k, side, type, price, qty);
    if (reject !== OrderReason.None) {
      orders.refuse(o, reject);
      this.notices.push(t, NaN, ResponseKind.Rejected, o, 0, NaN, 0, 0, reject);
      return o;
    }
    if (!internal && this.account.rateLimit !== Infinity) this.account.noteSend();
    orders.opened(k, o, side, qty);
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
    const e = this.latency.entryNs(this.clock.now, info);
    if (e !== e) throw new LabError({ code: "BAD_LATENCY", message: `latency model ${this.latency.name} returned NaN entry latency`, hint: "a latency model must return a number of ns (negative = request dropped)" });
    return Math.round(e);
  }

  private cancelOrder(o: number): boolean {
    if (!this.orders.isOpen(o)) return false;
    const e = this.entryLatency(o, RequestKind.Cancel, NaN, NaN);
    if (e >= 0) {
      this.requests.push(this.clock.now + e, RequestKind.Cancel, o, NaN, NaN);
      this.orders.pendingRequest[o] = PendingRequest.Cancel;
      this.cancelsSent++;
    }
    return true;
  }

  private modifyOrder(o: number, priceTicks: number, qtyLots: number): boolean {
    if (!this.orders.isOpen(o)) return false;
    if (this.account.halted) return false;
    const e = this.entryLatency(o, RequestKind.Modify, priceTicks, qtyLots);
    if (e >= 0) {
      this.requests.push(this.clock.now + e, RequestKind.Modify, o, priceTicks, qtyLots);
      this.orders.pendingRequest[o] = PendingRequest.Modify;
    }
    return true;
  }

  /** The drawdown stop: past `maxDrawdown`, cancel every open order, flatten every position, halt. */
  private checkDrawdown(): void {
    const account = this.account;
    if (account.halted) return;
    if (!account.drawdownBreached(this.views)) return;
    account.halted = true;
    account.haltT = this.clock.now;
    for (let k = 0; k < this.books.length; k++) {
      for (const o of this.orders.openSnapshot(k)) this.cancelOrder(o);
      const pos = account.position[k]!;
      if (pos !== 0) this.send(k, pos > 0 ? -1 : 1, OrderType.Market, TimeInForce.IOC, NaN, Math.abs(pos), true);
    }
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
    const orders = this.orders;
    const account = this.account;
    const clock = this.clock;
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
      now: () => self.time.toBigInt(clock.now),
      elapsedNs: () => clock.now,
      book: (instrument?: number) => self.views[self.instrumentIndex(instrument, "book")]!,
      position: (instrument?: number) => account.position[self.instrumentIndex(instrument, "position")]!,
      cash: () => account.cash,
      equity: () => account.equity(self.views),
      // place, buy, sell and the deprecated limit all end in the same two closures, made once per run.
      place: (side, qtyLots, priceTicks, options) => (priceTicks === undefined ? market(side, qtyLots, options) : limit(side, priceTicks, qtyLots, options)),
      buy: (qtyLots, priceTicks, options) => (priceTicks === undefined ? market(1, qtyLots, options) : limit(1, priceTicks, qtyLots, options)),
      sell: (qtyLots, priceTicks, options) => (priceTicks === undefined ? market(-1, qtyLots, options) : limit(-1, priceTicks, qtyLots, options)),
      limit,
      market,
      cancel: (orderId) => self.cancelOrder(orderId),
      cancelAll: (instrument?: number) => {
        let sent = 0;
        for (let k = 0; k < self.books.length; k++) {
          if (instrument !== undefined && k !== instrument) continue;
          for (const o of orders.openSnapshot(k)) if (self.cancelOrder(o)) sent++;
        }
        return sent;
      },
      modify: (orderId, change) => self.modifyOrder(orderId, change.priceTicks ?? NaN, change.qtyLots ?? NaN),
      setTimer: (delayNs, tag = 0) => self.addTimer(clock.now + Math.max(0, Math.round(delayNs)), tag),
      setTimerAt: (atNs, tag = 0) => self.addTimer(Math.max(clock.now, self.time.fromBigInt(atNs, "timer time")), tag),
      every: (stepNs, handler, options) => {
        const step = Math.round(stepNs);
        if (!(step > 0) || typeof handler !== "function") {
          throw new LabError({ code: "BAD_OPTION", message: `ctx.every needs a step > 0 ns and a handler, got ${String(stepNs)}`, hint: "e.g. ctx.every(100_000_000, (ctx) => { ... }) for every 100 ms", context: { option: "stepNs" } });
        }
        const o = options?.origin ?? self.everyOrigin;
        const origin = o === "firstRow" ? self.firstRowT : o === "start" ? self.startT : self.time.fromBigInt(o, "ctx.every origin");
        // The first point of the grid origin + k·step (k ≥ 1) after now: a loop of
        // `while elapse(step)` from the origin.
        const k = Math.max(1, Math.floor((clock.now - origin) / step) + 1);
        const at = origin + k * step;
        const id = self.addTimer(at, 0);
        self.timerStep[id] = step;
        self.timerHandler[id] = handler;
        return id;
      },
      clearTimer: (timerId) => {
        if (timerId >= 0 && timerId < self.timerTags.length) self.timerCancelled[timerId] = 1;
      },
      order: (orderId, reuse) => (orders.exists(orderId) ? (reuse === undefined ? orders.orderUpdate(orderId, "ack", orders.reason[orderId]!) : orders.fillOrderUpdate(orderId, orders.reason[orderId]!, reuse)) : undefined),
      openOrderCount: (instrument?: number) => (instrument !== undefined ? orders.openCount[self.instrumentIndex(instrument, "openOrderCount")]! : orders.openTotal()),
      openOrderIds: (instrument?: number) => orders.openIds(instrument),
      openOrderAt: (index: number, instrument?: number) => orders.openAt(index, instrument !== undefined ? self.instrumentIndex(instrument, "openOrderAt") : -1),
      openQty: (side, instrument?: number) => {
        const k = self.instrumentIndex(instrument, "openQty");
        return side === 1 ? orders.openBuy[k]! : orders.openSell[k]!;
      },
      halted: () => account.halted,
    };
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
