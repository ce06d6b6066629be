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

/** Maker/taker rates as fractions of notional, the same for every instrument (rebate = negative). */
export function makerTaker(options: { maker: number; taker: number }): FeeModel {
  const maker = rate(options.maker, "maker", "fees.makerTaker");
  const taker = rate(options.taker, "taker", "fees.makerTaker");
  return {
    name: `makerTaker(${maker}, ${taker})`,
    amount: (_spec, liquidity, notional) => (liquidity === Liquidity.Maker ? maker : taker) * notional,
  };
}

/** Each instrument's own `makerFee` / `takerFee` (the default). */
export function fromInstrument(): FeeModel {
  return {
    name: "instrument",
    amount: (spec, liquidity, notional) => (liquidity === Liquidity.Maker ? spec.makerFee : spec.takerFee) * notional,
  };
}

/** A fixed amount per unit of size (e.g. per contract or per share); negative = rebate. */
export function perUnit(options: { maker: number; taker: number }): FeeModel {
  const { maker, taker } = options;
  if (!Number.isFinite(maker) || !Number.isFinite(taker)) {
    throw new LabError({ code: "BAD_OPTION", message: "fees.perUnit: maker and taker must be finite numbers", hint: "e.g. fees.perUnit({ maker: -0.002, taker: 0.003 })" });
  }
  return {
    name: `perUnit(${maker}, ${taker})`,
    amount: (_spec, liquidity, _notional, size) => (liquidity === Liquidity.Maker ? maker : taker) * size,
  };
}

/** No fees. */
export function none(): FeeModel {
  return { name: "none", amount: () => 0 };
}

export function isFeeModel(value: unknown): value is FeeModel {
  return typeof value === "object" && value !== null && typeof (value as FeeModel).amount === "function";
}
