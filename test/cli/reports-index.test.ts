/**
 * reports/index.html lists every HTML report in the folder (notebooks just run, executed
 * notebooks of earlier runs, tear sheets and other exported pages), each with its <title> and a
 * working link, grouped; and the notebook progress line shows a readable rate for slow units.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JSDOM } from "jsdom";
import { describe, expect, it } from "vitest";
import { formatProgressLine, formatRate } from "../../src/core/index.js";
import { pageTitle, reportPages, writeIndex, type NotebookResult } from "../../src/cli/notebook-runner.js";

function page(title: string | undefined, body = "<p>x</p>"): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8">${title === undefined ? "" : `<title>${title}</title>`}</head><body>${body}</body></html>`;
}

interface Row {
  title: string;
  href: string | null;
  cells: string[];
}

function section(doc: Document, id: string): Row[] {
  const heading = doc.getElementById(id)!;
  const table = heading.nextElementSibling;
  if (!table || table.tagName !== "TABLE") return [];
  return [...table.querySelectorAll("tbody tr")].map((tr) => {
    const a = tr.querySelector("td a");
    return { title: tr.querySelector("td")!.textContent!, href: a?.getAttribute("href") ?? null, cells: [...tr.querySelectorAll("td")].map((td) => td.textContent!) };
  });
}

describe("reports/index.html", () => {
  it("lists notebooks (run now, run before) and every other HTML report with its title and link", () => {
    const dir = mkdtempSync(join(tmpdir(), "slab-reports-"));
    // Two notebooks run now (one failed), one executed by an earlier run, two tear sheets, a
    // quality page in a sub-folder, a page without <title>, and files that are not reports.
    writeFileSync(join(dir, "01-intro.html"), page("Intro &amp; tour"));
    writeFileSync(join(dir, "01-intro.ipynb"), "{}");
    writeFileSync(join(dir, "02-book.html"), page("Order books"));
    writeFileSync(join(dir, "02-book.ipynb"), "{}");
    writeFileSync(join(dir, "00-old.html"), page("An earlier notebook"));
    writeFileSync(join(dir, "00-old.ipynb"), "{}");
    writeFileSync(join(dir, "example-tearsheet.html"), page("Tear sheet: imbalance on BTCUSDT", "<title>not this one</title>"));
    writeFileSync(join(dir, "marketmaker btcusdt.html"), page("\n  Market maker   &lt;BTCUSDT&gt;\n"));
    mkdirSync(join(dir, "quality"));
    writeFileSync(join(dir, "quality", "spot.html"), page("Data quality: spot"));
    writeFileSync(join(dir, "untitled.html"), page(undefined));
    writeFileSync(join(dir, "notes.txt"), "not a report");
    mkdirSync(join(dir, ".hidden"));
    writeFileSync(join(dir, ".hidden", "x.html"), page("hidden"));
    writeFileSync(join(dir, "index.html"), page("old index"));

    const results: NotebookResult[] = [
      { notebook: "/nb/01-intro.ipynb", ok: true, cells: 12, failures: [], html: join(dir, "01-intro.html"), seconds: 31.2 },
      { notebook: "/nb/02-book.ipynb", ok: false, cells: 9, failures: [{ cell: 4, source: "x", error: "boom" }], html: join(dir, "02-book.html"), seconds: 5 },
    ];
    const index = writeIndex(dir, results);
    expect(index).toBe(join(dir, "index.html"));
    const doc = new JSDOM(readFileSync(index, "utf8")).window.document;
    expect(doc.title).toBe("Strategy Lab reports");

    expect(doc.getElementById("notebooks")!.textContent).toBe("Notebooks (3)");
    expect(section(doc, "notebooks")).toEqual([
      { title: "Intro & tour", href: "01-intro.html", cells: ["Intro & tour", "01-intro", "ok", "12", "31.2 s"] },
      { title: "Order books", href: "02-book.html", cells: ["Order books", "02-book", "failed (cells 4)", "9", "5.0 s"] },
      { title: "An earlier notebook", href: "00-old.html", cells: ["An earlier notebook", "00-old", "not run this time", "", ""] },
    ]);
    expect(doc.getElementById("other-reports")!.textContent).toBe("Other reports (4)");
    expect(section(doc, "other-reports").map((r) => [r.title, r.href, r.cells[1]])).toEqual([
      ["Tear sheet: imbalance on BTCUSDT", "example-tearsheet.html", "example-tearsheet.html"],
      ["Market maker <BTCUSDT>", "marketmaker%20btcusdt.html", "marketmaker btcusdt.html"],
      ["Data quality: spot", "quality/spot.html", "quality/spot.html"],
      ["untitled", "untitled.html", "untitled.html"],
    ]);
    // Every link points at a file that exists.
    for (const a of doc.querySelectorAll("a")) expect(readFileSync(join(dir, decodeURIComponent(a.getAttribute("href")!))).length).toBeGreaterThan(0);
  });

  it("a folder with tear sheets only still lists them, and says there are no notebooks", () => {
    const dir = mkdtempSync(join(tmpdir(), "slab-reports-"));
    writeFileSync(join(dir, "a.html"), page("Report A"));
    const doc = new JSDOM(readFileSync(writeIndex(dir, []), "utf8")).window.document;
    expect(doc.getElementById("notebooks")!.textContent).toBe("Notebooks (0)");
    expect(doc.getElementById("notebooks")!.nextElementSibling!.textContent).toBe("No executed notebooks here.");
    expect(section(doc, "other-reports").map((r) => [r.title, r.href])).toEqual([["Report A", "a.html"]]);
  });

  it("titles come from <title>, else the file name", () => {
    const dir = mkdtempSync(join(tmpdir(), "slab-reports-"));
    writeFileSync(join(dir, "t.html"), `<html><head><TITLE lang="en">A &quot;B&quot; &#39;C&#39;</TITLE></head></html>`);
    expect(pageTitle(join(dir, "t.html"))).toBe(`A "B" 'C'`);
    writeFileSync(join(dir, "empty-title.html"), page(""));
    expect(pageTitle(join(dir, "empty-title.html"))).toBeUndefined();
    expect(reportPages(dir).map((p) => p.title)).toEqual(["empty-title", "A \"B\" 'C'"]);
  });
});

describe("progress rates of slow units", () => {
  it("below one per second, the time per unit", () => {
    expect(formatRate(1 / 42, "notebooks")).toBe("42.0 s/notebook");
    expect(formatRate(0.5, "notebooks")).toBe("2.0 s/notebook");
    expect(formatRate(1 / 210, "notebooks")).toBe("3.5 min/notebook");
    expect(formatRate(1 / 7200, "trials")).toBe("2.0 h/trial");
    expect(formatRate(1 / 3, "s")).toBe("3.0 s/s");
    // At one per second and above, the rate as before.
    expect(formatRate(1, "notebooks")).toBe("1.0 notebooks/s");
    expect(formatRate(1500, "events")).toBe("1.5k events/s");
    expect(formatRate(2.5e6, "rows")).toBe("2.5M rows/s");
  });

  it("the notebook progress line", () => {
    const event = { task: "notebooks", done: 2, total: 5, unit: "notebooks", elapsedMs: 60_000, rate: 2 / 60, etaMs: 90_000, finished: false };
    expect(formatProgressLine(event, 10)).toBe("notebooks [####------]  40% 2/5 notebooks 30.0 s/notebook ETA 1m30s");
    // Nothing done yet: no rate at all rather than 0.
    expect(formatProgressLine({ ...event, done: 0, rate: 0, etaMs: NaN }, 10)).toBe("notebooks [----------]   0% 0/5 notebooks ETA ?");
  });
});
