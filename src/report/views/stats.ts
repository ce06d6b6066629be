/**
 * Statistics views as pure HTML: metrics with the reasons for undefined values, the Sharpe
 * tests, trade analytics and PBO, plus `show*` wrappers for notebooks.
 */
import {
  METRICS,
  type MetricDefinition,
  type MetricsReport,
  type PboResult,
  type SharpeInference,
  type TradeReport,
} from "../../stats/index.js";
import { plotMarks, plotSvg } from "../charts.js";
import { displayHtml } from "../display.js";
import { formatBp, formatCount, formatMoney, formatNumber, formatPct, groupDigitsIn } from "../format.js";
import { escapeHtml, panel } from "../html.js";

function num(x: number, digits = 4): string {
  return Number.isFinite(x) ? formatNumber(x, digits) : "n/a";
}

const pct = (x: number): string => formatPct(x);
/** A horizon given in ns, in ms below a second ("100 ms"), else in seconds ("10 s"). */
export const horizon = (ns: number): string => (ns >= 1e9 ? `${ns / 1e9} s` : `${ns / 1e6} ms`);

function rowsHtml(rows: readonly (readonly [string, string, string?])[], caption: string): string {
  const body = rows.map(([k, v, note]) => `<tr><th class="txt">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td><td class="txt note">${note ? escapeHtml(note) : ""}</td></tr>`).join("");
  return `<table><caption>${escapeHtml(caption)}</caption><tbody>${body}</tbody></table>`;
}

/** Registry metrics that are returns per period: basis points, readable at any period length. */
const PER_PERIOD_RETURNS = new Set(["valueAtRisk", "conditionalValueAtRisk", "averageWin", "averageLoss"]);
const COUNTS = new Set(["longestDrawdown"]);

/**
 * A registry metric's value as the views show it: the registry's format with thousands
 * separators, except returns per period in basis points (-0.000% would hide a 100 ms VaR) and
 * counts as counts (src/report/format.ts).
 */
export function metricText(metric: Pick<MetricDefinition, "key" | "format">, value: number): string {
  if (!Number.isFinite(value)) return metric.format(value);
  if (PER_PERIOD_RETURNS.has(metric.key)) return formatBp(value);
  if (COUNTS.has(metric.key)) return formatCount(value);
  return groupDigitsIn(metric.format(value));
}

/** Every registry metric with its formatted value and, for NaN values, the reason. */
export function metricsHtml(report: MetricsReport, caption = "Returns and risk"): string {
  const rows: [string, string, string?][] = [];
  for (const m of METRICS) {
    const v = report.values[m.key];
    if (v === undefined) continue;
    rows.push([m.title, metricText(m, v), report.reasons[m.key]]);
  }
  return rowsHtml(rows, `${caption} (${formatCount(report.periods)} periods, ${num(report.periodsPerYear)} per year)`);
}

/** PSR, DSR, minimum track record and standard error, with reasons. */
export function sharpeInferenceHtml(inference: SharpeInference, caption = "Is the Sharpe ratio real?"): string {
  const v = inference.values;
  const r = inference.reasons;
  const p = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : "n/a");
  return rowsHtml(
    [
      ["Sharpe ratio per period", num(v.sharpePerPeriod), r.sharpePerPeriod],
      ["Probabilistic Sharpe (vs 0)", p(v.probabilisticSharpe), r.probabilisticSharpe],
      ["Deflated Sharpe", p(v.deflatedSharpe), r.deflatedSharpe ?? (inference.trials ? `${inference.trials.count} trials, SR₀ = ${num(v.expectedMaxSharpe)} per period` : undefined)],
      ["Minimum track record (periods)", Number.isFinite(v.minTrackRecordLength) ? Math.ceil(v.minTrackRecordLength).toLocaleString("en-US") : "n/a", r.minTrackRecordLength],
      ["Sharpe standard error (annualized, Lo 2002)", num(v.sharpeStandardErrorAnnualized), r.sharpeStandardError],
      ["Skewness", num(v.skewness), r.skewness],
      ["Kurtosis (raw, normal = 3)", num(v.kurtosisRaw), r.kurtosisRaw],
    ],
    caption,
  );
}

