/**
 * Number formats, one per quantity, used by every view so a figure reads the same wherever it
 * appears:
 *
 * - thousands separator: "," everywhere (61,800.1; 1,234), decimal point ".";
 * - prices: at the instrument's tick precision (tick 0.1 → one decimal: 61,800.0), a price
 *   between two ticks (a mid) gets one more decimal; without an instrument, up to 6 significant
 *   digits;
 * - sizes: at the lot precision (lot 0.001 → 0.016);
 * - percentages (shares, ratios of counts): "%" with one decimal (100.0%); returns over the
 *   whole run (total return, drawdown, CAGR) keep the metric registry's two decimals;
 * - returns per period (mean, volatility, VaR, average win): basis points, 3 significant digits
 *   ("-0.00139 bp", "-163 bp"), which stay readable from 100 ms to daily periods;
 * - money (PnL, fees, drawdown in currency): two decimals, or three significant digits below
 *   one unit so a fee of 0.0012 does not read 0.00; never "-0.00";
 * - counts: integers with separators (1,234);
 * - missing or non-finite values: "n/a".
 *
 * Chart axes take a d3-format string (Plotly and Observable Plot both use d3-format) from
 * `plotlyTickFormat`: fixed decimals from the tick size or the value range, never an SI suffix,
 * so a price axis reads 61,800.0 and not 61.8k, an equity axis 100,000.25 and not 100.0003k.
 */

/** What the price and size formats read from an instrument (an `InstrumentSpec` has it). */
export interface NumberGrid {
  /** Price increment as a decimal string (or number), e.g. "0.1". */
  readonly tickSize: string | number;
  /** Quantity increment as a decimal string (or number), e.g. "0.001". */
  readonly lotSize?: string | number;
}

export const THOUSANDS_SEPARATOR = ",";
const NA = "n/a";

/** Decimal places of a step written as a decimal ("0.10" → 1, "0.001" → 3, 1e-8 → 8, "5" → 0). */
export function decimalsOf(step: string | number | undefined): number {
  if (step === undefined) return 0;
  const text = typeof step === "number" ? plainNumber(step) : step.trim();
  const dot = text.indexOf(".");
  if (dot < 0) return 0;
  return text.slice(dot + 1).replace(/0+$/, "").length;
}

function plainNumber(x: number): string {
  const s = String(x);
  if (!/e/i.test(s)) return s;
  return x.toFixed(20).replace(/0+$/, "").replace(/\.$/, "");
}

/** Inserts the thousands separator into the integer part of a plain decimal string ("-61800.10" → "-61,800.10"). */
export function groupDigits(text: string): string {
  const m = /^([+-]?)(\d+)(\.\d*)?$/.exec(text);
  if (!m) return text;
  return `${m[1]}${m[2]!.replace(/\B(?=(\d{3})+(?!\d))/g, THOUSANDS_SEPARATOR)}${m[3] ?? ""}`;
}

/** x with exactly `decimals` decimals and separators; "-0.0" becomes "0.0". */
export function formatFixed(x: number, decimals: number): string {
  if (!Number.isFinite(x)) return NA;
  const d = Math.max(0, Math.min(20, Math.floor(decimals)));
  let text = x.toFixed(d);
  if (/^-0(\.0*)?$/.test(text)) text = text.slice(1);
  return groupDigits(text);
}

/** x rounded to `digits` significant digits, separators, no exponent for ordinary magnitudes. */
export function formatNumber(x: number, digits = 6): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? NA : x > 0 ? "∞" : "-∞";
  if (x === 0) return "0";
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return groupDigits(String(x));
  const magnitude = Math.floor(Math.log10(Math.abs(x)));
  if (magnitude < -9) return x.toExponential(Math.max(0, digits - 1));
  // Digits past the decimal point that keep `digits` significant ones, trailing zeros dropped.
  const decimals = Math.max(0, digits - 1 - magnitude);
  const text = formatFixed(x, decimals);
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/**
 * A price at the instrument's tick precision, with separators: 61800.1 at tick "0.1" →
 * "61,800.1", 580 at tick "0.01" → "580.00". A price off the tick grid (a mid half-way between
 * two ticks) gets one more decimal so it is not rounded onto a neighbour. Without an instrument:
 * 6 significant digits.
 */
export function formatPrice(value: number, instrument?: NumberGrid): string {
  if (!Number.isFinite(value)) return NA;
  if (!instrument) return formatNumber(value, 6);
  const decimals = decimalsOf(instrument.tickSize);
  const tick = Number(instrument.tickSize);
  const steps = value / tick;
  const onGrid = Math.abs(steps - Math.round(steps)) < 1e-6;
  return formatFixed(value, onGrid ? decimals : decimals + 1);
}

/** A price given in integer ticks, exact (no float rounding): 618001 ticks at "0.1" → "61,800.1". */
export function formatPriceTicks(ticks: number, instrument: NumberGrid): string {
  if (!Number.isFinite(ticks)) return NA;
  if (!Number.isInteger(ticks)) return formatPrice(ticks * Number(instrument.tickSize), instrument);
  return groupDigits(scaledString(BigInt(ticks), instrument.tickSize));
}

/** A size in instrument units at the lot precision: 0.016 at lot "0.001" → "0.016"; without an instrument, 6 significant digits. */
export function formatQty(value: number, instrument?: NumberGrid): string {
  if (!Number.isFinite(value)) return NA;
  if (!instrument || instrument.lotSize === undefined) return formatNumber(value, 6);
  return formatFixed(value, decimalsOf(instrument.lotSize));
}

