/**
 * Fast exact tick/lot → currency/size conversion for the hot path. `InstrumentSpec.toPrice` goes
 * through a decimal string (exact but slow); here the tick size is held as an integer m at scale d
 * (tick = m·10⁻ᵈ), and price = (ticks·m) / 10ᵈ. Both operands are exact doubles while
 * |ticks·m| < 2^53 and 10ᵈ ≤ 10²², so IEEE division returns the double nearest the exact decimal —
 * the same value `Number(spec.priceString(ticks))` gives. Outside that range it falls back to the spec.
 */
import type { InstrumentSpec } from "../core/index.js";

const SAFE = 9007199254740991;

export class UnitConverter {
  private readonly tickUnits: number;
  private readonly tickDiv: number;
  private readonly lotUnits: number;
  private readonly lotDiv: number;

  constructor(private readonly spec: InstrumentSpec) {
    this.tickDiv = 10 ** spec.priceScale;
    this.tickUnits = Math.round(spec.tick * this.tickDiv);
    this.lotDiv = 10 ** spec.sizeScale;
    this.lotUnits = Math.round(spec.lot * this.lotDiv);
  }

  /** Currency price of an integer tick count. */
  price(ticks: number): number {
    const u = ticks * this.tickUnits;
    return Number.isInteger(u) && Math.abs(u) <= SAFE && this.tickDiv <= 1e22 ? u / this.tickDiv : this.spec.toPrice(ticks);
  }

  /** Size in instrument units of an integer lot count. */
  size(lots: number): number {
    const u = lots * this.lotUnits;
    return Number.isInteger(u) && Math.abs(u) <= SAFE && this.lotDiv <= 1e22 ? u / this.lotDiv : this.spec.toSize(lots);
  }
}
