/** Quality reports, tear sheets and books show themselves through the display protocol, like batches and results. */
import { describe, expect, it } from "vitest";
import * as lab from "../../src/index.js";

const DISPLAY = Symbol.for("strategy-lab.display");
const show = (value: unknown): { "text/html": string; "text/plain": string } => (value as Record<symbol, () => { "text/html": string; "text/plain": string }>)[DISPLAY]!();

describe("rich display of objects built below the report layer", () => {
  it("a quality report shows its HTML view and a one-line text; the hidden method stays out of JSON and equality", () => {
    const batch = lab.data.generateTicks({ events: 2_000, seed: 3, mode: "l2" });
    (batch.qtyLots as Float64Array)[10] = -4;
    const report = lab.data.validate(batch);
    const bundle = show(report);
    expect(bundle["text/html"]).toBe(lab.report.qualityReportHtml(report));
    expect(bundle["text/plain"]).toMatch(/^quality report of .*: 2,000 rows, \d+ issue class(es)? \(.*bad-size 1.*\); errors found$/);
    expect(Object.keys(report)).not.toContain(String(DISPLAY));
    expect(JSON.stringify(lab.data.qualityReportJson(report))).not.toContain("display");
  });

  it("a tear sheet shows its HTML with Plotly inlined the first time only", () => {
    const ts = BigInt64Array.from({ length: 400 }, (_, i) => 1_700_000_000_000_000_000n + BigInt(i) * 86_400_000_000_000n);
    const equity = Float64Array.from({ length: 400 }, (_, i) => 1000 + i + 10 * Math.sin(i));
    const sheet = lab.report.tearSheet({ equity: { ts, equity }, title: "daily" });
    const first = show(sheet)["text/html"];
    const second = show(sheet)["text/html"];
    expect(first).toContain("daily");
    expect(first.length).toBeGreaterThan(second.length + 1_000_000); // the library, once
    // Grid times are whole days since the epoch; the samples fall mid-day (1.7e9 s), so the 400
    // samples span 399 midnights: 398 periods.
    expect(show(sheet)["text/plain"]).toMatch(/^tear sheet: daily \(398 periods\); /);
  });

  it("an L2 book shows its depth ladder", () => {
    const book = new lab.book.L2Book();
    book.setLevel(1, 10000, 5);
    book.setLevel(-1, 10001, 7);
    const bundle = show(book);
    expect(bundle["text/html"]).toBe(lab.report.depthLadderHtml(book));
    expect(bundle["text/plain"]).toBe("L2Book: best bid 10000 / best ask 10001 (ticks)");
  });
});
