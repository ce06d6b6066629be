/**
 * When a run is long enough for annualized figures. A CAGR or an annualized Sharpe ratio from a
 * few seconds of data is an extrapolation by a factor of hundreds of thousands (73 s → a year is
 * ×432,000): compounding turns any loss into −100 % and √ppy scaling turns noise into a Sharpe of
 * −17,769. Reports therefore show per-period and per-hour figures for runs shorter than one
 * trading session and leave the annualized ones out (or mark them as extrapolated, when asked).
 *
 * Annualization itself follows the venue's trading calendar (`TradingCalendar`): a year of a
 * NASDAQ strategy is 252 sessions of 6.5 hours, of a crypto strategy 365 days of 24 hours.
 */
import { LabError } from "./errors.js";
import { TRADING_HOURS, resolveTradingHours, type TradingHours, type TradingHoursSpec } from "./trading-hours.js";

const HOUR_NS = 3_600_000_000_000;

/**
 * A venue's trading calendar, as far as statistics need it: how long one session is and how many
 * sessions a year has. Periods per year = sessions per year × session length / grid interval, so
 * a Sharpe ratio of 1-second PnL changes on NASDAQ is annualized by √(252 × 23,400) and on a
 * crypto venue by √(365 × 86,400).
 */
export interface TradingCalendar {
  /** Shown in reports: "NASDAQ", "24x7". */
  readonly name: string;
  /** Length of one trading session, ns. */
  readonly sessionNs: number;
  /** Trading sessions (days) per year. */
  readonly sessionsPerYear: number;
  /** The hours in words: "09:30–16:00 America/New_York", "around the clock". */
  readonly hours: string;
  /**
   * When sessions open and close (core/trading-hours.ts): grid periods outside them do not count
   * as periods of the Sharpe ratio. Undefined: every period counts (around the clock, or hours not
   * modelled, e.g. a lunch break).
   */
  readonly tradingHours?: TradingHours;
}

/** A calendar given by hand: hours per session and sessions per year (e.g. `{ sessionHours: 8.5, sessionsPerYear: 252 }`). */
export interface TradingCalendarInit {
  name?: string;
  sessionHours: number;
  sessionsPerYear: number;
  hours?: string;
  /** Session open and close for counting periods ("nasdaq", { open, close, timeZone }). @default none: every period counts */
  tradingHours?: TradingHoursSpec;
}

/** A calendar, its name in `CALENDARS`, or one given by hand. */
export type CalendarSpec = TradingCalendar | TradingCalendarInit | string;

const calendar = (name: string, hours: number, sessionsPerYear: number, text: string, tradingHours?: TradingHours): TradingCalendar => Object.freeze({ name, sessionNs: hours * HOUR_NS, sessionsPerYear, hours: text, ...(tradingHours ? { tradingHours } : {}) });

/** Built-in calendars, by name (case-insensitive). */
export const CALENDARS: Readonly<Record<string, TradingCalendar>> = Object.freeze({
  "24x7": calendar("24x7", 24, 365, "around the clock, 365 days"),
  "us-equity": calendar("US equities", 6.5, 252, "09:30–16:00 America/New_York, 252 days", TRADING_HOURS["us-equity"]),
  nasdaq: calendar("NASDAQ", 6.5, 252, "09:30–16:00 America/New_York, 252 days", TRADING_HOURS.nasdaq),
  nyse: calendar("NYSE", 6.5, 252, "09:30–16:00 America/New_York, 252 days", TRADING_HOURS.nyse),
  lse: calendar("LSE", 8.5, 252, "08:00–16:30 Europe/London, 252 days", TRADING_HOURS.lse),
  xetra: calendar("XETRA", 8.5, 252, "09:00–17:30 Europe/Berlin, 252 days", TRADING_HOURS.xetra),
  euronext: calendar("Euronext", 8.5, 252, "09:00–17:30 Europe/Paris, 252 days", TRADING_HOURS.euronext),
  tsx: calendar("TSX", 6.5, 252, "09:30–16:00 America/Toronto, 252 days"),
  tse: calendar("TSE", 5, 245, "09:00–11:30, 12:30–15:30 Asia/Tokyo, 245 days"),
  hkex: calendar("HKEX", 5.5, 247, "09:30–12:00, 13:00–16:00 Asia/Hong_Kong, 247 days"),
  asx: calendar("ASX", 6, 252, "10:00–16:00 Australia/Sydney, 252 days"),
});

