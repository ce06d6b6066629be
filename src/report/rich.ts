/**
 * The display protocol: an object shows itself in a notebook through a method under
 * `DISPLAY` (`Symbol.for("strategy-lab.display")`) returning a MIME bundle, at least
 * `{ "text/html", "text/plain" }`. The notebook kernel (kernels/tslab-hook.cjs) calls it when a
 * cell's last value has it, so `batch`, `run` or `result` alone in a cell shows a table or a view
 * instead of a dump of typed arrays. Any object can implement it; the symbol is global, so code
 * that does not import this module can too.
 *
 * This module implements it for TickBatch, BacktestResult and OptimizationResult. Their classes live
 * in lower layers that cannot import the HTML views, so the methods are put on their prototypes
 * here, when the report layer loads (the package entry always loads it); no instance gets a field,
 * so the hot paths keep their hidden classes. TickBatch also gets a short `util.inspect` text
 * (REPL, CLI, console.log); the two result classes already have one.
 */
import { inspect } from "node:util";
import { formatNs, registerDisplay, type InstrumentSpec } from "../core/index.js";
import { L2Book, L3Book } from "../book/index.js";
import { EVENT_KIND_NAMES, allocateColumns, tickBatch, type QualityReport, type TickBatch } from "../data/index.js";
import { BacktestResult, DayTable } from "../engine/index.js";
import { OptimizationResult } from "../optimize/index.js";
import { escapeHtml, keyValueHtml, panel, tableHtml } from "./html.js";
import { formatCount, formatFixed } from "./format.js";
import { backtestHtml } from "./views/engine.js";
import { optimizationHtml } from "./views/optimize.js";
import { depthLadderHtml } from "./views/book.js";
import { qualityReportHtml } from "./views/data.js";
import { l3LadderHtml } from "./views/l3.js";
import { claimPlotlyInline } from "./show.js";
import type { TearSheet } from "./tearsheet.js";

/** Key of the display method: `value[DISPLAY]()` returns the value's MIME bundle. */
export const DISPLAY: unique symbol = Symbol.for("strategy-lab.display");

/** What a display method returns: MIME type to content. */
export interface MimeBundle {
  "text/html": string;
  "text/plain": string;
  [mime: string]: string;
}

/** An object that shows itself in a notebook. */
export interface RichDisplayable {
  [DISPLAY](): MimeBundle;
}

/** True when `value` implements the display protocol. */
export function hasRichDisplay(value: unknown): value is RichDisplayable {
  return typeof value === "object" && value !== null && typeof (value as Partial<RichDisplayable>)[DISPLAY] === "function";
}

/** The value's MIME bundle, or undefined when it does not implement the protocol. */
export function richDisplay(value: unknown): MimeBundle | undefined {
  return hasRichDisplay(value) ? value[DISPLAY]() : undefined;
}

