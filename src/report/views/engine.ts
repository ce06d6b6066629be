/**
 * Backtest views as pure HTML: the summary, fills on the price chart, inventory and PnL over time
 * (Observable Plot rendered to inline SVG), plus `show*` wrappers that display them in a notebook.
 * Long series are thinned to at most `maxPoints` points (every k-th sample, always keeping the
 * last), so a million-sample run still renders instantly.
 */
import { formatNs } from "../../core/index.js";
import type { BacktestResult } from "../../engine/index.js";
import { Liquidity, countedChanges, equityGrid, sessionPeriods, sharpeInference } from "../../stats/index.js";
import { plotMarks, plotSvg, utcAxis } from "../charts.js";
import { displayHtml } from "../display.js";
import { formatCount, formatLots, formatMoney, formatPct, formatPrice, formatQty, formatRatio, plotlyTickFormat } from "../format.js";
import { escapeHtml, keyValueHtml, panel, tableHtml } from "../html.js";
import { annualizationOf, calendarOf, periodsPerYearOf, spanText } from "../../core/index.js";

export interface BacktestViewOptions {
  /** Instrument index for price/inventory charts. @default 0 */
  instrument?: number;
  /** Most points per series. @default 4000 */
  maxPoints?: number;
  width?: number;
  height?: number;
}

const nsToDate = (ns: bigint): Date => new Date(Number(ns / 1_000_000n));

function strideOf(n: number, maxPoints: number): number {
  return Math.max(1, Math.ceil(n / maxPoints));
}

/**
 * Probabilistic Sharpe ratio (vs 0) of the run's PnL per grid period: the same series and Sharpe
 * ratio as the summary's (src/stats/equity.ts), so the two sit side by side.
 */
export function runPsr(run: BacktestResult): number {
  const grid = equityGrid(run.equity.ts, run.equity.equity, run.settings.equityIntervalNs);
  const hours = calendarOf(run.instruments.map((i) => i.venue)).tradingHours;
  const counted = grid.times.length > 0 ? sessionPeriods(grid.times[0]!, grid.intervalNs, grid.values.length, hours) : undefined;
  return sharpeInference(countedChanges(grid.values, counted)).values.probabilisticSharpe;
}

/**
 * The summary's Sharpe ratio as rows: annualized by the venues' trading calendar and per day for
 * a run of one session or more (core/session.ts), per equity-grid period for a shorter one, where
 * √(periods per year) would multiply seconds of noise into a five-digit figure; the PSR beside it
 * and the convention under it.
 */
function sharpeRows(run: BacktestResult): Record<string, string> {
  const s = run.summary;
  const interval = run.settings.equityIntervalNs;
  const spanNs = Number(s.endTs - s.startTs);
  const venues = run.instruments.map((i) => i.venue);
  const ppy = periodsPerYearOf(calendarOf(venues), interval);
  const a = annualizationOf(spanNs, interval > 0 ? spanNs / interval : 0, ppy, venues);
  const psr = runPsr(run);
  const psrText = Number.isFinite(psr) ? psr.toFixed(3) : "n/a";
  if (a.annualized) return { "sharpe (annualized)": formatRatio(s.sharpe), "sharpe per day": formatRatio(s.sharpePerDay), "probabilistic sharpe (vs 0)": psrText, "sharpe convention": s.sharpeConvention };
  return { [`sharpe (per ${spanText(interval)}, not annualized)`]: Number.isFinite(s.sharpePerPeriod) ? formatRatio(s.sharpePerPeriod, 4) : "n/a", "probabilistic sharpe (vs 0)": psrText };
}

