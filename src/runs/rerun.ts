/**
 * `rerun(id)`: repeats a recorded backtest from its manifest (the data read again from the same
 * files, the strategy by name and params, every engine option) and says whether it reproduced bit
 * for bit, or exactly what differs: a data file's checksum, the package version or commit, option
 * values, and the result hash.
 */
import { existsSync } from "node:fs";
import { LabError } from "../core/index.js";
import { generateTicks, readFile, type TickBatch } from "../data/index.js";
import { backtest as runBacktest, type BacktestOptions } from "../engine/index.js";
import { strategies } from "../strategy/index.js";
import { dataFingerprintOf, environmentInfo, fileChecksum, type LabStore, type RunRecord } from "../store/index.js";
import { engineJson, recordBacktest, resultHash } from "./record.js";

/** One thing that differs between the recorded run and the rerun. */
export interface RerunDifference {
  what: "data" | "version" | "commit" | "option" | "result";
  /** The data file, the option's name (dotted), or "resultHash". */
  field: string;
  recorded: string;
  now: string;
}

export interface RerunReport {
  /** The recorded run. */
  id: string;
  /** The rerun's own run id, when it was recorded. */
  rerunId?: string;
  /** Same result hash and the same data files. */
  reproduced: boolean;
  resultHash: { recorded: string; now: string };
  differences: RerunDifference[];
  /** One line per finding, as the CLI prints it. */
  lines: string[];
}

export interface RerunOptions {
  /** Reads the data from the manifest's `data.read` options (the CLI passes its own `--data` loader). */
  loadData?: (read: Record<string, string>) => Promise<TickBatch>;
  /** Option values to change for this rerun (a "what if"): they show as option differences. */
  options?: Record<string, unknown>;
  /** Record the rerun as a run whose parent is the recorded one. @default false */
  record?: boolean;
}

function unavailable(id: string, why: string, hint: string): LabError {
  return new LabError({ code: "RERUN_UNAVAILABLE", message: `run "${id}" cannot be repeated: ${why}`, hint, context: { run: id } });
}

/** The recorded JSON options back as backtest options (bigints from "<digits>n"); a model object cannot come back. */
function decodeOptions(id: string, engine: Record<string, unknown>): BacktestOptions {
  const out: Record<string, unknown> = {};
  const decode = (path: string, v: unknown): unknown => {
    if (typeof v === "string" && /^-?\d+n$/.test(v)) return BigInt(v.slice(0, -1));
    if (Array.isArray(v)) return v.map((x, i) => decode(`${path}[${i}]`, x));
    if (typeof v === "object" && v !== null) {
      if ("model" in v && Object.keys(v).length === 1) throw unavailable(id, `option ${path} was a model object (${String((v as { model: unknown }).model)}), which the manifest cannot rebuild`, "give the option as a plain value (a number of ns, a queue name, { maker, taker } fees) when recording");
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(`${path}.${k}`, x)]));
    }
    return v;
  };
  for (const [k, v] of Object.entries(engine)) {
    if (k === "resolved") continue;
    if (v === null) continue;
    out[k] = decode(k, v);
  }
  return out as BacktestOptions;
}

async function defaultLoader(read: Record<string, string>): Promise<TickBatch> {
  const data = read.data ?? "";
  if (data === "generated") return generateTicks({ events: Number(read.events ?? "200000"), seed: Number(read.seed ?? "1"), mode: read.mode === "l3" ? "l3" : "l2" });
  return readFile(data, { ...(read.format ? { format: read.format } : {}), ...(read.onBadRows === "quarantine" ? { onBadRows: "quarantine" as const } : {}) });
}

const short = (h: string): string => (h.length > 16 ? `${h.slice(0, 16)}…` : h);

function describe(d: RerunDifference): string {
  switch (d.what) {
    case "data":
      return `data file ${d.field}: ${d.recorded} → ${d.now}`;
    case "version":
      return `package version: ${d.recorded} → ${d.now}`;
    case "commit":
      return `commit: ${d.recorded} → ${d.now}`;
    case "option":
      return `option ${d.field}: ${d.recorded} → ${d.now}`;
    case "result":
      return `result hash: ${d.recorded} → ${d.now}`;
  }
}

/** Flattens nested option JSON to dotted paths, for naming the exact option that differs. */
function flatten(prefix: string, v: unknown, out: Map<string, string>): void {
  if (typeof v === "object" && v !== null && !Array.isArray(v)) {
    for (const k of Object.keys(v).sort()) flatten(prefix ? `${prefix}.${k}` : k, (v as Record<string, unknown>)[k], out);
    return;
  }
  out.set(prefix, JSON.stringify(v) ?? "undefined");
}

