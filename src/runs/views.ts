/**
 * What `lab.runs.list/get/compare` return: plain data with accessors, shown as tables in a
 * notebook (the display protocol, `Symbol.for("strategy-lab.display")`) and as text elsewhere.
 */
import { inspect } from "node:util";
import { keyValueHtml, panel, tableHtml, escapeHtml } from "../report/internal.js";
import type { RunRecord } from "../store/index.js";

const DISPLAY = Symbol.for("strategy-lab.display");

/** Metrics shown first in listings and comparisons (others follow by name). */
const KEY_METRICS = ["pnl", "sharpe", "psr", "dsr", "trades", "maxDrawdown", "makerShare", "fees", "objective", "trials"];

function fmt(v: number | undefined): string {
  if (v === undefined) return "";
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  const a = Math.abs(v);
  return a >= 1000 ? v.toLocaleString("en-US", { maximumFractionDigits: 2 }) : Number(v.toPrecision(5)).toString();
}

function paramsText(params: Readonly<Record<string, unknown>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(", ");
}

function metricOrder(runs: readonly RunRecord[]): string[] {
  const present = new Set(runs.flatMap((r) => Object.keys(r.metrics)));
  return [...KEY_METRICS.filter((m) => present.has(m)), ...[...present].filter((m) => !KEY_METRICS.includes(m)).sort()];
}