/** Key figures of a run as a two-column table. */
export function backtestSummaryHtml(run: BacktestResult): string {
  const s = run.summary;
  const counts = run.statusCounts();
  const input = run.inputLine();
  const currency = run.instruments.length > 0 && run.instruments.every((i) => i.currency === run.instruments[0]!.currency) ? run.instruments[0]!.currency : undefined;
  const money = (x: number): string => formatMoney(x, currency);
  return keyValueHtml(
    {
      strategy: `${s.strategy}(${Object.entries(s.params)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(", ")})`,
      instruments: run.instruments.map((i) => `${i.symbol}@${i.venue}`).join(", "),
      period: `${formatNs(s.startTs)} → ${formatNs(s.endTs)} (${spanText(Number(s.endTs - s.startTs))})`,
      events: formatCount(s.events),
      pnl: money(s.pnl),
      "realized / unrealized": `${money(s.realizedPnl)} / ${money(s.unrealizedPnl)}`,
      "fees (− = rebates)": money(s.fees),
      trades: formatCount(s.trades),
      "maker share": formatPct(s.makerShare),
      "max drawdown": money(s.maxDrawdown),
      ...sharpeRows(run),
      orders: `${formatCount(s.orders)} (${Object.entries(counts)
        .map(([k, v]) => `${k} ${formatCount(v)}`)
        .join(", ")})`,
      "final position": s.finalPosition.map((lots, k) => { const spec = run.instruments[k]; return spec ? `${formatLots(lots, spec)} ${spec.symbol} (${formatCount(lots)} lot${lots === 1 || lots === -1 ? "" : "s"})` : formatCount(lots); }).join(" / "),
      settings: `latency ${run.settings.latency} · feed ${run.settings.feedLatency} · queue ${run.settings.queue} · fees ${run.settings.fees} · seed ${run.settings.seed}`,
      halted: s.halted ? "yes (drawdown stop)" : "no",
      ...(input ? { "⚠ input": input.replace(/^input: /, "") } : {}),
      ...(run.diagnostics.warnings.length > 0 ? { "⚠ warnings": run.diagnostics.warnings.join(" ") } : {}),
    },
    "Backtest",
    { cellClass: { strategy: "wide", settings: "wide", "sharpe convention": "wide", "⚠ input": "wide", "⚠ warnings": "wide", "final position": "nowrap", "realized / unrealized": "nowrap" } },
  );
}

/** Mid price with the run's fills on it: buys ▲ green, sells ▼ red; hollow = maker, filled = taker. */
export function fillsChartHtml(run: BacktestResult, options: BacktestViewOptions = {}): string {
  const Plot = plotMarks();
  const k = options.instrument ?? 0;
  const maxPoints = options.maxPoints ?? 4000;
  const mid = run.mids[k]!;
  const line: { t: Date; mid: number }[] = [];
  const step = strideOf(mid.ts.length, maxPoints);
  for (let j = 0; j < mid.ts.length; j += step) if (Number.isFinite(mid.mid[j]!)) line.push({ t: nsToDate(mid.ts[j]!), mid: mid.mid[j]! });
  const fills: { t: Date; price: number; side: string; liquidity: string }[] = [];
  const f = run.fills;
  const n = f.ts.length;
  const fillStep = strideOf(n, maxPoints);
  for (let j = 0; j < n; j += fillStep) {
    if ((f.instrument?.[j] ?? 0) !== k) continue;
    fills.push({ t: nsToDate(f.ts[j]!), price: f.price[j]!, side: f.side[j] === 1 ? "buy" : "sell", liquidity: f.liquidity[j] === Liquidity.Maker ? "maker" : "taker" });
  }
  const spec = run.instruments[k]!;
  return plotSvg({
    width: options.width ?? 820,
    height: options.height ?? 300,
    marginLeft: 60,
    x: utcAxis(mid.ts),
    y: { label: `${spec.symbol} price`, grid: true, tickFormat: plotlyTickFormat([], { instrument: spec }) },
    color: { domain: ["buy", "sell"], range: ["#1a7f37", "#cf222e"], legend: true },
    marks: [
      Plot.line(line, { x: "t", y: "mid", stroke: "#8c959f", strokeWidth: 1 }),
      Plot.dot(fills, { x: "t", y: "price", symbol: (d: { side: string }) => (d.side === "buy" ? "triangle" : "triangle2"), stroke: "side", fill: (d: { side: string; liquidity: string }) => (d.liquidity === "taker" ? d.side : "white"), r: 3.5 }),
    ],
  });
}

/** Position in lots over time (step line). */
export function inventoryChartHtml(run: BacktestResult, options: BacktestViewOptions = {}): string {
  const Plot = plotMarks();
  const k = options.instrument ?? 0;
  const pos = run.positions[k]!;
  const ts = run.equity.ts;
  const step = strideOf(ts.length, options.maxPoints ?? 4000);
  const data: { t: Date; position: number }[] = [];
  for (let j = 0; j < ts.length; j += step) data.push({ t: nsToDate(ts[j]!), position: pos[j]! });
  if (ts.length > 0 && (ts.length - 1) % step !== 0) data.push({ t: nsToDate(ts[ts.length - 1]!), position: pos[ts.length - 1]! });
  return plotSvg({
    width: options.width ?? 820,
    height: options.height ?? 180,
    marginLeft: 60,
    x: utcAxis(ts),
    y: { label: `${run.instruments[k]!.symbol} position (lots)`, grid: true },
    marks: [Plot.ruleY([0], { stroke: "#d8dee4" }), Plot.line(data, { x: "t", y: "position", curve: "step-after", stroke: "#0969da" })],
  });
}