export interface TickBatchViewOptions {
  /** Rows shown from the start. @default 5 (HTML), 3 (text) */
  head?: number;
  /** Rows shown from the end. @default 5 (HTML), 2 (text) */
  tail?: number;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

/** A span of nanoseconds in the largest unit that keeps it short: "850 ns", "1.25 ms", "6.5 h". */
function spanText(ns: bigint): string {
  const sign = ns < 0n ? "−" : "";
  const a = Number(ns < 0n ? -ns : ns);
  const units: [number, string][] = [
    [86_400e9, "d"],
    [3_600e9, "h"],
    [60e9, "min"],
    [1e9, "s"],
    [1e6, "ms"],
    [1e3, "µs"],
  ];
  for (const [size, unit] of units) if (a >= size) return `${sign}${Number((a / size).toPrecision(3))} ${unit}`;
  return `${sign}${a} ns`;
}

/** "579.4" at scale 2 → "579.40": as many decimals as the tick (or lot) size has. */
function atScale(text: string, scale: number): string {
  if (scale <= 0) return text;
  const dot = text.indexOf(".");
  const decimals = dot < 0 ? 0 : text.length - dot - 1;
  return decimals >= scale ? text : `${dot < 0 ? text + "." : text}${"0".repeat(scale - decimals)}`;
}

/** A price in ticks at the instrument's precision; off-grid (fractional) counts keep more digits. */
function priceText(spec: InstrumentSpec | undefined, ticks: number): string {
  if (Number.isNaN(ticks)) return "";
  if (!spec) return String(ticks);
  if (Number.isInteger(ticks)) return atScale(spec.priceString(ticks), spec.priceScale);
  return atScale((ticks * spec.tick).toFixed(spec.priceScale + 3).replace(/0+$/, ""), spec.priceScale);
}

function sizeText(spec: InstrumentSpec | undefined, lots: number): string {
  if (Number.isNaN(lots)) return "";
  if (!spec || !Number.isInteger(lots)) return String(lots);
  return atScale(spec.sizeString(lots), spec.sizeScale);
}

function sideText(side: number): string {
  return side === 1 ? "bid" : side === -1 ? "ask" : "";
}

/** Rows 0..head-1 and length-tail..length-1 (no overlap), with a gap marker between when rows are left out. */
function shownRows(length: number, head: number, tail: number): (number | "gap")[] {
  if (length <= head + tail) return Array.from({ length }, (_, i) => i);
  return [...Array.from({ length: head }, (_, i) => i), "gap", ...Array.from({ length: tail }, (_, i) => length - tail + i)];
}

interface BatchFacts {
  instruments: string[];
  rowsPerInstrument: number[];
  kinds: string;
  exchange: string;
}

/** One pass over the small columns: rows per instrument and per kind, exchange time range. */
function batchFacts(batch: TickBatch): BatchFacts {
  const n = batch.length;
  const perInstrument = new Float64Array(Math.max(1, batch.instruments.length));
  const perKind = new Float64Array(256);
  let other = 0;
  for (let i = 0; i < n; i++) {
    const k = batch.instrument[i]!;
    if (k < perInstrument.length) perInstrument[k]!++;
    else other++;
    perKind[batch.kind[i]!]!++;
  }
  let lo = 0n;
  let hi = 0n;
  if (n > 0) {
    lo = hi = batch.exchTs[0]!;
    for (let i = 1; i < n; i++) {
      const t = batch.exchTs[i]!;
      if (t < lo) lo = t;
      else if (t > hi) hi = t;
    }
  }
  const kinds: string[] = [];
  for (let k = 0; k < 256; k++) if (perKind[k]! > 0) kinds.push(`${EVENT_KIND_NAMES[k] ?? `kind ${k}`} ${perKind[k]!.toLocaleString("en-US")}`);
  const instruments = batch.instruments.map((s) => `${s.symbol}@${s.venue} (tick ${s.tickSize}, lot ${s.lotSize})`);
  if (other > 0) instruments.push(`${other.toLocaleString("en-US")} rows with an instrument index the batch does not list`);
  return {
    instruments,
    rowsPerInstrument: Array.from(perInstrument.subarray(0, batch.instruments.length)),
    kinds: kinds.join(", "),
    exchange: n === 0 ? "–" : `${formatNs(lo)} → ${formatNs(hi)} (${spanText(hi - lo)})`,
  };
}

interface RowCells {
  row: string;
  exchTs: string;
  recv: string;
  kind: string;
  side: string;
  price: string;
  qty: string;
  orderId: string;
  symbol: string;
}

function rowCells(batch: TickBatch, i: number): RowCells {
  const spec = batch.instruments[batch.instrument[i]!];
  const id = batch.orderId[i]!;
  const delay = batch.localTs[i]! - batch.exchTs[i]!;
  return {
    row: i.toLocaleString("en-US"),
    exchTs: formatNs(batch.exchTs[i]!),
    recv: delay === 0n ? "0" : delay > 0n ? `+${spanText(delay)}` : spanText(delay),
    kind: EVENT_KIND_NAMES[batch.kind[i]!] ?? String(batch.kind[i]),
    side: sideText(batch.side[i]!),
    price: priceText(spec, batch.priceTicks[i]!),
    qty: sizeText(spec, batch.qtyLots[i]!),
    orderId: Number.isNaN(id) ? "" : String(id),
    symbol: spec?.symbol ?? `#${batch.instrument[i]}`,
  };
}

const HEADINGS: Record<keyof RowCells, string> = { row: "row", exchTs: "exchange time (UTC)", recv: "receive delay", kind: "kind", side: "side", price: "price", qty: "qty", orderId: "order id", symbol: "symbol" };
const TEXT_COLUMNS: ReadonlySet<keyof RowCells> = new Set(["exchTs", "kind", "side", "symbol"]);

function columnsFor(batch: TickBatch, rows: RowCells[]): (keyof RowCells)[] {
  const cols: (keyof RowCells)[] = ["row", "exchTs", "recv", "kind", "side", "price", "qty"];
  if (rows.some((r) => r.orderId !== "")) cols.push("orderId");
  if (batch.instruments.length > 1) cols.push("symbol");
  return cols;
}

/**
 * A TickBatch at a glance: rows, instruments (tick and lot size, rows each), event kinds, the
 * exchange-time range, and the first and last rows with readable times, the receive delay, and
 * prices and sizes at the instrument's precision. One pass over the small columns; fast on
 * millions of rows.
 */
export function tickBatchHtml(batch: TickBatch, options: TickBatchViewOptions = {}): string {
  const facts = batchFacts(batch);
  const perInstrument = batch.instruments.length > 1 ? facts.instruments.map((s, k) => (k < facts.rowsPerInstrument.length ? `${s}: ${facts.rowsPerInstrument[k]!.toLocaleString("en-US")} rows` : s)) : facts.instruments;
  const summary = keyValueHtml(
    {
      rows: batch.length,
      instruments: perInstrument.join("; ") || "none",
      kinds: facts.kinds || "–",
      "exchange time": facts.exchange,
      ...(batch.source ? { source: batch.source } : {}),
    },
    `TickBatch · ${plural(batch.length, "row")} · ${plural(batch.instruments.length, "instrument")}`,
  );
  const order = shownRows(batch.length, options.head ?? 5, options.tail ?? 5);
  const cells = order.map((i) => (i === "gap" ? undefined : rowCells(batch, i)));
  const cols = columnsFor(batch, cells.filter((c): c is RowCells => c !== undefined));
  const cls = (c: keyof RowCells): string => (TEXT_COLUMNS.has(c) ? ' class="txt"' : "");
  const head = `<tr>${cols.map((c) => `<th${cls(c)}>${escapeHtml(HEADINGS[c])}</th>`).join("")}</tr>`;
  const body = cells
    .map((r) =>
      r === undefined
        ? `<tr class="gap"><td colspan="${cols.length}" class="txt note">⋯ ${plural(batch.length - order.length + 1, "more row")} ⋯</td></tr>`
        : `<tr>${cols.map((c) => `<td${cls(c)}>${escapeHtml(r[c])}</td>`).join("")}</tr>`,
    )
    .join("");
  const table = batch.length === 0 ? "" : `<table class="slab-ticks"><thead>${head}</thead><tbody>${body}</tbody></table>`;
  const summaryWrap = `<style>.slab .slab-batch-summary td{white-space:normal;overflow-wrap:anywhere;text-align:left;max-width:900px}</style><div class="slab-batch-summary">${summary}</div>`;
  return panel(summaryWrap + table, "slab-tickbatch");
}

/** The same at terminal width: one summary line, then the first and last rows. */
export function tickBatchText(batch: TickBatch, options: TickBatchViewOptions = {}): string {
  const facts = batchFacts(batch);
  const instruments = batch.instruments.map((s) => `${s.symbol}@${s.venue} tick ${s.tickSize}`).join(", ");
  const lines = [`TickBatch ${plural(batch.length, "row")}, ${plural(batch.instruments.length, "instrument")}${instruments ? ` (${instruments})` : ""}${batch.length > 0 ? `, exchange time ${facts.exchange}` : ""}`];
  const order = shownRows(batch.length, options.head ?? 3, options.tail ?? 2);
  const cells = order.map((i) => (i === "gap" ? undefined : rowCells(batch, i)));
  const cols = columnsFor(batch, cells.filter((c): c is RowCells => c !== undefined));
  const headings: Record<keyof RowCells, string> = { ...HEADINGS, exchTs: "exchTs", recv: "delay", orderId: "orderId" };
  const widths = cols.map((c) => Math.max(headings[c].length, ...cells.map((r) => (r ? r[c].length : 0))));
  const pad = (c: keyof RowCells, s: string, w: number): string => (TEXT_COLUMNS.has(c) ? s.padEnd(w) : s.padStart(w));
  if (batch.length > 0) {
    lines.push("  " + cols.map((c, j) => pad(c, headings[c], widths[j]!)).join("  ").trimEnd());
    for (const r of cells) {
      lines.push(r === undefined ? `  ⋯ ${plural(batch.length - order.length + 1, "more row")}` : "  " + cols.map((c, j) => pad(c, r[c], widths[j]!)).join("  ").trimEnd());
    }
  }
  return lines.join("\n");
}

function define(proto: object, key: symbol, value: (this: never, ...args: never[]) => unknown): void {
  Object.defineProperty(proto, key, { value, writable: true, configurable: true, enumerable: false });
}

// Every batch tickBatch() returns shares one class (see src/data/tick-batch.ts), so its prototype
// is reached through an empty batch.
const tickBatchPrototype = Object.getPrototypeOf(tickBatch(allocateColumns(0), [])) as object;
define(tickBatchPrototype, DISPLAY, function (this: TickBatch): MimeBundle {
  return { "text/html": tickBatchHtml(this), "text/plain": tickBatchText(this) };
});
define(tickBatchPrototype, inspect.custom, function (this: TickBatch, depth: number): string {
  return depth < 0 ? `[TickBatch ${plural(this.length, "row")}]` : tickBatchText(this);
});
define(BacktestResult.prototype, DISPLAY, function (this: BacktestResult): MimeBundle {
  return { "text/html": backtestHtml(this), "text/plain": this.toString() };
});
define(DayTable.prototype, DISPLAY, function (this: DayTable): MimeBundle {
  const cols: Record<string, string[]> = {
    day: this.rows.map((r) => r.day),
    pnl: this.rows.map((r) => formatFixed(r.pnl, 2)),
    "max drawdown": this.rows.map((r) => formatFixed(r.maxDrawdown, 2)),
    fills: this.rows.map((r) => formatCount(r.fills)),
    notional: this.rows.map((r) => formatFixed(r.notional, 0)),
    fees: this.rows.map((r) => formatFixed(r.fees, 2)),
  };
  this.instruments.forEach((spec, k) => (cols[`position ${spec.symbol}`] = this.rows.map((r) => formatFixed(r.closingPositions[k] ?? NaN, 0))));
  return { "text/html": panel(tableHtml(cols)), "text/plain": this.toString() };
});
define(OptimizationResult.prototype, DISPLAY, function (this: OptimizationResult): MimeBundle {
  return { "text/html": panel(optimizationHtml(this)), "text/plain": this.toString() };
});

// Books show their ladder; objects made as literals below this layer (quality reports, tear
// sheets) carry a hidden method that asks for these renderers (src/core/display.ts).
define(L2Book.prototype, DISPLAY, function (this: L2Book): MimeBundle {
  return { "text/html": depthLadderHtml(this), "text/plain": `L2Book: best bid ${this.bestBid()} / best ask ${this.bestAsk()} (ticks)` };
});
define(L3Book.prototype, DISPLAY, function (this: L3Book): MimeBundle {
  return { "text/html": l3LadderHtml(this), "text/plain": `L3Book: best bid ${this.bestBid()} / best ask ${this.bestAsk()} (ticks)` };
});
registerDisplay("quality-report", (value) => {
  const r = value as QualityReport;
  const text = `quality report of ${r.source}: ${r.summary.rows.toLocaleString("en-US")} rows, ${r.issues.length} issue class${r.issues.length === 1 ? "" : "es"}${r.issues.length ? ` (${r.issues.map((i) => `${i.class} ${i.count}`).join(", ")})` : ""}; ${r.rejected ? "rejected" : r.ok ? "ok" : "errors found"}`;
  return { "text/html": qualityReportHtml(r), "text/plain": text };
});
registerDisplay("tear-sheet", (value) => {
  const sheet = value as TearSheet;
  return { "text/html": sheet.html({ inlinePlotly: claimPlotlyInline() }), "text/plain": `tear sheet: ${sheet.title} (${sheet.changes.length.toLocaleString("en-US")} periods); ${sheet.verdict.headline}` };
});
