/**
 * Order sizes of the templates. A size in lots means nothing across instruments: one lot is 0.001
 * BTC on Binance futures (about 60 USDT) but one share of GOOG (about 580 USD), so a default of
 * "1 lot" trades a toy size on one and a real one on the other. The templates therefore size
 * orders from a notional by default (`size: 0`, `orderNotional` in the instrument's quote
 * currency): lots = round(notional / (mid price × lot size × multiplier)), at least 1, fixed per
 * instrument at the first book that has both sides. An explicit `size` (lots) is used as given.
 */
import type { InstrumentSpec } from "../../core/index.js";
import type { BookView } from "../../engine/index.js";
import type { NumberParam } from "../params.js";

/** Default value per order, in the quote currency (USDT for BTCUSDT: ~0.016 BTC at 61,800). */
export const DEFAULT_ORDER_NOTIONAL = 1000;

/** The `size` and `orderNotional` parameter specs shared by the templates (names kept as literal types for `ParamsOf`). */
export function sizeParams(what: string): readonly [NumberParam & { name: "size" }, NumberParam & { name: "orderNotional" }] {
  return [
    { name: "size", type: "integer", default: 0, min: 0, max: 1_000_000, description: `lots ${what}; 0 = from orderNotional` },
    {
      name: "orderNotional",
      type: "number",
      default: DEFAULT_ORDER_NOTIONAL,
      min: 1e-9,
      max: 1e12,
      description: `value ${what} in the quote currency when size is 0: round(orderNotional / (mid × lot size × multiplier)) lots at the first two-sided book, at least 1`,
    },
  ];
}

/** Lots worth `notional` at `priceTicks` (rounded, at least 1; 1 when the price is unusable). */
export function lotsForNotional(spec: InstrumentSpec, priceTicks: number, notional: number): number {
  const unitValue = priceTicks * spec.tick * spec.lot * spec.multiplier;
  if (!(unitValue > 0) || !(notional > 0) || !Number.isFinite(unitValue)) return 1;
  return Math.max(1, Math.round(notional / unitValue));
}

/**
 * Lots per order for each instrument: `size` when it is > 0, else from `notional` at the first
 * book with a mid (then kept for the rest of the run, so a position limit counted in orders does
 * not drift with the price).
 */
export function orderSizer(size: number, notional: number): (book: BookView) => number {
  const perInstrument: number[] = [];
  return (book: BookView): number => {
    if (size > 0) return size;
    const k = book.instrument;
    const known = perInstrument[k];
    if (known !== undefined) return known;
    const mid = book.mid();
    const price = mid === mid ? mid : book.bestBid() === book.bestBid() ? book.bestBid() : book.bestAsk();
    if (!(price > 0)) return 1;
    const lots = lotsForNotional(book.spec, price, notional);
    perInstrument[k] = lots;
    return lots;
  };
}

/** The position limit in lots: `maxPosition` when > 0, else `orders` orders of `lots`. */
export function positionLimit(maxPosition: number, lots: number, orders: number): number {
  return maxPosition > 0 ? maxPosition : orders * lots;
}