/** A size given in integer lots, in instrument units, exact: 16 lots at "0.001" → "0.016". */
export function formatLots(lots: number, instrument: NumberGrid): string {
  if (!Number.isFinite(lots)) return NA;
  if (!Number.isInteger(lots)) return formatQty(lots * Number(instrument.lotSize ?? 1), instrument);
  return groupDigits(scaledString(BigInt(lots), instrument.lotSize ?? "1"));
}

/** units × step as an exact decimal string with the step's decimals ("0.1", 618001 → "61800.1"). */
function scaledString(units: bigint, step: string | number): string {
  const text = typeof step === "number" ? plainNumber(step) : step.trim();
  const [whole = "0", frac = ""] = text.split(".");
  const scale = frac.length;
  const stepUnits = BigInt((whole.replace(/^-/, "") || "0") + frac);
  const value = units * stepUnits;
  const neg = value < 0n;
  const digits = (neg ? -value : value).toString().padStart(scale + 1, "0");
  const decimals = decimalsOf(step);
  const intPart = scale === 0 ? digits : digits.slice(0, -scale);
  const fracPart = scale === 0 ? "" : digits.slice(-scale).slice(0, decimals);
  return `${neg ? "-" : ""}${intPart}${decimals > 0 ? "." + fracPart : ""}`;
}

/** A fraction as a percentage with one decimal: 1 → "100.0%", 0.1234 → "12.3%". */
export function formatPct(fraction: number, decimals = 1): string {
  if (!Number.isFinite(fraction)) return NA;
  return `${formatFixed(fraction * 100, decimals)}%`;
}

/**
 * An amount of money: two decimals ("-4.97", "1,234.50", "0.50"); below 0.1 three significant
 * digits so small fees stay visible ("0.00331", "-0.0125"); 0 is "0.00", never "-0.00". With a
 * currency it is appended ("3.31 USDT").
 */
export function formatMoney(value: number, currency?: string): string {
  if (!Number.isFinite(value)) return NA;
  const abs = Math.abs(value);
  let text: string;
  // Compared after rounding to 3 digits: 0.09999999999 (a float sum of 0.1) is 0.10, not 0.1000.
  if (abs === 0 || Number(abs.toPrecision(3)) >= 0.1) text = formatFixed(value, 2);
  else {
    const decimals = Math.max(2, 2 - Math.floor(Math.log10(abs)));
    text = formatFixed(value, Math.min(decimals, 12));
    if (/^-?0\.0*$/.test(text)) text = "0.00";
  }
  return currency ? `${text} ${currency}` : text;
}

/** A return (fraction) in basis points with `digits` significant digits: -0.000163 → "-1.63 bp". */
export function formatBp(fraction: number, digits = 3): string {
  return Number.isFinite(fraction) ? `${formatNumber(fraction * 1e4, digits)} bp` : NA;
}

/** Adds the thousands separator to every integer part of 4+ digits inside a text ("-17769.30" → "-17,769.30", "12.5%" unchanged). */
export function groupDigitsIn(text: string): string {
  return text.replace(/(^|[^\d.,])(\d{4,})(?=\D|$)/g, (_m, before: string, digits: string) => before + groupDigits(digits));
}

/** A count: an integer with separators (1234 → "1,234"); non-integers are rounded. */
export function formatCount(n: number | bigint): string {
  if (typeof n === "bigint") return groupDigits(n.toString());
  if (!Number.isFinite(n)) return NA;
  return groupDigits(String(Math.round(n) + 0));
}

/** A dimensionless ratio (Sharpe, profit factor) with `decimals` decimals and separators: -17769.3 → "-17,769.30". */
export function formatRatio(x: number, decimals = 2): string {
  return formatFixed(x, decimals);
}

export interface TickFormatOptions {
  /** Prices of this instrument: decimals of its tick size. */
  instrument?: NumberGrid;
  /** Or the step of the values directly (e.g. "0.1"). */
  tickSize?: string | number;
  /** Roughly how many ticks the axis shows. @default 6 */
  ticks?: number;
}

/**
 * A d3-format string for an axis (Plotly `tickformat`, Observable Plot `tickFormat`): grouped
 * thousands, fixed decimals, never an SI suffix. With a tick size: its decimals (",.1f" for a 0.1
 * tick). Otherwise from the value range: enough decimals to tell apart the labels of about
 * `ticks` ticks over it (a range of 9,990 to 10,010 gives ",.0f", 0.0012 to 0.0019 ",.4f").
 */
export function plotlyTickFormat(range: ArrayLike<number> | { min: number; max: number } = [], options: TickFormatOptions = {}): string {
  const step = options.instrument?.tickSize ?? options.tickSize;
  if (step !== undefined) return `,.${decimalsOf(step)}f`;
  let lo = Infinity;
  let hi = -Infinity;
  if ("min" in range && "max" in range && typeof range.min === "number") {
    lo = range.min;
    hi = range.max;
  } else {
    const values = range as ArrayLike<number>;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi >= lo)) return ",.2f";
  const span = hi - lo;
  const scale = Math.max(Math.abs(lo), Math.abs(hi));
  // A flat series still gets a readable label: decimals for a step of 1/1000 of its level.
  const tickStep = span > 0 ? span / (options.ticks ?? 6) : scale > 0 ? scale / 1000 : 1;
  // d3 picks "nice" steps of 1, 2 or 5 × 10^k: 10^k decides how many decimals a label needs.
  // The epsilon keeps a step of 0.00999999 (a float difference of 0.06 / 6) at 2 decimals.
  const decimals = Math.max(0, Math.min(12, -Math.floor(Math.log10(tickStep) + 1e-9)));
  return `,.${decimals}f`;
}
