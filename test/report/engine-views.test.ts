import { JSDOM } from "jsdom";
import { describe, expect, it } from "vitest";
import { generateTicks } from "../../src/data/index.js";
import { backtest } from "../../src/engine/index.js";
import { backtestHtml, backtestSummaryHtml, fillsChartHtml, fillsTableHtml, inventoryChartHtml, pnlChartHtml } from "../../src/report/index.js";
import { strategies } from "../../src/strategy/index.js";
import { formatCount, formatMoney, formatPct } from "../../src/report/format.js";

const run = backtest(generateTicks({ events: 20_000, seed: 3, mode: "l3" }), strategies.imbalance({ threshold: 0.3, cooldownMs: 20, maxPosition: 3 }), { latencyNs: 10_000, equityIntervalNs: 100_000_000 });
const dom = (html: string) => new JSDOM(html).window.document;

describe("backtest views", () => {
  it("draws one marker per fill on the price chart, colored by side", () => {
    expect(run.fills.ts.length).toBeGreaterThan(3);
    const doc = dom(fillsChartHtml(run));
    const dots = doc.querySelectorAll('g[aria-label="dot"] > *');
    expect(dots.length).toBe(run.fills.ts.length);
    const buys = Array.from(run.fills.side).filter((s) => s === 1).length;
    expect(Array.from(dots).filter((d) => d.getAttribute("stroke") === "#1a7f37").length).toBe(buys);
    expect(doc.querySelector('g[aria-label="line"] path')).not.toBeNull();
  });

  it("inventory and PnL charts are lines over the equity samples", () => {
    expect(dom(inventoryChartHtml(run)).querySelector('g[aria-label="line"] path')).not.toBeNull();
    expect(dom(pnlChartHtml(run)).querySelector('g[aria-label="area"] path')).not.toBeNull();
  });

  it("the summary shows the run's figures and the fills table its rows", () => {
    const summary = dom(backtestSummaryHtml(run));
    const rows = Object.fromEntries(Array.from(summary.querySelectorAll("tr"), (tr) => [tr.querySelector("th")!.textContent, tr.querySelector("td")!.textContent]));
    expect(rows.trades).toBe(formatCount(run.summary.trades));
    expect(rows.pnl).toBe(formatMoney(run.summary.pnl, "USD"));
    expect(rows["maker share"]).toBe(formatPct(run.summary.makerShare));
    expect(Number(rows.pnl!.replace(/,/g, "").replace(" USD", ""))).toBeCloseTo(run.summary.pnl, 2);
    expect(dom(fillsTableHtml(run, 5)).querySelectorAll("tbody tr").length).toBe(Math.min(5, run.fills.ts.length));
    expect(backtestHtml(run)).toContain("<svg");
  });

  it("long texts wrap in the summary, figures never do", () => {
    const summary = dom(backtestHtml(run));
    const cells = Object.fromEntries(Array.from(summary.querySelectorAll("table tr"), (tr) => [tr.querySelector("th")!.textContent, tr.querySelector("td")!]));
    // The strategy string (every parameter) wraps inside a bounded cell instead of widening the table.
    expect(cells.strategy!.className).toBe("txt wide");
    expect(cells.settings!.className).toBe("txt wide");
    for (const key of ["pnl", "trades", "maker share", "fees (− = rebates)", "events", "max drawdown"]) expect([key, cells[key]!.className]).toEqual([key, ""]);
    for (const key of ["final position", "realized / unrealized"]) expect([key, cells[key]!.className]).toEqual([key, "nowrap"]);
    expect(cells["final position"]!.textContent).toBe(`${run.summary.finalPosition[0]! * 1} SYN (${run.summary.finalPosition[0]} lot${Math.abs(run.summary.finalPosition[0]!) === 1 ? "" : "s"})`);
    const css = summary.querySelector("style")!.textContent!;
    expect(css).toContain(".slab td.txt{white-space:normal;overflow-wrap:anywhere}");
    expect(css).toMatch(/\.slab td\.wide\{max-width:42em/);
    expect(css).toMatch(/\.slab th,\.slab td\{[^}]*white-space:nowrap/);
  });
});
