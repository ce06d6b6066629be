/**
 * The equity grid, the Sharpe ratio of PnL changes and drawdown: the one implementation behind a
 * run's summary, every optimizer trial and the tear sheet, so a run reports one Sharpe ratio and
 * one drawdown everywhere (docs/stats.md).
 *
 * - Grid: the times that are whole multiples of the interval since the Unix epoch, inside the
 *   run's [start, end]; the value at a grid time is the last equity sample at or before it (the
 *   engine samples equity at exactly these times, so resampling a run's equity reproduces its own
 *   grid samples). Anchoring at the epoch, not at the first row, makes the grids of two runs over
 *   the same day line up sample for sample (walk-forward windows, PBO matrices).
 * - Sharpe: mean / sd (ddof = 1) of the changes between consecutive grid values, whole periods
 *   only. Changes in currency, not returns on a compounding account, so a run with `initialCash: 0`
 *   has a Sharpe ratio too; for a run with cash it equals the Sharpe ratio of fixed-capital returns.
 * - Periods: with the venue's trading hours (core/session.ts `TradingCalendar.tradingHours`), a
 *   grid period counts only when it lies inside one session (open ≤ its start, its end ≤ close):
 *   nights, weekends and the gap between sessions are not periods of a NASDAQ strategy. A grid
 *   with no period inside a session counts them all (its timestamps are not the venue's hours).
 * - Drawdown: a depth ≥ 0, the fall from the running peak, in currency (`depth`) and as a fraction
 *   of the peak (`fraction`, when the peak is positive).
 */

import { sessionsBetween, type TradingHours } from "../core/index.js";

const NONE = { first: 0, values: new Float64Array(0) };

/**
 * Grid values over ns offsets `t` from `base` (exact below 2^53 ns). `startT`/`endT` bound the
 * grid (offsets, inclusive); `before` is the value at a grid time with no sample at or before it.
 * Returns the first grid time (offset) and the values; grid time k is `first + k·interval`.
 */
export function gridValuesAt(t: ArrayLike<number>, equity: ArrayLike<number>, length: number, base: bigint, intervalNs: number, startT: number, endT: number, before = NaN): { first: number; values: Float64Array } {
  if (!(intervalNs > 0) || !(endT >= startT)) return NONE;
  const step = BigInt(Math.round(intervalNs));
  const absStart = base + BigInt(Math.ceil(startT));
  // Ceiling division toward +∞ for times before the epoch as well.
  let firstAbs = (absStart / step) * step;
  if (firstAbs < absStart) firstAbs += step;
  const first = Number(firstAbs - base);
  if (first > endT) return { first, values: new Float64Array(0) };
  const points = Math.floor((endT - first) / intervalNs) + 1;
  const values = new Float64Array(points);
  let j = 0;
  let last = before;
  for (let k = 0; k < points; k++) {
    const g = first + k * intervalNs;
    while (j < length && t[j]! <= g) last = equity[j++]!;
    values[k] = last;
  }
  return { first, values };
}

export interface EquityGrid {
  /** Grid times (ns since the epoch), multiples of `intervalNs`. */
  times: BigInt64Array;
  /** Equity at each grid time: the last sample at or before it. */
  values: Float64Array;
  intervalNs: number;
}

/**
 * An equity curve on the epoch-anchored grid (module comment). `startNs`/`endNs` default to the
 * first and last sample; `before` is the equity before the first sample (default: the first
 * sample's value).
 */
export function equityGrid(ts: BigInt64Array, equity: ArrayLike<number>, intervalNs: number, range: { startNs?: bigint; endNs?: bigint; before?: number } = {}): EquityGrid {
  const n = ts.length;
  if (n === 0 && (range.startNs === undefined || range.endNs === undefined)) return { times: new BigInt64Array(0), values: new Float64Array(0), intervalNs };
  const base = range.startNs ?? ts[0]!;
  const end = range.endNs ?? ts[n - 1]!;
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = Number(ts[i]! - base);
  const { first, values } = gridValuesAt(t, equity, n, base, intervalNs, 0, Number(end - base), range.before ?? (n > 0 ? equity[0]! : NaN));
  const times = new BigInt64Array(values.length);
  const step = BigInt(Math.round(intervalNs));
  for (let k = 0; k < values.length; k++) times[k] = base + BigInt(first) + BigInt(k) * step;
  return { times, values, intervalNs };
}

/** Changes between consecutive values (length n − 1): the PnL of each grid period. */
export function pnlChanges(values: ArrayLike<number>, from = 0, to = values.length): Float64Array {
  const out = new Float64Array(Math.max(0, to - from - 1));
  for (let k = from + 1; k < to; k++) out[k - from - 1] = values[k]! - values[k - 1]!;
  return out;
}

/**
 * Which grid periods count (module comment): `mask[k]` = 1 when the period from grid time k − 1
 * to k (grid time k = `firstNs + k·interval`) lies inside one session of `hours`. Undefined when
 * every period counts: no hours, or no period inside a session.
 */
