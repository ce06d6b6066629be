/**
 * Account state as the exchange knows it (fills at exchange time): cash, position per instrument,
 * average entry price, realized PnL and fees; marked to the exchange-side mid for equity.
 *
 * Conventions (per fill of size s in instrument units at price p, side ±1, multiplier m):
 *   notional = p·s·m;  cash ← cash − side·notional − fee   (fee < 0 is a rebate received)
 *   equity   = cash + Σ position·mark·m                     (mark = mid; last valid mid if one side is empty)
 *   realized PnL uses the average-cost method; unrealized = Σ position·(mark − avgPrice)·m
 * so equity = initialCash + realized + unrealized − fees at every instant.
 */
import type { InstrumentSpec } from "../core/index.js";
import { Liquidity } from "../stats/index.js";
import type { FeeModel } from "./fees.js";
import { UnitConverter } from "./units.js";
import { grownColumn } from "./grow.js";

export class Portfolio {
  /** NaN first, then the starting cash: a double field from the start (see Account.cash in context/account.ts). */
  cash = NaN;
  readonly initialCash: number;
  /** Position in lots per instrument. */
  readonly positionLots: Float64Array;
  /** Average entry price (currency) of the open position per instrument; NaN when flat. */
  readonly avgPrice: Float64Array;
  readonly realized: Float64Array;
  readonly fees: Float64Array;
  /** Traded notional per instrument. */
  readonly volume: Float64Array;
  readonly fillCount: Float64Array;
  readonly makerFillCount: Float64Array;
  readonly makerQty: Float64Array;
  readonly tradedQty: Float64Array;
  private readonly lotUnits: Float64Array;
  private readonly tickValue: Float64Array;
  private readonly multiplier: Float64Array;
  private readonly units: UnitConverter[];

  constructor(
    readonly instruments: readonly InstrumentSpec[],
    private readonly feeModel: FeeModel,
    initialCash: number,
  ) {
    const n = instruments.length;
    this.cash = initialCash;
    this.initialCash = initialCash;
    this.positionLots = new Float64Array(n);
    this.avgPrice = new Float64Array(n).fill(NaN);
    this.realized = new Float64Array(n);
    this.fees = new Float64Array(n);
    this.volume = new Float64Array(n);
    this.fillCount = new Float64Array(n);
    this.makerFillCount = new Float64Array(n);
    this.makerQty = new Float64Array(n);
    this.tradedQty = new Float64Array(n);
    this.lotUnits = Float64Array.from(instruments, (s) => s.lot);
    this.tickValue = Float64Array.from(instruments, (s) => s.tick);
    this.multiplier = Float64Array.from(instruments, (s) => s.multiplier);
    this.units = instruments.map((s) => new UnitConverter(s));
  }

  /** Exact currency price of a tick count (the decimal value, not tick·tickSize in floats). */
  priceOf(k: number, priceTicks: number): number {
    return this.units[k]!.price(priceTicks);
  }

  /** Size in instrument units of a lot count. */
  sizeOf(k: number, lots: number): number {
    return this.units[k]!.size(lots);
  }

  /** Books a fill; returns the fee charged (negative = rebate). */
  applyFill(k: number, side: number, priceTicks: number, qtyLots: number, liquidity: number): number {
    const spec = this.instruments[k]!;
    const price = this.priceOf(k, priceTicks);
    const size = this.sizeOf(k, qtyLots);
    const m = this.multiplier[k]!;
    const notional = price * size * m;
    const fee = this.feeModel.amount(spec, liquidity, notional, size);
    this.cash -= side * notional + fee;
    this.fees[k] = this.fees[k]! + fee;
    this.volume[k] = this.volume[k]! + notional;
    this.fillCount[k] = this.fillCount[k]! + 1;
    this.tradedQty[k] = this.tradedQty[k]! + qtyLots;
    if (liquidity === Liquidity.Maker) {
      this.makerFillCount[k] = this.makerFillCount[k]! + 1;
      this.makerQty[k] = this.makerQty[k]! + qtyLots;
    }
    // Average-cost realized PnL.
    const pos = this.positionLots[k]!;
    const signed = side * qtyLots;
    const next = pos + signed;
    if (pos === 0 || Math.sign(pos) === side) {
      const posUnits = Math.abs(pos) * this.lotUnits[k]!;
      const avg = pos === 0 ? price : this.avgPrice[k]!;
      this.avgPrice[k] = (avg * posUnits + price * size) / (posUnits + size);
    } else {
      const closingLots = Math.min(qtyLots, Math.abs(pos));
      const closingUnits = closingLots * this.lotUnits[k]!;
      // Closing a long (side −1) gains price − avg; closing a short gains avg − price.
      this.realized[k] = this.realized[k]! + (price - this.avgPrice[k]!) * closingUnits * m * -side;
      if (next === 0) this.avgPrice[k] = NaN;
      else if (Math.sign(next) !== Math.sign(pos)) this.avgPrice[k] = price;
    }
    this.positionLots[k] = next;
    return fee;
  }

