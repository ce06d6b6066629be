/**
 * Annualization by the instrument's trading calendar, against figures worked out by hand:
 * NASDAQ is 252 sessions of 09:30–16:00 (6.5 h = 23,400 s), a crypto venue 365 days of 86,400 s.
 */
import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { CALENDARS, annualizationText, calendarOf, periodsPerSessionOf, periodsPerYearOf, resolveCalendar, sessionSpanNs, setVenueCalendar } from "../../src/core/index.js";
import { readFile } from "../../src/venues/data-aliases.js";
import { backtest, type BacktestResult } from "../../src/engine/index.js";
import { readLobster } from "../../src/venues/data-aliases.js";
import { strategies } from "../../src/strategy/index.js";
import { tearSheet } from "../../src/report/index.js";
import { CLI, ROOT, TEST_OUTPUT } from "../helpers/paths.js";
import { metricsReport, sharpePerPeriod } from "../../src/stats/index.js";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";

const HOUR = 3_600_000_000_000;

/** Per-period Sharpe ratio of the grid PnL, by hand from the run's grid samples (fill index −1). */
function handPerPeriod(run: BacktestResult): { sharpe: number; periods: number } {
  const fill = run.equitySampleFill;
  const grid = Array.from(run.equity.equity).filter((_, j) => fill[j] === -1);
  const d = grid.slice(1).map((v, k) => v - grid[k]!);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (d.length - 1));
  return { sharpe: mean / sd, periods: d.length };
}

