/**
 * Fee models. A fee is money paid per fill in the account currency; a negative fee is a rebate
 * received (maker rebates). The default charges each instrument's own `makerFee`/`takerFee`
 * (fractions of notional, from its `InstrumentSpec`).
 *
 * notional = fill price × size (in instrument units) × multiplier.
 */
import { LabError, type InstrumentSpec } from "../core/index.js";
import { Liquidity } from "../stats/index.js";

export interface FeeModel {
  readonly name: string;
  /** Fee for one fill (negative = rebate). `liquidity` is `Liquidity.Maker` or `Liquidity.Taker`. */
  amount(spec: InstrumentSpec, liquidity: number, notional: number, sizeUnits: number): number;
}

function rate(value: unknown, name: string, where: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) >= 1) {
    throw new LabError({ code: "BAD_OPTION", message: `${where}: ${name} must be a fraction of notional in (-1, 1), got ${String(value)}`, hint: `e.g. ${name}: 0.0004 for 4 bp; negative for a rebate`, context: { option: name } });
  }
  return value;
}

// Built-in models are class instances (or one shared object when they have no parameters), not
// literals of closures: engine code that inlined `amount` then stays valid from one run to the
// next (new closures per run are new call targets, and that code would be thrown away).

/** A maker and a taker rate, charged per unit of notional or per unit of size. */
class MakerTakerRates implements FeeModel {
  readonly name: string;
  constructor(
    private readonly maker: number,
    private readonly taker: number,
    private readonly perUnit: boolean,
  ) {
    this.name = `${perUnit ? "perUnit" : "makerTaker"}(${maker}, ${taker})`;
  }
  amount(_spec: InstrumentSpec, liquidity: number, notional: number, sizeUnits: number): number {
    return (liquidity === Liquidity.Maker ? this.maker : this.taker) * (this.perUnit ? sizeUnits : notional);
  }
}

const INSTRUMENT_FEES: FeeModel = {
  name: "instrument",
  amount: (spec, liquidity, notional) => (liquidity === Liquidity.Maker ? spec.makerFee : spec.takerFee) * notional,
};

const NO_FEES: FeeModel = { name: "none", amount: () => 0 };

/** Maker/taker rates as fractions of notional, the same for every instrument (rebate = negative). */
export function makerTaker(options: { maker: number; taker: number }): FeeModel {
  return new MakerTakerRates(rate(options.maker, "maker", "fees.makerTaker"), rate(options.taker, "taker", "fees.makerTaker"), false);
}

/** Each instrument's own `makerFee` / `takerFee` (the default). */
export function fromInstrument(): FeeModel {
  return INSTRUMENT_FEES;
}

/** A fixed amount per unit of size (e.g. per contract or per share); negative = rebate. */
export function perUnit(options: { maker: number; taker: number }): FeeModel {
  const { maker, taker } = options;
  if (!Number.isFinite(maker) || !Number.isFinite(taker)) {
    throw new LabError({ code: "BAD_OPTION", message: "fees.perUnit: maker and taker must be finite numbers", hint: "e.g. fees.perUnit({ maker: -0.002, taker: 0.003 })" });
  }
  return new MakerTakerRates(maker, taker, true);
}

/** No fees. */
export function none(): FeeModel {
  return NO_FEES;
}

export function isFeeModel(value: unknown): value is FeeModel {
  return typeof value === "object" && value !== null && typeof (value as FeeModel).amount === "function";
}
