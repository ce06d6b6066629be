/**
 * Self-contained HTML export: one file a reviewer opens offline. No external src/href at all:
 * styles inline, Observable Plot charts as inline SVG, Plotly inlined once (plotlyLibraryScript),
 * data embedded in the page. `checkSelfContained` is the guard used before writing.
 */
import { LabError } from "../core/index.js";
import { writeOutputFileSync } from "../core/internal.js";
import { escapeHtml } from "./html.js";
import type { TearSheet } from "./tearsheet.js";

/** Anything that renders itself to an HTML fragment (a tear sheet, or a plain string). */
export type Exportable = TearSheet | { title?: string; html(options?: { inlinePlotly?: boolean }): string } | string;

/** The full standalone document for a tear sheet or an HTML fragment. */
export function htmlDocument(content: Exportable, title?: string): string {
  const body = typeof content === "string" ? content : content.html({ inlinePlotly: true });
  const pageTitle = title ?? (typeof content === "string" ? "Strategy Lab report" : (content.title ?? "Strategy Lab report"));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="strategy-lab">
<title>${escapeHtml(pageTitle)}</title>
<style>body{margin:16px auto;max-width:1100px;padding:0 12px;background:#fff}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/**
 * External references in an HTML page: src/href attributes and CSS url(...) that point anywhere
 * but the page itself (data: URIs and #fragments are fine). Empty for a self-contained page.
 */
export function externalReferences(html: string): string[] {
  const found: string[] = [];
  const attr = /\s(?:src|href|xlink:href)\s*=\s*(["'])(.*?)\1/gi;
  for (let m = attr.exec(html); m; m = attr.exec(html)) {
    const url = m[2]!.trim();
    if (url === "" || url.startsWith("#") || url.startsWith("data:") || url.startsWith("javascript:")) continue;
    found.push(url);
  }
  const css = /url\(\s*(["']?)([^"')]+)\1\s*\)/gi;
  for (let m = css.exec(html); m; m = css.exec(html)) {
    const url = m[2]!.trim();
    if (url.startsWith("#") || url.startsWith("data:")) continue;
    found.push(url);
  }
  return found;
}

export interface ExportResult {
  /** Absolute path written. */
  file: string;
  bytes: number;
}

/**
 * Writes ONE self-contained HTML file (parent folders are created). Throws `REPORT_NOT_SELF_CONTAINED`
 * if the page would reference anything outside itself; a path that cannot be written is
 * IS_A_DIRECTORY, NOT_A_DIRECTORY, PERMISSION_DENIED, READ_ONLY_FS, DISK_FULL or WRITE_FAILED,
 * naming the path.
 */
export function exportHtml(content: Exportable, file: string, options: { title?: string } = {}): ExportResult {
  const html = htmlDocument(content, options.title);
  // Only the markup outside <script> bodies is checked: the inlined Plotly bundle mentions URLs in
  // strings it never loads on its own.
  const markup = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "<script></script>");
  const external = externalReferences(markup);
  if (external.length > 0) {
    throw new LabError({ code: "REPORT_NOT_SELF_CONTAINED", message: `report would load ${external.length} external resource(s), e.g. ${external[0]}`, hint: "embed images as data: URIs and scripts inline", context: { file } });
  }
  // Written through a temporary file renamed into place: a full disk never leaves half a page.
  return writeOutputFileSync(file, html, { what: "HTML report", example: "report.html" });
}
