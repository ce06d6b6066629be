/**
 * The display protocol: what a TickBatch, a BacktestResult and an OptimizationResult show when they
 * end a notebook cell (HTML) or are printed (text), and how the kernel hook (kernels/tslab-hook.cjs)
 * renders values and errors. Ground truth for the batch: the raw LOBSTER message file of the
 * bundled GOOG sample, read here straight from the zip.
 */
import { describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import vm from "node:vm";
import { unzipSync } from "fflate";
import { JSDOM } from "jsdom";
import { ROOT } from "../helpers/paths.js";
import { instrument } from "../../src/core/index.js";
import { EVENT_KIND_NAMES, EventFlag, allocateColumns, generateTicks, readLobster, sliceBatch, tickBatch } from "../../src/venues/data-aliases.js";
import { backtest } from "../../src/engine/index.js";
import { optimize, range } from "../../src/optimize/index.js";
import { strategies } from "../../src/strategy/index.js";
import { backtestHtml } from "../../src/report/index.js";
import { DISPLAY, hasRichDisplay, richDisplay, tickBatchHtml, tickBatchText } from "../../src/report/rich.js";

const ZIP = join(ROOT, "data", "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_10.zip");
const lobster = readLobster({ messages: ZIP });
const batch = lobster.batch;

/** The message file's lines, as LOBSTER wrote them: time, type, order id, size, price × 10⁴, direction. */
const messages = (() => {
  const files = unzipSync(readFileSync(ZIP));
  const name = Object.keys(files).find((f) => f.includes("_message_"))!;
  return Buffer.from(files[name]!).toString("utf8").trim().split("\n");
})();

/** "34200.015105074" seconds after New York midnight on 2012-06-21 (EDT, UTC−4) as ISO UTC. */
function lobsterTimeUtc(seconds: string): string {
  const [whole, frac] = seconds.split(".") as [string, string];
  const s = Number(whole) + 4 * 3600;
  const hh = String(Math.floor(s / 3600)).padStart(2, "0");
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return `2012-06-21T${hh}:${mm}:${ss}.${frac.padEnd(9, "0")}Z`;
}

function rowOf(line: string) {
  const [time, , id, size, price, direction] = line.split(",") as [string, string, string, string, string, string];
  return { time: lobsterTimeUtc(time), id, size, price: (Number(price) / 10_000).toFixed(2), side: direction === "1" ? "bid" : "ask" };
}

/** The visible text of each row of the batch table. */
function tableRows(html: string): string[][] {
  const doc = new JSDOM(html).window.document;
  return Array.from(doc.querySelectorAll("table.slab-ticks tr")).map((tr) => Array.from(tr.querySelectorAll("th,td")).map((c) => c.textContent ?? ""));
}

describe("TickBatch display", () => {
  it("shows rows, instrument, kinds, the time range and the first and last rows as the file has them", () => {
    expect(messages).toHaveLength(147_916);
    const first = rowOf(messages[0]!);
    const last = rowOf(messages[messages.length - 1]!);
    const bundle = richDisplay(batch)!;
    expect(bundle).toBeDefined();
    const html = bundle["text/html"];
    expect(html).toContain("TickBatch · 147,916 rows · 1 instrument");
    expect(html).toContain("GOOG@NASDAQ (tick 0.01, lot 1)");
    expect(html).toContain(`${first.time} → ${last.time} (6.5 h)`);
    // Every kind with its count, as the kind column holds them.
    const counts = new Map<string, number>();
    for (const k of batch.kind) counts.set(EVENT_KIND_NAMES[k]!, (counts.get(EVENT_KIND_NAMES[k]!) ?? 0) + 1);
    for (const [name, n] of counts) expect(html).toContain(`${name} ${n.toLocaleString("en-US")}`);

    const rows = tableRows(html);
    expect(rows[0]).toEqual(["row", "exchange time (UTC)", "receive delay", "kind", "side", "price", "qty", "order id"]);
    expect(rows).toHaveLength(1 + 5 + 1 + 5);
    expect(rows[1]).toEqual(["0", first.time, "0", "Execute", first.side, first.price, first.size, first.id]);
    expect(rows[6]).toEqual(["⋯ 147,906 more rows ⋯"]);
    expect(rows[11]).toEqual(["147,915", last.time, "0", "Delete", last.side, last.price, last.size, last.id]);
    // Prices keep the tick's two decimals: 579.4000 in the file is 579.40, not 579.4.
    expect(first.price).toBe("579.40");
  });

  it("shows an off-grid price (a hidden execution at a half tick) with its extra digit", () => {
    const i = Array.from(batch.flags).findIndex((f) => (f & EventFlag.OffGrid) !== 0);
    const line = messages[i]!.split(",");
    const rows = tableRows(tickBatchHtml(sliceBatch(batch, i, i + 1)));
    expect(rows).toHaveLength(2);
    expect(rows[1]![5]).toBe((Number(line[4]) / 10_000).toFixed(3));
    expect(rows[1]![5]).toMatch(/^\d+\.\d{2}5$/);
  });

  it("names the instrument of each row and the receive delay when there are several", () => {
    const cols = allocateColumns(3);
    cols.exchTs.set([1_700_000_000_000_000_000n, 1_700_000_000_500_000_000n, 1_700_000_003_000_000_000n]);
    cols.localTs.set([1_700_000_000_001_250_000n, 1_700_000_000_500_000_000n, 1_700_000_003_000_000_850n]);
    cols.kind.set([2, 2, 2]);
    cols.side.set([1, -1, 1]);
    cols.instrument.set([0, 1, 0]);
    cols.priceTicks.set([618_002, 5_537, 618_010]);
    cols.qtyLots.set([15, 3, 1]);
    const b = tickBatch(cols, [instrument({ symbol: "BTCUSDT", venue: "BINANCE", tickSize: "0.1", lotSize: "0.001" }), instrument({ symbol: "ES", venue: "CME", tickSize: "0.25" })], "test rows");
    const html = tickBatchHtml(b);
    expect(html).toContain("BTCUSDT@BINANCE (tick 0.1, lot 0.001): 2 rows; ES@CME (tick 0.25, lot 1): 1 rows");
    expect(html).toContain("2023-11-14T22:13:20.000000000Z → 2023-11-14T22:13:23.000000000Z (3 s)");
    const rows = tableRows(html);
    expect(rows[0]).toEqual(["row", "exchange time (UTC)", "receive delay", "kind", "side", "price", "qty", "symbol"]);
    expect(rows.slice(1).map((r) => [r[2], r[5], r[6], r[7]])).toEqual([
      ["+1.25 ms", "61800.2", "0.015", "BTCUSDT"],
      ["0", "1384.25", "3", "ES"],
      ["+850 ns", "61801.0", "0.001", "BTCUSDT"],
    ]);
  });

  it("prints as a few readable lines instead of typed arrays (REPL, CLI, console.log)", () => {
    const text = inspect(batch);
    expect(text).toBe(tickBatchText(batch));
    expect(text).not.toMatch(/BigInt64Array|Float64Array|ColumnBatch/);
    const lines = text.split("\n");
    expect(lines.length).toBeLessThanOrEqual(8);
    expect(lines[0]).toBe(`TickBatch 147,916 rows, 1 instrument (GOOG@NASDAQ tick 0.01), exchange time ${rowOf(messages[0]!).time} → ${rowOf(messages.at(-1)!).time} (6.5 h)`);
    expect(lines[2]).toMatch(/^\s+0 {2}2012-06-21T13:30:00\.015105074Z\s+0 {2}Execute\s+bid\s+579\.40\s+4\s+15818974$/);
    expect(lines[5]).toBe("  ⋯ 147,911 more rows");
    expect(inspect({ nested: { deeper: batch } }, { depth: 1 })).toContain("[TickBatch 147,916 rows]");
    expect(bundleOf(tickBatch(allocateColumns(0), []))["text/plain"]).toBe("TickBatch 0 rows, 0 instruments");
  });

  it("leaves every batch's own properties and hidden shape alone (the methods are on the prototype)", () => {
    expect(Object.keys(batch).sort()).toEqual(["aux", "exchTs", "flags", "instrument", "instruments", "kind", "length", "localTs", "orderId", "priceTicks", "qtyLots", "seq", "side", "source"]);
    expect(Object.getOwnPropertySymbols(batch)).toEqual([]);
    expect(hasRichDisplay(batch)).toBe(true);
    expect(Object.getPrototypeOf(batch)).toBe(Object.getPrototypeOf(sliceBatch(batch, 0, 10)));
  });
});

function bundleOf(value: unknown) {
  const b = richDisplay(value);
  if (!b) throw new Error("no display method");
  return b;
}

describe("results display", () => {
  it("a backtest shows its summary view; text is its one-screen summary", () => {
    const run = backtest(generateTicks({ events: 4_000, seed: 3, mode: "l2" }), strategies.imbalance({ threshold: 0.3, cooldownMs: 100 }), { latencyNs: 50_000 });
    const b = bundleOf(run);
    expect(b["text/html"]).toBe(backtestHtml(run));
    expect(b["text/html"]).toMatch(/<th[^>]*>pnl<\/th>/);
    expect(b["text/html"]).toMatch(/<th[^>]*>sharpe\b/);
    expect(b["text/plain"]).toBe(run.toString());
    expect(b["text/plain"].split("\n")[0]).toMatch(/^BacktestResult imbalance\(/);
  });

  it("an optimization shows its view; text is its summary", async () => {
    const data = generateTicks({ events: 2_000, seed: 1, mode: "l2" });
    const r = await optimize({ data, evaluator: (p) => ({ metrics: { score: -((Number(p.x) - 2) ** 2) }, periodReturns: Float64Array.from([1]), events: 1 }), space: { x: range(1, 3, 1) }, objective: "score", workers: 0 });
    const b = bundleOf(r);
    expect(b["text/html"]).toContain("grid search</b> · 3 trials (3 ok, 0 infeasible, 0 failed)");
    expect(b["text/plain"]).toBe(r.toString());
  });

  it("any object can implement the protocol through the global symbol", () => {
    expect(DISPLAY).toBe(Symbol.for("strategy-lab.display"));
    const own = { [Symbol.for("strategy-lab.display")]: () => ({ "text/html": "<b>x</b>", "text/plain": "x" }) };
    expect(richDisplay(own)).toEqual({ "text/html": "<b>x</b>", "text/plain": "x" });
    expect(richDisplay({ a: 1 })).toBeUndefined();
    expect(richDisplay(null)).toBeUndefined();
  });
});

// The kernel hook runs inside tslab against the built package, as a notebook does.
interface Bundle {
  "text/html": string;
  "text/plain": string;
}
interface Hook {
  errorBundle(e: unknown): Bundle;
  kernelConsole(base: { log: (...a: unknown[]) => void; error: (...a: unknown[]) => void }, jupyter: { lastWriteDisplayData: ((msg: unknown, update: boolean) => void) | null }): { log: (...a: unknown[]) => void; error: (...a: unknown[]) => void };
}
const hook = createRequire(import.meta.url)(join(ROOT, "kernels", "tslab-hook.cjs")) as Hook;
const lab = (await import(join(ROOT, "dist", "index.js"))) as typeof import("../../src/index.js");

/** Runs `code` the way tslab runs a cell (vm.runInThisContext, file evalmachine.<anonymous>) and returns what it threw. */
function thrownInCell(code: string): unknown {
  try {
    vm.runInThisContext(`(function (lab) {\n${code}\n})`)(lab);
  } catch (e) {
    return e;
  }
  throw new Error("the cell did not throw");
}

/** What a reader sees: the box's text with the closed <details> left out. */
function visibleText(html: string): string {
  const doc = new JSDOM(html).window.document;
  doc.querySelectorAll("details").forEach((d) => d.remove());
  return doc.body.textContent ?? "";
}

describe("errors in a cell (kernel hook)", () => {
  it("a misspelt parameter: CODE: message first, the hint right under it, internal frames folded", () => {
    const e = thrownInCell('lab.strategies.imbalance({ treshold: 0.3 });');
    const b = hook.errorBundle(e);
    const lines = b["text/plain"].split("\n");
    expect(lines[0]).toBe('UNKNOWN_PARAM: unknown parameter "treshold" for strategy "imbalance"');
    expect(lines[1]).toMatch(/^hint: did you mean "threshold"\? Parameters: threshold, exitThreshold, .*cooldownMs/);
    // No frame in the text: lines after the hint would be this test's own (tslab's in a kernel).
    expect(lines.slice(2).filter((l) => !l.includes("rich-display.test.ts"))).toEqual([]);
    const doc = new JSDOM(b["text/html"]).window.document;
    const box = doc.querySelector(".slab-error")!;
    expect(box.children[0]!.className).toBe("slab-error-title");
    expect(box.children[0]!.textContent).toBe(lines[0]);
    expect(box.children[1]!.textContent).toBe(lines[1]);
    const details = doc.querySelector("details")!;
    expect(details.hasAttribute("open")).toBe(false);
    // (Under vitest, source maps turn dist/strategy/params.js into src/strategy/params.ts.)
    expect(details.textContent).toMatch(/at resolveParams \(.*\/(dist\/strategy\/params\.js|src\/strategy\/params\.ts)/);
    expect(details.textContent).toContain("evalmachine.<anonymous>");
    expect(visibleText(b["text/html"])).not.toMatch(/evalmachine|dist\/|src\/|node:vm/);
  });

  it("a missing file names the file and the folder relative paths start from", () => {
    const e = thrownInCell('return lab.data.readLobster({ messages: "no-such-file.zip" });');
    const lines = hook.errorBundle(e)["text/plain"].split("\n");
    expect(lines[0]).toMatch(/^FILE_NOT_FOUND: .*no-such-file\.zip/);
    expect(lines[1]).toMatch(/^hint: /);
    expect(lines).toContain("at file no-such-file.zip");
  });

  it("a bug in the user's own function shows that function first, by name", () => {
    const e = thrownInCell("function spread(book) { return book.ask - book.bid; }\nreturn spread(undefined);");
    const b = hook.errorBundle(e);
    expect(b["text/plain"].split("\n").slice(0, 2)).toEqual(["TypeError: Cannot read properties of undefined (reading 'ask')", "    at spread (notebook cell)"]);
    // (Frames after the cell's are this test's; in the kernel they are tslab's, folded away.)
    expect(visibleText(b["text/html"])).toMatch(/^TypeError: Cannot read properties of undefined \(reading 'ask'\)at spread \(notebook cell\)\n/);
    expect(visibleText(b["text/html"])).not.toMatch(/evalmachine|<anonymous>/);
  });

  it("routes a cell's last value and its errors to display data; anything else to tslab's console", () => {
    const sent: { data: Record<string, string>; metadata: Record<string, unknown> }[] = [];
    const plain: unknown[][] = [];
    const con = hook.kernelConsole(
      { log: (...a) => plain.push(["log", ...a]), error: (...a) => plain.push(["error", ...a]) },
      { lastWriteDisplayData: (msg) => sent.push(msg as (typeof sent)[number]) },
    );
    const small = lab.data.sliceBatch(lab.data.readLobster({ messages: ZIP }).batch, 0, 3);
    con.log(small);
    con.log(42);
    con.error(thrownInCell('lab.strategies.imbalance({ treshold: 0.3 });'));
    con.error("%s%d:%d - %s", "", 1, 10, "Property 'read' does not exist");
    expect(sent).toHaveLength(2);
    expect(sent[0]!.data["text/html"]).toContain("TickBatch · 3 rows · 1 instrument");
    expect(sent[0]!.metadata).toEqual({});
    expect(sent[1]!.data["text/plain"]).toMatch(/^UNKNOWN_PARAM: /);
    expect(sent[1]!.metadata).toEqual({ "strategy-lab": { error: true } });
    expect(plain).toEqual([
      ["log", 42],
      ["error", "%s%d:%d - %s", "", 1, 10, "Property 'read' does not exist"],
    ]);
  });
});
