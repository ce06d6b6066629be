/**
 * L2 book views as pure HTML: a depth ladder (asks above bids, sizes with bars and running
 * totals), a cumulative depth chart, imbalance / microprice time series, the book at a point in
 * time, and a reconstruction check table. Charts are Observable Plot rendered to inline SVG
 * (`plotSvg`). `show*` wrappers display them in a notebook.
 *
 * Prices arrive in ticks; with `instrument` they are shown as decimals (`priceString`, exact),
 * otherwise as ticks. Long series are thinned to at most `maxPoints` samples (every k-th, keeping
 * the last), so a day of features renders instantly.
 */
import type { BookLevelsView as BookLevels, BookTimeline } from "../../book/index.js";
import { formatNs, type InstrumentSpec } from "../../core/index.js";
import { plotMarks, plotSvg, utcAxis } from "../charts.js";
import { displayHtml } from "../display.js";
import { formatPrice, formatPriceTicks, plotlyTickFormat } from "../format.js";
import { escapeHtml, formatCell, keyValueHtml, panel } from "../html.js";

/** What the ladder and depth chart read from a book (L2Book and L3Book both answer it). */
export type BookLevelsView = Pick<BookLevels, "bestBid" | "bestAsk" | "levelCount" | "priceAt" | "qtyAtLevel">;

/** The columns the time-series charts read (a `featureSeries` result has them). */
export interface FeatureColumns {
  length: number;
  levels: number;
  timeNs: BigInt64Array;
  bestBid: Float64Array;
  bestAsk: Float64Array;
  microprice: Float64Array;
  imbalance: Float64Array;
}

export interface BookViewOptions {
  /** Prices shown as decimals with this spec (otherwise ticks). */
  instrument?: InstrumentSpec;
  /** Levels per side. @default 10 */
  levels?: number;
  caption?: string;
  width?: number;
  height?: number;
  /** Most points per time series. @default 3000 */
  maxPoints?: number;
}

const BID_COLOR = "#1a7f37";
const ASK_COLOR = "#cf222e";

/**
 * A price in ticks as text: with the instrument, the decimal price at its tick precision (exact,
 * so a ladder's prices line up: 100.00 above 99.99; a mid between two ticks gets one more
 * decimal); without it, the tick number itself (a grid index, written without separators).
 */
function priceText(ticks: number, spec: InstrumentSpec | undefined): string {
  if (Number.isNaN(ticks)) return "–";
  if (spec) return Number.isInteger(ticks) ? formatPriceTicks(ticks, spec) : formatPrice(ticks * spec.tick, spec);
  return String(ticks);
}

/** Price of ticks as a number for chart axes. */
function priceNumber(ticks: number, spec: InstrumentSpec | undefined): number {
  return spec ? ticks * Number(spec.tickSize) : ticks;
}

interface Level {
  price: number;
  qty: number;
  cumulative: number;
}

function levelsOf(book: BookLevelsView, side: 1 | -1, n: number): Level[] {
  const out: Level[] = [];
  let run = 0;
  const m = Math.min(n, book.levelCount(side));
  for (let k = 0; k < m; k++) {
    const qty = book.qtyAtLevel(side, k);
    run += qty;
    out.push({ price: book.priceAt(side, k), qty, cumulative: run });
  }
  return out;
}

const LADDER_CSS = `<style>
.slab table.ladder td.bid{color:${BID_COLOR}} .slab table.ladder td.ask{color:${ASK_COLOR}}
.slab table.ladder td{white-space:nowrap} .slab table.ladder td.px{font-weight:600;text-align:center}
.slab table.ladder .sz{display:inline-block;height:9px;vertical-align:middle;border-radius:2px;margin:0 4px}
.slab table.ladder tr.touch td{border-bottom:2px solid #8c959f}
</style>`;

/**
 * The depth ladder: asks (best at the bottom of the ask block) above bids (best on top), with
 * size bars scaled to the largest size shown and running totals from the touch outward.
 */
