/**
 * When a run is long enough for annualized figures. A CAGR or an annualized Sharpe ratio from a
 * few seconds of data is an extrapolation by a factor of hundreds of thousands (73 s → a year is
 * ×432,000): compounding turns any loss into −100 % and √ppy scaling turns noise into a Sharpe of
 * −17,769. Reports therefore show per-period and per-hour figures for runs shorter than one
 * trading session and leave the annualized ones out (or mark them as extrapolated, when asked).
 */

/** Venues that are equity exchanges: one session is the regular 6.5-hour trading day. */
const EQUITY_VENUES = new Set([
  "NASDAQ", "XNAS", "XNAS.ITCH", "XNAS.BASIC", "NYSE", "XNYS", "XNYS.PILLAR", "ARCA", "ARCX", "NYSEARCA", "AMEX", "XASE",
  "BATS", "BZX", "BATY", "EDGA", "EDGX", "XBOS", "XPSX", "IEX", "IEXG", "MEMX", "XCHI", "XCIS", "DBEQ.BASIC", "EQUS.MINI",
  "LSE", "XLON", "XETRA", "XETR", "XPAR", "EURONEXT", "XAMS", "XTSE", "TSX", "XTKS", "TSE", "XHKG", "HKEX", "XASX", "ASX",
]);

const HOUR_NS = 3_600_000_000_000;

/**
 * Share of a session a run must span to count as one: a file that covers the whole NASDAQ day
 * spans from its first to its last event, a fraction of a second less than 6.5 hours.
 */
const SESSION_TOLERANCE = 0.99;

/**
 * The shortest span of data (ns) whose figures may be annualized: one trading session. A simple
 * rule until session calendars exist: 6.5 hours when every instrument trades on an equity
 * exchange (NASDAQ, NYSE, XNAS, ... matched case-insensitively, with any "-"/"_" suffix such as
 * "NASDAQ-TOTALVIEW" reduced to its first part), 24 hours otherwise, and 24 hours when no venue is
 * known (markets that trade around the clock, the conservative choice). A run spanning at least
 * 99 % of it counts as a session (`annualizationOf`).
 */
export function sessionSpanNs(venues: readonly string[] = []): number {
  if (venues.length === 0) return 24 * HOUR_NS;
  const equity = venues.every((v) => {
    const name = v.trim().toUpperCase();
    return EQUITY_VENUES.has(name) || EQUITY_VENUES.has(name.split(/[-_ ]/)[0]!);
  });
  return equity ? 6.5 * HOUR_NS : 24 * HOUR_NS;
}

export interface Annualization {
  /** Whether annualized figures are shown. */
  annualized: boolean;
  /** Shown although the run is shorter than one session (`annualize: true`): marked as extrapolated. */
  extrapolated: boolean;
  /** Span of the data, ns. */
  spanNs: number;
  /** One session for these venues, ns (`sessionSpanNs`). */
  sessionNs: number;
  /** Periods per year ÷ periods observed: how far a yearly figure reaches beyond the data. */
  factor: number;
  /** Why the annualized figures are left out or marked (undefined for a run of a session or more). */
  note: string | undefined;
}

/**
 * Decides whether a run's annualized figures are shown. `force`: true shows them even for a short
 * run (marked "extrapolated ×factor"), false never shows them, undefined applies the session rule.
 */
export function annualizationOf(spanNs: number, periods: number, periodsPerYear: number, venues: readonly string[] = [], force?: boolean): Annualization {
  const sessionNs = sessionSpanNs(venues);
  const factor = periods > 0 && Number.isFinite(periodsPerYear) ? periodsPerYear / periods : NaN;
  const short = !(spanNs >= sessionNs * SESSION_TOLERANCE);
  const span = spanText(spanNs);
  const session = spanText(sessionNs);
  const factorText = Number.isFinite(factor) ? `×${Math.round(factor).toLocaleString("en-US")}` : "×n/a";
  if (force === false) return { annualized: false, extrapolated: false, spanNs, sessionNs, factor, note: "annualized figures left out (annualize: false)" };
  if (!short) return { annualized: true, extrapolated: false, spanNs, sessionNs, factor, note: undefined };
  if (force === true) {
    return { annualized: true, extrapolated: true, spanNs, sessionNs, factor, note: `${span} of data, shorter than one session (${session}): annualized figures are extrapolated ${factorText} to a year` };
  }
  return {
    annualized: false,
    extrapolated: false,
    spanNs,
    sessionNs,
    factor,
    note: `${span} of data, shorter than one session (${session}): annualized figures (CAGR, annualized volatility, Sharpe, Sortino, Calmar) would be extrapolated ${factorText} and are left out; per-period and per-hour figures instead`,
  };
}

/** A span in words: "73 s", "6.0 min", "6.5 h", "3.0 days". */
export function spanText(ns: number): string {
  const seconds = ns / 1e9;
  if (!Number.isFinite(seconds)) return "n/a";
  if (seconds < 1) return `${Number((seconds * 1e3).toPrecision(3))} ms`;
  if (seconds < 120) return `${Number(seconds.toPrecision(3))} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 2 * 86400) return `${Number((seconds / 3600).toFixed(1))} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}
