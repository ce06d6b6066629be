// One test per notebook in notebooks/: each is executed headless on the Strategy Lab kernel and
// fails with the runner's message (cell number, source, error) if any cell errors.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, TEST_OUTPUT } from "../helpers/paths.js";
import { formatFailures, runNotebooks } from "../../dist/cli/notebook-runner.js";

const notebooks = readdirSync(join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort();
const htmlDir = join(TEST_OUTPUT, "notebooks");

describe("notebooks execute without errors", () => {
  it("there are notebooks to run", () => {
    expect(notebooks).toContain("00-welcome.ipynb");
  });

  for (const name of notebooks) {
    it(name, { timeout: 900_000 }, async () => {
      const [result] = await runNotebooks([join(ROOT, "notebooks", name)], { htmlDir });
      if (!result!.ok) expect.fail(formatFailures(result!));
      expect(result!.ok).toBe(true);
      if (name === "00-welcome.ipynb") checkWelcomePage(result!.html!);
      if (name === "08-multi-day.ipynb") checkMultiDayPage(result!.html!);
      if (name === "09-cross-engine.ipynb") checkCrossEnginePage(result!.html!);
    });
  }
});

function checkWelcomePage(file: string): void {
  const html = readFileSync(file, "utf8");
  expect(html).toMatch(/<table>.*<caption>Simulated quotes \(seed 42\)<\/caption>/s);
  expect(html).toMatch(/<svg[^>]*class="plot-/);
  // Plotly is inlined exactly once and the chart calls it; no network URL in any src/href.
  expect(html.split("window.Plotly = Plotly").length - 1).toBe(1);
  expect(html).toContain("window.Plotly.newPlot(");
  expect(html).not.toMatch(/\b(src|href)\s*=\s*["'`]?(https?:)?\/\//i);
  // The progress bar's final state replaced its earlier states in place.
  expect(html).toMatch(/random walk 100% 3,000,000\/3,000,000 steps .* in \d+s final value/);
  expect(html.match(/random walk \d+% /g)).toHaveLength(1);
  expect(html).toMatch(/OFF_TICK<\/b>: price 5537\.30 is not a multiple of tick size 0\.25/);
}

/** Notebook 08: the streamed run equals the in-memory one, and its days add up to it. */
function checkMultiDayPage(file: string): void {
  const html = readFileSync(file, "utf8");
  for (const what of ["identicalFills", "identicalEquity", "identicalOrders"]) expect(html).toContain(`${what}: true`);
  expect(html).toContain("partitions: [ &#39;BTCUSDT 2024-08-08&#39;, &#39;BTCUSDT 2024-08-09&#39; ]");
  const sums = /sumOfDays: &#39;(-?[\d.]+)&#39;,\s*run: &#39;(-?[\d.]+)&#39;/.exec(html);
  expect(sums).not.toBeNull();
  expect(sums![1]).toBe(sums![2]);
  expect(html).toMatch(/receive clock behind by 1\.27\d{4} s/);
}

/** Notebook 09: hftbacktest's reference run reproduced (every figure, the fills file), the raw capture's match. */
function checkCrossEnginePage(file: string): void {
  const html = readFileSync(file, "utf8");
  expect(html).toContain("identicalFiles: true");
  expect(html).toContain("differingRows: 0");
  expect(html).not.toMatch(/<td[^>]*>false<\/td>/);
  expect(html).toContain("314 of 329 (95.4 %)");
}
