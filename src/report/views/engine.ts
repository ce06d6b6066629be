/**
 * Backtest views as pure HTML: the summary, fills on the price chart, inventory and PnL over time
 * (Observable Plot rendered to inline SVG), plus `show*` wrappers that display them in a notebook.
 * Long series are thinned to at most `maxPoints` points (every k-th sample, always keeping the
 * last), so a million-sample run still renders instantly.
 */
import { formatNs } from "../../core/index.js";
import type { BacktestResult } from "../../engine/index.js";
import { Liquidity } from "../../stats/index.js";
import { plotMarks, plotSvg, utcAxis } from "../charts.js";
import { displayHtml } from "../display.js";
import { escapeHtml, keyValueHtml, panel, tableHtml } from "../html.js";

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

function fmt(x: number, digits = 4): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(digits))) : "n/a";
}

/** Key figures of a run as a two-column table. */
export function backtestSummaryHtml(run: BacktestResult): string {
  const s = run.summary;
  const counts = run.statusCounts();
  const input = run.inputLine();
  return keyValueHtml(
    {
      strategy: `${s.strategy}(${Object.entries(s.params)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(", ")})`,
      instruments: run.instruments.map((i) => `${i.symbol}@${i.venue}`).join(", "),
      period: `${formatNs(s.startTs)} → ${formatNs(s.endTs)}`,
      events: s.events,
      pnl: fmt(s.pnl, 6),
      "realized / unrealized": `${fmt(s.realizedPnl, 6)} / ${fmt(s.unrealizedPnl, 6)}`,
      "fees (− = rebates)": fmt(s.fees, 6),
      trades: s.trades,
      "maker share": Number.isFinite(s.makerShare) ? `${(s.makerShare * 100).toFixed(1)}%` : "n/a",
      "max drawdown": fmt(s.maxDrawdown, 6),
      sharpe: fmt(s.sharpe, 3),
      orders: `${s.orders} (${Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")})`,
      "final position": s.finalPosition.join(" / "),
      settings: `latency ${run.settings.latency} · feed ${run.settings.feedLatency} · queue ${run.settings.queue} · fees ${run.settings.fees} · seed ${run.settings.seed}`,
      halted: s.halted ? "yes (drawdown stop)" : "no",
      ...(input ? { "⚠ input": input.replace(/^input: /, "") } : {}),
      ...(run.diagnostics.warnings.length > 0 ? { "⚠ warnings": run.diagnostics.warnings.join(" ") } : {}),
    },
    "Backtest",
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
    y: { label: `${spec.symbol} price`, grid: true },
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
    y: { label: "equity", grid: true },
    marks: [Plot.areaY(data, { x: "t", y1: "equity", y2: "peak", fill: "#cf222e", fillOpacity: 0.12 }), Plot.line(data, { x: "t", y: "equity", stroke: "#1f2328" })],
  });
}

/** The last `limit` fills as a table. */
export function fillsTableHtml(run: BacktestResult, limit = 20): string {
  const f = run.fills;
  return tableHtml(
    {
      ts: f.ts,
      instrument: Array.from(f.instrument ?? new Uint16Array(f.ts.length), (k) => run.instruments[k]?.symbol ?? String(k)),
      orderId: f.orderId ?? new Float64Array(f.ts.length),
      side: Array.from(f.side, (s) => (s === 1 ? "buy" : "sell")),
      price: f.price,
      qty: f.qty,
      fee: f.fee,
      liquidity: Array.from(f.liquidity, (l) => (l === Liquidity.Maker ? "maker" : "taker")),
    },
    { limit, caption: `Fills (${f.ts.length})` },
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