/** Venue names (upper case, with any "-"/"_" suffix such as "NASDAQ-TOTALVIEW" reduced to its first part) → calendar. */
const VENUE_CALENDARS = new Map<string, string>([
  ...["NASDAQ", "XNAS", "XNAS.ITCH", "XNAS.BASIC", "XBOS", "XPSX"].map((v) => [v, "nasdaq"] as [string, string]),
  ...["NYSE", "XNYS", "XNYS.PILLAR", "ARCA", "ARCX", "NYSEARCA", "AMEX", "XASE", "XCHI", "XCIS"].map((v) => [v, "nyse"] as [string, string]),
  ...["BATS", "BZX", "BATY", "EDGA", "EDGX", "IEX", "IEXG", "MEMX", "DBEQ.BASIC", "EQUS.MINI"].map((v) => [v, "us-equity"] as [string, string]),
  ...["LSE", "XLON"].map((v) => [v, "lse"] as [string, string]),
  ...["XETRA", "XETR"].map((v) => [v, "xetra"] as [string, string]),
  ...["XPAR", "EURONEXT", "XAMS"].map((v) => [v, "euronext"] as [string, string]),
  ...["XTSE", "TSX"].map((v) => [v, "tsx"] as [string, string]),
  ...["XTKS", "TSE"].map((v) => [v, "tse"] as [string, string]),
  ...["XHKG", "HKEX"].map((v) => [v, "hkex"] as [string, string]),
  ...["XASX", "ASX"].map((v) => [v, "asx"] as [string, string]),
]);

/** Calendars set with `setVenueCalendar`, by upper-case venue name. */
const userVenues = new Map<string, TradingCalendar>();

function badCalendar(message: string): LabError {
  return new LabError({ code: "BAD_OPTION", message, hint: 'use "24x7", "nasdaq", "nyse", "lse", ... (lab.CALENDARS) or { sessionHours: 8.5, sessionsPerYear: 252 }', context: { option: "calendar" } });
}

/** The calendar a spec names (see `CalendarSpec`); bad specs throw BAD_OPTION. */
export function resolveCalendar(spec: CalendarSpec): TradingCalendar {
  if (typeof spec === "string") {
    const c = CALENDARS[spec.trim().toLowerCase()];
    if (!c) throw badCalendar(`unknown calendar "${spec}"`);
    return c;
  }
  if (typeof spec !== "object" || spec === null) throw badCalendar(`a calendar is a name or { sessionHours, sessionsPerYear }, got ${String(spec)}`);
  if ("sessionNs" in spec) return spec;
  const { sessionHours, sessionsPerYear } = spec;
  if (!(typeof sessionHours === "number" && sessionHours > 0 && sessionHours <= 24)) throw badCalendar(`calendar sessionHours must be in (0, 24], got ${String(sessionHours)}`);
  if (!(typeof sessionsPerYear === "number" && sessionsPerYear > 0 && sessionsPerYear <= 366)) throw badCalendar(`calendar sessionsPerYear must be in (0, 366], got ${String(sessionsPerYear)}`);
  const tradingHours = spec.tradingHours === undefined ? undefined : resolveTradingHours(spec.tradingHours);
  return calendar(spec.name ?? `${sessionHours} h × ${sessionsPerYear}`, sessionHours, sessionsPerYear, spec.hours ?? `${sessionHours} h a session, ${sessionsPerYear} sessions a year`, tradingHours);
}

/**
 * Sets the calendar of a venue for every later run, summary and report in this process (a
 * strategy module imported by optimizer workers can set it for them too); `undefined` restores
 * the built-in one.
 */
export function setVenueCalendar(venue: string, spec: CalendarSpec | undefined): void {
  const key = venue.trim().toUpperCase();
  if (spec === undefined) userVenues.delete(key);
  else userVenues.set(key, resolveCalendar(spec));
}

