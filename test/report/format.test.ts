/**
 * One number format per quantity: exact strings for prices, sizes, percentages, money, counts and
 * axis formats, and the views that use them (the same figure reads the same in every view).
 */
import { JSDOM } from "jsdom";
import { describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { L2Book } from "../../src/book/index.js";
import {
  decimalsOf,
  formatBp,
  formatCount,
  formatLots,
  formatMoney,
  formatNumber,
  formatPct,
  formatPrice,
  formatPriceTicks,
  formatQty,
  groupDigitsIn,
  plotlyTickFormat,
} from "../../src/report/format.js";
import { depthLadderHtml, plotlyHtml, tradesHtml } from "../../src/report/index.js";
import { formatCell, keyValueHtml, tableHtml } from "../../src/report/internal.js";
import { withAxisDefaults } from "../../src/report/charts.js";
import { Liquidity, tradeAnalytics, type FillTable } from "../../src/stats/index.js";

const btc = instrument({ symbol: "BTCUSDT", venue: "BINANCE-FUTURES", tickSize: "0.1", lotSize: "0.001", currency: "USDT" });
const goog = instrument({ symbol: "GOOG", venue: "NASDAQ", tickSize: "0.01", lotSize: "1" });
const es = instrument({ symbol: "ES", venue: "GLBX", tickSize: "0.25" });

describe("number formats", () => {
  it("prices at the instrument's tick precision, one thousands separator", () => {
    expect(formatPrice(61800.1, btc)).toBe("61,800.1");
    expect(formatPrice(61808, btc)).toBe("61,808.0");
    expect(formatPrice(580.9, goog)).toBe("580.90");
    expect(formatPrice(100, es)).toBe("100.00");
    // A mid half-way between two ticks keeps its half tick.
    expect(formatPrice(61800.15, btc)).toBe("61,800.15");
    expect(formatPrice(-1234.5, goog)).toBe("-1,234.50");
    expect(formatPrice(NaN, btc)).toBe("n/a");
    // Without an instrument: 6 significant digits, separators.
    expect(formatPrice(61800.123456)).toBe("61,800.1");
    expect(formatPrice(0.000123456789)).toBe("0.000123457");
    // Exact from ticks: no float rounding, padded to the tick's decimals.
    expect(formatPriceTicks(618001, btc)).toBe("61,800.1");
    expect(formatPriceTicks(618000, btc)).toBe("61,800.0");
    expect(formatPriceTicks(58094, goog)).toBe("580.94");
    expect(formatPriceTicks(401, es)).toBe("100.25");
    expect(formatPriceTicks(-5, es)).toBe("-1.25");
    expect(formatPriceTicks(123_456_789_012, instrument({ symbol: "X", venue: "V", tickSize: "0.00000001" }))).toBe("1,234.56789012");
  });

  it("sizes at the lot precision", () => {
    expect(formatQty(0.016, btc)).toBe("0.016");
    expect(formatQty(1234, goog)).toBe("1,234");
    expect(formatQty(2.5)).toBe("2.5");
    expect(formatLots(16, btc)).toBe("0.016");
    expect(formatLots(-1500, btc)).toBe("-1.500");
    expect(formatLots(12, goog)).toBe("12");
  });

  it("percentages with % and one decimal; money visible when small, never -0.00; counts", () => {
    expect(formatPct(1)).toBe("100.0%");
    expect(formatPct(0.1234)).toBe("12.3%");
    expect(formatPct(-0.00001)).toBe("0.0%");
    expect(formatPct(NaN)).toBe("n/a");
    expect(formatMoney(-4.97)).toBe("-4.97");
    expect(formatMoney(1234.5)).toBe("1,234.50");
    expect(formatMoney(0.5)).toBe("0.50");
    expect(formatMoney(0.00331)).toBe("0.00331");
    expect(formatMoney(0.1 - 1e-12)).toBe("0.10");
    expect(formatMoney(0.0999)).toBe("0.0999");
    expect(formatMoney(-0.0125, "USDT")).toBe("-0.0125 USDT");
    expect(formatMoney(-0)).toBe("0.00");
    // Float noise of a sum that should be 0 never reads "-0.00".
    expect(formatMoney(-1e-15)).toBe("0.00");
    expect(formatMoney(Infinity)).toBe("n/a");
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(12n ** 20n)).toBe("3,833,759,992,447,475,122,176");
    expect(formatCount(-0)).toBe("0");
    expect(formatBp(-0.000000139)).toBe("-0.00139 bp");
    expect(formatBp(-0.0163)).toBe("-163 bp");
    expect(formatNumber(-17769.3, 3)).toBe("-17,769");
    expect(formatNumber(0.1 + 0.2)).toBe("0.3");
    expect(groupDigitsIn("-17769.30 and 12.5% and 1234")).toBe("-17,769.30 and 12.5% and 1,234");
    expect(decimalsOf("0.10")).toBe(1);
    expect(decimalsOf(1e-8)).toBe(8);
  });

  it("axis formats from the tick size or the value range, never an SI suffix", () => {
    expect(plotlyTickFormat([], { instrument: btc })).toBe(",.1f");
    expect(plotlyTickFormat([], { instrument: goog })).toBe(",.2f");
    expect(plotlyTickFormat([], { tickSize: 1 })).toBe(",.0f");
    // Equity of 100,000 moving by cents: Plotly's default reads 100.0003k; here 2 decimals.
    expect(plotlyTickFormat([100_000, 100_000.05, 99_999.99])).toBe(",.2f");
    expect(plotlyTickFormat([9_990, 10_010])).toBe(",.0f");
    expect(plotlyTickFormat({ min: 0.0012, max: 0.0019 })).toBe(",.4f");
    expect(plotlyTickFormat([5, 5])).toBe(",.3f");
    expect(plotlyTickFormat([NaN])).toBe(",.2f");
    // Any Plotly chart: full numbers with separators unless the axis says otherwise.
    expect(withAxisDefaults({ yaxis: { title: { text: "equity" } }, yaxis2: { tickformat: ",.1f", exponentformat: "e" }, height: 3 })).toEqual({
      xaxis: { exponentformat: "none", separatethousands: true },
      yaxis: { exponentformat: "none", separatethousands: true, title: { text: "equity" } },
      yaxis2: { exponentformat: "e", separatethousands: true, tickformat: ",.1f" },
      height: 3,
    });
    expect(plotlyHtml([{ y: [1] }], {}, { inline: false })).toContain('"yaxis":{"exponentformat":"none","separatethousands":true}');
  });

  it("tables and summaries: one separator, figures right-aligned and unwrapped, text wraps", () => {
    expect(formatCell(61808)).toBe("61,808");
    expect(formatCell(61800.1)).toBe("61,800.1");
    expect(formatCell(12345678901234567890n)).toBe("12,345,678,901,234,567,890");
    const doc = new JSDOM(tableHtml({ price: ["61,800.1", "61,800.2"], note: ["a long note", "x"], share: ["12.3%", "n/a"] })).window.document;
    expect(Array.from(doc.querySelectorAll("tbody tr:first-child td"), (td) => td.className)).toEqual(["", "txt", ""]);
    const kv = new JSDOM(keyValueHtml({ fees: "3.31 USDT", strategy: "marketMaker(gamma=0.1, ...)", trades: 1234 }, "x", { cellClass: { strategy: "wide" } })).window.document;
    expect(Array.from(kv.querySelectorAll("td"), (td) => [td.className, td.textContent])).toEqual([
      ["", "3.31 USDT"],
      ["txt wide", "marketMaker(gamma=0.1, ...)"],
      ["", "1,234"],
    ]);
  });

  it("the depth ladder shows prices at tick precision and sizes with the separator", () => {
    const book = new L2Book();
    book.setLevel(1, 618000, 12_000);
    book.setLevel(-1, 618001, 3);
    const html = depthLadderHtml(book, { instrument: btc });
    const cells = Array.from(new JSDOM(html).window.document.querySelectorAll("tbody td"), (td) => td.textContent);
    expect(cells).toEqual(["", "", "61,800.1", "3", "3", "12,000", "12,000", "61,800.0", "", ""]);
    expect(html).toContain("spread 0.1");
  });

  it("maker share reads the same in the trade analytics as in the backtest summary: 100.0%", () => {
    const fills: FillTable = {
      ts: BigInt64Array.from([1n, 2n]),
      side: Int8Array.from([1, -1]),
      price: Float64Array.from([61800.1, 61800.3]),
      qty: Float64Array.from([0.016, 0.016]),
      fee: Float64Array.from([0.198, 0.198]),
      liquidity: Uint8Array.from([Liquidity.Maker, Liquidity.Maker]),
    };
    const html = tradesHtml(tradeAnalytics(fills));
    const rows = Object.fromEntries(Array.from(new JSDOM(html).window.document.querySelectorAll("tr"), (tr) => [tr.querySelector("th")?.textContent, tr.querySelector("td")?.textContent]));
    expect(rows["Maker share (quantity)"]).toBe("100.0%");
    expect(rows["Fees net (− = rebates)"]).toBe("0.40");
    expect(rows["Net PnL (gross)"]).toBe("-0.39 (0.00320)");
  });
});