export function depthLadderHtml(book: BookLevelsView, options: BookViewOptions = {}): string {
  const n = options.levels ?? 10;
  const spec = options.instrument;
  const bids = levelsOf(book, 1, n);
  const asks = levelsOf(book, -1, n);
  const maxQty = Math.max(1, ...bids.map((l) => l.qty), ...asks.map((l) => l.qty));
  const bar = (qty: number, color: string) => `<span class="sz" style="width:${Math.max(1, Math.round((qty / maxQty) * 80))}px;background:${color}"></span>`;
  const rows: string[] = [];
  for (let k = asks.length - 1; k >= 0; k--) {
    const l = asks[k]!;
    rows.push(`<tr${k === 0 ? ' class="touch"' : ""}><td></td><td></td><td class="px ask">${escapeHtml(priceText(l.price, spec))}</td><td class="txt ask">${bar(l.qty, ASK_COLOR)}${formatCell(l.qty)}</td><td class="ask">${formatCell(l.cumulative)}</td></tr>`);
  }
  for (const l of bids) {
    rows.push(`<tr><td class="bid">${formatCell(l.cumulative)}</td><td class="bid">${formatCell(l.qty)}${bar(l.qty, BID_COLOR)}</td><td class="px bid">${escapeHtml(priceText(l.price, spec))}</td><td></td><td></td></tr>`);
  }
  const bb = book.bestBid();
  const ba = book.bestAsk();
  const state = bb > ba ? " · CROSSED" : bb === ba ? " · LOCKED" : "";
  const caption = options.caption ?? `Book: ${book.levelCount(1)} bid / ${book.levelCount(-1)} ask levels · spread ${Number.isNaN(ba - bb) ? "–" : priceText(ba - bb, spec)}${state}`;
  const body = rows.length > 0 ? rows.join("") : `<tr><td class="txt" colspan="5">empty book</td></tr>`;
  return `${LADDER_CSS}<table class="ladder"><caption>${escapeHtml(caption)}</caption><thead><tr><th>bid total</th><th>bid size</th><th class="txt" style="text-align:center">price</th><th class="txt">ask size</th><th>ask total</th></tr></thead><tbody>${body}</tbody></table>`;
}

/** Cumulative depth per side as a step chart (bids green to the left, asks red to the right). */
export function depthChartHtml(book: BookLevelsView, options: BookViewOptions = {}): string {
  const Plot = plotMarks();
  const n = options.levels ?? 10;
  const spec = options.instrument;
  const data: { price: number; cumulative: number; side: string }[] = [];
  for (const [side, name] of [[1, "bid"], [-1, "ask"]] as const) {
    const levels = levelsOf(book, side, n);
    // Start each side at zero at its touch so the steps read as "size available up to this price".
    if (levels.length > 0) data.push({ price: priceNumber(levels[0]!.price, spec), cumulative: 0, side: name });
    for (const l of levels) data.push({ price: priceNumber(l.price, spec), cumulative: l.cumulative, side: name });
  }
  return plotSvg({
    width: options.width ?? 640,
    height: options.height ?? 260,
    marginLeft: 60,
    x: { label: spec ? `price (${spec.symbol})` : "price (ticks)", grid: true, tickFormat: spec ? plotlyTickFormat([], { instrument: spec }) : plotlyTickFormat([], { tickSize: 1 }) },
    y: { label: "cumulative size", grid: true },
    color: { domain: ["bid", "ask"], range: [BID_COLOR, ASK_COLOR], legend: true },
    marks: [
      Plot.areaY(data.filter((d) => d.side === "bid"), { x: "price", y: "cumulative", curve: "step-before", fill: BID_COLOR, fillOpacity: 0.15 }),
      Plot.areaY(data.filter((d) => d.side === "ask"), { x: "price", y: "cumulative", curve: "step-after", fill: ASK_COLOR, fillOpacity: 0.15 }),
      Plot.line(data.filter((d) => d.side === "bid"), { x: "price", y: "cumulative", curve: "step-before", stroke: "side" }),
      Plot.line(data.filter((d) => d.side === "ask"), { x: "price", y: "cumulative", curve: "step-after", stroke: "side" }),
      Plot.ruleY([0]),
    ],
  });
}

const nsToDate = (ns: bigint): Date => new Date(Number(ns / 1_000_000n));

