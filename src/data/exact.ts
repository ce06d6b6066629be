/**
 * Exact price -> ticks and size -> lots for whole columns.
 *
 * Readers get prices as float64 values that are the correctly rounded parse of the decimal text
 * (DuckDB and `Number()` both round correctly). For a tick of u/10^S (u, S integers) the tick
 * count t is *guessed* with a float multiply and then *proved*: IEEE division is correctly
 * rounded, so (t·u)/10^S computed in float64 is exactly the float nearest to the decimal t·tick.
 * The input equals it iff the text was that decimal (to within float64's ~15.9 significant
 * digits; a text that differs further down is indistinguishable in a float64 and would have to be
 * read as text). Nothing is rounded onto the grid: an off-grid value is reported, never snapped.
 */
import type { InstrumentSpec } from "../core/index.js";

export interface GridStep {
  /** Step as an integer count of 10^-scale units. */
  units: number;
  /** 10^scale as a float (exact for scale ≤ 22). */
  pow: number;
}

/** The tick (price) or lot (size) step of an instrument as integer units over a power of ten. */
export function gridStep(spec: InstrumentSpec, which: "price" | "size"): GridStep {
  const text = which === "price" ? spec.tickSize : spec.lotSize;
  const scale = which === "price" ? spec.priceScale : spec.sizeScale;
  const [intPart = "0", frac = ""] = text.trim().split(".");
  const digits = (intPart + frac.padEnd(scale, "0").slice(0, scale)).replace(/^0+/, "") || "0";
  return { units: Number(digits), pow: 10 ** scale };
}

const MAX_EXACT = 2 ** 53;

/**
 * Converts one float64 decimal value to grid steps; returns NaN for NaN input and `undefined`
 * (as -Infinity sentinel avoided: callers check with `Number.isNaN` on input first) when off-grid.
 * Exposed for tests and for readers that convert single values.
 */
export function toGridExact(value: number, step: GridStep): number | undefined {
  if (Number.isNaN(value)) return NaN;
  const t = Math.round((value * step.pow) / step.units);
  const scaled = t * step.units;
  if (!(Math.abs(scaled) < MAX_EXACT)) return undefined;
  return scaled / step.pow === value ? t : undefined;
}

/**
 * Converts `values` (float64 decimals) to grid steps in place for the rows whose instrument has
 * step `steps[instrument[i]]`. Off-grid rows keep their float value and get `offGridBit` in
 * `bad`; rows already marked bad (any bit of `skipMask`) are left alone. Returns the off-grid count.
 */
export function convertColumnExact(values: Float64Array, instrument: Uint16Array, steps: readonly GridStep[], bad: Uint32Array, offGridBit: number, skipMask: number): number {
  let offGrid = 0;
  const n = values.length;
  if (steps.length === 1) {
    const { units, pow } = steps[0]!;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v !== v || (bad[i]! & skipMask) !== 0) continue;
      const t = Math.round((v * pow) / units);
      const scaled = t * units;
      if (scaled / pow === v && Math.abs(scaled) < MAX_EXACT) {
        values[i] = t;
      } else {
        bad[i] = bad[i]! | offGridBit;
        offGrid++;
      }
    }
    return offGrid;
  }
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v !== v || (bad[i]! & skipMask) !== 0) continue;
    const step = steps[instrument[i]!];
    if (step === undefined) continue;
    const t = Math.round((v * step.pow) / step.units);
    const scaled = t * step.units;
    if (scaled / step.pow === v && Math.abs(scaled) < MAX_EXACT) {
      values[i] = t;
    } else {
      bad[i] = bad[i]! | offGridBit;
      offGrid++;
    }
  }
  return offGrid;
}

/** Number of decimals in a decimal text ("20377.00" -> 2, "6422" -> 0), for grid inference. */
export function decimalsOf(text: string): number {
  const dot = text.indexOf(".");
  if (dot < 0) return 0;
  let end = text.length;
  while (end > dot + 1 && text[end - 1] === "0") end--;
  return end - dot - 1;
}

/** The finest power-of-ten step that puts every given decimal on the grid: "0.01" for 2 decimals. */
export function stepForDecimals(decimals: number): string {
  return decimals <= 0 ? "1" : "0." + "0".repeat(decimals - 1) + "1";
}
