import { describe, expect, it } from "vitest";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { exportHtml, externalReferences, gridReturns, rollingSharpe, samplingIntervalNs, tearSheet, verdictOf } from "../../src/report/index.js";
import { Liquidity, metricsReport, sharpeInference, sharpePerPeriod, type EquityCurve, type FillTable, type MidSeries } from "../../src/stats/index.js";
import { rng } from "../../src/core/index.js";
import { TEST_OUTPUT } from "../helpers/paths.js";

const SECOND = 1_000_000_000n;
const T0 = 1_700_000_000n * SECOND;

/** Equity sampled every second, plus extra samples between grid points (as the engine adds at fills). */
function syntheticRun(seed = 3, n = 600) {
  const r = rng(seed);
  const ts: bigint[] = [];
  const eq: number[] = [];
  const pos: number[] = [];
  let e = 100_000;
  let p = 0;
  for (let k = 0; k < n; k++) {
    ts.push(T0 + BigInt(k) * SECOND);
    e *= 1 + r.normal(0.0002, 0.001);
    eq.push(e);
    pos.push(p);
    if (k % 7 === 3) {
      // an off-grid "fill" sample that the grid must ignore
      ts.push(T0 + BigInt(k) * SECOND + 250_000_000n);
      eq.push(e * 1.5);
      p += k % 2 ? 1 : -1;
      pos.push(p);
    }
  }
  const equity: EquityCurve = { ts: BigInt64Array.from(ts), equity: Float64Array.from(eq), position: Float64Array.from(pos) };
  const midTs: bigint[] = [];
  const mid: number[] = [];
  let m = 100;
  for (let k = 0; k < n * 10; k++) {
    midTs.push(T0 + BigInt(k) * 100_000_000n);
    m += r.normal(0, 0.01);
    mid.push(m);
  }
  const fillsN = 80;
  const fills: FillTable = {
    ts: BigInt64Array.from({ length: fillsN }, (_, i) => T0 + BigInt(i * 7 + 3) * SECOND + 250_000_000n),
    side: Int8Array.from({ length: fillsN }, (_, i) => (i % 2 ? 1 : -1)),
    price: Float64Array.from({ length: fillsN }, (_, i) => 100 + (i % 5) * 0.01),
    qty: new Float64Array(fillsN).fill(1),
    fee: Float64Array.from({ length: fillsN }, (_, i) => (i % 3 ? -0.001 : 0.004)),
    liquidity: Uint8Array.from({ length: fillsN }, (_, i) => (i % 3 ? Liquidity.Maker : Liquidity.Taker)),
    orderId: Float64Array.from({ length: fillsN }, (_, i) => i),
  };
  return { equity, fills, mid: { ts: BigInt64Array.from(midTs), mid: Float64Array.from(mid) } as MidSeries };
}

