/**
 * Honest figures for short runs: a tear sheet of minutes of real data shows per-period and
 * per-hour figures and no CAGR or annualized Sharpe (or marks them "extrapolated ×N" when asked);
 * a run of several days keeps them. PSR/DSR are per period and shown either way.
 */
import { join } from "node:path";
import { JSDOM } from "jsdom";
import { beforeAll, describe, expect, it } from "vitest";
import { rng } from "../../src/core/index.js";
import { readFile } from "../../src/venues/data-aliases.js";
import { backtest, type BacktestResult } from "../../src/engine/index.js";
import { backtestSummaryHtml, tearSheet } from "../../src/report/index.js";
import { annualizationOf, sessionSpanNs } from "../../src/core/index.js";
import { metricsReport, sharpeInference, sharpePerPeriod, type EquityCurve } from "../../src/stats/index.js";
import { strategies } from "../../src/strategy/index.js";
import { ROOT } from "../helpers/paths.js";

const HOUR = 3_600_000_000_000;
const rowsOf = (html: string): Record<string, string> =>
  Object.fromEntries(Array.from(new JSDOM(html).window.document.querySelectorAll("tr"), (tr) => [tr.querySelector("th")?.textContent ?? "", tr.querySelector("td")?.textContent ?? ""]));

/** Equity every minute for `days` days, small positive drift. */
function synthetic(days: number): EquityCurve {
  const r = rng(11);
  const n = days * 1440 + 1;
  const t0 = 1_700_000_000_000_000_000n;
  let e = 1e6;
  return {
    ts: BigInt64Array.from({ length: n }, (_, k) => t0 + BigInt(k) * 60_000_000_000n),
    equity: Float64Array.from({ length: n }, (_, k) => (k === 0 ? e : (e *= 1 + r.normal(0.00001, 0.0005)))),
  };
}

describe("one session: the rule", () => {
  it("is 6.5 hours on equity exchanges, 24 hours otherwise or when no venue is known", () => {
    expect(sessionSpanNs(["NASDAQ"])).toBe(6.5 * HOUR);
    expect(sessionSpanNs(["XNAS", "nyse"])).toBe(6.5 * HOUR);
    expect(sessionSpanNs(["NASDAQ-TOTALVIEW"])).toBe(6.5 * HOUR);
    expect(sessionSpanNs(["BINANCE-FUTURES"])).toBe(24 * HOUR);
    expect(sessionSpanNs(["NASDAQ", "BINANCE"])).toBe(24 * HOUR);
    expect(sessionSpanNs([])).toBe(24 * HOUR);
    // A file covering the NASDAQ day spans a fraction of a second less than 6.5 h: it counts.
    expect(annualizationOf(6.5 * HOUR - 140_000_000, 23_399, 31_536_000, ["NASDAQ"]).annualized).toBe(true);
    const short = annualizationOf(73e9, 73, 31_536_000, ["NASDAQ"]);
    expect(short).toMatchObject({ annualized: false, extrapolated: false, factor: 432_000 });
    expect(short.note).toBe("73 s of data, shorter than one session (6.5 h): annualized figures (CAGR, annualized volatility, Sharpe, Sortino, Calmar) would be extrapolated ×432,000 and are left out; per-period and per-hour figures instead");
    expect(annualizationOf(73e9, 73, 31_536_000, [], true)).toMatchObject({ annualized: true, extrapolated: true });
    expect(annualizationOf(30 * HOUR, 1800, 525_600, [], false).annualized).toBe(false);
  });
});

