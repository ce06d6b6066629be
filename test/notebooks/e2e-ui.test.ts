/**
 * The notebook as a newcomer meets it: `node scripts/notebook.mjs` (what `npm run notebook` runs)
 * started as whoever runs the tests (root in CI), the address it prints opened in Debian's Chromium
 * at 1280 px, notebooks/03-backtest.ipynb run with Run All, then a new notebook made from the New
 * menu with a cell ending in a TickBatch and a cell with a misspelt parameter. Checks what is on
 * screen: no error output in the bundled notebook, the backtest summary's pnl and sharpe cells
 * inside the viewport (not cut off on the right), the error as one `CODE: message` line with its
 * hint right under it and no kernel frame visible, the batch as an HTML table. Saving the run
 * notebook must leave git clean (the strip-outputs filter). Screenshots: test-output/e2e-ui/.
 */
import { describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { ROOT, TEST_OUTPUT } from "../helpers/paths.js";

const CHROMIUM = "/usr/bin/chromium";
const LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const OUT = join(TEST_OUTPUT, "e2e-ui");
const NOTEBOOK = "notebooks/03-backtest.ipynb";
const WIDTH = 1280;
// Waits poll until this long: they catch a hang, they do not time anything.
const LONG = 900_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function git(...args: string[]): { status: number; stdout: string } {
  const r = spawnSync("git", ["-C", ROOT, ...args], { encoding: "utf8" });
  return { status: r.status ?? 1, stdout: r.stdout };
}

async function poll<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = LONG, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

interface Server {
  child: ChildProcess;
  base: string;
  token: string;
  log: () => string;
}

/** Starts the notebook server as `npm run notebook` does and waits for the address it prints. */
async function startServer(): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, "scripts", "notebook.mjs"), `--port=${port}`, "--port-retries=0"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  let exited = false;
  child.on("close", () => (exited = true));
  const m = await poll("the notebook server's address", () => {
    if (exited) throw new Error(`notebook server exited:\n${out}`);
    return /^Strategy Lab notebooks: (http:\/\/127\.0\.0\.1:(\d+))\/tree\/notebooks\?token=(\w+)$/m.exec(out) ?? undefined;
  });
  expect(Number(m[2])).toBe(port);
  return { child, base: m[1]!, token: m[3]!, log: () => out };
}

async function stopServer(server: Server): Promise<void> {
  // Kernels first (Jupyter starts them in sessions of their own), then the server.
  try {
    const kernels = (await (await fetch(`${server.base}/api/kernels?token=${server.token}`)).json()) as { id: string }[];
    await Promise.all(kernels.map((k) => fetch(`${server.base}/api/kernels/${k.id}?token=${server.token}`, { method: "DELETE" })));
  } catch {
    // the server is already gone
  }
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const closed = new Promise<void>((r) => server.child.once("close", () => r()));
  server.child.kill("SIGTERM");
  const killer = setTimeout(() => server.child.kill("SIGKILL"), 60_000);
  await closed;
  clearTimeout(killer);
}

/** Waits until the page's notebook is loaded and its kernel connected. */
async function notebookReady(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const J = (window as unknown as { Jupyter?: { notebook?: { _fully_loaded?: boolean; kernel?: { is_connected(): boolean } } } }).Jupyter;
      return J?.notebook?._fully_loaded === true && J.notebook.kernel?.is_connected() === true && document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null;
    },
    undefined,
    { timeout: LONG, polling: 250 },
  );
}

/** Run All, then wait until no cell is queued or running and the kernel is idle; returns the prompts. */
async function runAll(page: Page): Promise<(number | string | null)[]> {
  await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { execute_all_cells(): void } } }).Jupyter.notebook.execute_all_cells());
  const done = () =>
    page.evaluate(() => {
      const cells = (window as unknown as { Jupyter: { notebook: { get_cells(): { cell_type: string; input_prompt_number: number | string | null }[] } } }).Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code");
      const idle = document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null;
      return idle && cells.every((c) => c.input_prompt_number !== "*") ? cells.map((c) => c.input_prompt_number) : undefined;
    });
  return poll("the cells to finish", done, LONG, 1000);
}

/** Text of every error shown in the page: error outputs, stderr streams, error boxes. */
function errorOutputs(page: Page): Promise<string[]> {
  return page.evaluate(() => Array.from(document.querySelectorAll("#notebook .output_error, #notebook .output_stderr, #notebook .slab-error")).map((e) => (e as HTMLElement).innerText));
}

const skip = !existsSync(CHROMIUM);

