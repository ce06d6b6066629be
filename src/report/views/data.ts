/**
 * Data views: the data-quality report as HTML (summary, issues with their first rows, what was
 * quarantined) and a compact preview of a TickBatch with decimal prices. Pure functions returning
 * HTML strings; `showQualityReport` / `showTicks` display them in a notebook.
 */
import { formatNs } from "../../core/index.js";
import { EVENT_KIND_NAMES, ISSUE_CLASSES, type QualityReport, type TickBatch } from "../../data/index.js";
import { displayHtml } from "../display.js";
import { formatLots, formatPriceTicks } from "../format.js";
import { escapeHtml, keyValueHtml, panel, tableHtml } from "../html.js";

function durationText(ns: bigint): string {
  const s = Number(ns) / 1e9;
  if (s < 1) return `${(s * 1000).toFixed(3)} ms`;
  if (s < 120) return `${s.toFixed(3)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}

/** The quality report: verdict, summary, one row per issue class with sample rows, quarantine counts. */
export function qualityReportHtml(report: QualityReport): string {
  const s = report.summary;
  const errors = report.issues.filter((i) => i.severity === "error").length;
  const verdictClass = report.ok ? (report.issues.length === 0 ? "ok" : "warn") : "err";
  const verdict = report.ok
    ? report.issues.length === 0
      ? "No issues found."
      : `${report.issues.length} issue class${report.issues.length === 1 ? "" : "es"}, none of them errors.`
    : report.rejected
      ? `Rejected: ${report.issues.filter((i) => i.policy === "reject").map((i) => i.class).join(", ")} (policy reject). Every issue is listed below.`
      : `${errors} error class${errors === 1 ? "" : "es"}: see below.`;
  const kinds = Object.entries(s.byKind)
    .map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`)
    .join(", ");
  const summary = keyValueHtml(
    {
      source: report.source,
      rows: s.rows,
      kinds,
      instruments: s.byInstrument.map((i) => `${i.symbol}@${i.venue} (${i.rows.toLocaleString("en-US")})`).join(", "),
      "first exchange time": s.firstExchTs === null ? "–" : formatNs(s.firstExchTs),
      "last exchange time": s.lastExchTs === null ? "–" : formatNs(s.lastExchTs),
      span: durationText(s.spanNs),
      "events / s": Number.isFinite(s.ratePerSecond) ? Math.round(s.ratePerSecond) : "–",
      messages: s.messages,
      "snapshot rows": s.snapshotRows,
      "feed latency min / mean / max": Number.isFinite(s.latencyNs.mean) ? `${(s.latencyNs.min / 1e3).toFixed(1)} / ${(s.latencyNs.mean / 1e3).toFixed(1)} / ${(s.latencyNs.max / 1e3).toFixed(1)} µs` : "no receive times",
      "sequence check": s.sequenceScope === "feed" && s.sequenceMode !== "none" ? `${s.sequenceMode} (per feed)` : s.sequenceMode,
      "rows kept": report.clean.length,
      "rows quarantined": (report.quarantine?.batch.length ?? 0) + (report.read?.quarantine?.batch.length ?? 0),
    },
    "Summary",
  );
  const issues =
    report.issues.length === 0
      ? ""
      : tableHtml(
          {
            issue: report.issues.map((i) => ISSUE_CLASSES[i.class]?.title ?? i.class),
            class: report.issues.map((i) => i.class),
            severity: report.issues.map((i) => i.severity),
            policy: report.issues.map((i) => i.policy),
            count: report.issues.map((i) => i.count),
            "first rows (row · column · value)": report.issues.map((i) =>
              i.samples
                .map((x) => `${x.line !== undefined ? `line ${x.line}` : `row ${x.row}`} · ${x.column}${x.value !== undefined ? ` · ${x.value}` : ""}`)
                .join("; "),
            ),
            message: report.issues.map((i) => i.message),
          },
          { caption: "Issues", limit: 100 },
        );
  return panel(`<div class="${verdictClass}">${escapeHtml(verdict)}</div>${summary}${issues}`);
}

export interface TicksViewOptions {
  /** @default 20 */
  limit?: number;
  /** First row shown. @default 0 */
  offset?: number;
  caption?: string;
}

/** The first rows of a batch with kind names and decimal prices/sizes (exact, from the instrument). */
export function ticksHtml(batch: TickBatch, options: TicksViewOptions = {}): string {
  const offset = options.offset ?? 0;
  const n = Math.max(0, Math.min(options.limit ?? 20, batch.length - offset));
  const rows = Array.from({ length: n }, (_, j) => j + offset);
  const spec = (i: number) => batch.instruments[batch.instrument[i]!];
  const num = (x: number): string => (Number.isNaN(x) ? "" : String(x));
  const table = tableHtml(
    {
      row: rows,
      exchTs: rows.map((i) => formatNs(batch.exchTs[i]!)),
      localTs: rows.map((i) => formatNs(batch.localTs[i]!)),
      kind: rows.map((i) => EVENT_KIND_NAMES[batch.kind[i]!] ?? String(batch.kind[i])),
      side: rows.map((i) => (batch.side[i] === 1 ? "bid/buy" : batch.side[i] === -1 ? "ask/sell" : "")),
      price: rows.map((i) => { const t = batch.priceTicks[i]!; const s = spec(i); return Number.isNaN(t) ? "" : s && Number.isInteger(t) ? formatPriceTicks(t, s) : String(t); }),
      qty: rows.map((i) => { const q = batch.qtyLots[i]!; const s = spec(i); return Number.isNaN(q) ? "" : s && Number.isInteger(q) ? formatLots(q, s) : String(q); }),
      orderId: rows.map((i) => num(batch.orderId[i]!)),
      flags: rows.map((i) => batch.flags[i]!),
      seq: rows.map((i) => num(batch.seq[i]!)),
      symbol: rows.map((i) => spec(i)?.symbol ?? ""),
    },
    { limit: n, caption: options.caption ?? `${batch.source ?? "TickBatch"}: ${batch.length.toLocaleString("en-US")} rows` },
  );
  const more = batch.length > offset + n ? `<div class="note">rows ${offset}–${offset + n - 1} of ${batch.length.toLocaleString("en-US")}</div>` : "";
  return panel(table + more);
}

export function showQualityReport(report: QualityReport): void {
  displayHtml(qualityReportHtml(report));
}

export function showTicks(batch: TickBatch, options: TicksViewOptions = {}): void {
  displayHtml(ticksHtml(batch, options));
}