describe("tear sheet of a short real run (Binance BTCUSDT futures, 5.7 minutes)", () => {
  let run: BacktestResult;
  beforeAll(async () => {
    const ticks = await readFile(join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz"), { format: "binance-raw" });
    run = backtest(ticks, strategies.marketMaker({}), { latencyNs: 1_000_000, equityIntervalNs: 1_000_000_000, initialCash: 100_000 });
  });

  it("has no CAGR or annualized Sharpe row, and shows per-period and per-hour figures instead", () => {
    const sheet = tearSheet({ equity: run.equity, fills: run.fills, mid: run.mid, instruments: run.instruments });
    const periods = sheet.returns.length;
    expect(periods).toBe(344);
    expect(sheet.annualization).toMatchObject({ annualized: false, extrapolated: false, sessionNs: 24 * HOUR, factor: 31_536_000 / 344 });
    expect(sheet.sharpeUnit).toBe("per period");
    const html = sheet.html({ inlinePlotly: false });
    const rows = rowsOf(html);
    for (const title of ["Annual return (CAGR)", "Annual volatility", "Sharpe ratio (annualized)", "Sortino ratio (annualized)", "Calmar ratio", "Sharpe standard error (annualized)"]) expect(rows[title], title).toBeUndefined();
    expect(html).not.toMatch(/-100\.00%/);
    expect(html).toContain("shorter than one session (24 h): annualized figures (CAGR, annualized volatility, Sharpe, Sortino, Calmar) would be extrapolated ×91,674 and are left out");
    // Per-period and per-hour figures, with the scaling said.
    expect(rows["Mean return per period (1 s)"]).toMatch(/^-?[\d.]+ bp$/);
    expect(Object.keys(rows)).toEqual(expect.arrayContaining(["Return per hour", "Volatility per hour", "Sharpe ratio per hour", "Sharpe standard error (per period)", "Sharpe 90% bootstrap interval (per period)"]));
    expect(sheet.perPeriod.periodsPerHour).toBe(3600);
    expect(sheet.perPeriod.sharpePerHour).toBeCloseTo(sheet.inference.values.sharpePerPeriod * 60, 10);
    // The annualized values are NaN with the reason, in the object and its JSON.
    expect(sheet.metrics.values.annualReturn).toBeNaN();
    expect(sheet.metrics.reasons.annualReturn).toBe("left out: 5.7 min of data is shorter than one session (24 h); a year is ×91,674 this run");
    const json = JSON.parse(JSON.stringify(sheet.toJSON())) as { metrics: Record<string, number | null>; bootstrap: { unit: string } };
    expect([json.metrics.annualReturn, json.metrics.sharpe, json.metrics.annualVolatility, json.bootstrap.unit]).toEqual([null, null, null, "per period"]);
    // PSR stays: it is per period.
    // ...of the PnL per period, the run's one Sharpe ratio.
    const ref = sharpeInference(sheet.changes, { periodsPerYear: sheet.periodsPerYear });
    expect(sheet.inference.values.sharpePerPeriod).toBe(run.summary.sharpePerPeriod);
    expect(sheet.inference.values.probabilisticSharpe).toBe(ref.values.probabilisticSharpe);
    expect(rows["Probabilistic Sharpe (vs 0)"]).toBe(ref.values.probabilisticSharpe.toFixed(3));
    // The bootstrap interval is of the per-period Sharpe: around it, not 10^5 times it.
    const b = sheet.bootstrap!;
    expect(b.sharpe.lower).toBeLessThanOrEqual(sheet.inference.values.sharpePerPeriod);
    expect(b.sharpe.upper).toBeGreaterThanOrEqual(sheet.inference.values.sharpePerPeriod);
    expect(Math.abs(b.sharpe.upper - b.sharpe.lower)).toBeLessThan(2);
    expect(sheet.verdict.details.join(" ")).toMatch(/bootstrap interval of the per-period Sharpe/);
  });

  it("with annualize: true shows them, marked extrapolated with the factor", () => {
    const sheet = tearSheet({ equity: run.equity, instruments: run.instruments, annualize: true });
    const html = sheet.html({ inlinePlotly: false });
    const rows = rowsOf(html);
    expect(rows["Annual return (CAGR)"]).toMatch(/%$/);
    // Return metrics of the simple returns; the Sharpe ratio of the PnL changes, as in the run's summary.
    expect(sheet.metrics.values).toEqual({ ...metricsReport(sheet.returns, { periodsPerYear: 31_536_000 }).values, sharpe: sharpePerPeriod(sheet.changes) * Math.sqrt(31_536_000) });
    expect(sheet.metrics.values.sharpe).toBe(run.summary.sharpe);
    expect(html).toContain("extrapolated ×91,674 from 5.7 min of data");
    expect(html).toContain("Sharpe 90% bootstrap interval (annualized, extrapolated ×√91,674)");
  });

  it("the backtest summary shows the Sharpe ratio per period, not annualized", () => {
    const rows = rowsOf(backtestSummaryHtml(run));
    expect(rows.sharpe).toBeUndefined();
    expect(rows["sharpe (annualized)"]).toBeUndefined();
    const perPeriod = run.summary.sharpe / Math.sqrt(365 * 86400);
    expect(run.summary.sharpePerPeriod).toBeCloseTo(perPeriod, 12);
    expect(rows["sharpe (per 1 s, not annualized)"]).toBe(perPeriod.toFixed(4));
    expect(rows.period).toMatch(/\(5\.7 min\)$/);
  });
});

describe("tear sheet of a long synthetic run (3 days of minutes)", () => {
  it("keeps CAGR, annualized Sharpe and their bootstrap interval", () => {
    const equity = synthetic(3);
    const sheet = tearSheet({ equity, bootstrap: { resamples: 200 } });
    expect(sheet.annualization).toMatchObject({ annualized: true, extrapolated: false, note: undefined });
    expect(sheet.sharpeUnit).toBe("annualized");
    const ppy = 525_600;
    expect(sheet.periodsPerYear).toBe(ppy);
    expect(sheet.metrics.values).toEqual({ ...metricsReport(sheet.returns, { periodsPerYear: ppy }).values, sharpe: sharpePerPeriod(sheet.changes) * Math.sqrt(ppy) });
    const rows = rowsOf(sheet.html({ inlinePlotly: false }));
    expect(rows["Annual return (CAGR)"]).toBe(`${(sheet.metrics.values.annualReturn! * 100).toFixed(2)}%`);
    expect(rows["Sharpe ratio (annualized)"]).toBe(sheet.metrics.values.sharpe!.toFixed(2));
    expect(rows["Sharpe 90% bootstrap interval (annualized)"]).toMatch(/…/);
    expect(rows["Return per hour"]).toBeUndefined();
    // The same curve cut to 6 hours: short, unless the venue is an equity exchange and it spans 6.5 h.
    const cut = (minutes: number): EquityCurve => ({ ts: equity.ts.slice(0, minutes + 1), equity: equity.equity.slice(0, minutes + 1) });
    expect(tearSheet({ equity: cut(360) }).annualization.annualized).toBe(false);
    expect(tearSheet({ equity: cut(390), instruments: [{ venue: "NASDAQ", tickSize: "0.01" }] }).annualization.annualized).toBe(true);
    expect(tearSheet({ equity: cut(390), instruments: [{ venue: "BINANCE", tickSize: "0.01" }] }).annualization.annualized).toBe(false);
  });
});

describe("the text summary of a short run", () => {
  it("states the Sharpe ratio per equity period, not annualized, with the data's span", async () => {
    const { readFile } = await import("../../src/venues/data-aliases.js");
    const { backtest, strategies } = await import("../../src/index.js");
    await import("../../src/venues/index.js");
    const batch = await readFile(join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz"));
    const run = backtest(batch, strategies.marketMaker({}), { latencyNs: 50_000 });
    const line = String(run).split("\n")[1]!;
    expect(line).toMatch(/ sharpe per 1 s -?\d+\.\d{4} \(5\.7 min of data: not annualized\) /);
    expect(line).toMatch(/ maker \d+\.\d%/);
  });
});
