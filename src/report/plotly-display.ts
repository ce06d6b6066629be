/**
 * Plotly charts in a notebook: the library is inlined with the first chart of a kernel session
 * and never fetched. Its own module so the views and `lab.show` share one "already inlined" state
 * without importing each other.
 */
import { plotlyHtml, plotlyLibraryScript, type PlotlyHtmlOptions } from "./charts.js";
import { displayHtml } from "./display.js";

let plotlyLoaded = false;

/** Whether the next Plotly chart must inline the library (the first one in a kernel session does); marks it inlined. */
export function claimPlotlyInline(): boolean {
  const inline = !plotlyLoaded;
  plotlyLoaded = true;
  return inline;
}

/** Inlines the Plotly library into the notebook (done automatically by the first `plotly` call). */
export function plotlyInit(): void {
  plotlyLoaded = true;
  displayHtml(plotlyLibraryScript());
}

/** An interactive Plotly chart; the library is inlined once per kernel session, never fetched. */
export function plotly(data: readonly Record<string, unknown>[], layout: Record<string, unknown> = {}, options: PlotlyHtmlOptions = {}): void {
  const inline = options.inline ?? !plotlyLoaded;
  plotlyLoaded = true;
  displayHtml(plotlyHtml(data, layout, { ...options, inline }));
}

