/**
 * Optimization views: a heatmap over two parameters, parallel coordinates (Plotly) or a scatter
 * for the others, the best trial, and the walk-forward report (in-sample vs out-of-sample per
 * window, stitched out-of-sample equity). Pure functions returning HTML strings, testable without
 * a kernel; `showOptimization(result)` displays the usual set in a notebook.
 *
 * Cells of the heatmap show the best value over the other parameters (in the objective's
 * direction) among trials that are not failed; infeasible trials count only when
 * `includeInfeasible` is set, so a cell is empty when no feasible trial landed in it.
 */
import type { OptimizationResult, TrialRecord } from "../../optimize/index.js";
import { plotMarks, plotSvg, plotlyHtml } from "../charts.js";
import { displayHtml } from "../display.js";
import { plotly } from "../plotly-display.js";
import { escapeHtml, formatCell, keyValueHtml, panel, tableHtml, type CellValue } from "../html.js";

export interface OptimizeViewOptions {
  /** Value to show: "objective" or a metric key. @default "objective" */
  metric?: string;
  /** Walk-forward window. @default the last */
  window?: number;
  /** Count infeasible trials in heatmap cells and scatters. @default false */
  includeInfeasible?: boolean;
  /** Chart width in px. @default 640 */
  width?: number;
}

function valueOf(t: TrialRecord, metric: string): number {
  return metric === "objective" ? t.objective : t.metrics[metric] ?? NaN;
}

function usable(t: TrialRecord, o: OptimizeViewOptions): boolean {
  return t.status === "ok" || (o.includeInfeasible === true && t.status === "infeasible");
}

function windowOf(result: OptimizationResult, o: OptimizeViewOptions): number {
  return o.window ?? result.windows.length - 1;
}

function note(text: string): string {
  return `<div class="note">${escapeHtml(text)}</div>`;
}

/** Sorted distinct values of a parameter (numbers ascending, others in first-seen order). */
function axisValues(trials: readonly TrialRecord[], name: string): (string | number | boolean)[] {
  const seen: (string | number | boolean)[] = [];
  for (const t of trials) {
    const v = t.params[name];
    if (v !== undefined && !seen.includes(v)) seen.push(v);
  }
  return seen.every((v) => typeof v === "number") ? (seen as number[]).sort((a, b) => a - b) : seen;
}

/** Heatmap of `metric` over parameters `x` and `y` (default: the first two searched). */
export function optimizeHeatmapHtml(result: OptimizationResult, x?: string, y?: string, options: OptimizeViewOptions = {}): string {
  const [px, py] = [x ?? result.paramNames[0], y ?? result.paramNames[1]];
  if (px === undefined || py === undefined) return note("a heatmap needs two searched parameters");
  for (const p of [px, py]) if (!result.paramNames.includes(p)) return note(`"${p}" is not a searched parameter (searched: ${result.paramNames.join(", ")})`);
  const metric = options.metric ?? "objective";
  const trials = result.windowTrials(windowOf(result, options));
  const better = result.objective.direction === "maximize" || metric !== "objective" ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  const cells = new Map<string, { x: string; y: string; value: number; trial: number }>();
  for (const t of trials) {
    if (!usable(t, options)) continue;
    const v = valueOf(t, metric);
    if (!Number.isFinite(v)) continue;
    const key = `${String(t.params[px])}\u0000${String(t.params[py])}`;
    const cur = cells.get(key);
    if (cur === undefined || better(v, cur.value)) cells.set(key, { x: String(t.params[px]), y: String(t.params[py]), value: v + 0 /* no "-0" labels */, trial: t.index });
  }
  const data = [...cells.values()];
  if (data.length === 0) return note(`no feasible trial has a finite ${metric}`);
  const Plot = plotMarks();
  const xs = axisValues(trials, px).map(String);
  const ys = axisValues(trials, py).map(String);
  const width = options.width ?? 640;
  const chart = plotSvg({
    width,
    height: Math.max(160, Math.min(640, 40 + ys.length * 28)),
    marginLeft: 70,
    padding: 0.05,
    x: { label: px, domain: xs, type: "band" },
    y: { label: py, domain: ys, type: "band", reverse: true },
    color: { type: "linear", scheme: "RdYlGn", reverse: result.objective.direction === "minimize" && metric === "objective", label: metric },
    marks: [
      Plot.cell(data, { x: "x", y: "y", fill: "value", title: (d: { x: string; y: string; value: number; trial: number }) => `${px}=${d.x} ${py}=${d.y}\n${metric} ${formatCell(d.value, 4)} (trial ${d.trial})` }),
      ...(xs.length * ys.length <= 400 ? [Plot.text(data, { x: "x", y: "y", text: (d: { value: number }) => formatCell(d.value, 3), fontSize: 9 })] : []),
    ],
  });
  const others = result.paramNames.filter((n) => n !== px && n !== py);
  // No colour legend: Plot draws continuous legends on a canvas, which server-side rendering lacks; the range is in the caption.
  const lo = Math.min(...data.map((d) => d.value));
  const hi = Math.max(...data.map((d) => d.value));
  const caption = `${metric} by ${px} × ${py}${others.length ? ` (best over ${others.join(", ")})` : ""} · ${data.length} of ${xs.length * ys.length} cells · red ${formatCell(lo, 4)} … green ${formatCell(hi, 4)}`;
  return `<div><div class="note">${escapeHtml(caption)}</div>${chart}</div>`;
}