function venueCalendar(venue: string): TradingCalendar {
  const name = venue.trim().toUpperCase();
  const head = name.split(/[-_ ]/)[0]!;
  const user = userVenues.get(name) ?? userVenues.get(head);
  if (user) return user;
  const key = VENUE_CALENDARS.get(name) ?? VENUE_CALENDARS.get(head);
  return key ? CALENDARS[key]! : CALENDARS["24x7"]!;
}

/**
 * The calendar of a run's venues: `spec` when given; else the venues' own calendar (set with
 * `setVenueCalendar`, or built in: NASDAQ/NYSE/... 6.5 h on 252 days, LSE 8.5 h, ...); 24x7 for
 * venues not known to keep hours (crypto), for no venue at all, and for venues whose calendars
 * differ (the conservative choice: more periods per year never shortens a session).
 */
export function calendarOf(venues: readonly string[] = [], spec?: CalendarSpec): TradingCalendar {
  if (spec !== undefined) return resolveCalendar(spec);
  if (venues.length === 0) return CALENDARS["24x7"]!;
  const cals = venues.map(venueCalendar);
  const first = cals[0]!;
  return cals.every((c) => c.sessionNs === first.sessionNs && c.sessionsPerYear === first.sessionsPerYear) ? first : CALENDARS["24x7"]!;
}

/** Grid periods per year: sessions per year × session length / interval. */
export function periodsPerYearOf(cal: TradingCalendar, intervalNs: number): number {
  return intervalNs > 0 ? (cal.sessionsPerYear * cal.sessionNs) / intervalNs : NaN;
}

/** Grid periods per session (the per-day Sharpe ratio is the per-period one × √ of this). */
export function periodsPerSessionOf(cal: TradingCalendar, intervalNs: number): number {
  return intervalNs > 0 ? cal.sessionNs / intervalNs : NaN;
}

/** Annualized Sharpe ratio from a per-period one: × √(periods per year of the calendar). */
export function annualizeSharpe(perPeriod: number, cal: TradingCalendar, intervalNs: number): number {
  return perPeriod * Math.sqrt(periodsPerYearOf(cal, intervalNs));
}

/** The convention in words: "annualized by √(252 sessions × 6.5 h of 1 s periods) = √5,896,800 (NASDAQ 09:30–16:00 ...)". */
export function annualizationText(cal: TradingCalendar, intervalNs: number): string {
  const ppy = periodsPerYearOf(cal, intervalNs);
  const count = Number.isFinite(ppy) ? Math.round(ppy).toLocaleString("en-US") : "n/a";
  return `annualized by √(${cal.sessionsPerYear} sessions × ${spanText(cal.sessionNs)} of ${spanText(intervalNs)} periods) = √${count} (${cal.name}: ${cal.hours}); per day by √${Number(periodsPerSessionOf(cal, intervalNs).toPrecision(6)).toLocaleString("en-US")}`;
}

/**
 * Share of a session a run must span to count as one: a file that covers the whole NASDAQ day
 * spans from its first to its last event, a fraction of a second less than 6.5 hours.
 */
const SESSION_TOLERANCE = 0.99;

/**
 * The shortest span of data (ns) whose figures may be annualized: one trading session of the
 * venues' calendar (`calendarOf`): 6.5 hours on NASDAQ, NYSE, XNAS, ... (matched
 * case-insensitively, with any "-"/"_" suffix such as "NASDAQ-TOTALVIEW" reduced to its first
 * part), 24 hours for venues that trade around the clock, for no venue and for venues with
 * different calendars. A run spanning at least 99 % of it counts as a session (`annualizationOf`).
 */
export function sessionSpanNs(venues: readonly string[] = [], spec?: CalendarSpec): number {
  return calendarOf(venues, spec).sessionNs;
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
export function annualizationOf(spanNs: number, periods: number, periodsPerYear: number, venues: readonly string[] = [], force?: boolean, calendarSpec?: CalendarSpec): Annualization {
  const sessionNs = sessionSpanNs(venues, calendarSpec);
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