  /** Position value of instrument `k` at a mark given in ticks. */
  positionValue(k: number, markTicks: number): number {
    const pos = this.positionLots[k]!;
    if (pos === 0) return 0;
    return pos * this.lotUnits[k]! * markTicks * this.tickValue[k]! * this.multiplier[k]!;
  }

  /** cash + Σ position value, marks in ticks per instrument. */
  equity(markTicks: Float64Array): number {
    let e = this.cash;
    for (let k = 0; k < this.positionLots.length; k++) e += this.positionValue(k, markTicks[k]!);
    return e;
  }

  unrealized(k: number, markTicks: number): number {
    const pos = this.positionLots[k]!;
    if (pos === 0) return 0;
    return pos * this.lotUnits[k]! * (markTicks * this.tickValue[k]! - this.avgPrice[k]!) * this.multiplier[k]!;
  }
}

/** Growable columns of equity samples (time offset, equity, position per instrument, mark per instrument). */
export class EquityRecorder {
  length = 0;
  t = new Float64Array(1024);
  equity = new Float64Array(1024);
  /** Index of the fill that triggered the sample; -1 for grid samples, -2 for the start and end of the run. */
  fill = new Int32Array(1024);
  positions: Float64Array[];
  marks: Float64Array[];

  constructor(private readonly instrumentCount: number) {
    this.positions = Array.from({ length: instrumentCount }, () => new Float64Array(1024));
    this.marks = Array.from({ length: instrumentCount }, () => new Float64Array(1024));
  }

  push(t: number, equity: number, fillIndex: number, positions: Float64Array, marks: Float64Array): void {
    if (this.length === this.t.length) this.grow();
    const j = this.length++;
    this.t[j] = t;
    this.equity[j] = equity;
    this.fill[j] = fillIndex;
    for (let k = 0; k < this.instrumentCount; k++) {
      this.positions[k]![j] = positions[k]!;
      this.marks[k]![j] = marks[k]!;
    }
  }

  private grow(): void {
    const n = this.t.length * 4;
    this.t = grownColumn(this.t, n);
    this.equity = grownColumn(this.equity, n);
    this.fill = grownColumn(this.fill, n);
    this.positions = this.positions.map((a) => grownColumn(a, n));
    this.marks = this.marks.map((a) => grownColumn(a, n));
  }
}

/** Growable fill columns (exchange time, instrument, order, side, price ticks, lots, fee, liquidity). */
export class FillRecorder {
  length = 0;
  t = new Float64Array(256);
  instrument = new Uint16Array(256);
  orderId = new Float64Array(256);
  side = new Int8Array(256);
  priceTicks = new Float64Array(256);
  qtyLots = new Float64Array(256);
  fee = new Float64Array(256);
  liquidity = new Uint8Array(256);

  push(t: number, k: number, orderId: number, side: number, priceTicks: number, qtyLots: number, fee: number, liquidity: number): number {
    if (this.length === this.t.length) this.grow();
    const j = this.length++;
    this.t[j] = t;
    this.instrument[j] = k;
    this.orderId[j] = orderId;
    this.side[j] = side;
    this.priceTicks[j] = priceTicks;
    this.qtyLots[j] = qtyLots;
    this.fee[j] = fee;
    this.liquidity[j] = liquidity;
    return j;
  }

  private grow(): void {
    const n = this.t.length * 4;
    this.t = grownColumn(this.t, n);
    this.instrument = grownColumn(this.instrument, n);
    this.orderId = grownColumn(this.orderId, n);
    this.side = grownColumn(this.side, n);
    this.priceTicks = grownColumn(this.priceTicks, n);
    this.qtyLots = grownColumn(this.qtyLots, n);
    this.fee = grownColumn(this.fee, n);
    this.liquidity = grownColumn(this.liquidity, n);
  }
}