describe("trading calendars", () => {
  afterEach(() => setVenueCalendar("MYVENUE", undefined));

  it("periods per year and per session by venue", () => {
    const nasdaq = calendarOf(["NASDAQ"]);
    expect(nasdaq.name).toBe("NASDAQ");
    expect(periodsPerYearOf(nasdaq, 1e9)).toBe(252 * 23_400);
    expect(periodsPerYearOf(nasdaq, 60e9)).toBe(98_280);
    expect(periodsPerSessionOf(nasdaq, 1e9)).toBe(23_400);
    expect(calendarOf(["XNAS.ITCH"])).toBe(CALENDARS.nasdaq);
    expect(calendarOf(["nasdaq-totalview"])).toBe(CALENDARS.nasdaq);
    const crypto = calendarOf(["BINANCE-FUTURES"]);
    expect(periodsPerYearOf(crypto, 1e9)).toBe(31_536_000);
    expect(periodsPerSessionOf(crypto, 1e9)).toBe(86_400);
    // LSE: 08:00–16:30 = 8.5 h on 252 days.
    expect(periodsPerYearOf(calendarOf(["XLON"]), 60e9)).toBe(128_520);
    // Mixed calendars and no venue fall back to around the clock.
    expect(calendarOf(["NASDAQ", "BINANCE"])).toBe(CALENDARS["24x7"]);
    expect(calendarOf([])).toBe(CALENDARS["24x7"]);
    expect(calendarOf(["NASDAQ", "NYSE"]).sessionNs).toBe(6.5 * HOUR);
    expect(annualizationText(nasdaq, 1e9)).toBe("annualized by √(252 sessions × 6.5 h of 1 s periods) = √5,896,800 (NASDAQ: 09:30–16:00 America/New_York, 252 days); per day by √23,400");
  });

  it("is user-settable per venue and per call, and refuses nonsense", () => {
    expect(calendarOf(["MYVENUE"])).toBe(CALENDARS["24x7"]);
    setVenueCalendar("myvenue", { sessionHours: 8, sessionsPerYear: 250 });
    expect(periodsPerYearOf(calendarOf(["MYVENUE"]), 1e9)).toBe(250 * 8 * 3600);
    expect(sessionSpanNs(["MYVENUE"])).toBe(8 * HOUR);
    expect(calendarOf(["NASDAQ"], "24x7")).toBe(CALENDARS["24x7"]);
    expect(() => resolveCalendar("nasdq")).toThrow(/unknown calendar "nasdq"/);
    expect(() => resolveCalendar({ sessionHours: 30, sessionsPerYear: 252 })).toThrow(/sessionHours must be in \(0, 24\]/);
  });

  it("a NASDAQ-session run (LOBSTER GOOG, 09:30–16:00) is annualized by √(252 × 2,340) on a 10 s grid", () => {
    const data = readLobster({ messages: join(ROOT, "data", "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip") }).batch;
    const run = backtest(data, strategies.marketMaker({ minHalfSpreadTicks: 2 }), { latencyNs: 100_000, equityIntervalNs: 10e9, initialCash: 1_000_000 });
    const hand = handPerPeriod(run);
    // 09:30:00.015 → 15:59:59.87: grid times 09:30:10 … 15:59:50, 2,339 points, 2,338 periods.
    expect(hand.periods).toBe(2_338);
    expect(run.summary.sharpePerPeriod).toBeCloseTo(hand.sharpe, 12);
    expect(run.summary.sharpe).toBeCloseTo(hand.sharpe * Math.sqrt(589_680), 9);
    expect(run.summary.sharpePerDay).toBeCloseTo(hand.sharpe * Math.sqrt(2_340), 10);
    expect(run.summary.sharpeConvention).toMatch(/^annualized by √\(252 sessions × 6\.5 h of 10 s periods\) = √589,680 \(NASDAQ/);
    expect(String(run)).toContain(`sharpe ${run.summary.sharpe.toFixed(2)} (per day ${run.summary.sharpePerDay.toFixed(2)})`);
    // The tear sheet: the same convention, annualized (the run spans the session).
    const sheet = tearSheet({ equity: run.equity, instruments: run.instruments, bootstrap: { resamples: 20 } });
    expect(sheet.periodsPerYear).toBe(589_680);
    expect(sheet.annualization.annualized).toBe(true);
    expect(sheet.convention).toBe(run.summary.sharpeConvention);
    expect(sheet.html({ inlinePlotly: false })).toContain("annualized by √(252 sessions × 6.5 h of 10 s periods) = √589,680");
  }, 60_000);

  it("a 24/7 run (Binance BTCUSDT futures) is annualized by √(365 × 86,400) on a 1 s grid", async () => {
    const ticks = await readFile(join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz"), { format: "binance-raw" });
    const run = backtest(ticks, strategies.marketMaker({}), { latencyNs: 1_000_000, equityIntervalNs: 1e9, initialCash: 100_000 });
    const hand = handPerPeriod(run);
    expect(hand.periods).toBe(344);
    expect(run.summary.sharpePerPeriod).toBeCloseTo(hand.sharpe, 12);
    expect(run.summary.sharpe).toBeCloseTo(hand.sharpe * Math.sqrt(31_536_000), 8);
    expect(run.summary.sharpePerDay).toBeCloseTo(hand.sharpe * Math.sqrt(86_400), 10);
    expect(run.summary.sharpeConvention).toMatch(/^annualized by √\(365 sessions × 24 h of 1 s periods\) = √31,536,000 \(24x7/);
    // 5.7 minutes are shorter than a 24 h session: the text states the per-period figure.
    expect(String(run)).toContain(`sharpe per 1 s ${run.summary.sharpePerPeriod.toFixed(4)}`);
    // The same equity with a NASDAQ calendar chosen for the report: √(252 × 23,400).
    const sheet = tearSheet({ equity: run.equity, instruments: run.instruments, calendar: "nasdaq", annualize: true, bootstrap: { resamples: 20 } });
    expect(sheet.periodsPerYear).toBe(5_896_800);
    expect(sheet.metrics.values.sharpe).toBeCloseTo(hand.sharpe * Math.sqrt(5_896_800), 9);
  }, 60_000);

  it("the metric registry and `strategy-lab stats` annualize intraday returns by the same calendar", () => {
    const r = Float64Array.from({ length: 500 }, (_, i) => 0.0001 * Math.sin(i * 1.7) + 0.00001);
    const rep = metricsReport(r, { intervalNs: 1e9, calendar: "nasdaq" });
    expect(rep.periodsPerYear).toBe(5_896_800);
    expect(rep.values.sharpe).toBeCloseTo(sharpePerPeriod(r) * Math.sqrt(5_896_800), 9);
    expect(metricsReport(r, { intervalNs: 60e9 }).periodsPerYear).toBe(525_600);
    expect(metricsReport(r).periodsPerYear).toBe(252);
    const dir = join(TEST_OUTPUT, "annualization");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "returns.json");
    writeFileSync(file, JSON.stringify(Array.from(r)));
    const out = spawnSync(process.execPath, [CLI, "stats", file, "--interval", "1s", "--calendar", "nasdaq", "--json"], { encoding: "utf8" });
    expect(out.status, out.stderr).toBe(0);
    const json = JSON.parse(out.stdout) as { periodsPerYear: number; sharpe: number };
    expect(json.periodsPerYear).toBe(5_896_800);
    expect(json.sharpe).toBeCloseTo(rep.values.sharpe!, 9);
  });

  it("on a NASDAQ instrument only grid periods inside a session count: nights, the weekend and the DST change are left out", () => {
    // 1-minute equity from Friday 2024-03-08 00:00 UTC to Monday 2024-03-11 24:00 UTC. New York
    // switched to daylight time on Sunday 10 March: the Friday session is 14:30–21:00 UTC, the
    // Monday one 13:30–20:00 UTC. Equity moves every minute, in and out of the sessions.
    const MIN = 60_000_000_000n;
    const t0 = BigInt(Date.UTC(2024, 2, 8)) * 1_000_000n;
    const minutes = 4 * 24 * 60;
    const ts = BigInt64Array.from({ length: minutes + 1 }, (_, k) => t0 + BigInt(k) * MIN);
    const equity = Float64Array.from({ length: minutes + 1 }, (_, k) => 1_000_000 + 50 * Math.sin(k * 0.37) + 0.8 * k);
    const sessions = [
      [Date.UTC(2024, 2, 8, 14, 30), Date.UTC(2024, 2, 8, 21, 0)],
      [Date.UTC(2024, 2, 11, 13, 30), Date.UTC(2024, 2, 11, 20, 0)],
    ].map(([a, b]) => [BigInt(a!) * 1_000_000n, BigInt(b!) * 1_000_000n] as const);
    const d: number[] = [];
    for (let k = 1; k <= minutes; k++) if (sessions.some(([open, close]) => ts[k - 1]! >= open && ts[k]! <= close)) d.push(equity[k]! - equity[k - 1]!);
    expect(d.length).toBe(780);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (d.length - 1));
    const nasdaq = tearSheet({ equity: { ts, equity }, instruments: [{ venue: "NASDAQ", tickSize: "0.01" }], bootstrap: { resamples: 20 } });
    expect(nasdaq.changes.length).toBe(780);
    expect(nasdaq.metrics.values.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(252 * 390), 9);
    // Around the clock every minute counts.
    const crypto = tearSheet({ equity: { ts, equity }, instruments: [{ venue: "BINANCE", tickSize: "0.01" }], bootstrap: { resamples: 20 } });
    expect(crypto.changes.length).toBe(minutes);
  });
});