describe("tear sheet", () => {
  it("samples equity on the regular grid (last value at or before each grid time)", () => {
    // samples at 0 s, 1 s, 1.5 s, 3 s -> interval 1 s (most common spacing among 1, 0.5, 1.5 s: all once; the smallest wins ties)
    const equity: EquityCurve = { ts: BigInt64Array.from([0n, SECOND, SECOND + SECOND / 2n, 3n * SECOND, 4n * SECOND].map((t) => T0 + t)), equity: Float64Array.from([100, 110, 999, 99, 198]) };
    expect(samplingIntervalNs(equity.ts)).toBe(1e9);
    const g = gridReturns(equity, 1e9);
    // grid 0,1,2,3,4 s -> 100, 110, 999 (the 1.5 s sample is the last at or before 2 s), 99, 198
    expect(Array.from(g.values)).toEqual([100, 110, 999, 99, 198]);
    expect(g.returns[0]).toBeCloseTo(0.1, 15);
    expect(g.returns[2]).toBeCloseTo(99 / 999 - 1, 15);
    expect(g.returns[3]).toBeCloseTo(1, 15);
  });

  it("reports the stats layer's numbers for the grid returns and calendar-time annualization", () => {
    const { equity } = syntheticRun();
    // 10 minutes of data: annualized only when asked, and then marked as extrapolated.
    const sheet = tearSheet({ equity, trials: { count: 240, sharpeVariance: 0.002 }, annualize: true });
    expect(sheet.annualization).toMatchObject({ annualized: true, extrapolated: true });
    expect(sheet.html()).toContain("extrapolated ×52,648");
    expect(sheet.intervalNs).toBe(1e9);
    expect(sheet.periodsPerYear).toBe(365 * 86400);
    expect(sheet.returns.length).toBe(599);
    const g = gridReturns(equity, 1e9);
    // Return metrics of the grid returns; the Sharpe ratio (and PSR, DSR) of the PnL per grid period.
    const changes = Float64Array.from(sheet.returns, (_, k) => g.values[k + 1]! - g.values[k]!);
    expect(Array.from(sheet.changes)).toEqual(Array.from(changes));
    const ref = metricsReport(sheet.returns, { periodsPerYear: 365 * 86400 });
    expect(sheet.metrics.values).toEqual({ ...ref.values, sharpe: sharpePerPeriod(changes) * Math.sqrt(365 * 86400) });
    const inf = sharpeInference(changes, { periodsPerYear: 365 * 86400, trials: { count: 240, sharpeVariance: 0.002 } });
    expect(sheet.inference.values).toEqual(inf.values);
    // The off-grid samples (equity × 1.5) never enter the returns: every return is small.
    expect(Math.max(...Array.from(sheet.returns, Math.abs))).toBeLessThan(0.01);
  });

  it("says in plain words whether the Sharpe ratio is likely luck", () => {
    const base = { sharpePerPeriod: 0.05, skewness: 0, kurtosisRaw: 3, probabilisticSharpe: 0.9, expectedMaxSharpe: 0.12, minTrackRecordLength: 1200, sharpeStandardError: 0.03, sharpeStandardErrorAnnualized: 0.5 };
    const luck = verdictOf({ values: { ...base, deflatedSharpe: 0.41 }, reasons: {}, n: 800, trials: { count: 240, sharpeVariance: 0.01 } }, undefined, 800, 1e9);
    expect(luck.headline).toBe("Deflated Sharpe 0.41: likely luck given 240 trials.");
    expect(luck.level).toBe("err");
    expect(luck.details.join(" ")).toMatch(/1,200 periods \(20\.0 min\); this run has 800, too short/);
    const good = verdictOf({ values: { ...base, deflatedSharpe: 0.97 }, reasons: {}, n: 800, trials: { count: 3, sharpeVariance: 0.01 } }, undefined, 800, 1e9);
    expect(good.headline).toBe("Deflated Sharpe 0.97: unlikely to be luck given 3 trials.");
    const single = verdictOf({ values: { ...base, deflatedSharpe: NaN }, reasons: { deflatedSharpe: "number of trials not given" }, n: 800 }, undefined, 800, 1e9);
    expect(single.headline).toBe("Probabilistic Sharpe 0.90: not significant; it could be luck.");
    const losing = verdictOf({ values: { ...base, sharpePerPeriod: -0.02, probabilisticSharpe: 0.01, deflatedSharpe: 0.0 }, reasons: {}, n: 800, trials: { count: 20, sharpeVariance: 0.01 } }, undefined, 800, 1e9);
    expect(losing.headline).toBe("Deflated Sharpe 0.00: no edge, the Sharpe ratio is negative.");
    const none = verdictOf({ values: { ...base, probabilisticSharpe: NaN, deflatedSharpe: NaN }, reasons: { probabilisticSharpe: "returns are constant (zero variance)" }, n: 800 }, undefined, 800, 1e9);
    expect(none.headline).toBe("The Sharpe ratio cannot be tested: returns are constant (zero variance).");
  });

  it("handles a flat equity curve without crashing: NaN values with reasons", () => {
    const equity: EquityCurve = { ts: BigInt64Array.from({ length: 50 }, (_, k) => T0 + BigInt(k) * SECOND), equity: new Float64Array(50).fill(1000) };
    const sheet = tearSheet({ equity });
    expect(sheet.metrics.values.sharpe).toBeNaN();
    expect(sheet.metrics.reasons.sharpe).toMatch(/constant/);
    expect(sheet.bootstrap).toBeUndefined();
    expect(sheet.bootstrapReason).toMatch(/constant/);
    expect(sheet.verdict.headline).toMatch(/cannot be tested/);
    expect(sheet.html()).toContain("cannot be tested");
    const one = tearSheet({ equity: { ts: BigInt64Array.from([T0]), equity: Float64Array.from([1000]) } });
    expect(one.returns.length).toBe(0);
    expect(one.html()).toContain("no returns");
  });

  it("a PnL curve (equity starting at 0) is refused with the fix, and accepted with the capital it was made on", () => {
    const pnl = Float64Array.from({ length: 50 }, (_, k) => (k % 3) - 1 + k * 0.5);
    pnl[0] = 0;
    const ts = BigInt64Array.from({ length: 50 }, (_, k) => T0 + BigInt(k) * SECOND);
    expect(() => tearSheet({ equity: { ts, equity: pnl } })).toThrow(/equity starts at 0, so it has no returns/);
    const sheet = tearSheet({ equity: { ts, equity: pnl }, capital: 10_000 });
    // Returns are those of the account: (10,000 + pnl[k]) / (10,000 + pnl[k−1]) − 1.
    expect(sheet.returns[0]).toBeCloseTo((10_000 + pnl[1]!) / 10_000 - 1, 15);
    expect(sheet.returns[10]).toBeCloseTo((10_000 + pnl[11]!) / (10_000 + pnl[10]!) - 1, 15);
    expect(sheet.metrics.values.totalReturn).toBeCloseTo(pnl[49]! / 10_000, 12);
  });

  it("rolling Sharpe equals the full-window Sharpe at the end of each window", () => {
    const x = Float64Array.from([0.01, -0.02, 0.03, 0.0, 0.01, 0.02]);
    const rs = rollingSharpe(x, 3, 1);
    // window [0.03, 0.0, 0.01]: mean 0.013333, sample sd 0.015275 -> 0.872872
    expect(rs[4]).toBeCloseTo(0.013333333333333334 / 0.015275252316519466, 10);
    expect(rs[1]).toBeNaN();
  });

  it("exports ONE self-contained file with every chart and the verdict", () => {
    const run = syntheticRun();
    const sheet = tearSheet({ ...run, orders: 120, trials: { count: 240, sharpeVariance: 0.002 }, title: "Synthetic <run>" });
    expect(sheet.trades?.summary.fills).toBe(80);
    expect(sheet.trades?.summary.fillRatio).toBeCloseTo(80 / 120, 15);
    mkdirSync(TEST_OUTPUT, { recursive: true });
    const out = exportHtml(sheet, join(TEST_OUTPUT, "tearsheet-unit.html"));
    const html = readFileSync(out.file, "utf8");
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain("Synthetic &lt;run&gt;");
    expect(html).toContain(sheet.verdict.headline.replace(/'/g, "&#39;"));
    // Plotly library exactly once, three Plotly charts (equity over drawdown, markouts, fills on price)
    expect(html.match(/var define=undefined,module=undefined/g)).toHaveLength(1);
    expect(html.match(/class="slab-plotly"/g)).toHaveLength(3);
    // Observable Plot SVG charts: distribution, rolling Sharpe, inventory
    expect((html.match(/<svg[^>]*class="plot[^"]*"/g) ?? []).length).toBeGreaterThanOrEqual(3);
    const markup = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "");
    expect(externalReferences(markup)).toEqual([]);
    expect(markup).not.toMatch(/\s(src|href)\s*=\s*["']https?:/i);
  });

  it("refuses to export a page that would load something from outside", () => {
    expect(() => exportHtml('<img src="https://example.com/x.png">', join(TEST_OUTPUT, "bad.html"))).toThrow(/external resource/);
    expect(externalReferences('<a href="#top">x</a><img src="data:image/png;base64,AA">')).toEqual([]);
  });
});