describe("the notebook in the Jupyter UI", () => {
  it.skipIf(skip)(skip ? `skipped: ${CHROMIUM} is missing (install Debian's chromium package, npm run setup does it as root)` : "runs 03-backtest, shows errors and batches readably, leaves git clean", { timeout: 1_800_000 }, async () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    const notebookFile = join(ROOT, NOTEBOOK);
    const original = readFileSync(notebookFile);
    const statusBefore = git("status", "--porcelain", "--", NOTEBOOK).stdout;
    // Saving makes Jupyter keep a checkpoint copy there (git-ignored); remove it unless it was there before.
    const checkpoints = join(ROOT, "notebooks", ".ipynb_checkpoints");
    const hadCheckpoints = existsSync(checkpoints);
    let saved: Buffer | undefined;
    let server: Server | undefined;
    let browser: Browser | undefined;
    try {
      server = await startServer();
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
      const context = await browser.newContext({ viewport: { width: WIDTH, height: 900 } });
      context.setDefaultTimeout(LONG);
      const page = await context.newPage();

      // 1. The bundled notebook, Run All, as the README says.
      await page.goto(`${server.base}/notebooks/${NOTEBOOK}?token=${server.token}`);
      await notebookReady(page);
      const prompts = await runAll(page);
      const errors = await errorOutputs(page);
      expect(errors, `error outputs in ${NOTEBOOK}:\n${errors.join("\n---\n")}`).toEqual([]);
      expect(prompts.length).toBeGreaterThan(5);
      expect(prompts.every((p) => typeof p === "number")).toBe(true);

      // The backtest summary: pnl and sharpe are on screen, not cut off on the right.
      const summary = page.locator("table", { has: page.locator("caption", { hasText: /^Backtest$/ }) }).first();
      const pnl = summary.locator("tr", { has: page.locator("th", { hasText: /^pnl/ }) }).locator("td").first();
      const sharpe = summary.locator("tr", { has: page.locator("th", { hasText: /^sharpe/ }) }).locator("td").first();
      await sharpe.scrollIntoViewIfNeeded();
      const area = summary.locator("xpath=ancestor::div[contains(@class,'output_subarea')][1]");
      const areaBox = (await area.boundingBox())!;
      const overflow = await area.evaluate((el) => el.scrollWidth - el.clientWidth);
      for (const [name, cell] of [["pnl", pnl], ["sharpe", sharpe]] as const) {
        expect(await cell.isVisible(), `${name} cell visible`).toBe(true);
        expect((await cell.innerText()).trim(), `${name} value`).not.toBe("");
        const box = (await cell.boundingBox())!;
        expect(box.x, `${name} left edge`).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width, `${name} right edge inside the viewport`).toBeLessThanOrEqual(WIDTH);
        expect(box.x + box.width, `${name} right edge inside its output area`).toBeLessThanOrEqual(areaBox.x + areaBox.width + 0.5);
        expect(box.y, `${name} top`).toBeGreaterThanOrEqual(0);
        expect(box.y + box.height, `${name} bottom`).toBeLessThanOrEqual(900);
      }
      expect(overflow, "the summary's output area needs no horizontal scrolling").toBeLessThanOrEqual(0);
      // The README's picture (docs/notebook-ui.png is a copy): the cell and the top of its view.
      await summary.evaluate((el) => el.closest(".cell")?.scrollIntoView({ block: "start" }));
      await page.screenshot({ path: join(OUT, "notebook-ui.png"), clip: { x: 60, y: 0, width: 1160, height: 760 } });

      // Saving (as autosave would) writes the outputs into the file; git must still see no change.
      await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { save_notebook(): Promise<unknown> } } }).Jupyter.notebook.save_notebook());
      saved = await poll("the saved notebook with outputs", () => {
        const now = readFileSync(notebookFile);
        return now.includes('"output_type"') ? now : undefined;
      });
      await poll(
        `git status to show the run notebook unchanged (is git's strip-outputs filter set? npm run setup sets it; git config filter.strip-outputs.clean = ${JSON.stringify(git("config", "--get", "filter.strip-outputs.clean").stdout.trim())})`,
        async () => {
          if (git("status", "--porcelain", "--", NOTEBOOK).stdout === statusBefore) return true;
          // A git command of someone else's may have held the index lock when the save hook ran.
          await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { save_notebook(): Promise<unknown> } } }).Jupyter.notebook.save_notebook());
          saved = readFileSync(notebookFile);
          return undefined;
        },
        120_000,
        5_000,
      );
      expect(git("diff", "--quiet", "--", NOTEBOOK).status, "git diff of the run notebook").toBe(0);

      // 2. A new notebook from the New menu, in a git-ignored folder.
      await page.goto(`${server.base}/tree/test-output/e2e-ui?token=${server.token}`);
      await page.locator("#new-dropdown-button").click();
      const [fresh] = await Promise.all([context.waitForEvent("page"), page.locator("#kernel-strategy-lab a").click()]);
      await fresh.waitForLoadState();
      await notebookReady(fresh);
      const cells = [
        `import * as lab from "strategy-lab";\nconst lobster = lab.data.readLobster({ messages: ${JSON.stringify(join(ROOT, "data", "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_10.zip"))} });\nlobster.batch`,
        "const obi = lab.strategies.imbalance({ treshold: 0.3 });",
      ];
      await fresh.evaluate((sources) => {
        const nb = (window as unknown as { Jupyter: { notebook: { get_cell(i: number): { set_text(s: string): void }; insert_cell_at_bottom(type: string): { set_text(s: string): void } } } }).Jupyter.notebook;
        nb.get_cell(0).set_text(sources[0]!);
        nb.insert_cell_at_bottom("code").set_text(sources[1]!);
      }, cells);
      const freshPrompts = await runAll(fresh);
      expect(freshPrompts).toHaveLength(2);
      const outputs = fresh.locator(".cell.code_cell .output_wrapper");

      // The batch: an HTML table, not a dump of typed arrays.
      const batchOut = outputs.nth(0);
      await expect.poll(() => batchOut.locator("table.slab-ticks").count(), { timeout: LONG }).toBe(1);
      expect(await batchOut.locator("caption").first().innerText()).toBe("TickBatch · 147,916 rows · 1 instrument");
      const firstRow = (await batchOut.locator("table.slab-ticks tbody tr").first().locator("td").allInnerTexts()).map((t) => t.trim());
      expect(firstRow).toEqual(["0", "2012-06-21T13:30:00.015105074Z", "0", "Execute", "bid", "579.40", "4", "15818974"]);
      expect(await batchOut.innerText()).not.toMatch(/BigInt64Array|ColumnBatch/);

      // The error: one CODE: message line, the hint right under it, no kernel frame in sight.
      const errOut = outputs.nth(1);
      const box = errOut.locator(".slab-error");
      await expect.poll(() => box.count(), { timeout: LONG }).toBe(1);
      await box.scrollIntoViewIfNeeded();
      const title = box.locator(".slab-error-title");
      const hint = box.locator(".slab-error-hint");
      expect(await title.innerText()).toBe('UNKNOWN_PARAM: unknown parameter "treshold" for strategy "imbalance"');
      expect(await hint.innerText()).toMatch(/^hint: did you mean "threshold"\? Parameters: threshold, /);
      expect(await hint.isVisible()).toBe(true);
      const titleBox = (await title.boundingBox())!;
      const hintBox = (await hint.boundingBox())!;
      expect(titleBox.height, "the CODE: message line is one line").toBeLessThan(30);
      expect(hintBox.y, "hint under the message").toBeGreaterThanOrEqual(titleBox.y + titleBox.height - 1);
      expect(hintBox.y - (titleBox.y + titleBox.height), "hint right under the message").toBeLessThan(12);
      expect(hintBox.x + hintBox.width).toBeLessThanOrEqual(WIDTH);
      const visible = await errOut.innerText();
      expect(visible).not.toMatch(/evalmachine|node:vm|dist\/|\.js:\d+|\bat \S+ \(/);
      expect(visible.trim().split("\n")[0]).toBe('UNKNOWN_PARAM: unknown parameter "treshold" for strategy "imbalance"');
      expect(await box.locator("details").evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
      expect(await box.locator("details summary").innerText()).toMatch(/^\d+ internal frames \(/);
      expect(await errOut.locator(".output_stderr").count()).toBe(0);
      await errOut.screenshot({ path: join(OUT, "error-cell.png") });
      await fresh.screenshot({ path: join(OUT, "new-notebook.png"), fullPage: true });
    } catch (error) {
      if (server) writeFileSync(join(OUT, "server.log"), server.log());
      throw error;
    } finally {
      await browser?.close();
      if (server) await stopServer(server);
      if (!hadCheckpoints) rmSync(checkpoints, { recursive: true, force: true });
      // Put the bundled notebook back byte for byte (unless someone else changed it meanwhile),
      // then let git re-read it: its record still has the size of the file with outputs.
      if (saved && readFileSync(notebookFile).equals(saved)) {
        writeFileSync(notebookFile, original);
        await poll("git to re-read the restored notebook", () => (git("diff", "--quiet", "--", NOTEBOOK).status !== 0 || git("add", "--", NOTEBOOK).status === 0 ? true : undefined), 60_000, 1_000);
      }
    }
    expect(git("status", "--porcelain", "--", "notebooks").stdout.split("\n").filter((l) => l.includes(NOTEBOOK.split("/")[1]!)).join("\n")).toBe(statusBefore.trimEnd());
  });
});
