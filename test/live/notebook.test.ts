/**
 * notebooks/10-live.ipynb headless: its figures (messages processed, resyncs, fills, final
 * position, parity) against values computed here from the capture.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readFile } from "../../src/venues/data-aliases.js";
import { backtest } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";
import { ROOT, TEST_OUTPUT } from "../helpers/paths.js";
import { formatFailures, runNotebooks } from "../../dist/cli/notebook-runner.js";

const CAPTURE = join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz");

/** The rows of the table with the given header cells, as arrays of cell texts. */
function tableText(html: string, firstHeader: string): string[][] {
  const tables = html.match(/<table>.*?<\/table>/gs) ?? [];
  const table = tables.find((t) => new RegExp(`<th[^>]*>\\s*${firstHeader}\\s*</th>`).test(t));
  if (!table) throw new Error(`no table headed "${firstHeader}"`);
  return (table.match(/<tr>.*?<\/tr>/gs) ?? []).map((row) => (row.match(/<t[dh][^>]*>.*?<\/t[dh]>/gs) ?? []).map((c) => c.replace(/<[^>]+>/g, "").trim()));
}

describe("notebooks/10-live.ipynb", () => {
  it("runs headless and shows the session's figures, equal to the backtest's", { timeout: 600_000 }, async () => {
    const [result] = await runNotebooks([join(ROOT, "notebooks", "10-live.ipynb")], { htmlDir: join(TEST_OUTPUT, "live-notebook") });
    if (!result!.ok) expect.fail(formatFailures(result!));
    const html = readFileSync(result!.html!, "utf8");
    const lines = gunzipSync(readFileSync(CAPTURE)).toString("utf8").split("\n").filter((l) => l.trim() !== "").length;
    const expected = backtest(await readFile(CAPTURE), strategies.marketMaker({ requoteMs: 50 }), { latencyNs: 200_000, queue: "prob", seed: 7 });
    const figures = Object.fromEntries(tableText(html, "figure").slice(1).map(([k, v]) => [k, v]));
    expect(figures["messages processed"]).toBe(lines.toLocaleString("en-US"));
    expect(figures["resyncs"]).toBe("0");
    expect(figures["gaps"]).toBe("0");
    expect(figures["malformed"]).toBe("0");
    expect(figures["fills"]).toBe(expected.fills.price.length.toLocaleString("en-US"));
    expect(figures["final position (lots)"]).toBe(expected.summary.finalPosition[0]!.toLocaleString("en-US"));
    const parity = tableText(html, "figure").length > 0 ? (html.match(/<table>.*?<\/table>/gs) ?? []).find((t) => /<th[^>]*>\s*backtest\s*<\/th>/.test(t)) : undefined;
    expect(parity).toBeDefined();
    const rows = (parity!.match(/<tr>.*?<\/tr>/gs) ?? []).slice(1).map((r) => (r.match(/<td[^>]*>.*?<\/td>/gs) ?? []).map((c) => c.replace(/<[^>]+>/g, "").trim()));
    expect(rows.map((r) => r[0])).toEqual(["fills", "final position", "pnl", "fill prices", "fill times"]);
    expect(rows.map((r) => r[r.length - 1])).toEqual(["true", "true", "true", "true", "true"]);
    // The in-place display ends in the finished state, with every message counted.
    expect(html).toMatch(new RegExp(`<caption>paper session</caption>.*?<td>finished</td>.*?<td>${lines.toLocaleString("en-US")}</td>`, "s"));
  });
});
