/**
 * When a venue trades: its sessions as open and close times in the venue's time zone, for runs
 * that span days. Times are exact ns since the epoch (bigint); daylight-saving changes follow the
 * time zone's rules (the platform's Intl time-zone data). Holidays and half days are not known:
 * a day without rows simply has no trading, but a session is still opened and closed on it.
 */
import { LabError, closestName } from "./errors.js";

/** A venue's trading hours. */
export interface TradingHours {
  /** Shown in messages and reports: "NASDAQ 09:30–16:00 America/New_York". */
  readonly name: string;
  /** Opening time, "HH:MM" (or "HH:MM:SS") in `timeZone`. */
  readonly open: string;
  /** Closing time; at or before `open` means the session closes the next day (an overnight session). */
  readonly close: string;
  /** IANA time zone, e.g. "America/New_York", "UTC". */
  readonly timeZone: string;
  /** Weekdays on which a session opens (0 = Sunday). @default Monday to Friday */
  readonly days?: readonly number[];
}

/** Trading hours (the name is optional: "open–close timeZone" by default), or the name of built-in ones (`TRADING_HOURS`). */
export type TradingHoursSpec = string | (Omit<TradingHours, "name"> & { readonly name?: string });

const WEEKDAYS = [1, 2, 3, 4, 5] as const;
const hours = (name: string, open: string, close: string, timeZone: string, days: readonly number[] = WEEKDAYS): TradingHours => Object.freeze({ name, open, close, timeZone, days });

/** Regular sessions of common venues (no pre- or post-market, no holidays). */
export const TRADING_HOURS: Readonly<Record<string, TradingHours>> = Object.freeze({
  nasdaq: hours("NASDAQ", "09:30", "16:00", "America/New_York"),
  nyse: hours("NYSE", "09:30", "16:00", "America/New_York"),
  "us-equity": hours("US equities", "09:30", "16:00", "America/New_York"),
  lse: hours("LSE", "08:00", "16:30", "Europe/London"),
  xetra: hours("XETRA", "09:00", "17:30", "Europe/Berlin"),
  euronext: hours("Euronext", "09:00", "17:30", "Europe/Paris"),
  // CME Globex equity index futures: Sunday–Thursday 17:00 to 16:00 Chicago the next day.
  "cme-globex": hours("CME Globex", "17:00", "16:00", "America/Chicago", [0, 1, 2, 3, 4]),
});

function badHours(message: string): LabError {
  return new LabError({ code: "BAD_OPTION", message: `backtest option session: ${message}`, hint: `use "24x7" (no sessions), one of ${Object.keys(TRADING_HOURS).map((k) => `"${k}"`).join(", ")}, or { open: "09:30", close: "16:00", timeZone: "America/New_York" }`, context: { option: "session" } });
}

function secondsOfDay(text: string, what: string): number {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m || Number(m[1]) > 24 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) throw badHours(`${what} must be "HH:MM" or "HH:MM:SS", got ${JSON.stringify(text)}`);
  const s = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
  if (s > 86_400) throw badHours(`${what} ${text} is after 24:00`);
  return s;
}

/** The trading hours a spec names; undefined for "24x7" (a venue that never closes). Bad specs throw BAD_OPTION. */
export function resolveTradingHours(spec: TradingHoursSpec): TradingHours | undefined {
  if (typeof spec === "string") {
    const key = spec.trim().toLowerCase();
    if (key === "24x7") return undefined;
    const named = TRADING_HOURS[key];
    if (!named) {
      const near = closestName(key, ["24x7", ...Object.keys(TRADING_HOURS)]);
      throw badHours(`unknown session "${spec}"${near ? ` (did you mean "${near}"?)` : ""}`);
    }
    return named;
  }
  if (typeof spec !== "object" || spec === null) throw badHours(`must be a name or { open, close, timeZone }, got ${String(spec)}`);
  const { open, close, timeZone } = spec;
  if (typeof open !== "string" || typeof close !== "string" || typeof timeZone !== "string") throw badHours("needs open, close (\"HH:MM\") and timeZone (e.g. \"America/New_York\")");
  secondsOfDay(open, "open");
  secondsOfDay(close, "close");
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch {
    throw badHours(`unknown time zone ${JSON.stringify(timeZone)}`);
  }
  const days = spec.days ?? WEEKDAYS;
  if (!Array.isArray(days) || days.length === 0 || days.some((d) => !Number.isInteger(d) || d < 0 || d > 6)) throw badHours(`days must list weekdays 0 (Sunday) to 6, got ${JSON.stringify(spec.days)}`);
  return Object.freeze({ name: spec.name ?? `${open}–${close} ${timeZone}`, open, close, timeZone, days: [...days] });
}