/** Plotly data and layout of the parallel-coordinates chart, or a note when nothing can be drawn. */
export function optimizeParallelSpec(result: OptimizationResult, options: OptimizeViewOptions = {}): { data: Record<string, unknown>[]; layout: Record<string, unknown> } | string {
  const metric = options.metric ?? "objective";
  const trials = result.windowTrials(windowOf(result, options)).filter((t) => usable(t, options) && Number.isFinite(valueOf(t, metric)));
  if (trials.length === 0) return note(`no feasible trial has a finite ${metric}`);
  const dimensions: Record<string, unknown>[] = result.paramNames.map((name) => {
    const values = trials.map((t) => t.params[name]);
    if (values.every((v) => typeof v === "number")) return { label: name, values };
    const levels = axisValues(trials, name);
    return { label: name, values: values.map((v) => levels.indexOf(v!)), tickvals: levels.map((_, i) => i), ticktext: levels.map(String) };
  });
  const colors = trials.map((t) => valueOf(t, metric));
  dimensions.push({ label: metric, values: colors });
  return {
    data: [{ type: "parcoords", line: { color: colors, colorscale: "RdYlGn", reversescale: result.objective.direction === "minimize" && metric === "objective", showscale: true }, dimensions }],
    layout: { margin: { l: 60, r: 60, t: 40, b: 20 }, height: 380 },
  };
}

/** Parallel coordinates of all searched parameters and `metric` (Plotly, library inlined unless `inline: false`). */
export function optimizeParallelHtml(result: OptimizationResult, options: OptimizeViewOptions & { inline?: boolean } = {}): string {
  const spec = optimizeParallelSpec(result, options);
  if (typeof spec === "string") return spec;
  return plotlyHtml(spec.data, spec.layout, { inline: options.inline ?? true, height: 380 });
}

/** `metric` against one parameter, one dot per trial (feasible filled, infeasible hollow when included). */
export function optimizeScatterHtml(result: OptimizationResult, param?: string, options: OptimizeViewOptions = {}): string {
  const p = param ?? result.paramNames[0];
  if (p === undefined) return note("no searched parameter");
  const metric = options.metric ?? "objective";
  const rows = result
    .windowTrials(windowOf(result, options))
    .filter((t) => usable(t, options) && Number.isFinite(valueOf(t, metric)))
    .map((t) => ({ x: t.params[p], value: valueOf(t, metric), status: t.status, trial: t.index }));
  if (rows.length === 0) return note(`no feasible trial has a finite ${metric}`);
  const Plot = plotMarks();
  const numeric = rows.every((r) => typeof r.x === "number");
  return plotSvg({
    width: options.width ?? 640,
    height: 300,
    grid: true,
    x: numeric ? { label: p } : { label: p, type: "point" },
    y: { label: metric },
    marks: [Plot.dot(rows, { x: "x", y: "value", stroke: "steelblue", fill: (d: { status: string }) => (d.status === "ok" ? "steelblue" : "none"), title: (d: { trial: number; value: number }) => `trial ${d.trial}: ${formatCell(d.value, 4)}` })],
  });
}

