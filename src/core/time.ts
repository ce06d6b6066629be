/**
 * Exact nanosecond time. Timestamps are `bigint` nanoseconds since the UNIX epoch at every API
 * edge; nothing here goes through a float, because a float64 holds only ~15.9 significant digits
 * and an epoch in ns has 19.
 */
import { LabError } from "./errors.js";

export type Nanos = bigint;
export type TimeUnit = "s" | "ms" | "us" | "ns";

export const NS_PER: Readonly<Record<TimeUnit, bigint>> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };
const UNIT_DIGITS: Readonly<Record<TimeUnit, number>> = { s: 9, ms: 6, us: 3, ns: 0 };

export const NS_PER_SECOND = 1_000_000_000n;
export const NS_PER_DAY = 86_400n * NS_PER_SECOND;

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const EPOCH_RE = /^([+-]?)(\d+)(?:\.(\d+))?$/;

function badTime(input: string, why: string): LabError {
  return new LabError({
    code: "BAD_TIME",
    message: `cannot parse time "${input}": ${why}`,
    hint: 'use ISO 8601 like "2024-08-08T23:54:15.030314667Z" or an epoch number with a unit (s, ms, us, ns)',
    context: { value: input },
  });
}

/** Days since 1970-01-01 for a proleptic Gregorian date (exact integer arithmetic). */
function daysFromCivil(year: number, month: number, day: number): bigint {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return BigInt(era * 146097 + doe - 719468);
}

