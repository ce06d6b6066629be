/**
 * The strategy's account as it knows it from fill reports: position per instrument, cash, and the
 * pre-trade risk limits a gateway would apply before an order leaves.
 *
 * Risk limits (checked when the strategy sends; rejected orders never leave):
 * - `maxPosition` (lots, per instrument): position + open orders on that side + the new size.
 * - `maxOrderQty` (lots), `allowShort` (false: no sell beyond the long position).
 * - `maxOrdersPerSecond`: new orders within any 1 s window of the local clock.
 * - `maxDrawdown` (currency): when local equity falls this far below its running peak, the context
 *   cancels every open order, flattens positions with market orders and halts the strategy (no more
 *   callbacks; further orders are rejected with `RiskHalted`).
 */
import type { InstrumentSpec } from "../../core/index.js";
import type { BookView } from "../strategy-types.js";
import { OrderReason, OrderType } from "../orders.js";
import { UnitConverter } from "../units.js";
import type { LocalClock } from "./clock.js";
import type { OrderState } from "./order-state.js";

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

export class Account {
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

  private readonly maxPosition: number;
  private readonly maxOrderQty: number;
  private readonly allowShort: boolean;
  readonly rateLimit: number;
  private readonly sendTimes: Float64Array;
  private sendCount = 0;
  readonly maxDrawdown: number;
  private peakEquity = -Infinity;
  /** Set by the drawdown stop: no more callbacks, every new order rejected. */
  halted = false;
  /** Local time the drawdown stop fired (NaN if it never did). */
  haltT = NaN;

  constructor(
    instruments: readonly InstrumentSpec[],
    risk: RiskLimits,
    initialCash: number,
    /** The open exposure `maxPosition` counts (open lots per side). */
    private readonly orders: OrderState,
    private readonly clock: LocalClock,
  ) {
    this.position = new Float64Array(instruments.length);
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
  }

  /** The reason a new order would be refused before it leaves, or `OrderReason.None`. */
  preTradeCheck(k: number, side: number, type: number, price: number, qty: number): number {
    if (this.halted) return OrderReason.RiskHalted;
    if (!(qty > 0) || !Number.isInteger(qty)) return OrderReason.BadSizeLot;
    if (type === OrderType.Limit && (!Number.isInteger(price) || !(price > 0))) return OrderReason.BadPriceTick;
    if (qty > this.maxOrderQty) return OrderReason.RiskMaxOrderQty;
    const pos = this.position[k]!;
    if (side === 1) {
      if (pos + this.orders.openBuy[k]! + qty > this.maxPosition) return OrderReason.RiskMaxPosition;
    } else {
      if (!this.allowShort && pos - this.orders.openSell[k]! - qty < 0) return OrderReason.InsufficientPosition;
      if (pos - this.orders.openSell[k]! - qty < -this.maxPosition) return OrderReason.RiskMaxPosition;
    }
    if (this.rateLimit !== Infinity) {
      const n = this.sendTimes.length;
      if (this.sendCount >= n && this.clock.now - this.sendTimes[this.sendCount % n]! < 1e9) return OrderReason.RiskOrderRate;
    }
    return OrderReason.None;
  }

  /** A new order left now (counted against `maxOrdersPerSecond`). */
  noteSend(): void {
    this.sendTimes[this.sendCount % this.sendTimes.length] = this.clock.now;
    this.sendCount++;
  }

  /** A fill report of `qty` lots at `price` ticks on `side`, paying `fee`. */
  applyFill(k: number, side: number, price: number, qty: number, fee: number): void {
    this.position[k] = this.position[k]! + side * qty;
    const u = this.units[k]!;
    this.cash -= side * u.price(price) * u.size(qty) * this.multiplier[k]! + fee;
  }

  /** Cash plus positions marked at the mids of the strategy's own books. */
  equity(views: readonly BookView[]): number {
    let e = this.cash;
    for (let k = 0; k < this.position.length; k++) {
      const pos = this.position[k]!;
      if (pos === 0) continue;
      const mid = views[k]!.mid();
      if (mid === mid) e += pos * this.lotUnits[k]! * mid * this.tickValue[k]! * this.multiplier[k]!;
    }
    return e;
  }

  /** Marks equity against its running peak; true when the fall from the peak exceeds `maxDrawdown`. */
  drawdownBreached(views: readonly BookView[]): boolean {
    const e = this.equity(views);
    if (e > this.peakEquity) this.peakEquity = e;
    // Not `>`: a NaN equity (a NaN fee) counts as a breach, not as no drawdown.
    return !(this.peakEquity - e <= this.maxDrawdown);
  }
}