/** Equity (cash + position value, fees included) over time, with the running peak. */
export function pnlChartHtml(run: BacktestResult, options: BacktestViewOptions = {}): string {
  const Plot = plotMarks();
  const ts = run.equity.ts;
  const eq = run.equity.equity;
  const step = strideOf(ts.length, options.maxPoints ?? 4000);
  const data: { t: Date; equity: number; peak: number }[] = [];
  let peak = -Infinity;
  for (let j = 0; j < ts.length; j++) {
    if (eq[j]! > peak) peak = eq[j]!;
    if (j % step === 0 || j === ts.length - 1) data.push({ t: nsToDate(ts[j]!), equity: eq[j]!, peak });
  }
  return plotSvg({
    width: options.width ?? 820,
    height: options.height ?? 220,
    marginLeft: 60,
    x: utcAxis(ts),
    y: { label: "equity", grid: true, tickFormat: plotlyTickFormat(data.map((d) => d.equity)) },
    marks: [Plot.areaY(data, { x: "t", y1: "equity", y2: "peak", fill: "#cf222e", fillOpacity: 0.12 }), Plot.line(data, { x: "t", y: "equity", stroke: "#1f2328" })],
  });
}

/** The first `limit` fills as a table: prices at the tick precision, sizes at the lot precision, fees as money. */
export function fillsTableHtml(run: BacktestResult, limit = 20): string {
  const f = run.fills;
  const n = Math.min(limit, f.ts.length);
  const specOf = (j: number) => run.instruments[f.instrument?.[j] ?? 0];
  const rows = Array.from({ length: n }, (_, j) => j);
  return (
    tableHtml(
      {
        ts: f.ts.subarray(0, n),
        instrument: rows.map((j) => specOf(j)?.symbol ?? String(f.instrument?.[j] ?? 0)),
        orderId: rows.map((j) => formatCount(f.orderId?.[j] ?? NaN)),
        side: rows.map((j) => (f.side[j] === 1 ? "buy" : "sell")),
        price: rows.map((j) => formatPrice(f.price[j]!, specOf(j))),
        qty: rows.map((j) => formatQty(f.qty[j]!, specOf(j))),
        fee: rows.map((j) => formatMoney(f.fee[j]!)),
        liquidity: rows.map((j) => (f.liquidity[j] === Liquidity.Maker ? "maker" : "taker")),
      },
      { limit: n, caption: `Fills (${formatCount(f.ts.length)})` },
    ) + (f.ts.length > n ? `<div class="note">showing ${formatCount(n)} of ${formatCount(f.ts.length)} fills</div>` : "")
  );
}

/** Summary, fills on price, inventory and PnL in one panel. */
export function backtestHtml(run: BacktestResult, options: BacktestViewOptions = {}): string {
  const parts = [backtestSummaryHtml(run)];
  if (run.equity.ts.length > 1) {
    parts.push(`<div class="note">${escapeHtml("Price and fills")}</div>`, fillsChartHtml(run, options));
    parts.push(`<div class="note">${escapeHtml("Inventory")}</div>`, inventoryChartHtml(run, options));
    parts.push(`<div class="note">${escapeHtml("Equity (shaded: drawdown from the running peak)")}</div>`, pnlChartHtml(run, options));
  }
  return panel(parts.join("\n"));
}

export function showBacktest(run: BacktestResult, options: BacktestViewOptions = {}): void {
  displayHtml(backtestHtml(run, options));
}

export function showFills(run: BacktestResult, options: BacktestViewOptions = {}): void {
  displayHtml(panel(fillsChartHtml(run, options) + fillsTableHtml(run)));
}

export function showInventory(run: BacktestResult, options: BacktestViewOptions = {}): void {
  displayHtml(panel(inventoryChartHtml(run, options)));
}

export function showPnl(run: BacktestResult, options: BacktestViewOptions = {}): void {
  displayHtml(panel(pnlChartHtml(run, options)));
}
