/**
 * Rules every run-registry back end shares, so memory, DuckDB and PostgreSQL answer alike:
 * artifact names, filter checks, filtering/sorting/paging of runs, and the JSON forms of
 * metrics and equity series (NaN and ±Infinity kept as "NaN"/"Infinity"/"-Infinity").
 */
import { LabError } from "../core/index.js";
import { encodeJson } from "./common.js";
import type { EquitySeries, MetricBounds, RunFilter, RunKind, RunRecord, RunState } from "./run-types.js";

export const RUN_KINDS: readonly RunKind[] = ["backtest", "optimize", "report"];
export const RUN_STATES: readonly RunState[] = ["running", "finished", "failed", "interrupted"];

const ARTIFACT_NAME = /^[A-Za-z0-9._-]+$/;

/**
 * Throws BAD_ARTIFACT_NAME unless `name` is a plain file name. "." and ".." match the character
 * set but name a folder, so they are refused as well; a back end that keeps artifacts as files
 * can then join the name to its run folder without leaving it.
 */
export function checkArtifactName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !ARTIFACT_NAME.test(name) || name === "." || name === ".." || name.length > 200) {
    throw new LabError({
      code: "BAD_ARTIFACT_NAME",
      message: `artifact name ${JSON.stringify(name)} is not allowed: only letters, digits, '.', '_' and '-' (at most 200), and not "." or ".."`,
      hint: "use a plain file name such as report.html or fills.parquet",
      context: { option: "name" },
    });
  }
}

export function runNotFound(id: string, location: string): LabError {
  return new LabError({ code: "RUN_NOT_FOUND", message: `no run "${id}" in the store ${location}`, hint: "list the runs (strategy-lab runs list, lab.runs.list()) and use one of their ids", context: { file: location } });
}

export function artifactNotFound(id: string, name: string, location: string): LabError {
  return new LabError({ code: "ARTIFACT_NOT_FOUND", message: `run "${id}" in ${location} has no artifact "${name}"`, hint: `strategy-lab runs show ${id} lists its artifacts`, context: { file: location } });
}

export function runExists(id: string, location: string): LabError {
  return new LabError({ code: "RUN_EXISTS", message: `run "${id}" already exists in ${location}`, hint: "choose another run id, or leave it out to have one generated", context: { file: location } });
}

function badFilter(field: string, message: string, hint: string): LabError {
  return new LabError({ code: "BAD_RUN_FILTER", message: `run filter ${field}: ${message}`, hint, context: { option: field } });
}

function isoTime(field: string, value: unknown): number {
  const t = typeof value === "string" ? Date.parse(value) : NaN;
  if (!Number.isFinite(t)) throw badFilter(field, `must be an ISO time, got ${JSON.stringify(value)}`, `e.g. ${field}: "2024-01-02T00:00:00Z"`);
  return t;
}

