/**
 * Charts as HTML strings. Static charts: Observable Plot rendered server-side with jsdom into an
 * inline <svg> (wrapped in HTML, because raw SVG outputs are dropped by some notebook exporters).
 * Interactive charts: Plotly, with the library inlined (never fetched from a CDN) so exported
 * pages work offline. Both libraries are loaded lazily on first use: importing the package stays
 * fast.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import type * as PlotModule from "@observablehq/plot";
import { LabError } from "../core/index.js";
import { escapeHtml } from "./html.js";

const require = createRequire(import.meta.url);

let plotModule: typeof PlotModule | undefined;
let sharedDocument: Document | undefined;

function plotLib(): typeof PlotModule {
  plotModule ??= require("@observablehq/plot") as typeof PlotModule;
  return plotModule;
}

function documentForCharts(): Document {
  if (!sharedDocument) {
    const { JSDOM } = require("jsdom") as typeof import("jsdom");
    sharedDocument = new JSDOM("<!DOCTYPE html><body></body>").window.document;
  }
  return sharedDocument;
}

export type PlotOptions = PlotModule.PlotOptions;

/** The Observable Plot module (`Plot.lineY`, `Plot.dot`, ...) for building marks. */
export function plotMarks(): typeof PlotModule {
  return plotLib();
}

/** Renders Observable Plot options to an HTML string containing an inline <svg> (or <figure>). */
export function plotSvg(options: PlotOptions): string {
  const Plot = plotLib();
  try {
    const element = Plot.plot({ ...options, document: documentForCharts() });
    return element.outerHTML;
  } catch (error) {
    throw new LabError({ code: "CHART_FAILED", message: `chart could not be rendered: ${(error as Error).message}`, hint: "check the marks and channels passed to the chart", cause: error });
  }
}

let plotlySource: string | undefined;

/** plotly.min.js as a string, made safe to inline in a <script> element. */
export function plotlyLibrary(): string {
  if (plotlySource === undefined) {
    const path = require.resolve("plotly.js-dist-min/plotly.min.js");
    // Map attribution links inside the bundle are written with an entity ("&#104;ttp") so that an
    // exported page contains no literal network URL in any src/href; browsers decode it when the
    // attribution HTML is inserted, so the links still work.
    plotlySource = readFileSync(path, "utf8")
      .replace(/<\/script/gi, "<\\/script")
      .replace(/\b(href|src)=(["'`])http/g, "$1=$2&#104;ttp");
  }
  return plotlySource;
}

/**
 * A <script> that defines window.Plotly. `define`/`module`/`exports` are shadowed so the bundle
 * neither registers itself with require.js (classic Jupyter) nor with a CommonJS shim.
 */
export function plotlyLibraryScript(): string {
  return `<script>(function(){var define=undefined,module=undefined,exports=undefined;\n${plotlyLibrary()}\n}).call(window);</script>`;
}

export interface PlotlyHtmlOptions {
  /** Inline the Plotly library before the chart. @default true */
  inline?: boolean;
  /** Element id; generated when omitted. */
  id?: string;
  /** Plotly config (responsive, displaylogo, ...). */
  config?: Record<string, unknown>;
  height?: number;
}

let plotlyCounter = 0;

const NON_CARTESIAN = new Set(["parcoords", "parcats", "pie", "sankey", "table", "indicator", "sunburst", "treemap", "icicle", "funnelarea", "scattergeo", "choropleth", "scattermapbox", "scatterpolar", "scatterpolargl", "barpolar", "scatterternary", "scatter3d", "surface", "mesh3d", "cone", "streamtube", "volume", "isosurface"]);

/** Whether the traces draw on x/y axes (a parallel-coordinates chart does not: it gets no axis defaults). */
function isCartesian(data: readonly Record<string, unknown>[]): boolean {
  return data.some((t) => !NON_CARTESIAN.has(String(t.type ?? "scatter")));
}

/**
 * Every x/y axis of a layout with full numbers and "," thousands by default, so an axis over
 * 100,000.00 ± cents reads 100,000.02 and not 100.0000k (Plotly's SI suffixes). An axis' own
 * settings win; pass `tickformat` (e.g. from `plotlyTickFormat`) to fix the decimals.
 */
export function withAxisDefaults(layout: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...layout };
  const keys = new Set(["xaxis", "yaxis", ...Object.keys(layout).filter((k) => /^[xy]axis\d*$/.test(k))]);
  for (const key of keys) {
    const axis = layout[key];
    if (axis !== undefined && (typeof axis !== "object" || axis === null)) continue;
    out[key] = { exponentformat: "none", separatethousands: true, ...(axis as Record<string, unknown> | undefined) };
  }
  return out;
}

/** A Plotly chart as HTML: a div plus a script calling Plotly.newPlot (library optionally inlined). */
export function plotlyHtml(data: readonly Record<string, unknown>[], layout: Record<string, unknown> = {}, options: PlotlyHtmlOptions = {}): string {
  const id = options.id ?? `slab-plotly-${Date.now().toString(36)}-${(plotlyCounter++).toString(36)}`;
  const config = { responsive: true, displaylogo: false, showLink: false, ...options.config };
  const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? Number(x) : ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>) : x)).replace(/</g, "\\u003c");
  const height = options.height ?? 360;
  const script = `<script>(function(){var el=document.getElementById(${JSON.stringify(id)});if(window.Plotly){window.Plotly.newPlot(el,${json(data)},${json(isCartesian(data) ? withAxisDefaults(layout) : layout)},${json(config)});}else{el.textContent="Plotly is not loaded: run lab.show.plotlyInit() in this notebook.";}})();</script>`;
  return `${options.inline === false ? "" : plotlyLibraryScript()}<div id="${escapeHtml(id)}" class="slab-plotly" style="width:100%;height:${height}px"></div>${script}`;
}

/**
 * A UTC time axis with 24-hour labels (d3's default multi-scale format prints 12-hour "11:55"
 * without AM/PM, which reads as the wrong time next to the Plotly charts' 23:55).
 */
export function utcAxis(times: BigInt64Array): { type: "utc"; label: null; tickFormat: string } {
  const span = times.length > 1 ? Number(times[times.length - 1]! - times[0]!) / 1e9 : 0;
  const tickFormat = span > 2 * 86400 ? "%Y-%m-%d" : span > 3600 ? "%H:%M" : "%H:%M:%S";
  return { type: "utc", label: null, tickFormat };
}