function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? "").length)));
  const line = (cells: readonly string[]): string => cells.map((c, j) => c.padEnd(widths[j]!)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** A page of runs, newest first unless sorted otherwise. */
export class RunList {
  constructor(
    readonly runs: readonly RunRecord[],
    /** Runs that matched in all (before paging). */
    readonly total: number,
  ) {}

  get length(): number {
    return this.runs.length;
  }

  get ids(): string[] {
    return this.runs.map((r) => r.id);
  }

  /** Column-wise table: id, kind, strategy, state, createdAt, params, then one column per metric. */
  table(metrics = 6): Record<string, (string | number)[]> {
    const names = metricOrder(this.runs).slice(0, metrics);
    const out: Record<string, (string | number)[]> = {
      id: this.runs.map((r) => r.id),
      kind: this.runs.map((r) => r.kind),
      strategy: this.runs.map((r) => r.strategy),
      state: this.runs.map((r) => r.state),
      createdAt: this.runs.map((r) => r.createdAt),
      params: this.runs.map((r) => paramsText(r.params)),
    };
    for (const m of names) out[m] = this.runs.map((r) => r.metrics[m] ?? NaN);
    return out;
  }

  toJSON(): { runs: readonly RunRecord[]; total: number } {
    return { runs: this.runs, total: this.total };
  }

  toString(): string {
    if (this.runs.length === 0) return `RunList: no runs (${this.total} matched)`;
    const t = this.table();
    const names = Object.keys(t);
    const rows = this.runs.map((_, i) => names.map((n) => (typeof t[n]![i] === "number" ? fmt(t[n]![i] as number) : String(t[n]![i]))));
    return `RunList: ${this.runs.length} of ${this.total} runs\n${textTable(names, rows)}`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  [DISPLAY](): { "text/html": string; "text/plain": string } {
    const caption = `${this.runs.length} of ${this.total} runs`;
    const t = this.table();
    return { "text/html": panel(tableHtml(t, { caption, limit: 200, timeColumns: [], format: Object.fromEntries(metricOrder(this.runs).map((m) => [m, (v) => fmt(v as number)])) })), "text/plain": this.toString() };
  }
}

/** One run: its record, with the manifest and artifacts at hand. */
export class RunView {
  constructor(readonly run: RunRecord) {}

  get id(): string {
    return this.run.id;
  }
  get metrics(): Record<string, number> {
    return this.run.metrics;
  }
  get params(): Record<string, number | boolean | string> {
    return this.run.params;
  }
  get manifest(): RunRecord["manifest"] {
    return this.run.manifest;
  }

  /** Key facts as one flat object (what the notebook table shows). */
  facts(): Record<string, string> {
    const r = this.run;
    const m = r.manifest;
    const files = m.data.files?.map((f) => `${f.path} (${f.bytes.toLocaleString("en-US")} bytes, sha256 ${f.sha256.slice(0, 12)}…)`).join("; ");
    return {
      id: r.id,
      kind: r.kind,
      strategy: `${r.strategy}(${paramsText(r.params)})`,
      state: r.state,
      created: r.createdAt,
      ...(r.finishedAt ? { finished: r.finishedAt } : {}),
      data: files ?? (m.data.batch ? `batch sha256 ${m.data.batch.slice(0, 12)}…` : "not recorded"),
      ...(m.data.rows !== undefined ? { rows: m.data.rows.toLocaleString("en-US") } : {}),
      ...(m.data.start ? { span: `${m.data.start} → ${m.data.end ?? ""}` } : {}),
      version: `${m.version}${m.commit ? ` (commit ${m.commit.slice(0, 12)})` : ""}`,
      ...(r.resultHash ? { "result hash": r.resultHash } : {}),
      ...(r.trials ? { trials: r.trials.toLocaleString("en-US") } : {}),
      ...(m.parent ? { parent: m.parent } : {}),
      ...(r.error ? { error: r.error } : {}),
      artifacts: r.artifacts.map((a) => `${a.name} (${a.bytes.toLocaleString("en-US")} bytes)`).join(", ") || "none",
    };
  }

  toJSON(): RunRecord {
    return this.run;
  }

  toString(): string {
    const facts = Object.entries(this.facts()).map(([k, v]) => `  ${k.padEnd(12)} ${v}`);
    const metrics = metricOrder([this.run]).map((k) => `  ${k.padEnd(16)} ${fmt(this.run.metrics[k])}`);
    return [`Run ${this.run.id}`, ...facts, "  metrics:", ...metrics.map((l) => "  " + l)].join("\n");
  }

  [inspect.custom](): string {
    return this.toString();
  }

  [DISPLAY](): { "text/html": string; "text/plain": string } {
    const metrics = Object.fromEntries(metricOrder([this.run]).map((k) => [k, fmt(this.run.metrics[k])]));
    const html = `<div style="display:flex;gap:24px;flex-wrap:wrap">${keyValueHtml(this.facts(), `Run ${this.run.id}`, { cellClass: { data: "wide", "result hash": "wide" } })}${keyValueHtml(metrics, "metrics")}</div>`;
    return { "text/html": panel(html), "text/plain": this.toString() };
  }
}

/** One line of a comparison. */
export interface MetricDiff {
  name: string;
  a: number;
  b: number;
  /** b − a (NaN when either is missing or NaN). */
  diff: number;
}

/** Two runs side by side: metrics with their differences, and what differs in the manifests. */
export class RunComparison {
  readonly metrics: MetricDiff[];
  /** Manifest fields (dotted paths) whose values differ, with both values as JSON. */
  readonly differences: { field: string; a: string; b: string }[];

  constructor(
    readonly a: RunRecord,
    readonly b: RunRecord,
  ) {
    this.metrics = metricOrder([a, b]).map((name) => {
      const va = a.metrics[name] ?? NaN;
      const vb = b.metrics[name] ?? NaN;
      return { name, a: va, b: vb, diff: vb - va };
    });
    this.differences = manifestDifferences(a, b);
  }

  /** The two runs produced bit-identical orders, fills and equity. */
  get identical(): boolean {
    return this.a.resultHash !== undefined && this.a.resultHash === this.b.resultHash;
  }

  toJSON(): { a: RunRecord; b: RunRecord; metrics: MetricDiff[] } {
    return { a: this.a, b: this.b, metrics: this.metrics };
  }

  toString(): string {
    const rows = this.metrics.map((m) => [m.name, fmt(m.a), fmt(m.b), fmt(m.diff)]);
    const diffs = this.differences.map((d) => `  ${d.field}: ${d.a} → ${d.b}`);
    return [`Compare ${this.a.id} (a) with ${this.b.id} (b)${this.identical ? ": identical results (same result hash)" : ""}`, textTable(["metric", "a", "b", "b − a"], rows), ...(diffs.length ? ["differences in the manifest:", ...diffs] : ["same manifest (apart from times and host)"])].join("\n");
  }

  [inspect.custom](): string {
    return this.toString();
  }

  [DISPLAY](): { "text/html": string; "text/plain": string } {
    const table = tableHtml(
      { metric: this.metrics.map((m) => m.name), a: this.metrics.map((m) => fmt(m.a)), b: this.metrics.map((m) => fmt(m.b)), "b − a": this.metrics.map((m) => fmt(m.diff)) },
      { caption: `${this.a.id} (a) vs ${this.b.id} (b)`, limit: 100, timeColumns: [] },
    );
    const diffs = this.differences.length
      ? tableHtml({ field: this.differences.map((d) => d.field), a: this.differences.map((d) => d.a), b: this.differences.map((d) => d.b) }, { caption: "manifest differences", limit: 100, timeColumns: [] })
      : `<div class="note">same manifest (apart from times and host)</div>`;
    const verdict = this.identical ? `<div class="ok">identical results: result hash ${escapeHtml(this.a.resultHash ?? "")}</div>` : "";
    return { "text/html": panel(verdict + table + diffs), "text/plain": this.toString() };
  }
}

/** Fields of the manifests that differ (host and node left out: they do not change results by themselves). */
export function manifestDifferences(a: RunRecord, b: RunRecord): { field: string; a: string; b: string }[] {
  const out: { field: string; a: string; b: string }[] = [];
  const walk = (path: string, x: unknown, y: unknown): void => {
    if (path === "host" || path === "node") return;
    const plain = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
    if (plain(x) && plain(y)) {
      for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) walk(path ? `${path}.${k}` : k, x[k], y[k]);
      return;
    }
    const jx = JSON.stringify(x) ?? "undefined";
    const jy = JSON.stringify(y) ?? "undefined";
    if (jx !== jy) out.push({ field: path, a: jx, b: jy });
  };
  walk("", a.manifest, b.manifest);
  return out;
}