function civilFromDays(days: bigint): [number, number, number] {
  const z = Number(days) + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** Parses an ISO 8601 date-time (up to 9 fractional digits; no zone means UTC) to exact ns. */
export function parseIso(input: string): Nanos {
  const m = ISO_RE.exec(input.trim());
  if (!m) throw badTime(input, "not an ISO 8601 date-time");
  const [, ys, mos, ds, hs = "0", mis = "0", ss = "0", frac = "", zone] = m;
  const year = Number(ys), month = Number(mos), day = Number(ds);
  const hour = Number(hs), minute = Number(mis), second = Number(ss);
  if (month < 1 || month > 12) throw badTime(input, `month ${month} is out of range`);
  const daysInMonth = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (day < 1 || day > daysInMonth) throw badTime(input, `day ${day} is out of range`);
  if (hour > 23 || minute > 59 || second > 60) throw badTime(input, "time of day is out of range");
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  const seconds = daysFromCivil(year, month, day) * 86_400n + BigInt(hour * 3600 + minute * 60 + second - offsetMinutes * 60);
  return seconds * NS_PER_SECOND + BigInt(frac.padEnd(9, "0"));
}

/**
 * Parses an epoch number written in `unit` (default: guessed from the digit count, see
 * `guessEpochUnit`). Decimals are exact: "1723161255.030314667" in seconds is
 * 1723161255030314667 ns. Digits finer than 1 ns are rejected, not rounded.
 */
export function parseEpoch(input: string | number | bigint, unit?: TimeUnit): Nanos {
  if (typeof input === "bigint") return input * NS_PER[unit ?? "ns"];
  if (typeof input === "number") {
    if (!Number.isFinite(input)) throw badTime(String(input), "not a finite number");
    if (Number.isInteger(input) && !Number.isSafeInteger(input)) {
      throw badTime(String(input), "integer is beyond 2^53 and has already lost precision as a JavaScript number; pass it as a string or bigint");
    }
  }
  const text = String(input).trim();
  const m = EPOCH_RE.exec(text);
  if (!m) throw badTime(text, "not an epoch number");
  const [, sign, whole = "", frac = ""] = m;
  const u = unit ?? guessEpochUnit(whole);
  const digits = UNIT_DIGITS[u];
  if (frac.replace(/0+$/, "").length > digits) throw badTime(text, `more fractional digits than 1 ns in unit ${u}`);
  const ns = BigInt(whole) * NS_PER[u] + (digits > 0 ? BigInt(frac.slice(0, digits).padEnd(digits, "0")) : 0n);
  return sign === "-" ? -ns : ns;
}

/** Guesses the unit of an epoch integer by its digit count (10 s, 13 ms, 16 us, 19 ns, for years 2001-2286). */
export function guessEpochUnit(integerDigits: string): TimeUnit {
  const n = integerDigits.replace(/^0+/, "").length;
  if (n <= 11) return "s";
  if (n <= 14) return "ms";
  if (n <= 17) return "us";
  return "ns";
}

/** Parses an ISO string, an epoch string/number/bigint (unit guessed or given) to exact ns. */
export function parseTime(input: string | number | bigint, unit?: TimeUnit): Nanos {
  if (typeof input === "string" && /^\d{4}-\d{2}-\d{2}/.test(input.trim())) return parseIso(input);
  return parseEpoch(input, unit);
}

export interface FormatTimeOptions {
  /** Fractional digits to print (0-9). @default 9 */
  digits?: number;
}

/** Formats ns since epoch as ISO 8601 UTC with `digits` fractional digits (truncated, never rounded up). */
export function formatNs(ns: Nanos, options: FormatTimeOptions = {}): string {
  const digits = options.digits ?? 9;
  let days = ns / NS_PER_DAY;
  let rem = ns % NS_PER_DAY;
  if (rem < 0n) {
    rem += NS_PER_DAY;
    days -= 1n;
  }
  const [y, mo, d] = civilFromDays(days);
  const secOfDay = Number(rem / NS_PER_SECOND);
  const frac = (rem % NS_PER_SECOND).toString().padStart(9, "0").slice(0, digits);
  const pad = (v: number, w = 2) => String(v).padStart(w, "0");
  const hh = Math.floor(secOfDay / 3600), mm = Math.floor((secOfDay % 3600) / 60), ss = secOfDay % 60;
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(hh)}:${pad(mm)}:${pad(ss)}${digits > 0 ? "." + frac : ""}Z`;
}

/** Formats ns as an epoch string in `unit`, exactly (e.g. "1723161255.030314667" for seconds). */
export function formatEpoch(ns: Nanos, unit: TimeUnit = "ns"): string {
  const per = NS_PER[unit];
  const sign = ns < 0n ? "-" : "";
  const abs = ns < 0n ? -ns : ns;
  const whole = (abs / per).toString();
  const digits = UNIT_DIGITS[unit];
  if (digits === 0) return sign + whole;
  const frac = (abs % per).toString().padStart(digits, "0").replace(/0+$/, "");
  return sign + whole + (frac ? "." + frac : "");
}

/** Converts ns to a JavaScript number, throwing past 2^53 instead of silently rounding. */
export function toSafeNumber(ns: bigint, what = "value"): number {
  if (ns > BigInt(Number.MAX_SAFE_INTEGER) || ns < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new LabError({
      code: "UNSAFE_NUMBER",
      message: `${what} ${ns} does not fit a JavaScript number exactly (beyond 2^53)`,
      hint: "keep it as a bigint, or subtract a bigint base first and convert the offset",
      context: { value: ns.toString() },
    });
  }
  return Number(ns);
}

/** Parses a duration like "100ms", "1.5s", "250us", "30ns", "2m", "1h" to exact ns. */
export function parseDuration(input: string | number | bigint): Nanos {
  if (typeof input !== "string") return parseEpoch(input, "ns");
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|min|h)\s*$/.exec(input);
  if (!m) {
    throw new LabError({
      code: "BAD_DURATION",
      message: `cannot parse duration "${input}"`,
      hint: 'write a number and a unit: "100ms", "1.5s", "250us", "30ns", "2m", "1h"',
      context: { value: input },
    });
  }
  const [, value = "0", rawUnit = "ns"] = m;
  const unit = rawUnit === "µs" ? "us" : rawUnit;
  if (unit === "m" || unit === "min") return parseEpoch(value, "s") * 60n;
  if (unit === "h") return parseEpoch(value, "s") * 3600n;
  return parseEpoch(value, unit as TimeUnit);
}

/** Nanoseconds since midnight UTC of the day that contains `ns`. */
export function nsOfDay(ns: Nanos): Nanos {
  const r = ns % NS_PER_DAY;
  return r < 0n ? r + NS_PER_DAY : r;
}

/** Midnight UTC (ns) of an ISO date "YYYY-MM-DD". */
export function midnightNs(isoDate: string): Nanos {
  return parseIso(isoDate.slice(0, 10));
}