/** Checks a filter (what a user or a query string gives) and fills in the defaults. */
export function normalizeRunFilter(filter: RunFilter = {}): Required<Pick<RunFilter, "sort" | "order" | "offset">> & RunFilter & { sinceMs?: number; untilMs?: number } {
  if (typeof filter !== "object" || filter === null) throw badFilter("filter", "must be an object", 'e.g. { kind: "backtest", limit: 20 }');
  const out: ReturnType<typeof normalizeRunFilter> = { ...filter, sort: filter.sort ?? "createdAt", order: filter.order ?? "desc", offset: filter.offset ?? 0 };
  if (filter.kind !== undefined && !RUN_KINDS.includes(filter.kind)) throw badFilter("kind", `unknown kind ${JSON.stringify(filter.kind)}`, `use one of ${RUN_KINDS.join(", ")}`);
  if (filter.state !== undefined && !RUN_STATES.includes(filter.state)) throw badFilter("state", `unknown state ${JSON.stringify(filter.state)}`, `use one of ${RUN_STATES.join(", ")}`);
  if (filter.strategy !== undefined && typeof filter.strategy !== "string") throw badFilter("strategy", "must be a strategy name", 'e.g. strategy: "imbalance"');
  if (out.order !== "asc" && out.order !== "desc") throw badFilter("order", `must be "asc" or "desc", got ${JSON.stringify(out.order)}`, 'e.g. order: "asc"');
  if (typeof out.sort !== "string" || out.sort === "") throw badFilter("sort", `must be "createdAt" or a metric name, got ${JSON.stringify(out.sort)}`, 'e.g. sort: "sharpe"');
  for (const key of ["limit", "offset"] as const) {
    const v = filter[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw badFilter(key, `must be an integer ≥ 0, got ${JSON.stringify(v)}`, `e.g. ${key}: 20`);
  }
  if (filter.since !== undefined) out.sinceMs = isoTime("since", filter.since);
  if (filter.until !== undefined) out.untilMs = isoTime("until", filter.until);
  if (filter.where !== undefined) {
    if (typeof filter.where !== "object" || filter.where === null) throw badFilter("where", "must be an object of metric bounds", "e.g. where: { sharpe: { gt: 1 } }");
    for (const [metric, bounds] of Object.entries(filter.where)) {
      if (typeof bounds !== "object" || bounds === null) throw badFilter(`where.${metric}`, "must be an object of bounds", `e.g. where: { ${metric}: { gte: 0 } }`);
      for (const [op, v] of Object.entries(bounds)) {
        if (!["gt", "gte", "lt", "lte"].includes(op)) throw badFilter(`where.${metric}.${op}`, `unknown bound "${op}"`, "use gt, gte, lt or lte");
        if (typeof v !== "number" || Number.isNaN(v)) throw badFilter(`where.${metric}.${op}`, `must be a number, got ${JSON.stringify(v)}`, `e.g. where: { ${metric}: { ${op}: 0 } }`);
      }
    }
  }
  return out;
}

function within(value: number | undefined, b: MetricBounds): boolean {
  if (value === undefined || Number.isNaN(value)) return false;
  return (b.gt === undefined || value > b.gt) && (b.gte === undefined || value >= b.gte) && (b.lt === undefined || value < b.lt) && (b.lte === undefined || value <= b.lte);
}

/** Whether `run` passes every field of the (normalized) filter, paging aside. */
export function matchesRun(run: RunRecord, f: ReturnType<typeof normalizeRunFilter>): boolean {
  if (f.kind !== undefined && run.kind !== f.kind) return false;
  if (f.strategy !== undefined && run.strategy !== f.strategy) return false;
  if (f.state !== undefined && run.state !== f.state) return false;
  const created = Date.parse(run.createdAt);
  if (f.sinceMs !== undefined && !(created >= f.sinceMs)) return false;
  if (f.untilMs !== undefined && !(created < f.untilMs)) return false;
  if (f.where) for (const [metric, b] of Object.entries(f.where)) if (!within(run.metrics[metric], b)) return false;
  return true;
}

/**
 * Sorts by creation time or a metric (runs without the metric, or NaN, last in either order; ties by
 * creation time, then id, so pages never overlap), then pages. `total` counts before paging.
 */
export function filterRuns(runs: readonly RunRecord[], filter: RunFilter = {}): { runs: RunRecord[]; total: number } {
  const f = normalizeRunFilter(filter);
  const sign = f.order === "asc" ? 1 : -1;
  const byCreated = (a: RunRecord, b: RunRecord): number => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const metric = f.sort === "createdAt" ? undefined : f.sort;
  const matched = runs.filter((r) => matchesRun(r, f));
  matched.sort((a, b) => {
    if (metric !== undefined) {
      const va = a.metrics[metric];
      const vb = b.metrics[metric];
      const ma = va === undefined || Number.isNaN(va);
      const mb = vb === undefined || Number.isNaN(vb);
      if (ma !== mb) return ma ? 1 : -1;
      if (!ma && va !== vb) return sign * (va! < vb! ? -1 : 1);
    }
    return sign * byCreated(a, b);
  });
  const end = f.limit === undefined ? undefined : f.offset + f.limit;
  return { runs: matched.slice(f.offset, end), total: matched.length };
}

/** Metrics as JSON text. */
export function encodeMetrics(metrics: Record<string, number>): string {
  return encodeJson(metrics);
}

function decodeNumber(v: unknown): number {
  return typeof v === "number" ? v : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : NaN;
}

export function encodeEquity(equity: EquitySeries): string {
  return encodeJson({ timeMs: equity.timeMs, equity: equity.equity });
}

export function decodeEquity(text: string): EquitySeries {
  const raw = JSON.parse(text) as { timeMs: unknown[]; equity: unknown[] };
  return { timeMs: raw.timeMs.map(decodeNumber), equity: raw.equity.map(decodeNumber) };
}

/**
 * A deep copy, so callers cannot change what a memory store holds. Listings leave the equity series
 * out (`equity: false`): it is the largest part of a run and no listing returns it.
 */
export function copyRun(run: RunRecord, options: { equity?: boolean } = {}): RunRecord {
  const out: RunRecord = { ...run, manifest: structuredClone(run.manifest), params: { ...run.params }, metrics: { ...run.metrics }, artifacts: run.artifacts.map((a) => ({ ...a })) };
  if (run.equity && options.equity !== false) out.equity = { timeMs: [...run.equity.timeMs], equity: [...run.equity.equity] };
  else delete out.equity;
  return out;
}
