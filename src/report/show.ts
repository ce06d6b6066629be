/**
 * `lab.show.*`: notebook display helpers. Each renders HTML and displays it (in a kernel) or
 * prints a text version (elsewhere). They return nothing on purpose: a notebook prints a cell's
 * last value as text, which would repeat the whole HTML. To embed the HTML elsewhere, use the
 * pure builders (`tableHtml`, `plotSvg`, `plotlyHtml`, ...) in `lab.report`.
 */
import { Progress, formatProgressLine, isLabError, type ProgressEvent, type ProgressOptions, type ProgressSink } from "../core/index.js";
import { plotSvg, type PlotOptions } from "./charts.js";
import { displayHtml, newDisplaySlot } from "./display.js";
import { claimPlotlyInline } from "./plotly-display.js";
import { escapeHtml, panel, tableHtml, keyValueHtml, type ColumnLike, type TableOptions, type CellValue } from "./html.js";
import { tearSheet as buildTearSheet, type TearSheet, type TearSheetHtmlOptions, type TearSheetInput } from "./tearsheet.js";
import { BacktestResult } from "../engine/index.js";
import { OptimizationResult } from "../optimize/index.js";
import { reportRun, reportSweep, type RunReportOptions } from "./run-report.js";
import { showBacktest, type BacktestViewOptions } from "./views/engine.js";

// Every display of the package under one name space (`lab.show.*`). The same functions under
// their older names (`lab.report.showDepthLadder`, ...) stay as aliases for one version.
export { showFills as fills, showInventory as inventory, showPnl as pnl } from "./views/engine.js";
export { showDepthLadder as depthLadder, showDepthChart as depthChart, showMicroprice as microprice, showImbalance as imbalance, showBookAt as bookAt, showBookVerify as bookVerify } from "./views/book.js";
export { showL3Level as l3Level, showL3Ladder as l3Ladder } from "./views/l3.js";
export { showQualityReport as qualityReport, showTicks as ticks } from "./views/data.js";
export { showOptimization as optimization } from "./views/optimize.js";
export { showMetrics as metrics, showSharpeInference as sharpeInference, showTrades as trades, showPbo as pbo } from "./views/stats.js";

/** Displays raw HTML (wrapped in the styled container). */
export function html(content: string): void {
  displayHtml(panel(content));
}

type Columnar = Readonly<Record<string, ColumnLike>> | { readonly length: number };

function columnsOf(source: Columnar): Record<string, ColumnLike> {
  const out: Record<string, ColumnLike> = {};
  for (const [key, value] of Object.entries(source)) {
    if (ArrayBuffer.isView(value) || Array.isArray(value)) out[key] = value as ColumnLike;
  }
  return out;
}

/**
 * A table of columns: a record of typed arrays / arrays, or any object whose array-valued fields
 * are columns (a TickBatch, a results table). Shows at most `limit` rows (default 20).
 */
export function table(source: Columnar, options: TableOptions = {}): void {
  html(tableHtml(columnsOf(source), options));
}

/** A two-column table of named values. */
export function summary(entries: Readonly<Record<string, CellValue>>, caption?: string): void {
  html(keyValueHtml(entries, caption));
}

/** An Observable Plot chart rendered to inline SVG. */
export function plot(options: PlotOptions): void {
  html(plotSvg(options));
}

export { claimPlotlyInline, plotlyInit, plotly } from "./plotly-display.js";

/** HTML for a progress event: bar, counts, rate and ETA. */
export function progressHtml(event: ProgressEvent): string {
  const known = Number.isFinite(event.total) && event.total > 0;
  const pct = known ? Math.min(100, (100 * event.done) / event.total) : event.finished ? 100 : 0;
  const line = formatProgressLine(event).replace(/\[[#-]+\]\s*/, "");
  return panel(`<div><span class="bar"><span style="width:${pct.toFixed(1)}%"></span></span> ${escapeHtml(line)}</div>`);
}

/**
 * A progress sink that draws a bar updated in place (one output, rewritten) in a notebook.
 * Pass it wherever a `ProgressSink` is accepted, e.g. `new lab.Progress("replay", lab.show.progress(), { total })`.
 */
export function progress(): ProgressSink {
  const slot = newDisplaySlot();
  return (event) => slot.update(progressHtml(event));
}

/** A `Progress` already wired to a notebook bar. */
export function progressBar(task: string, options: ProgressOptions = {}): Progress {
  return new Progress(task, progress(), options);
}

/** Displays an error with its code and hint (a LabError) or its message (anything else). */
export function error(err: unknown): void {
  if (isLabError(err)) {
    const context = Object.keys(err.context).length ? `<div class="note">${escapeHtml(JSON.stringify(err.context, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)))}</div>` : "";
    html(`<div class="err"><b>${escapeHtml(err.code)}</b>: ${escapeHtml(err.message)}${err.hint ? `<div>hint: ${escapeHtml(err.hint)}</div>` : ""}${context}</div>`);
    return;
  }
  html(`<div class="err">${escapeHtml(err instanceof Error ? err.message : String(err))}</div>`);
}

/**
 * Displays a tear sheet of a run (`lab.backtest`'s result), of an optimization's chosen trial
 * (deflated by the sweep's trial count and Sharpe variance), of the input (`{ equity, fills, mid,
 * trials, ... }`), or a sheet built with `lab.report.tearSheet(...)` / `run.report()`. `options`
 * take the report options (`trials`, `calendar`, `title`, ...) and the HTML ones. Plotly is
 * inlined only if no earlier cell did it.
 */
export function tearSheet(source: TearSheet | TearSheetInput | BacktestResult | OptimizationResult, options: TearSheetHtmlOptions & RunReportOptions = {}): void {
  const { inlinePlotly, width, ...report } = options;
  const sheet =
    source instanceof BacktestResult ? reportRun(source, report)
    : source instanceof OptimizationResult ? reportSweep(source, report)
    : "html" in source && typeof source.html === "function" ? source
    : buildTearSheet(source as TearSheetInput);
  const claimed = claimPlotlyInline();
  const inline = inlinePlotly ?? claimed;
  displayHtml(sheet.html({ inlinePlotly: inline, ...(width !== undefined ? { width } : {}) }));
}

/** The run's summary (with the PSR next to the Sharpe ratio), fills on the price chart, inventory and equity: `lab.report.showBacktest`. */
export function backtest(run: BacktestResult, options: BacktestViewOptions = {}): void {
  showBacktest(run, options);
}
