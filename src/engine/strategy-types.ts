/**
 * What the engine drives: strategy callbacks and the context they act through. Everything here is
 * the *local* view — the book as the strategy received it (after feed latency), its own orders as
 * acknowledged so far, its position from fill reports that have arrived. Nothing on `Context`
 * reaches exchange-side state, so a strategy cannot look ahead.
 *
 * Units: prices in integer ticks, sizes in integer lots, times in ns. `side` is 1 (buy/bid) or −1
 * (sell/ask).
 */
import type { InstrumentSpec } from "../core/index.js";
import type { OrderReasonName, OrderStatusName, OrderTypeName, TimeInForceName } from "./orders.js";

export interface OrderOptions {
  /** Index of the instrument in the run. @default 0 */
  instrument?: number;
  /** "GTC" (default), "IOC", "FOK" or "PostOnly" (limit orders only). */
  tif?: TimeInForceName;
  /** Shorthand for `tif: "PostOnly"`. */
  postOnly?: boolean;
}

/** Read-only book at local time, with the usual microstructure features. */
export interface BookView {
  readonly instrument: number;
  readonly spec: InstrumentSpec;
  /** Best bid in ticks; NaN if the side is empty. */
  bestBid(): number;
  bestAsk(): number;
  bestBidQty(): number;
  bestAskQty(): number;
  /** (bid + ask) / 2 in ticks (may end in .5); NaN if a side is empty. */
  mid(): number;
  /** ask − bid in ticks. */
  spread(): number;
  qtyAt(side: 1 | -1, priceTicks: number): number;
  levelCount(side: 1 | -1): number;
  /** Price of the k-th level from the best (k = 0 is the touch); NaN past the last. */
  priceAt(side: 1 | -1, k: number): number;
  qtyAtLevel(side: 1 | -1, k: number): number;
  /** (B − A) / (B + A) over the top `levels` levels per side, in [−1, 1]; NaN if both are empty. */
  imbalance(levels?: number): number;
  /** Size-weighted mid: (bid·askQty + ask·bidQty) / (bidQty + askQty), ticks. */
  microprice(): number;
}

/** A trade print seen locally. The object is reused between calls: copy what you keep. */
export interface TradeView {
  readonly instrument: number;
  readonly priceTicks: number;
  readonly qtyLots: number;
  /** Aggressor side: 1 = buyer lifted the ask, −1 = seller hit the bid, 0 = unknown. */
  readonly side: number;
}

export type OrderEvent = "ack" | "fill" | "cancelled" | "rejected" | "modified" | "cancelRejected" | "modifyRejected";

/** The strategy's knowledge of one order after an update reached it. */
export interface OrderUpdate {
  readonly id: number;
  readonly event: OrderEvent;
  readonly instrument: number;
  readonly side: number;
  /** "Limit" or "Market" (as in the result's order table). */
  readonly type: OrderTypeName;
  readonly tif: TimeInForceName;
  readonly priceTicks: number;
  readonly qtyLots: number;
  readonly filledLots: number;
  readonly leavesLots: number;
  /** "New", "Acked", "PartiallyFilled", "Filled", "Cancelled", "Rejected". */
  readonly status: OrderStatusName;
  /** Reason name for rejects/cancels (`OrderReason`'s keys; "None" otherwise). */
  readonly reason: OrderReasonName;
  /** Local time of this update, ns since the epoch. */
  readonly ts: bigint;
  /** A cancel or modify the strategy sent has had no response yet. */
  readonly pendingRequest: boolean;
  /** A cancel the strategy sent has had no response yet. */
  readonly pendingCancel: boolean;
  /** Acknowledged, still open, and no request pending: a cancel now is meaningful (hftbacktest's "status New or PartiallyFilled, req None"). */
  readonly cancellable: boolean;
}

export interface FillEvent {
  readonly orderId: number;
  readonly instrument: number;
  readonly side: number;
  readonly priceTicks: number;
  readonly qtyLots: number;
  /** Fee in currency; negative = rebate. */
  readonly fee: number;
  readonly maker: boolean;
  /** Exchange time of the fill. */
  readonly exchangeTs: bigint;
  /** Local time the fill report arrived. */
  readonly ts: bigint;
}

