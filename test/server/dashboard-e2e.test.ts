/**
 * The dashboard as a researcher meets it, in Debian's Chromium against the real research server
 * (in-process, port 0, a temp DuckDB store holding two finished backtests, one with a tear sheet
 * as report.html): the address with ?token= opens the runs table; sorting and a metric filter
 * change the rows; a run page shows its figures in the product's formats; a sweep started from
 * the form moves its progress bar and grows its trials table while it runs; a run's research
 * checklist shows each item as recorded, the sweep's too; the report opens in
 * a new tab; two runs compare side by side with both equity curves; without the token the API
 * answers 401 and the page says how to sign in. Screenshots: test-output/dashboard/.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createServer, type ResearchServer } from "../../src/server/index.js";
import { openRunStore, type LabStore, type RunManifest } from "../../src/store/index.js";
import { htmlDocument, runChecklist, tearSheet, type ChecklistJson } from "../../src/report/index.js";
import { generateTicks } from "../../src/data/index.js";
import { backtest } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";
import { ROOT, TEST_OUTPUT } from "../helpers/paths.js";

const CHROMIUM = "/usr/bin/chromium";
const LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const OUT = join(TEST_OUTPUT, "dashboard");
const TOKEN = "e2e-dashboard-token-0123456789";
// Waits poll until this long: they catch a hang, they do not time anything.
const LONG = 300_000;
const T0_MS = Date.UTC(2024, 7, 8, 0, 0, 0);
const REPORT_TITLE = "E2E tear sheet of run A";

/** Equity sampled once a second: a drift with a wave, deterministic. */
function equityOf(n: number, drift: number, wave: number): { timeMs: number[]; equity: number[] } {
  const timeMs = Array.from({ length: n }, (_, i) => T0_MS + i * 1000);
  const equity = timeMs.map((_, i) => 100_000 + drift * i + wave * Math.sin(i / 15));
  return { timeMs, equity };
}

function manifest(strategy: string, params: Record<string, number>): RunManifest {
  return {
    kind: "backtest",
    strategy: { name: strategy, params },
    data: { files: [{ path: "data/binance/spot_btcusdt_20240808.gz", bytes: 1_274_097, sha256: "5f".repeat(32) }], rows: 50_000, symbols: ["BTCUSDT"] },
    engine: { latencyNs: 1_000_000, queue: "probabilistic" },
    seed: 7,
    version: "0.1.0",
    commit: "0123456789abcdef0123456789abcdef01234567",
    host: "e2e",
    node: process.version,
  };
}

// Metrics chosen so that every formatted figure below is computed by hand, away from rounding ties.
const A = { id: "e2e-run-a", params: { gamma: 0.1, kappa: 5 }, metrics: { sharpe: 1.2312, psr: 0.9123, dsr: NaN, pnl: 12_345.678, trades: 1234, maxDrawdown: 456.25, makerShare: 0.8712 } };
const B = { id: "e2e-run-b", params: { gamma: 0.2, kappa: 5 }, metrics: { sharpe: -0.5, psr: 0.25, dsr: 0.125, pnl: -250.5, trades: 98, maxDrawdown: 1000, makerShare: 0.5 } };

async function recordRun(store: LabStore, run: typeof A, equity: { timeMs: number[]; equity: number[] }, createdOffsetMs: number): Promise<void> {
  await store.createRun({ id: run.id, kind: "backtest", manifest: manifest("marketMaker", run.params), state: "running" });
  await store.updateRun(run.id, { state: "finished", metrics: run.metrics, params: run.params, equity, resultHash: `${run.id}-hash`, finishedAt: new Date(Date.now() + createdOffsetMs).toISOString() });
}

function reportHtml(): Uint8Array {
  const n = 600;
  const { timeMs, equity } = equityOf(n, 2, 40);
  const sheet = tearSheet({
    equity: { ts: BigInt64Array.from(timeMs, (t) => BigInt(t) * 1_000_000n), equity: Float64Array.from(equity), position: new Float64Array(n) },
    title: REPORT_TITLE,
  });
  return new TextEncoder().encode(htmlDocument(sheet));
}

/** Text of every cell of the runs table, row by row. */
async function runRows(page: Page): Promise<{ id: string; cells: string[] }[]> {
  return page.$$eval("#runs-table tbody tr.run-row", (rows) => rows.map((r) => ({ id: (r as HTMLElement).dataset.id ?? "", cells: Array.from(r.querySelectorAll("td")).map((td) => td.textContent ?? "") })));
}

