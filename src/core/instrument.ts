/**
 * Instrument specification and exact price/size conversion. Tick and lot sizes are kept as
 * decimal strings and converted with integer arithmetic, so 61800.20 at tick 0.1 is exactly
 * 618002 ticks and back, with no float drift.
 */
import { LabError } from "./errors.js";

export interface InstrumentSpecInit {
  symbol: string;
  venue: string;
  /** Price increment as a decimal string, e.g. "0.01". */
  tickSize: string;
  /** Quantity increment as a decimal string, e.g. "0.001". @default "1" */
  lotSize?: string;
  /** Maker fee as a fraction of notional; negative = rebate. @default 0 */
  makerFee?: number;
  /** Taker fee as a fraction of notional. @default 0 */
  takerFee?: number;
  /** Contract multiplier (value of one price unit per one quantity unit). @default 1 */
  multiplier?: number;
  currency?: string;
}

interface Decimal {
  /** Integer digits of the value scaled by 10^scale. */
  units: bigint;
  scale: number;
}

function parseDecimal(text: string, what: string): Decimal {
  const m = /^\s*(-?)(\d*)(?:\.(\d*))?\s*$/.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) {
    throw new LabError({ code: "BAD_NUMBER", message: `${what} "${text}" is not a decimal number`, hint: 'write it like "101.25"', context: { value: text } });
  }
  const frac = (m[3] ?? "").replace(/0+$/, "");
  const units = BigInt((m[1] ?? "") + ((m[2] || "0") + frac));
  return { units, scale: frac.length };
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

export class InstrumentSpec {
  readonly symbol: string;
  readonly venue: string;
  readonly tickSize: string;
  readonly lotSize: string;
  readonly makerFee: number;
  readonly takerFee: number;
  readonly multiplier: number;
  readonly currency: string;
  /** Decimal places of tick size and lot size. */
  readonly priceScale: number;
  readonly sizeScale: number;
  /** Tick size and lot size as floats, for display and rough arithmetic only. */
  readonly tick: number;
  readonly lot: number;
  private readonly tickUnits: bigint;
  private readonly lotUnits: bigint;

  constructor(init: InstrumentSpecInit) {
    this.symbol = init.symbol;
    this.venue = init.venue;
    this.tickSize = init.tickSize;
    this.lotSize = init.lotSize ?? "1";
    this.makerFee = init.makerFee ?? 0;
    this.takerFee = init.takerFee ?? 0;
    this.multiplier = init.multiplier ?? 1;
    this.currency = init.currency ?? "USD";
    const tick = parseDecimal(this.tickSize, "tick size");
    const lot = parseDecimal(this.lotSize, "lot size");
    if (tick.units <= 0n || lot.units <= 0n) {
      throw new LabError({ code: "BAD_INSTRUMENT", message: `tick size and lot size of ${init.symbol} must be positive`, hint: 'e.g. tickSize: "0.01", lotSize: "1"', context: { symbol: init.symbol } });
    }
    this.priceScale = tick.scale;
    this.sizeScale = lot.scale;
    this.tickUnits = tick.units;
    this.lotUnits = lot.units;
    this.tick = Number(this.tickSize);
    this.lot = Number(this.lotSize);
  }

  /** Exact price (decimal string or number) to integer ticks; off-grid prices throw. */
  toTicks(price: string | number): number {
    const r = this.tryToTicks(price);
    if (r === undefined) {
      throw new LabError({ code: "OFF_TICK", message: `price ${price} is not a multiple of tick size ${this.tickSize} for ${this.symbol}`, hint: "round the price to the tick grid, or check the instrument's tickSize", context: { value: String(price), symbol: this.symbol } });
    }
    return r;
  }

  /** Like `toTicks` but returns undefined when the price is off the tick grid. */
  tryToTicks(price: string | number): number | undefined {
    return toUnits(price, this.tickUnits, this.priceScale, "price");
  }

  /** Integer ticks back to the exact decimal price string, e.g. 618002 -> "61800.2". */
  priceString(ticks: number): string {
    return unitsToString(BigInt(ticks) * this.tickUnits, this.priceScale);
  }

  /** Integer ticks to a float price (display, PnL arithmetic). */
  toPrice(ticks: number): number {
    return Number(this.priceString(ticks));
  }

  toLots(size: string | number): number {
    const r = toUnits(size, this.lotUnits, this.sizeScale, "size");
    if (r === undefined) {
      throw new LabError({ code: "OFF_LOT", message: `size ${size} is not a multiple of lot size ${this.lotSize} for ${this.symbol}`, hint: "round the size to the lot grid, or check the instrument's lotSize", context: { value: String(size), symbol: this.symbol } });
    }
    return r;
  }

  sizeString(lots: number): string {
    return unitsToString(BigInt(lots) * this.lotUnits, this.sizeScale);
  }

  toSize(lots: number): number {
    return Number(this.sizeString(lots));
  }

  toJSON(): InstrumentSpecInit {
    return { symbol: this.symbol, venue: this.venue, tickSize: this.tickSize, lotSize: this.lotSize, makerFee: this.makerFee, takerFee: this.takerFee, multiplier: this.multiplier, currency: this.currency };
  }
}

function toUnits(value: string | number, stepUnits: bigint, scale: number, what: string): number | undefined {
  // Numbers are printed with the shortest round-trip representation, which is the decimal the user typed.
  const text = typeof value === "number" ? numberToPlain(value) : value;
  const d = parseDecimal(text, what);
  if (d.scale > scale) return undefined;
  const scaled = d.units * pow10(scale - d.scale);
  if (scaled % stepUnits !== 0n) return undefined;
  return Number(scaled / stepUnits);
}

function numberToPlain(x: number): string {
  const s = String(x);
  if (!/e/i.test(s)) return s;
  return x.toFixed(20).replace(/0+$/, "").replace(/\.$/, "");
}

function unitsToString(units: bigint, scale: number): string {
  if (scale === 0) return units.toString();
  const neg = units < 0n;
  const abs = (neg ? -units : units).toString().padStart(scale + 1, "0");
  const frac = abs.slice(-scale).replace(/0+$/, "");
  return (neg ? "-" : "") + abs.slice(0, -scale) + (frac ? "." + frac : "");
}

export function instrument(init: InstrumentSpecInit): InstrumentSpec {
  return new InstrumentSpec(init);
}