/** Trade analytics: counts, maker/taker, fees, fill ratio, round trips, adverse selection, inventory. */
export function tradesHtml(report: TradeReport): string {
  const s = report.summary;
  const rt = s.roundTrips;
  const r = report.reasons;
  const left = rowsHtml(
    [
      ["Fills (buys / sells)", `${formatCount(s.fills)} (${formatCount(s.buys)} / ${formatCount(s.sells)})`],
      ["Fill ratio", pct(s.fillRatio), r.fillRatio ?? (Number.isFinite(s.orders) ? `${formatCount(s.orders)} orders` : undefined)],
      ["Maker share (quantity)", pct(s.makerShare), `${formatCount(s.makerFills)} maker / ${formatCount(s.takerFills)} taker fills`],
      ["Fees net (− = rebates)", formatMoney(s.fees), `paid ${formatMoney(s.feesPaid)}, rebates ${formatMoney(s.rebates)}`],
      ["Volume / notional", `${num(s.volume)} / ${formatMoney(s.notional)}`, Number.isFinite(s.notionalPerDay) ? `turnover ${formatMoney(s.notionalPerDay)} per day` : undefined],
      ["Adverse selection (maker)", Number.isFinite(s.adverseSelectionBp) ? `${num(s.adverseSelectionBp, 3)} bp` : "n/a", r.adverseSelectionBp ?? `${horizon(s.adverseSelectionHorizonNs)} after the fill; ${pct(s.adverseShare)} of maker fills moved against`],
    ],
    "Trading",
  );
  const right = rowsHtml(
    [
      ["Round trips (FIFO)", formatCount(rt.count)],
      ["Net PnL (gross)", `${formatMoney(rt.netPnl)} (${formatMoney(rt.grossPnl)})`],
      ["Win rate", pct(rt.winRate)],
      ["Average win / loss", `${formatMoney(rt.averageWin)} / ${formatMoney(rt.averageLoss)}`],
      ["Profit factor", num(rt.profitFactor, 3)],
      ["Average holding", Number.isFinite(rt.averageHoldingNs) ? `${num(rt.averageHoldingNs / 1e9, 4)} s` : "n/a"],
      ["Inventory max long / short", `${num(s.inventory.maxLong)} / ${num(s.inventory.maxShort)}`],
      ["Inventory mean |position|, time flat", `${num(s.inventory.meanAbsolute)}, ${pct(s.inventory.flatShare)}`],
    ],
    "Round trips and inventory",
  );
  let markouts = "";
  const m = report.markouts;
  if (m) {
    const head = m.horizonsNs.map((h) => `<th>${escapeHtml(horizon(h))}</th>`).join("");
    const line = (name: string, values: Float64Array): string => `<tr><th class="txt">${escapeHtml(name)}</th>${Array.from(values, (v) => `<td>${escapeHtml(num(v, 3))}</td>`).join("")}</tr>`;
    markouts = `<table><caption>Markouts (bp of mid, signed by side)</caption><thead><tr><th></th>${head}</tr></thead><tbody>${line("all", m.all)}${line("buys", m.buy)}${line("sells", m.sell)}${line("maker", m.maker)}${line("taker", m.taker)}${line("edge vs fill price", m.edge)}<tr><th class="txt">fills</th>${Array.from(m.counts, (c) => `<td>${formatCount(c)}</td>`).join("")}</tr></tbody></table>`;
  }
  return `<div class="slab-cols" style="display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start"><div>${left}</div><div>${right}</div><div>${markouts}</div></div>`;
}

/** PBO result: the figure, the split count and the histogram of logits. */
export function pboHtml(result: PboResult, options: { width?: number } = {}): string {
  if (Number.isNaN(result.pbo)) return `<div class="warn">PBO is undefined for this matrix.</div>`;
  const level = result.pbo < 0.25 ? "ok" : result.pbo < 0.5 ? "warn" : "err";
  const words = result.pbo < 0.25 ? "the in-sample winner usually stays above the median out of sample" : result.pbo < 0.5 ? "the in-sample winner often falls below the median out of sample" : "the selection is overfit: the in-sample winner usually lands at or below the median out of sample";
  const Plot = plotMarks();
  const data = Array.from(result.logits, (l) => ({ logit: l }));
  const chart = plotSvg({
    width: options.width ?? 640,
    height: 180,
    x: { label: "logit λ of the in-sample winner's out-of-sample rank" },
    y: { label: "splits", grid: true },
    marks: [Plot.rectY(data, { ...Plot.binX({ y: "count" }, { x: "logit", thresholds: 30 }), fill: "#8250df" }), Plot.ruleX([0], { stroke: "#cf222e" })],
  });
  return `<div class="${level}"><b>PBO ${result.pbo.toFixed(2)}</b>: ${escapeHtml(words)} (${result.logits.length.toLocaleString("en-US")} splits, ${result.trials} trials).</div>${chart}`;
}

export function showMetrics(report: MetricsReport): void {
  displayHtml(panel(metricsHtml(report)));
}

export function showSharpeInference(inference: SharpeInference): void {
  displayHtml(panel(sharpeInferenceHtml(inference)));
}

export function showTrades(report: TradeReport): void {
  displayHtml(panel(tradesHtml(report)));
}

export function showPbo(result: PboResult): void {
  displayHtml(panel(pboHtml(result)));
}
