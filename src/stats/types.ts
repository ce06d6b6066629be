/**
 * Column tables exchanged between the engine (which produces them) and statistics/reports (which
 * consume them). Plain typed arrays so they cross worker boundaries and serialize cheaply.
 */

/** Account equity sampled over time (at a fixed interval and at every fill). */
export interface EquityCurve {
  /** Exact ns timestamps, ascending. */
  ts: BigInt64Array;
  /** Equity in account currency: cash + position value, fees included. */
  equity: Float64Array;
  /** Signed position in lots at each sample (optional). */
  position?: Float64Array;
}

export const Liquidity = { Maker: 0, Taker: 1 } as const;
export type Liquidity = (typeof Liquidity)[keyof typeof Liquidity];

/** One row per fill. */
export interface FillTable {
  ts: BigInt64Array;
  /** 1 = buy, -1 = sell. */
  side: Int8Array;
  /** Fill price in currency units (not ticks). */
  price: Float64Array;
  /** Filled quantity (positive), in instrument size units. */
  qty: Float64Array;
  /** Fee paid in currency; negative = rebate received. */
  fee: Float64Array;
  /** `Liquidity.Maker` or `Liquidity.Taker`. */
  liquidity: Uint8Array;
  /** Index into the run's instruments (optional; 0 when single-instrument). */
  instrument?: Uint16Array;
  /** Id of the order this fill belongs to (optional). */
  orderId?: Float64Array;
}

/** Mid price over time, for markouts and fills-on-price charts. */
export interface MidSeries {
  ts: BigInt64Array;
  mid: Float64Array;
}
