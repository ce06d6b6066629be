/**
 * What a reader sees in Chromium (Debian's, no download): the backtest summary in a narrow output
 * area wraps its long strategy string instead of pushing pnl, trades, sharpe and the final position
 * out of view, and the tear sheet's Plotly axes read as prices and money (fixed decimals, grouped
 * thousands), never "100.0003k".
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { generateTicks } from "../../src/data/index.js";
import { backtest } from "../../src/engine/index.js";
import { backtestSummaryHtml, htmlDocument, tearSheet } from "../../src/report/index.js";
import { panel } from "../../src/report/internal.js";
import { strategies } from "../../src/strategy/index.js";
import { TEST_OUTPUT } from "../helpers/paths.js";

const CHROMIUM = "/usr/bin/chromium";
const LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"];

describe.skipIf(!existsSync(CHROMIUM))("readability in a real browser", () => {
  it("the summary fits a 560 px output area with every figure on one line; axes have no SI suffix", async () => {
    mkdirSync(TEST_OUTPUT, { recursive: true });
    const ticks = generateTicks({ events: 20_000, seed: 5, mode: "l2" });
    const run = backtest(ticks, strategies.marketMaker({ gamma: 0.25, kappa: 3.5, horizonSec: 0.5, minHalfSpreadTicks: 1.5, requoteMs: 25, volHalfLifeSec: 30 }), { latencyNs: 50_000, equityIntervalNs: 100_000_000, initialCash: 100_000 });
    const sheet = tearSheet({ equity: run.equity, fills: run.fills, mid: run.mid, instruments: run.instruments });
    // Like Jupyter's output area: a fixed width that clips what overflows.
    const page = `<div id="out" style="width:560px;overflow:hidden">${panel(backtestSummaryHtml(run))}</div><div style="width:900px">${sheet.html()}</div>`;
    const file = join(TEST_OUTPUT, "readability.html");
    writeFileSync(file, htmlDocument(page, "readability"));
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    try {
      const tab = await browser.newPage({ viewport: { width: 1000, height: 900 } });
      tab.setDefaultTimeout(300_000);
      await tab.goto(pathToFileURL(file).href, { waitUntil: "load" });
      await tab.waitForFunction(() => Array.from(document.querySelectorAll(".slab-plotly")).every((el) => el.querySelector(".main-svg") !== null), undefined, { timeout: 300_000 });
      const seen = await tab.evaluate(() => {
        const out = document.getElementById("out")!.getBoundingClientRect();
        const table = document.querySelector("#out table")!.getBoundingClientRect();
        const cells = Object.fromEntries(
          Array.from(document.querySelectorAll("#out tr")).map((tr) => {
            const td = tr.querySelector("td")!;
            const box = td.getBoundingClientRect();
            const line = parseFloat(getComputedStyle(td).lineHeight) || 16;
            return [tr.querySelector("th")!.textContent, { right: box.right, lines: Math.round((box.height - 4) / line) }];
          }),
        );
        const ticks = (axis: string) => Array.from(document.querySelectorAll(`.slab-plotly .${axis} text`)).map((t) => t.textContent ?? "");
        return { outRight: out.right, tableRight: table.right, cells, yticks: ticks("ytick"), y2ticks: ticks("y2tick") };
      });
      await tab.screenshot({ path: join(TEST_OUTPUT, "readability.png"), fullPage: true });
      expect(seen.tableRight).toBeLessThanOrEqual(seen.outRight + 0.5);
      for (const key of ["pnl", "trades", "maker share", "final position", "fees (− = rebates)"]) {
        expect([key, seen.cells[key]!.right <= seen.outRight + 0.5]).toEqual([key, true]);
        expect([key, seen.cells[key]!.lines]).toEqual([key, 1]);
      }
      const sharpeKey = Object.keys(seen.cells).find((k) => k.startsWith("sharpe"))!;
      expect(seen.cells[sharpeKey]!.lines).toBe(1);
      // The strategy string wrapped onto several lines inside the table.
      expect(seen.cells.strategy!.lines).toBeGreaterThan(1);
      // Axes: no SI suffix anywhere; equity labels like "100,012.34", price labels at the 0.01 tick.
      const all = [...seen.yticks, ...seen.y2ticks];
      expect(all.length).toBeGreaterThan(4);
      for (const label of all) expect(label).not.toMatch(/[kMGµm]$/);
      expect(seen.yticks.some((t) => /^\d{2,3},\d{3}(\.\d+)?$/.test(t))).toBe(true);
      expect(seen.yticks.some((t) => /^\d{1,3}\.\d{2}$/.test(t))).toBe(true);
    } finally {
      await browser.close();
    }
  }, 600_000);
});