export async function rerun(store: LabStore, id: string, options: RerunOptions = {}): Promise<RerunReport> {
  const run: RunRecord | undefined = await store.getRun(id);
  if (run === undefined) throw new LabError({ code: "RUN_NOT_FOUND", message: `no run "${id}" in the store ${store.location}`, hint: "strategy-lab runs list shows the runs and their ids", context: { file: store.location } });
  const m = run.manifest;
  if (run.kind !== "backtest") throw unavailable(id, `it is a${run.kind === "optimize" ? "n" : ""} ${run.kind} run; only backtests are repeated`, "rerun one of its backtests, or run the optimization again with the same seed");
  if (run.resultHash === undefined) throw unavailable(id, "it has no result hash (it did not finish recording)", "record the backtest again");
  if (m.data.live !== undefined) throw unavailable(id, `it is a paper session on the live feed ${m.data.live}, whose rows were not kept`, "record the feed with lab.live.recorder (or strategy-lab live record) and backtest the capture");
  const files = m.data.files ?? [];
  const read = m.data.read ?? (files.length === 1 ? { data: files[0]!.path } : undefined);
  if (read === undefined) throw unavailable(id, "its data was not read from a file (only a checksum of the columns was recorded)", "record backtests of data read from files, e.g. strategy-lab backtest --data <file> --store <store>");

  const differences: RerunDifference[] = [];
  for (const f of files) {
    if (!existsSync(f.path)) {
      differences.push({ what: "data", field: f.path, recorded: `sha256 ${short(f.sha256)} (${f.bytes} bytes)`, now: "missing" });
      continue;
    }
    const now = fileChecksum(f.path);
    if (now.sha256 !== f.sha256) differences.push({ what: "data", field: f.path, recorded: `sha256 ${short(f.sha256)} (${f.bytes} bytes)`, now: `sha256 ${short(now.sha256)} (${now.bytes} bytes)` });
  }
  const env = environmentInfo();
  if (env.version !== m.version) differences.push({ what: "version", field: "version", recorded: m.version, now: env.version });
  if ((env.commit ?? "none") !== (m.commit ?? "none")) differences.push({ what: "commit", field: "commit", recorded: m.commit ?? "none", now: env.commit ?? "none" });

  const recordedOptions = decodeOptions(id, m.engine);
  const given = { ...recordedOptions, ...(options.options ?? {}) } as BacktestOptions;
  const ticks = await (options.loadData ?? defaultLoader)(read);
  if (files.length === 0 && m.data.batch !== undefined) {
    // Data that is not one file (generated, a catalog) is compared by a checksum of its columns.
    const now = dataFingerprintOf(ticks).batch ?? "";
    if (now !== m.data.batch) differences.push({ what: "data", field: `${read.data ?? "data"} (columns)`, recorded: `sha256 ${short(m.data.batch)}`, now: `sha256 ${short(now)}` });
  }
  const factory = strategies.get(m.strategy.name);
  const result = runBacktest(ticks, factory(m.strategy.params), given);

  // Options: every value the rerun used against the recorded one, and the engine's resolved models.
  const before = new Map<string, string>();
  const after = new Map<string, string>();
  flatten("", m.engine, before);
  flatten("", { ...engineJson(given), resolved: { ...result.settings } }, after);
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(key) ?? "not recorded";
    const b = after.get(key) ?? "not set";
    if (a !== b) differences.push({ what: "option", field: key, recorded: a, now: b });
  }
  const now = resultHash(result);
  if (now !== run.resultHash) differences.push({ what: "result", field: "resultHash", recorded: run.resultHash, now });

  const reproduced = now === run.resultHash && !differences.some((d) => d.what === "data");
  const report: RerunReport = { id, reproduced, resultHash: { recorded: run.resultHash, now }, differences, lines: [] };
  if (options.record) report.rerunId = await recordBacktest(store, result, { data: ticks, files: files.map((f) => f.path), read, options: given, parent: id, ...(m.strategy.schema === undefined ? {} : { schema: m.strategy.schema }) });
  report.lines = reproduced
    ? [`reproduced bit for bit (result hash ${now})`, ...differences.map((d) => `note: ${describe(d)}`)]
    : [`not reproduced: ${differences.length} difference${differences.length === 1 ? "" : "s"}`, ...differences.map(describe)];
  if (report.rerunId) report.lines.push(`rerun recorded as ${report.rerunId}`);
  return report;
}
