/**
 * Order vocabulary shared by the simulated exchange, the local view and the results: order types,
 * time in force, states and reasons as `const` objects with derived unions, and the growable
 * struct-of-arrays tables that hold orders (one slot per order; the slot is the order id).
 */

export const OrderType = { Limit: 1, Market: 2 } as const;
export type OrderType = (typeof OrderType)[keyof typeof OrderType];

/**
 * - `GTC`: rests until filled or cancelled; a crossing part executes as taker first.
 * - `IOC`: executes what it can immediately (up to its limit), the rest is cancelled.
 * - `FOK`: executes entirely and immediately, or not at all.
 * - `PostOnly`: rests as maker; rejected if it would cross on arrival.
 */
export const TimeInForce = { GTC: 1, IOC: 2, FOK: 3, PostOnly: 4 } as const;
export type TimeInForce = (typeof TimeInForce)[keyof typeof TimeInForce];

/** Life of an order. `New` = sent by the strategy, not yet acknowledged by the exchange. */
export const OrderStatus = { New: 1, Acked: 2, PartiallyFilled: 3, Filled: 4, Cancelled: 5, Rejected: 6 } as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

/** Why an order (or a cancel/modify request) was rejected, or why an order was cancelled. */
export const OrderReason = {
  None: 0,
  /** Selling more than the position when short selling is disabled (`risk.allowShort: false`). */
  InsufficientPosition: 1,
  /** Price is not a whole number of ticks, or not positive. */
  BadPriceTick: 2,
  /** Size is not a whole positive number of lots. */
  BadSizeLot: 3,
  /** A post-only order would have crossed the spread on arrival. */
  PostOnlyWouldCross: 4,
  /** Position plus open orders on that side would exceed `risk.maxPosition`. */
  RiskMaxPosition: 5,
  /** More than `risk.maxOrdersPerSecond` orders in the last second. */
  RiskOrderRate: 6,
  /** Trading is halted by the drawdown stop. */
  RiskHalted: 7,
  /** Order size above `risk.maxOrderQty`. */
  RiskMaxOrderQty: 8,
  /** A market order met an empty book (or the unfilled rest of one). */
  NoLiquidity: 9,
  /** A fill-or-kill order could not be filled entirely on arrival. */
  FokNotFillable: 10,
  /** An IOC order's unfilled rest. */
  IocRemainder: 11,
  /** Cancel or modify for an order that is not open at the exchange. */
  OrderNotOpen: 12,
  /** The latency model returned a negative entry latency: the exchange dropped the request. */
  ExchangeRejected: 13,
  /** Instrument index out of range. */
  BadInstrument: 14,
  /** Cancelled at the strategy's request. */
  UserCancel: 15,
  /** A modify asked for a size not above what is already filled. */
  BadModify: 16,
  /** A new order or modify reached the exchange while trading in the instrument was halted (a `Halt` row in the data). */
  TradingHalted: 17,
  /** Cancelled by the exchange at its session's close (backtest option `session`: orders are day orders). */
  SessionClosed: 18,
  /** A new order or modify reached the exchange outside its trading session (backtest option `session`). */
  MarketClosed: 19,
} as const;
export type OrderReason = (typeof OrderReason)[keyof typeof OrderReason];

/**
 * The names of the codes above: one vocabulary for order updates (`order.status === "Filled"`),
 * order options (`tif: "PostOnly"`) and the result's tables (`run.ordersReadable().status`).
 */
export type OrderTypeName = keyof typeof OrderType;
export type TimeInForceName = keyof typeof TimeInForce;
export type OrderStatusName = keyof typeof OrderStatus;
export type OrderReasonName = keyof typeof OrderReason;

function namesOf<K extends string>(codes: Readonly<Record<K, number>>): Readonly<Record<number, K>> {
  return Object.fromEntries(Object.entries(codes).map(([k, v]) => [v, k])) as Record<number, K>;
}

export const ORDER_REASON_NAMES: Readonly<Record<number, OrderReasonName>> = namesOf(OrderReason);
export const ORDER_STATUS_NAMES: Readonly<Record<number, OrderStatusName>> = namesOf(OrderStatus);
export const TIME_IN_FORCE_NAMES: Readonly<Record<number, TimeInForceName>> = namesOf(TimeInForce);
export const ORDER_TYPE_NAMES: Readonly<Record<number, OrderTypeName>> = namesOf(OrderType);

export function isOpenStatus(status: number): boolean {
  return status === OrderStatus.New || status === OrderStatus.Acked || status === OrderStatus.PartiallyFilled;
}

/** Columns of the orders table in a backtest result. Times are exact ns since the epoch. */
export interface OrderTable {
  /** Order id (= row index). */
  id: Float64Array;
  instrument: Uint16Array;
  /** 1 = buy, -1 = sell. */
  side: Int8Array;
  type: Uint8Array;
  tif: Uint8Array;
  /** Limit price in ticks (NaN for market orders); the latest after modifies. */
  priceTicks: Float64Array;
  /** Order size in lots (the latest after modifies). */
  qtyLots: Float64Array;
  filledLots: Float64Array;
  /** Average fill price in ticks (NaN if nothing filled). */
  avgPriceTicks: Float64Array;
  /** Final status as known at the exchange. */
  status: Uint8Array;
  reason: Uint8Array;
  /** Local time the strategy sent the order. */
  sentTs: BigInt64Array;
  /** Exchange time the order arrived (0 if it never did). */
  arrivedTs: BigInt64Array;
  /** Local time the acknowledgement (or rejection) reached the strategy (0 if never). */
  ackTs: BigInt64Array;
  /** Exchange time of the final state (filled, cancelled, rejected); 0 if still open at the end. */
  doneTs: BigInt64Array;
  /** Market/taker orders: average fill minus the touch at arrival, in ticks, signed so that positive = paid more (buy) or received less (sell). NaN if no taker fill. */
  slippageTicks: Float64Array;
}

/** Growable Float64 column helper. */
export function growF64(a: Float64Array, n: number, fill = NaN): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

export function growTyped<T extends Int8Array | Uint8Array | Uint16Array | Int32Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a as unknown as ArrayLike<number>);
  return b;
}
