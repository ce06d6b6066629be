import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/paths.js";

// notebooks/src/<name>.txt is the one source of notebooks/<name>.ipynb (scripts/make_notebook.py
// writes the notebook from it; scripts/notebook_to_text.py brings it up to date after an edit in
// Jupyter). Every notebook has its text source, and they hold the same cells.

/** Cells of a text source: `#%% md` / `#%% code` lines start a cell; its text is trimmed of blank lines at both ends. */
function cellsOfText(text: string): [string, string][] {
  const cells: [string, string][] = [];
  let kind: string | undefined;
  let lines: string[] = [];
  const flush = (): void => {
    if (kind !== undefined) cells.push([kind === "md" ? "markdown" : "code", lines.join("\n").replace(/^\n+|\n+$/g, "")]);
  };
  for (const line of text.split("\n")) {
    if (line.startsWith("#%% ")) {
      flush();
      kind = line.slice(4).trim();
      lines = [];
    } else lines.push(line);
  }
  flush();
  return cells;
}

const notebooks = readdirSync(join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort();

describe("notebook sources", () => {
  it("there are notebooks", () => expect(notebooks.length).toBeGreaterThanOrEqual(10));
  for (const file of notebooks) {
    it(`${file} has the cells of notebooks/src/${file.replace(/\.ipynb$/, ".txt")}`, () => {
      const txt = join(ROOT, "notebooks", "src", file.replace(/\.ipynb$/, ".txt"));
      expect(existsSync(txt), `write it with: /usr/bin/python3 scripts/notebook_to_text.py notebooks/${file} ${txt}`).toBe(true);
      const nb = JSON.parse(readFileSync(join(ROOT, "notebooks", file), "utf8")) as { cells: { cell_type: string; source: string | string[] }[] };
      const fromNotebook = nb.cells.map((c) => [c.cell_type, Array.isArray(c.source) ? c.source.join("") : c.source]);
      expect(fromNotebook, `regenerate one from the other: scripts/make_notebook.py (text → notebook) or scripts/notebook_to_text.py (notebook → text)`).toEqual(cellsOfText(readFileSync(txt, "utf8")));
    });
  }
});