export function sessionPeriods(firstNs: bigint, intervalNs: number, points: number, hours: TradingHours | undefined): Uint8Array | undefined {
  if (hours === undefined || points < 2 || !(intervalNs > 0)) return undefined;
  const step = BigInt(Math.round(intervalNs));
  const sessions = sessionsBetween(hours, firstNs, firstNs + BigInt(points - 1) * step);
  // Offsets from the first grid time as numbers (exact below 2^53 ns), so the walk is plain arithmetic.
  const open = sessions.map((x) => Number(x.openNs - firstNs));
  const close = sessions.map((x) => Number(x.closeNs - firstNs));
  const mask = new Uint8Array(points);
  let s = 0;
  let counted = 0;
  for (let k = 1; k < points; k++) {
    const end = k * intervalNs;
    while (s < close.length && close[s]! < end) s++;
    if (s < close.length && open[s]! <= end - intervalNs) {
      mask[k] = 1;
      counted++;
    }
  }
  return counted === 0 || counted === points - 1 ? undefined : mask;
}

/** PnL of each counted grid period (`sessionPeriods`; all of them without a mask). */
export function countedChanges(values: ArrayLike<number>, mask: Uint8Array | undefined): Float64Array {
  if (mask === undefined) return pnlChanges(values);
  const out: number[] = [];
  for (let k = 1; k < values.length; k++) if (mask[k] === 1) out.push(values[k]! - values[k - 1]!);
  return Float64Array.from(out);
}

/**
 * Per-period Sharpe ratio of the changes between consecutive `values[from..to)`: mean / sd
 * (ddof = 1), over the periods `mask` counts (all without one). Two passes, no allocation; the
 * same arithmetic as `sharpePerPeriod` over `countedChanges`, so either gives the same bits. NaN
 * with fewer than 2 changes or zero variance.
 */
export function sharpeOfChanges(values: ArrayLike<number>, from = 0, to = values.length, mask?: Uint8Array): number {
  let n = 0;
  let sum = 0;
  for (let k = from + 1; k < to; k++) {
    if (mask !== undefined && mask[k] !== 1) continue;
    sum += values[k]! - values[k - 1]!;
    n++;
  }
  if (n < 2) return NaN;
  const mu = sum / n;
  let s2 = 0;
  for (let k = from + 1; k < to; k++) {
    if (mask !== undefined && mask[k] !== 1) continue;
    const d = values[k]! - values[k - 1]! - mu;
    s2 += d * d;
  }
  const sd = Math.sqrt(s2 / (n - 1));
  if (!(sd > 1e-14 * Math.abs(mu))) return NaN;
  return mu / sd;
}

export interface EquityDrawdown {
  /** Largest fall from a running peak, in the values' unit (currency): ≥ 0, 0 without a fall. */
  depth: number;
  /** Largest fall from a running peak as a fraction of that peak: ≥ 0 (0.25 = 25 % below). NaN if a peak is not positive. */
  fraction: number;
  /** Index of the peak before the largest fractional fall (of the currency fall when `fraction` is NaN). */
  peakIndex: number;
  /** Index of its trough. */
  troughIndex: number;
  /** First index after the trough back at the peak's level; −1 if never recovered. */
  recoveryIndex: number;
  /** Longest run of periods spent below the previous peak (recovered or not). */
  longestDuration: number;
  /** Start (peak) index of that run. */
  longestStartIndex: number;
}

/**
 * Drawdown of an equity series `values[from..to)` (module comment: depth ≥ 0). A new peak is a
 * value at or above the running peak; `peak` seeds the running peak (e.g. the equity before a
 * trial's window), default the first value.
 */
export function equityDrawdown(values: ArrayLike<number>, from = 0, to = values.length, peak = NaN): EquityDrawdown {
  let top = peak === peak ? peak : to > from ? values[from]! : NaN;
  let topAt = from;
  let depth = 0;
  let fraction = 0;
  let ratioOk = true;
  let bestPeak = from;
  let bestTrough = from;
  let depthPeak = from;
  let depthTrough = from;
  let longest = 0;
  let longestStart = from;
  for (let k = from; k < to; k++) {
    const v = values[k]!;
    if (v >= top) {
      if (k - 1 - topAt > longest) {
        longest = k - 1 - topAt;
        longestStart = topAt;
      }
      top = v;
      topAt = k;
      continue;
    }
    const d = top - v;
    if (d > depth) {
      depth = d;
      depthPeak = topAt;
      depthTrough = k;
    }
    if (!(top > 0)) ratioOk = false;
    else if (1 - v / top > fraction) {
      // 1 − v/top, not d/top: the same bits as empyrical's −(v/top − 1).
      fraction = 1 - v / top;
      bestPeak = topAt;
      bestTrough = k;
    }
  }
  if (to - 1 - topAt > longest) {
    longest = to - 1 - topAt;
    longestStart = topAt;
  }
  if (!ratioOk) {
    fraction = NaN;
    bestPeak = depthPeak;
    bestTrough = depthTrough;
  }
  let recovery = -1;
  if (depth > 0) {
    const level = bestPeak === from && peak === peak ? peak : values[bestPeak]!;
    for (let k = bestTrough + 1; k < to; k++) {
      if (values[k]! >= level) {
        recovery = k;
        break;
      }
    }
  }
  return { depth, fraction, peakIndex: bestPeak, troughIndex: bestTrough, recoveryIndex: recovery, longestDuration: longest, longestStartIndex: longestStart };
}