async function waitRowIds(page: Page, ids: string[]): Promise<void> {
  await page.waitForFunction((want) => Array.from(document.querySelectorAll("#runs-table tbody tr.run-row")).map((r) => (r as HTMLElement).dataset.id).join(",") === want.join(","), ids, { timeout: LONG });
}

/** A real backtest's checklist (input check on, fees and latency as given): the rows the page must show. */
const checklistA = runChecklist(backtest(generateTicks({ events: 20_000, seed: 3, mode: "l2" }), strategies.get("marketMaker")({}), { latencyNs: 1_000_000, seed: 7 })).toJSON();

/** Status, id, item, why and fix of every row of the checklist on the page. */
async function checklistRows(page: Page): Promise<string[][]> {
  return page.$$eval("#checklist tr.check-row", (rows) => rows.map((r) => [(r as HTMLElement).dataset.status ?? "", (r as HTMLElement).dataset.id ?? "", ...Array.from(r.querySelectorAll("td")).slice(1).map((td) => td.textContent ?? "")]));
}

function expectedRows(c: ChecklistJson): string[][] {
  return c.items.map((i) => [i.status, i.id, i.title, i.reason, i.fix ?? ""]);
}

describe("dashboard in Chromium", () => {
  let dir: string;
  let store: LabStore | undefined;
  let server: ResearchServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // Jobs run compiled workers from dist/ (the test imports the server from the sources).
    if (!existsSync(join(ROOT, "dist", "server", "job-worker.js"))) {
      execFileSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: ROOT, stdio: "inherit" });
    }
    mkdirSync(OUT, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "slab-dashboard-"));
    store = (await openRunStore(join(dir, "runs.duckdb"))).store;
    await recordRun(store, A, equityOf(300, 3, 50), 0);
    await store.putArtifact(A.id, "report.html", reportHtml(), "text/html; charset=utf-8");
    await store.putArtifact(A.id, "checklist.json", new TextEncoder().encode(JSON.stringify(checklistA)), "application/json");
    await recordRun(store, B, equityOf(300, -1, 80), 1);
    server = await createServer({ store, token: TOKEN, port: 0, projectRoot: ROOT });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(LONG);
    page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    // A close that never settles must not keep the test process alive: each step gets a minute.
    const settle = (p: Promise<unknown> | undefined): Promise<unknown> => Promise.race([p?.catch(() => undefined), new Promise((r) => setTimeout(r, 60_000).unref())]);
    await settle(server?.close());
    await settle(store?.close());
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("opens with the token link and shows the runs in the product's number formats", async () => {
    await page.goto(server!.dashboardUrl, { waitUntil: "load" });
    // The token went into the cookie and out of the address.
    expect(new URL(page.url()).search).toBe("");
    await waitRowIds(page, [B.id, A.id]);
    const rows = await runRows(page);
    // Columns: tick, created, kind, strategy, state, sharpe, psr, pnl, trades.
    expect(rows.map((r) => r.cells.slice(2))).toEqual([
      ["backtest", "marketMaker", "finished", "-0.50", "0.250", "-250.50", "98"],
      ["backtest", "marketMaker", "finished", "1.23", "0.912", "12,345.68", "1,234"],
    ]);
    expect(await page.textContent("#runs-count")).toBe("1–2 of 2");
    await page.screenshot({ path: join(OUT, "runs.png"), fullPage: true });
  });

  it("sorts by a metric column and filters on a metric threshold", async () => {
    await page.click('th[data-sort="sharpe"]');
    await waitRowIds(page, [A.id, B.id]);
    await page.click('th[data-sort="sharpe"]');
    await waitRowIds(page, [B.id, A.id]);
    await page.selectOption('#run-filters select[name="metric"]', "pnl");
    await page.selectOption('#run-filters select[name="op"]', "gte");
    await page.fill('#run-filters input[name="threshold"]', "0");
    await page.dispatchEvent('#run-filters input[name="threshold"]', "change");
    await waitRowIds(page, [A.id]);
    expect(await page.textContent("#runs-count")).toBe("1–1 of 1");
    expect(page.url()).toContain("threshold=0");
    await page.click("#run-filters button.link");
    await waitRowIds(page, [B.id, A.id]);
  });

  it("shows a run: key metrics, manifest, equity chart and its artifacts", async () => {
    await page.click(`tr.run-row[data-id="${A.id}"] td.time a`);
    await page.waitForSelector("#key-metrics");
    const cards = await page.$$eval("#key-metrics .card", (els) => els.map((e) => [(e as HTMLElement).dataset.metric, e.querySelector(".card-value")?.textContent, e.querySelector(".card-note")?.textContent ?? ""]));
    expect(cards).toEqual([
      ["sharpe", "1.23", "PSR 0.912 · DSR n/a"],
      ["pnl", "12,345.68", ""],
      ["trades", "1,234", ""],
      ["maxDrawdown", "456.25", ""],
      ["makerShare", "87.1%", ""],
    ]);
    const files = await page.$$eval("#data-files tbody td", (tds) => tds.map((td) => td.textContent));
    expect(files).toEqual(["data/binance/spot_btcusdt_20240808.gz", "1.2 MiB", "5f".repeat(32)]);
    const manifestText = await page.textContent("#manifest");
    for (const s of ["0123456789abcdef0123456789abcdef01234567", "probabilistic", "1,000,000", "50,000", "BTCUSDT"]) expect(manifestText).toContain(s);
    await page.waitForSelector("#equity-chart .main-svg");
    const equity = await page.evaluate(() => (document.getElementById("equity-chart") as unknown as { data: { y: number[] }[] }).data.map((t) => [t.y.length, t.y[0], t.y[299]]));
    expect(equity).toEqual([[300, 100_000, 100_000 + 3 * 299 + 50 * Math.sin(299 / 15)]]);
    expect(await page.$$eval("#artifacts a", (as) => as.map((a) => [a.getAttribute("href"), a.getAttribute("target")]))).toEqual([
      [`/api/runs/${A.id}/artifacts/checklist.json`, "_blank"],
      [`/api/runs/${A.id}/artifacts/report.html`, "_blank"],
    ]);
    // The research checklist, item by item as recorded: a plain in-sample backtest warns about it.
    await page.waitForSelector("#checklist tr.check-row");
    expect(await checklistRows(page)).toEqual(expectedRows(checklistA));
    expect(checklistA.items.find((i) => i.id === "out-of-sample")?.status).toBe("warn");
    expect(await page.textContent("#checklist-counts")).toBe(`${checklistA.counts.pass} pass · ${checklistA.counts.warn} warn · ${checklistA.counts.fail} fail`);
    await page.screenshot({ path: join(OUT, "run.png"), fullPage: true });
  });

  it("opens the run's report in a new tab", async () => {
    const [tab] = await Promise.all([context.waitForEvent("page"), page.click('#artifacts a[data-artifact="report.html"]')]);
    await tab.waitForLoadState("load");
    expect(new URL(tab.url()).pathname).toBe(`/api/runs/${A.id}/artifacts/report.html`);
    expect(await tab.title()).toBe(REPORT_TITLE);
    expect(await tab.textContent("body")).toContain(REPORT_TITLE);
    await tab.screenshot({ path: join(OUT, "report.png") });
    await tab.close();
  });

  it("starts a sweep from the form, shows the server's error at its field, then follows the job live", async () => {
    await page.goto(`${server!.url}/#/new`);
    await page.waitForSelector('#job-form[data-ready="true"]');
    await page.selectOption('#job-form select[name="strategy"]', "marketMaker");
    // Ranges prefilled from the schema: around the default, on a multiple of the schema's step
    // (gamma: default 0.1, step 0.05 → 0.05…0.2 by 0.05; kappa: default 5, step 0.25 → 2.5…10 by 2).
    const ranges = await page.$$eval("#param-rows .param-row.swept", (rows) => rows.map((r) => [(r as HTMLElement).dataset.param, ...Array.from(r.querySelectorAll(".range input")).map((i) => (i as HTMLInputElement).value)]));
    expect(ranges).toEqual([
      ["gamma", "0.05", "0.2", "0.05"],
      ["kappa", "2.5", "10", "2"],
    ]);
    await page.selectOption('#job-form select[name="data"]', "generated");
    await page.fill('#job-form input[name="events"]', "40000");
    await page.selectOption('#job-form select[name="method"]', "grid");
    // kappa up to 8.5 by 2: a 4 × 4 grid of 16 trials.
    await page.fill('#job-form input[name="max-kappa"]', "8.5");
    await page.fill('#job-form input[name="max-gamma"]', "20");
    await page.click("#submit-job");
    const error = await page.waitForSelector('.param-row[data-param="gamma"] .field-error .error-text');
    expect(await error.textContent()).toContain("10");
    expect(await page.textContent('.param-row[data-param="gamma"] .field-error')).toMatch(/\[0\.001, 10\]/);
    expect(await page.$$eval(".field.invalid", (els) => els.map((e) => (e as HTMLElement).dataset.param ?? (e as HTMLElement).dataset.field))).toEqual(["gamma"]);
    await page.screenshot({ path: join(OUT, "form-error.png"), fullPage: true });
    await page.fill('#job-form input[name="max-gamma"]', "0.2");

    // Everything the live page shows is recorded as it changes (hash navigation keeps the window).
    await page.evaluate(() => {
      const w = window as unknown as { seen: { done: number; total: number; trials: number; state: string }[] };
      w.seen = [];
      const sample = (): void => {
        const bar = document.getElementById("progress-bar");
        if (!bar) return;
        const s = { done: Number(bar.dataset.done ?? 0), total: Number(bar.dataset.total ?? 0), trials: Number(document.getElementById("trials-count")?.dataset.count ?? 0), state: document.getElementById("job-state")?.textContent ?? "" };
        const last = w.seen[w.seen.length - 1];
        if (!last || last.done !== s.done || last.trials !== s.trials || last.state !== s.state || last.total !== s.total) w.seen.push(s);
      };
      new MutationObserver(sample).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await page.click("#submit-job");
    await page.waitForURL(/#\/live\//);
    await page.waitForFunction(() => ["finished", "failed"].includes(document.getElementById("job-state")?.textContent ?? ""), undefined, { timeout: LONG });
    await page.waitForFunction(() => document.getElementById("trials-count")?.dataset.count === "16", undefined, { timeout: LONG });
    const seen = await page.evaluate(() => (window as unknown as { seen: { done: number; total: number; trials: number; state: string }[] }).seen);
    const running = seen.filter((s) => s.state === "running");
    const doneWhileRunning = running.map((s) => s.done);
    // The bar moved at least three times before the job finished, never backwards.
    expect(new Set(doneWhileRunning).size, JSON.stringify(seen)).toBeGreaterThanOrEqual(3);
    expect(doneWhileRunning, JSON.stringify(seen)).toEqual([...doneWhileRunning].sort((a, b) => a - b));
    // The trials table grew while the job ran: some rows, not yet all of them.
    const trialsWhileRunning = running.map((s) => s.trials);
    expect(trialsWhileRunning.some((n) => n > 0 && n < 16), JSON.stringify(seen)).toBe(true);
    expect(trialsWhileRunning, JSON.stringify(seen)).toEqual([...trialsWhileRunning].sort((a, b) => a - b));
    const last = seen[seen.length - 1]!;
    expect(last).toEqual({ done: 16, total: 16, trials: 16, state: "finished" });
    expect(await page.textContent("#progress-text")).toMatch(/^16 \/ 16 · 100\.0% · [\d,]+ events\/s · best /);
    expect(await page.$$eval("#live-trials-table tbody tr", (rows) => rows.length)).toBe(16);
    // Only the swept parameters get columns: #, status, objective, gamma, kappa, then metrics.
    expect((await page.$$eval("#live-trials-table thead th", (ths) => ths.map((th) => th.textContent))).slice(0, 5)).toEqual(["#", "Status", "Objective", "gamma", "kappa"]);
    await page.waitForSelector("#sweep-chart .main-svg");
    // the chart redraws at most every 300 ms: wait for the redraw after the last trial (a chart
    // that never shows all 16 points times out here)
    await page.waitForFunction(() => (document.getElementById("sweep-chart") as unknown as { data?: { x: unknown[] }[] }).data?.[0]?.x.length === 16, undefined, { timeout: LONG }).catch(() => undefined);
    const points = await page.evaluate(() => (document.getElementById("sweep-chart") as unknown as { data: { x: unknown[] }[] }).data[0]!.x.length);
    expect(points).toBe(16);
    await page.selectOption("#axis-y", "kappa");
    await page.waitForFunction(() => (document.getElementById("sweep-chart") as unknown as { data?: { type: string }[] }).data?.[0]?.type === "heatmap", undefined, { timeout: LONG });
    const heat = await page.evaluate(() => {
      const t = (document.getElementById("sweep-chart") as unknown as { data: { x: string[]; y: string[]; z: (number | null)[][] }[] }).data[0]!;
      return { x: t.x, y: t.y, cells: t.z.flat().filter((v) => v !== null).length };
    });
    expect(heat).toEqual({ x: ["0.05", "0.1", "0.15", "0.2"], y: ["2.5", "4.5", "6.5", "8.5"], cells: 16 });
    await page.screenshot({ path: join(OUT, "live.png"), fullPage: true });

    // The finished run has all its trials on its own page.
    await page.click("#job-run");
    await page.waitForSelector("#trials-table");
    expect(await page.$$eval("#trials-table tbody tr", (rows) => rows.length)).toBe(16);
    expect(await page.textContent("#run-state")).toBe("finished");
    // The job recorded the sweep's checklist (16 combinations, PBO computed) and the page shows it.
    const runId = decodeURIComponent(new URL(page.url()).hash.replace(/^#\/run\//, ""));
    const recorded = JSON.parse(new TextDecoder().decode(await store!.readArtifact(runId, "checklist.json"))) as ChecklistJson;
    expect(recorded.subject).toBe("optimization");
    expect(recorded.complexity.combinations).toBe(16);
    expect(recorded.items.map((i) => i.id)).toContain("pbo");
    await page.waitForSelector("#checklist tr.check-row");
    expect(await checklistRows(page)).toEqual(expectedRows(recorded));
  });

  it("compares two runs: both ids, every metric with its difference, equity overlaid", async () => {
    await page.goto(`${server!.url}/#/`);
    await page.waitForSelector(`tr.run-row[data-id="${A.id}"]`);
    expect(await page.isDisabled("#compare-button")).toBe(true);
    await page.check(`tr.run-row[data-id="${A.id}"] input[type=checkbox]`);
    await page.check(`tr.run-row[data-id="${B.id}"] input[type=checkbox]`);
    expect(await page.isDisabled("#compare-button")).toBe(false);
    await page.click("#compare-button");
    await page.waitForSelector("#compare-metrics tbody tr");
    expect(await page.$$eval(".compare-run .run-id", (as) => as.map((a) => a.textContent))).toEqual([A.id, B.id]);
    const rows = await page.$$eval("#compare-metrics tbody tr", (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.metric, ...Array.from(tr.querySelectorAll("td")).map((td) => td.textContent)]));
    expect(rows).toEqual([
      ["dsr", "n/a", "0.125", "n/a"],
      ["makerShare", "87.1%", "50.0%", "-37.1%"],
      ["maxDrawdown", "456.25", "1,000.00", "+543.75"],
      ["pnl", "12,345.68", "-250.50", "-12,596.18"],
      ["psr", "0.912", "0.250", "-0.662"],
      ["sharpe", "1.23", "-0.50", "-1.73"],
      ["trades", "1,234", "98", "-1,136"],
    ]);
    await page.waitForSelector("#compare-chart .main-svg");
    const traces = await page.evaluate(() => (document.getElementById("compare-chart") as unknown as { data: { name: string; y: number[] }[] }).data.map((t) => [t.name, t.y.length]));
    expect(traces).toEqual([
      [`A ${A.id}`, 300],
      [`B ${B.id}`, 300],
    ]);
    expect(await page.$$eval("#compare-chart .scatterlayer .trace", (els) => els.length)).toBe(2);
    await page.screenshot({ path: join(OUT, "compare.png"), fullPage: true });
  });

  it("answers 401 without the token, and the page says how to sign in", async () => {
    const res = await fetch(`${server!.url}/api/runs`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
    const bad = await fetch(`${server!.url}/api/runs`, { headers: { authorization: "Bearer not-the-token" } });
    expect(bad.status).toBe(401);
    const stranger = await browser!.newContext();
    try {
      const p = await stranger.newPage();
      p.setDefaultTimeout(LONG);
      await p.goto(`${server!.url}/`);
      await p.waitForSelector("#signin");
      expect(await p.textContent("#signin")).toContain("?token=");
      expect(await p.$$("#runs-table tr.run-row")).toEqual([]);
      await p.screenshot({ path: join(OUT, "signed-out.png") });
    } finally {
      await stranger.close();
    }
    expect(pageErrors).toEqual([]);
  });
});