function sampleIndexes(n: number, maxPoints: number): number[] {
  const step = Math.max(1, Math.ceil(n / maxPoints));
  const out: number[] = [];
  for (let j = 0; j < n; j += step) out.push(j);
  if (n > 0 && out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

/** Best bid, best ask, mid and microprice over time (prices), from `featureSeries`. */
export function micropriceChartHtml(series: FeatureColumns, options: BookViewOptions = {}): string {
  const Plot = plotMarks();
  const spec = options.instrument;
  const data: { t: Date; value: number; series: string }[] = [];
  for (const j of sampleIndexes(series.length, options.maxPoints ?? 3000)) {
    const t = nsToDate(series.timeNs[j]!);
    for (const [name, col] of [["best bid", series.bestBid], ["best ask", series.bestAsk], ["microprice", series.microprice]] as const) {
      const v = col[j]!;
      if (Number.isFinite(v)) data.push({ t, value: priceNumber(v, spec), series: name });
    }
  }
  return plotSvg({
    width: options.width ?? 820,
    height: options.height ?? 260,
    marginLeft: 60,
    x: utcAxis(series.timeNs),
    y: { label: spec ? `price (${spec.symbol})` : "price (ticks)", grid: true, tickFormat: spec ? plotlyTickFormat([], { instrument: spec }) : plotlyTickFormat([], { tickSize: 1 }) },
    color: { domain: ["best bid", "best ask", "microprice"], range: [BID_COLOR, ASK_COLOR, "#0969da"], legend: true },
    marks: [Plot.line(data, { x: "t", y: "value", z: "series", stroke: "series", curve: "step-after", strokeWidth: 1 })],
  });
}

/** Order-book imbalance over `series.levels` levels, in [−1, 1], over time. */
export function imbalanceChartHtml(series: FeatureColumns, options: BookViewOptions = {}): string {
  const Plot = plotMarks();
  const data: { t: Date; imbalance: number }[] = [];
  for (const j of sampleIndexes(series.length, options.maxPoints ?? 3000)) {
    const v = series.imbalance[j]!;
    if (Number.isFinite(v)) data.push({ t: nsToDate(series.timeNs[j]!), imbalance: v });
  }
  return plotSvg({
    width: options.width ?? 820,
    height: options.height ?? 180,
    marginLeft: 60,
    x: utcAxis(series.timeNs),
    y: { label: `imbalance (${series.levels} level${series.levels === 1 ? "" : "s"})`, domain: [-1, 1], grid: true },
    marks: [Plot.ruleY([0], { stroke: "#8c959f" }), Plot.line(data, { x: "t", y: "imbalance", stroke: "#8250df", strokeWidth: 1 })],
  });
}

/** The book at time t from a timeline: the time, rows applied, touch figures and the ladder. */
export function bookAtTimeHtml(timeline: BookTimeline, t: bigint, options: BookViewOptions = {}): string {
  const rows = timeline.rowsAt(t);
  const book = timeline.afterRows(rows);
  const spec = options.instrument;
  const bb = book.bestBid(), ba = book.bestAsk(), bq = book.bestBidQty(), aq = book.bestAskQty();
  const micro = (bb * aq + ba * bq) / (bq + aq);
  const lastRowTime = rows > 0 ? formatNs(timeline.batch.exchTs[rows - 1]!) : "–";
  const head = keyValueHtml(
    {
      "asked for": formatNs(t),
      "rows applied": rows,
      "last row at": lastRowTime,
      "best bid": `${priceText(bb, spec)} × ${formatCell(bq)}`,
      "best ask": `${priceText(ba, spec)} × ${formatCell(aq)}`,
      microprice: priceText(micro, spec),
    },
    `Book at ${formatNs(t)}`,
  );
  return `<div style="display:flex;gap:24px;align-items:flex-start">${head}${depthLadderHtml(book, { ...options, caption: options.caption ?? `Top ${options.levels ?? 10} levels` })}</div>`;
}

/** A reconstruction check ({rows, compared, mismatches, firstMismatch, notComparable}) as a table with a verdict. */
export function bookVerifyHtml(report: { rows: number; compared: number; mismatches: number; firstMismatch: unknown; notComparable: number; levels?: number }, caption = "Book reconstruction check"): string {
  const verdict = report.mismatches === 0 ? `<div class="ok">0 mismatches over ${formatCell(report.rows)} rows</div>` : `<div class="err">${formatCell(report.mismatches)} mismatches; first: ${escapeHtml(JSON.stringify(report.firstMismatch))}</div>`;
  const entries: Record<string, string | number> = { rows: report.rows, "cells compared": report.compared, mismatches: report.mismatches, "not comparable (entered the window from beyond it)": report.notComparable };
  if (report.levels !== undefined) entries.levels = report.levels;
  entries["first mismatch"] = report.firstMismatch === null || report.firstMismatch === undefined ? "none" : JSON.stringify(report.firstMismatch);
  return keyValueHtml(entries, caption) + verdict;
}

export function showDepthLadder(book: BookLevelsView, options: BookViewOptions = {}): void {
  displayHtml(panel(depthLadderHtml(book, options)));
}

export function showDepthChart(book: BookLevelsView, options: BookViewOptions = {}): void {
  displayHtml(panel(depthChartHtml(book, options)));
}

export function showMicroprice(series: FeatureColumns, options: BookViewOptions = {}): void {
  displayHtml(panel(micropriceChartHtml(series, options)));
}

export function showImbalance(series: FeatureColumns, options: BookViewOptions = {}): void {
  displayHtml(panel(imbalanceChartHtml(series, options)));
}

export function showBookAt(timeline: BookTimeline, t: bigint, options: BookViewOptions = {}): void {
  displayHtml(panel(bookAtTimeHtml(timeline, t, options)));
}

export function showBookVerify(report: Parameters<typeof bookVerifyHtml>[0], caption?: string): void {
  displayHtml(panel(bookVerifyHtml(report, caption)));
}
