// Plotly charts of the dashboard: axes read full numbers with "," thousands (no SI suffix such as
// 100.0003k), as in the product's tear sheets.
import { loadPlotly } from "./api.js";
import { h } from "./dom.js";
import { num } from "./format.js";

const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

/** d3 format with enough decimals to tell ticks apart over the values' range. */
export function tickFormat(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi >= lo)) return ",.2f";
  const span = hi - lo;
  const scale = Math.max(Math.abs(lo), Math.abs(hi));
  const step = span > 0 ? span / 6 : scale > 0 ? scale / 1000 : 1;
  return `,.${Math.max(0, Math.min(12, -Math.floor(Math.log10(step) + 1e-9)))}f`;
}

export function layout(extra = {}) {
  return {
    margin: { l: 80, r: 20, t: 30, b: 50 },
    height: 360,
    hovermode: "closest",
    legend: { orientation: "h", y: 1.1 },
    font: { family: "system-ui, sans-serif", size: 12 },
    ...extra,
    xaxis: { automargin: true, ...(extra.xaxis ?? {}) },
    yaxis: { automargin: true, ...(extra.yaxis ?? {}) },
  };
}

/** A chart container; draw() fills it once Plotly has loaded, or says why it could not. */
export function chartBox(id) {
  return h("div", { class: "chart", id });
}

export async function react(el, traces, lay) {
  try {
    const Plotly = await loadPlotly();
    if (!el.isConnected) return;
    await Plotly.react(el, traces, lay, CONFIG);
  } catch (err) {
    el.replaceChildren(h("p", { class: "muted" }, `Chart unavailable: ${err.message}`));
  }
}

/** An equity trace from a run's EquitySeries. */
export function equityTrace(equity, name, i = 0) {
  return {
    type: "scatter",
    mode: "lines",
    name,
    x: (equity?.timeMs ?? []).map((t) => new Date(num(t)).toISOString()),
    y: (equity?.equity ?? []).map(num),
    line: { color: COLORS[i % COLORS.length], width: 1.5 },
  };
}

export function equityChart(el, runs) {
  const traces = runs.filter((r) => r.equity?.equity?.length).map((r, i) => equityTrace(r.equity, r.label ?? r.id, i));
  el.classList.toggle("empty", !traces.length);
  if (!traces.length) {
    el.replaceChildren(h("p", { class: "muted" }, "No equity series recorded for this run."));
    return Promise.resolve();
  }
  const ys = traces.flatMap((t) => t.y);
  return react(el, traces, layout({ xaxis: { title: { text: "time (UTC)" } }, yaxis: { title: { text: "equity" }, tickformat: tickFormat(ys) }, showlegend: traces.length > 1 }));
}