export interface Context {
  readonly params: Readonly<Record<string, number | boolean | string>>;
  readonly instruments: readonly InstrumentSpec[];
  /** Local time, ns since the epoch. */
  now(): bigint;
  /** Local time in ns since the run's first event (a cheap number for arithmetic). */
  elapsedNs(): number;
  /** The local book of an instrument. */
  book(instrument?: number): BookView;
  /** Position in lots, from fill reports received so far. */
  position(instrument?: number): number;
  /** Cash in account currency, from fill reports received so far (fees included). */
  cash(): number;
  /** cash + Σ position × local mid. */
  equity(): number;
  /*
   * Every order method reads (side?, qtyLots, priceTicks?, options?): quantity before price, side
   * first when it is an argument. test/architecture/order-arguments.test.ts holds the rule.
   */
  /**
   * Sends an order on `side`: a limit order at `priceTicks` if it is given, else a market order
   * (IOC; `tif` and `postOnly` apply to limit orders only). Returns the order id.
   */
  place(side: 1 | -1, qtyLots: number, priceTicks?: number, options?: OrderOptions): number;
  /** Sends a buy: a limit order if `priceTicks` is given, else a market order. Returns the order id. */
  buy(qtyLots: number, priceTicks?: number, options?: OrderOptions): number;
  /** Sends a sell: a limit order if `priceTicks` is given, else a market order. Returns the order id. */
  sell(qtyLots: number, priceTicks?: number, options?: OrderOptions): number;
  /**
   * A limit order with price before quantity.
   * @deprecated Use `place(side, qtyLots, priceTicks, options)`: the same order with the arguments
   * in the order every other order method takes them. `limit` stays for one version.
   */
  limit(side: 1 | -1, priceTicks: number, qtyLots: number, options?: OrderOptions): number;
  /** Sends a market order (IOC). Returns the order id. */
  market(side: 1 | -1, qtyLots: number, options?: { instrument?: number }): number;
  /** Requests a cancel; false if the order is not open as far as the strategy knows. */
  cancel(orderId: number): boolean;
  /** Cancels every open order (of one instrument, or all); returns how many cancels were sent. */
  cancelAll(instrument?: number): number;
  /** Requests a new price and/or total size; false if the order is not open. */
  modify(orderId: number, change: { priceTicks?: number; qtyLots?: number }): boolean;
  /** Calls `onTimer(ctx, tag)` after `delayNs` (local clock). Returns a timer id. */
  setTimer(delayNs: number, tag?: string | number): number;
  /** Calls `onTimer(ctx, tag)` at local time `atNs` (ns since the epoch). */
  setTimerAt(atNs: bigint, tag?: string | number): number;
  clearTimer(timerId: number): void;
  /**
   * Calls `handler(ctx)` at every point origin + k·stepNs (k ≥ 1) of a fixed grid, after every
   * event at or before it, as hftbacktest's `while elapse(step)` loop does. `origin`: "start" (the
   * run's start, default), "firstRow" (the data's first row's receive time, before any `startAt`
   * fast-forward) or an absolute time (ns since the epoch). Returns a timer id (`clearTimer` stops it).
   */
  every(stepNs: number, handler: (ctx: Context) => void, options?: { origin?: "start" | "firstRow" | bigint }): number;
  /**
   * The latest known state of an order. Pass an update a previous call returned (`o = ctx.order(id, o)`)
   * and it is filled in place instead of a new object being made: a loop over open orders then
   * allocates nothing (its `ts` is shared by every call at one time).
   */
  order(orderId: number, reuse?: OrderUpdate): OrderUpdate | undefined;
  /** Number of orders open as far as the strategy knows. */
  openOrderCount(instrument?: number): number;
  /** Ids of open orders (a new array; `openOrderAt` reads them without one). */
  openOrderIds(instrument?: number): number[];
  /**
   * The id of the `index`-th open order (0 ≤ index < `openOrderCount(instrument)`), in the order
   * they were sent (instrument by instrument when none is given): iterate open orders without
   * allocating. Within one callback the list only grows (orders sent are appended; an order leaves
   * it when its final response arrives, never while the callback runs), so a loop up to the count
   * taken before it sees every order that was open, cancels included.
   */
  openOrderAt(index: number, instrument?: number): number;
  /** Open (unfilled) lots on one side. */
  openQty(side: 1 | -1, instrument?: number): number;
  /** True once the drawdown stop has halted trading. */
  halted(): boolean;
}

/** Callbacks; all optional. `this` is the handlers object. */
export interface StrategyHandlers {
  onStart?(ctx: Context): void;
  /** After each book update seen locally (once per atomic group of rows). */
  onBook?(ctx: Context, book: BookView): void;
  onTrade?(ctx: Context, trade: TradeView): void;
  onTimer?(ctx: Context, tag: string | number): void;
  onOrderUpdate?(ctx: Context, order: OrderUpdate): void;
  onFill?(ctx: Context, fill: FillEvent): void;
  onEnd?(ctx: Context): void;
}

/**
 * A strategy the engine can run: a name, resolved parameters and a factory for fresh handlers
 * (each run gets its own state). `defineStrategy` in the strategy layer builds these.
 */
export interface StrategyLike {
  readonly name: string;
  readonly params: Readonly<Record<string, number | boolean | string>>;
  create(): StrategyHandlers;
}
