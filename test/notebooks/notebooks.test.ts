// One test per notebook in notebooks/: each is executed headless on the Strategy Lab kernel and
// fails with the runner's message (cell number, source, error) if any cell errors; then the
// figures it printed are checked against figures computed independently (notebook-checks.ts).
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, TEST_OUTPUT } from "../helpers/paths.js";
import { formatFailures, runNotebooks } from "../../dist/cli/notebook-runner.js";
import { NOTEBOOK_CHECKS, readNotebookPage } from "./notebook-checks.js";

const notebooks = readdirSync(join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort();
const htmlDir = join(TEST_OUTPUT, "notebooks");

/** The markdown of a notebook's cells. */
function markdownCells(name: string): string[] {
  const nb = JSON.parse(readFileSync(join(ROOT, "notebooks", name), "utf8")) as { cells: { cell_type: string; source: string | string[] }[] };
  return nb.cells.filter((c) => c.cell_type === "markdown").map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source));
}

/** Notebooks a markdown text links to, in order. */
function linked(text: string): string[] {
  return Array.from(text.matchAll(/\]\(([\w-]+\.ipynb)\)/g), (m) => m[1]!);
}

describe("the guided path through the notebooks", () => {
  it("00-welcome's map links every other notebook once, each with what it teaches", () => {
    const map = markdownCells("00-welcome.ipynb").find((c) => c.startsWith("## The path through the notebooks"));
    expect(map).toBeDefined();
    const rows = map!.split("\n").filter((l) => /^\| [\w -]+ \| \[/.test(l));
    expect(rows.map((r) => linked(r)[0])).toEqual([
      "01-ingest-and-validate.ipynb", "02-order-book.ipynb", "03-backtest.ipynb", "04-optimize.ipynb", "05-report.ipynb",
      "06-runs-and-dashboard.ipynb", "08-multi-day.ipynb", "07-databento-l3.ipynb", "09-cross-engine.ipynb", "10-live.ipynb",
    ]);
    expect([...rows.map((r) => linked(r)[0]), "00-welcome.ipynb"].sort()).toEqual(notebooks);
    for (const row of rows) expect(row.split(" | ")[2]!.length, row).toBeGreaterThan(30);
  });

  for (const name of notebooks.filter((n) => n !== "00-welcome.ipynb")) {
    it(`${name} ends with where to go next, naming notebooks that exist`, () => {
      const last = markdownCells(name).at(-1)!;
      expect(last.startsWith("## Where to go next\n"), last).toBe(true);
      const next = linked(last);
      expect(next.length).toBeGreaterThan(0);
      for (const n of next) expect(notebooks).toContain(n);
      expect(next).not.toContain(name);
    });
  }
});

describe("notebooks execute without errors and show the right figures", () => {
  it("there are notebooks to run", () => {
    expect(notebooks).toContain("00-welcome.ipynb");
  });

  for (const name of notebooks) {
    it(name, { timeout: 900_000 }, async () => {
      const [result] = await runNotebooks([join(ROOT, "notebooks", name)], { htmlDir });
      if (!result!.ok) expect.fail(formatFailures(result!));
      expect(result!.ok).toBe(true);
      await NOTEBOOK_CHECKS[name]?.(readNotebookPage(result!.html!));
    });
  }
});
