/**
 * Per-day rows of a run: what a researcher checks first on a multi-day backtest (did one day make
 * the result, did the strategy keep a position overnight). A day runs from `dayStartNs` after
 * midnight UTC to the same time the next day (0: UTC days; e.g. 22 h for CME Globex, whose trading
 * day opens at 17:00 Chicago). Day d's PnL is the equity at its last sample minus the equity at the
 * previous day's last sample (the run's first sample for the first day), so the days' PnL adds up
 * to the run's. Drawdown is within the day, from the day's opening equity.
 */
import { equityDrawdown } from "./equity.js";
import type { EquityCurve, FillTable } from "./types.js";

const DAY_NS = 86_400_000_000_000n;

export interface DayRow {
  /** The day's date, YYYY-MM-DD: the UTC date on which it ends (with a 22:00 UTC start, Sunday evening's rows belong to Monday). */
  day: string;
  /** First and last equity sample of the day (ns). */
  firstTs: bigint;
  lastTs: bigint;
  /** Equity change over the day. */
  pnl: number;
  /** Largest fall from a running peak within the day (≥ 0), starting at the day's opening equity. */
  maxDrawdown: number;
  fills: number;
  /** Sum of |price × qty| of the day's fills. */
  notional: number;
  fees: number;
  /** Position per instrument at the day's last sample (lots; `options.positions`, else the curve's one position, else none). */
  closingPositions: number[];
}

export interface DailyOptions {
  /** Where a day starts, ns after midnight UTC (0 ≤ x < 24 h). @default 0 */
  dayStartNs?: number;
  /** Positions per instrument at each equity sample (a run's `positions`). */
  positions?: readonly Float64Array[];
}

/** The UTC date on which day `dayIndex` ends: a trading day that opens the evening before is the next day's. */
function dateOf(dayIndex: bigint, startNs: bigint): string {
  return new Date(Number(((dayIndex + 1n) * DAY_NS + startNs - 1n) / 1_000_000n)).toISOString().slice(0, 10);
}

/** One row per day that has equity samples, in time order. */
export function dailySummary(equity: EquityCurve, fills: FillTable, options: DailyOptions = {}): DayRow[] {
  const start = BigInt(Math.round(options.dayStartNs ?? 0));
  const positions = options.positions ?? (equity.position ? [equity.position] : []);
  const n = equity.ts.length;
  const rows: DayRow[] = [];
  if (n === 0) return rows;
  const dayOf = (t: bigint): bigint => {
    const x = t - start;
    return x >= 0n ? x / DAY_NS : (x - DAY_NS + 1n) / DAY_NS;
  };
  let open = equity.equity[0]!;
  let i = 0;
  let f = 0;
  while (i < n) {
    const d = dayOf(equity.ts[i]!);
    let j = i;
    while (j < n && dayOf(equity.ts[j]!) === d) j++;
    // The day's drawdown from its opening equity: the one drawdown of src/stats/equity.ts.
    const dd = equityDrawdown(equity.equity, i, j, open).depth;
    const close = equity.equity[j - 1]!;
    let count = 0;
    let notional = 0;
    let fees = 0;
    const lastTs = equity.ts[j - 1]!;
    // fills up to the day's last sample (a fill is always followed by its own sample)
    while (f < fills.ts.length && fills.ts[f]! <= lastTs) {
      if (dayOf(fills.ts[f]!) === d) {
        count++;
        notional += Math.abs(fills.price[f]! * fills.qty[f]!);
        fees += fills.fee[f]!;
      }
      f++;
    }
    rows.push({ day: dateOf(d, start), firstTs: equity.ts[i]!, lastTs, pnl: close - open, maxDrawdown: dd, fills: count, notional, fees, closingPositions: positions.map((p) => p[j - 1]!) });
    open = close;
    i = j;
  }
  return rows;
}