/** The best trial: parameters, objective and metrics. */
export function bestTrialHtml(result: OptimizationResult, options: OptimizeViewOptions = {}): string {
  const w = result.windows[windowOf(result, options)];
  const best = w?.best;
  if (!best) return note("no feasible trial");
  const entries: Record<string, CellValue> = { trial: best.index, [`${result.objective.name} (${result.objective.direction})`]: best.objective };
  for (const n of result.paramNames) entries[n] = best.params[n] as CellValue;
  for (const [k, v] of Object.entries(best.metrics)) if (!(k in entries)) entries[k] = v;
  entries.events = best.events;
  return keyValueHtml(entries, `Best of ${w.trials} trials${result.walkForward ? ` (window ${w.index}, in-sample)` : ""}`);
}

/** Walk-forward: per window the chosen params, IS vs OOS objective and degradation; stitched OOS equity. */
export function walkForwardHtml(result: OptimizationResult, options: { width?: number } = {}): string {
  if (!result.walkForward) return note("not a walk-forward run");
  const ws = result.windows;
  const table = tableHtml(
    {
      window: ws.map((w) => w.index),
      oosStartTs: ws.map((w) => w.oosStartNs ?? null),
      oosEndTs: ws.map((w) => w.oosEndNs ?? null),
      params: ws.map((w) => (w.best ? result.paramNames.map((n) => `${n}=${String(w.best!.params[n])}`).join(", ") : "none feasible")),
      trials: ws.map((w) => w.trials),
      [`IS ${result.objective.name}`]: ws.map((w) => w.isObjective),
      [`OOS ${result.objective.name}`]: ws.map((w) => w.oosObjective),
      degradation: ws.map((w) => w.degradation),
      efficiency: ws.map((w) => w.efficiency),
    },
    { caption: "Walk-forward: in-sample choice, out-of-sample result", limit: 200 },
  );
  const stitched = result.stitchedOutOfSample();
  if (stitched.equity.length === 0) return table + note("no out-of-sample returns to stitch");
  const Plot = plotMarks();
  const points = Array.from(stitched.equity, (e, i) => ({ i, e }));
  const chart = plotSvg({
    width: options.width ?? 640,
    height: 240,
    grid: true,
    x: { label: "out-of-sample period" },
    y: { label: "cumulative return" },
    marks: [Plot.ruleX(stitched.windowStarts.slice(1), { stroke: "#bbb", strokeDasharray: "3,3" }), Plot.lineY(points, { x: "i", y: "e", stroke: "steelblue" })],
  });
  return `${table}<div class="note">Stitched out-of-sample equity (dashed: window starts)</div>${chart}`;
}

/** Summary line, main chart (heatmap for two parameters, parallel coordinates for more, scatter for one), best trial, walk-forward. */
function summaryHtml(result: OptimizationResult): string {
  const c = result.statusCounts();
  return `<div><b>${escapeHtml(result.method)} search</b> · ${result.trialCount} trials (${c.ok} ok, ${c.infeasible} infeasible, ${c.failed} failed) · ${escapeHtml(result.objective.direction)} ${escapeHtml(result.objective.name)} · run ${escapeHtml(result.runId)}</div>`;
}

export function optimizationHtml(result: OptimizationResult, options: OptimizeViewOptions = {}): string {
  const head = summaryHtml(result);
  const n = result.paramNames.length;
  const chart = n === 2 ? optimizeHeatmapHtml(result, undefined, undefined, options) : n > 2 ? optimizeParallelHtml(result, options) : optimizeScatterHtml(result, undefined, options);
  const notes = result.warnings.map((w) => note(w)).join("");
  return head + chart + bestTrialHtml(result, options) + (result.walkForward ? walkForwardHtml(result) : "") + notes;
}

/**
 * Displays the optimization in a notebook: summary, main chart, best trial, walk-forward. The
 * parallel-coordinates chart goes through `show.plotly`, so Plotly is inlined once per kernel.
 */
export function showOptimization(result: OptimizationResult, options: OptimizeViewOptions = {}): void {
  if (result.paramNames.length <= 2) {
    displayHtml(panel(optimizationHtml(result, options)));
    return;
  }
  displayHtml(panel(summaryHtml(result)));
  const spec = optimizeParallelSpec(result, options);
  if (typeof spec === "string") displayHtml(panel(spec));
  else plotly(spec.data, spec.layout, { height: 380 });
  displayHtml(panel(bestTrialHtml(result, options) + (result.walkForward ? walkForwardHtml(result) : "") + result.warnings.map((w) => note(w)).join("")));
}