const MS_PER_DAY = 86_400_000;
const formats = new Map<string, Intl.DateTimeFormat>();

/** ms to add to UTC to get the wall-clock time of `timeZone` at instant `utcMs`. */
function zoneOffsetMs(utcMs: number, timeZone: string): number {
  let f = formats.get(timeZone);
  if (!f) formats.set(timeZone, (f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" })));
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(utcMs))) if (part.type !== "literal") p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return wall - Math.floor(utcMs / 1000) * 1000;
}

/** The instant (ms since the epoch) at which the wall clock of `timeZone` shows `seconds` after midnight of UTC-day `dayMs`'s date. */
function wallToUtcMs(dayMs: number, seconds: number, timeZone: string): number {
  const wall = dayMs + seconds * 1000;
  let utc = wall - zoneOffsetMs(wall, timeZone);
  // Near a daylight-saving change the offset at the guess can differ from the offset at the answer.
  const again = wall - zoneOffsetMs(utc, timeZone);
  if (again !== utc) utc = again;
  return utc;
}

/** One session: [openNs, closeNs) in ns since the epoch. */
export interface TradingSession {
  openNs: bigint;
  closeNs: bigint;
}

/**
 * The sessions that open on the venue's calendar days from the day before `fromNs` to the day
 * after `toNs` (so every session overlapping [fromNs, toNs] is included), in time order.
 */
export function sessionsBetween(h: TradingHours, fromNs: bigint, toNs: bigint): TradingSession[] {
  const open = secondsOfDay(h.open, "open");
  let close = secondsOfDay(h.close, "close");
  if (close <= open) close += 86_400;
  const days = new Set(h.days ?? WEEKDAYS);
  const firstDay = Math.floor(Number(fromNs / 1_000_000n) / MS_PER_DAY) - 2;
  const lastDay = Math.floor(Number(toNs / 1_000_000n) / MS_PER_DAY) + 1;
  const out: TradingSession[] = [];
  for (let d = firstDay; d <= lastDay; d++) {
    const dayMs = d * MS_PER_DAY;
    if (!days.has(new Date(dayMs).getUTCDay())) continue;
    const o = BigInt(wallToUtcMs(dayMs, open, h.timeZone)) * 1_000_000n;
    const c = BigInt(wallToUtcMs(dayMs, close, h.timeZone)) * 1_000_000n;
    if (c >= fromNs - 86_400_000_000_000n && o <= toNs + 86_400_000_000_000n) out.push({ openNs: o, closeNs: c });
  }
  return out;
}

/**
 * The next session boundary strictly after `afterNs`: its time and whether the venue opens or
 * closes there. Sessions are looked for up to 15 days ahead (a venue closed longer has none).
 */
export function nextSessionBoundary(h: TradingHours, afterNs: bigint): { atNs: bigint; opens: boolean } | undefined {
  const horizon = afterNs + 15n * 86_400_000_000_000n;
  let best: { atNs: bigint; opens: boolean } | undefined;
  for (const s of sessionsBetween(h, afterNs, horizon)) {
    if (s.openNs > afterNs && (!best || s.openNs < best.atNs)) best = { atNs: s.openNs, opens: true };
    if (s.closeNs > afterNs && (!best || s.closeNs < best.atNs)) best = { atNs: s.closeNs, opens: false };
  }
  return best;
}

/** True when a session of `h` is open at `atNs` (sessions are [open, close)). */
export function sessionOpenAt(h: TradingHours, atNs: bigint): boolean {
  return sessionsBetween(h, atNs, atNs).some((s) => s.openNs <= atNs && atNs < s.closeNs);
}
