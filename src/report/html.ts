/** Small HTML building blocks shared by every view. Pure functions: strings in, strings out. */
import { formatNs } from "../core/index.js";
import { formatCount, formatNumber } from "./format.js";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Base styles for every Strategy Lab view; scoped under `.slab` so notebooks keep their look. */
export const BASE_CSS = `
.slab{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;font-size:13px;color:#1f2328}
.slab table{border-collapse:collapse;margin:4px 0}
.slab th,.slab td{padding:2px 8px;border-bottom:1px solid #d8dee4;text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.slab th{background:#f6f8fa;font-weight:600}
.slab td.txt,.slab th.txt{text-align:left}
.slab td.txt{white-space:normal;overflow-wrap:anywhere}
.slab td.wide{max-width:42em;min-width:16em}
.slab td.nowrap{white-space:nowrap}
.slab caption{caption-side:top;text-align:left;font-weight:600;padding:2px 0}
.slab .note{color:#59636e;font-size:12px}
.slab .err{border-left:4px solid #cf222e;background:#ffebe9;padding:6px 10px}
.slab .ok{border-left:4px solid #1a7f37;background:#dafbe1;padding:6px 10px}
.slab .warn{border-left:4px solid #9a6700;background:#fff8c5;padding:6px 10px}
.slab .bar{background:#d8dee4;border-radius:3px;height:10px;width:260px;display:inline-block;vertical-align:middle;overflow:hidden}
.slab .bar>span{display:block;height:100%;background:#0969da}
.slab code{background:#f6f8fa;padding:0 3px;border-radius:3px}
`;

/** Wraps view content in the scoped container with its styles. */
export function panel(innerHtml: string, extraClass = ""): string {
  return `<div class="slab${extraClass ? " " + extraClass : ""}"><style>${BASE_CSS}</style>${innerHtml}</div>`;
}

export type CellValue = number | bigint | string | boolean | null | undefined;
export type ColumnLike = ArrayLike<CellValue> | readonly CellValue[];

export interface TableOptions {
  /** Maximum rows shown; the rest is summarized. @default 20 */
  limit?: number;
  caption?: string;
  /** Columns holding ns timestamps (bigint or number), shown as ISO UTC. Default: names ending in "Ts" or equal to "ts". */
  timeColumns?: readonly string[];
  /** Significant digits for floats. @default 6 */
  digits?: number;
  /** Per-column formatter overriding the default. */
  format?: Readonly<Record<string, (value: CellValue) => string>>;
}

function isTimeColumn(name: string, options: TableOptions): boolean {
  return options.timeColumns ? options.timeColumns.includes(name) : name === "ts" || /Ts$/.test(name);
}

/** A cell's text: numbers to `digits` significant digits with "," thousands separators (src/report/format.ts). */
export function formatCell(value: CellValue, digits = 6): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    return formatNumber(value, digits);
  }
  if (typeof value === "bigint") return formatCount(value);
  return String(value);
}

/** Text that reads as a figure ("1,234.5", "-0.0125 USDT", "12.3%", "n/a"): kept on one line. */
function looksNumeric(text: string): boolean {
  return /^[-+−]?[\d,.]+(e[-+]?\d+)?(%| [A-Z]{2,5})?$|^n\/a$|^NaN$/.test(text);
}

/**
 * An HTML table from columns (typed arrays or plain arrays), at most `limit` rows, with a note
 * saying how many rows were left out, so a 7M-row batch renders instantly.
 */
export function tableHtml(columns: Readonly<Record<string, ColumnLike>>, options: TableOptions = {}): string {
  const names = Object.keys(columns);
  const rows = names.length === 0 ? 0 : Math.max(...names.map((n) => columns[n]!.length));
  const limit = options.limit ?? 20;
  const shown = Math.min(rows, limit);
  // A column of text wraps and is left-aligned; strings that read as figures ("61,800.1", "12.3%") stay numeric.
  const textual = names.map((n) => {
    const c = columns[n]!;
    if (isTimeColumn(n, options)) return false;
    for (let i = 0; i < Math.min(c.length, shown); i++) {
      const v = c[i];
      if (v === "" || v === null || v === undefined) continue;
      return typeof v === "string" && !looksNumeric(v);
    }
    return false;
  });
  const head = names.map((n, j) => `<th${textual[j] ? ' class="txt"' : ""}>${escapeHtml(n)}</th>`).join("");
  const body: string[] = [];
  for (let i = 0; i < shown; i++) {
    const cells = names.map((n, j) => {
      const v = columns[n]![i];
      const custom = options.format?.[n];
      let text: string;
      if (custom) text = custom(v);
      else if (isTimeColumn(n, options) && (typeof v === "bigint" || (typeof v === "number" && Number.isFinite(v)))) text = formatNs(BigInt(v));
      else text = formatCell(v, options.digits);
      return `<td${textual[j] ? ' class="txt"' : ""}>${escapeHtml(text)}</td>`;
    });
    body.push(`<tr>${cells.join("")}</tr>`);
  }
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : "";
  const note = rows > shown ? `<div class="note">showing ${shown.toLocaleString("en-US")} of ${rows.toLocaleString("en-US")} rows</div>` : "";
  return `<table>${caption}<thead><tr>${head}</tr></thead><tbody>${body.join("")}</tbody></table>${note}`;
}

export interface KeyValueOptions {
  /**
   * Extra classes per key's value cell: "wide" (text with a max width, wrapped) or "nowrap" (figures
   * with words, e.g. "0.016 BTCUSDT (16 lots)", kept on one line).
   */
  cellClass?: Readonly<Record<string, string>>;
}

/**
 * Key/value table for summaries. Text values wrap (class "txt") so one long value cannot push the
 * table past the output's right edge; figures (numbers, "12.3%", "4.97 USDT") never wrap.
 */
export function keyValueHtml(entries: Readonly<Record<string, CellValue>>, caption?: string, options: KeyValueOptions = {}): string {
  const rows = Object.entries(entries).map(([k, v]) => {
    const text = formatCell(v);
    const extra = options.cellClass?.[k] ?? "";
    const classes = [typeof v === "string" && !looksNumeric(text) && extra !== "nowrap" ? "txt" : "", extra].filter(Boolean).join(" ");
    return `<tr><th class="txt">${escapeHtml(k)}</th><td${classes ? ` class="${classes}"` : ""}>${escapeHtml(text)}</td></tr>`;
  });
  return `<table>${caption ? `<caption>${escapeHtml(caption)}</caption>` : ""}<tbody>${rows.join("")}</tbody></table>`;
}
