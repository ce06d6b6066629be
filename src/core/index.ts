/**
 * core: the vocabulary every other layer speaks. Exact ns time, instrument specs with exact
 * tick/lot conversion, `LabError`, a seeded RNG and progress events. Imports nothing else.
 */
export { LabError, isLabError, attempt, closestName } from "./errors.js";
export type { LabErrorInit, LabErrorContext } from "./errors.js";
export { ERROR_CODES, ERROR_CODE_NAMES, ERROR_AREAS, dataIssueCode, errorCatalogueMarkdown } from "./error-codes.js";
export type { LabErrorCode, ErrorCodeInfo, ErrorArea, DataIssueCode } from "./error-codes.js";
export { parseTime, parseIso, parseEpoch, parseDuration, guessEpochUnit, formatNs, formatEpoch, toSafeNumber, nsOfDay, midnightNs, NS_PER, NS_PER_SECOND, NS_PER_DAY } from "./time.js";
export type { Nanos, TimeUnit, FormatTimeOptions } from "./time.js";
export { Rng, rng, hashString } from "./rng.js";
export { Progress, formatProgressLine, formatRate, formatDurationMs, terminalProgress } from "./progress.js";
export type { ProgressEvent, ProgressSink, ProgressOptions } from "./progress.js";
export { InstrumentSpec, instrument } from "./instrument.js";
export type { InstrumentSpecInit } from "./instrument.js";
export { registerDisplay, attachDisplay, type DisplayBundle } from "./display.js";
export { TRADING_HOURS, resolveTradingHours, sessionsBetween, nextSessionBoundary, sessionOpenAt, type TradingHours, type TradingHoursSpec, type TradingSession } from "./trading-hours.js";
export { sessionSpanNs, annualizationOf, spanText, CALENDARS, calendarOf, resolveCalendar, setVenueCalendar, periodsPerYearOf, periodsPerSessionOf, annualizeSharpe, annualizationText, type Annualization, type TradingCalendar, type TradingCalendarInit, type CalendarSpec } from "./session.js";
