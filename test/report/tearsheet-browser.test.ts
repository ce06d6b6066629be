/**
 * Opens an exported tear sheet in Debian's Chromium (no browser download) and checks what a
 * reviewer would see: no console errors, no request other than the file itself, every chart drawn.
 */
import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { exportHtml, tearSheet } from "../../src/report/index.js";
import { Liquidity, type EquityCurve, type FillTable, type MidSeries } from "../../src/stats/index.js";
import { rng } from "../../src/core/index.js";
import { TEST_OUTPUT } from "../helpers/paths.js";

const CHROMIUM = "/usr/bin/chromium";
const SECOND = 1_000_000_000n;
const T0 = 1_700_000_000n * SECOND;

function run() {
  const r = rng(21);
  const n = 1500;
  const ts = BigInt64Array.from({ length: n }, (_, k) => T0 + BigInt(k) * SECOND);
  const equity = new Float64Array(n);
  const position = new Float64Array(n);
  let e = 50_000;
  let p = 0;
  for (let k = 0; k < n; k++) {
    e *= 1 + r.normal(0.00005, 0.0008);
    equity[k] = e;
    if (k % 10 === 5) p += r.float() < 0.5 ? 1 : -1;
    position[k] = p;
  }
  const mts = BigInt64Array.from({ length: n * 5 }, (_, k) => T0 + BigInt(k) * 200_000_000n);
  const mid = new Float64Array(n * 5);
  let m = 61_800;
  for (let k = 0; k < mid.length; k++) mid[k] = m += r.normal(0, 0.5);
  const f = 140;
  const fills: FillTable = {
    ts: BigInt64Array.from({ length: f }, (_, i) => T0 + BigInt(i * 10 + 5) * SECOND),
    side: Int8Array.from({ length: f }, () => (r.float() < 0.5 ? 1 : -1)),
    price: Float64Array.from({ length: f }, (_, i) => mid[(i * 10 + 5) * 5]! + (r.float() - 0.5)),
    qty: new Float64Array(f).fill(0.01),
    fee: Float64Array.from({ length: f }, (_, i) => (i % 4 ? -0.05 : 0.2)),
    liquidity: Uint8Array.from({ length: f }, (_, i) => (i % 4 ? Liquidity.Maker : Liquidity.Taker)),
  };
  return { equity: { ts, equity, position } as EquityCurve, fills, mid: { ts: mts, mid } as MidSeries };
}

const LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"];

/** Opens `file`, waits until every Plotly chart has drawn, and reports what the page shows. */
async function inspect(browser: Browser, file: string, screenshot: string) {
  const url = pathToFileURL(file).href;
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  // Navigation, screenshots and waits fail after this long (Playwright's default, 30 s, is a timing assertion on a busy machine).
  page.setDefaultTimeout(300_000);
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const requests: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("request", (req) => requests.push(req.url()));
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => Array.from(document.querySelectorAll(".slab-plotly")).every((el) => el.querySelector(".main-svg") !== null), undefined, { timeout: 300_000 });
  const counts = await page.evaluate(() => ({
    plotlyDivs: document.querySelectorAll(".slab-plotly").length,
    plotlyDrawn: Array.from(document.querySelectorAll(".slab-plotly")).filter((el) => el.querySelectorAll(".main-svg").length > 0).length,
    plotSvgs: Array.from(document.querySelectorAll("svg")).filter((s) => s.closest(".slab-plotly") === null && s.querySelector("path, rect, line") !== null).length,
    markers: document.querySelectorAll(".slab-plotly .scatterlayer .point, .slab-plotly canvas").length,
    bars: document.querySelectorAll(".slab-plotly .barlayer .point").length,
    // Line traces with a drawn path (equity and the drawdown area).
    lines: Array.from(document.querySelectorAll(".slab-plotly .scatterlayer .trace .js-line")).filter((p) => (p.getAttribute("d") ?? "").length > 20).length,
    verdict: document.querySelector(".slab-verdict")?.textContent ?? "",
    titles: Array.from(document.querySelectorAll(".slab-h")).map((h) => h.textContent),
  }));
  await page.screenshot({ path: join(TEST_OUTPUT, screenshot), fullPage: true });
  await page.close();
  return { url, consoleErrors, pageErrors, requests, counts };
}

describe.skipIf(!existsSync(CHROMIUM))("tear sheet in a real browser", () => {
  it("renders every chart offline with no console errors and no network request", async () => {
    mkdirSync(TEST_OUTPUT, { recursive: true });
    const full = run();
    const sheet = tearSheet({ ...full, orders: 400, trials: { count: 240, sharpeVariance: 0.0004 }, title: "BTCUSDT market maker (synthetic)" });
    const { file } = exportHtml(sheet, join(TEST_OUTPUT, "tearsheet-browser.html"));
    // An equity curve alone (e.g. a strategy's returns from elsewhere) still gets the interactive chart.
    const equityOnly = tearSheet({ equity: { ts: full.equity.ts, equity: full.equity.equity }, title: "equity only" });
    const { file: equityFile } = exportHtml(equityOnly, join(TEST_OUTPUT, "tearsheet-browser-equity-only.html"));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, timeout: 300_000 });
    try {
      const page = await inspect(browser, file, "tearsheet-browser.png");
      expect(page.consoleErrors).toEqual([]);
      expect(page.pageErrors).toEqual([]);
      expect(page.requests).toEqual([page.url]);
      const counts = page.counts;
      expect(counts.titles).toEqual(["Equity and drawdown", "Return distribution", "Rolling Sharpe", "Trades", "Markouts", "Fills on price", "Inventory"]);
      expect(counts.plotlyDivs).toBe(3);
      expect(counts.plotlyDrawn).toBe(3);
      expect(counts.lines).toBeGreaterThanOrEqual(2);
      // distribution, rolling Sharpe, inventory (legend swatches may add more)
      expect(counts.plotSvgs).toBeGreaterThanOrEqual(3);
      // markouts: 3 series × 3 horizons of bars; fills on price drawn with WebGL (a canvas)
      expect(counts.bars).toBe(9);
      expect(counts.markers).toBeGreaterThan(0);
      expect(counts.verdict).toContain("240 trials");

      const bare = await inspect(browser, equityFile, "tearsheet-browser-equity-only.png");
      expect(bare.consoleErrors).toEqual([]);
      expect(bare.pageErrors).toEqual([]);
      expect(bare.requests).toEqual([bare.url]);
      expect(bare.counts.titles).toEqual(["Equity and drawdown", "Return distribution", "Rolling Sharpe"]);
      expect(bare.counts.plotlyDrawn).toBe(1);
      expect(bare.counts.lines).toBe(2);
      expect(bare.counts.plotSvgs).toBeGreaterThanOrEqual(2);
    } finally {
      await browser.close();
    }
  });
});
