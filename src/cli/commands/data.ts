/**
 * Data commands: `ingest` (any registered format -> Parquet catalog), `validate` (quality report
 * as text or JSON, optional HTML) and `generate` (seeded synthetic ticks to Parquet/CSV/Arrow).
 * Formats come from the data layer's registry, so a reader registered there is usable here with
 * no change to this file.
 */
import type { Command } from "commander";
import { LabError, formatNs, instrument, type InstrumentSpec, type TimeUnit } from "../../core/index.js";
import { checkWritableFolder, prepareOutputFile, writeError, writeOutputFile } from "../../core/internal.js";
import { cacheCatalogColumns, formatNames, generateTicks, guessFormat, qualityReportJson, readFile, validate, writeCatalog, writeTable, type ColumnMapping, type IssuePolicy, type QualityReport } from "../../data/index.js";
import { qualityReportHtml } from "../../report/index.js";
import { cliProgress, output, parseIntegerOption, parseJsonOption, requireFile, type GlobalOptions } from "../util.js";
import { durationNs } from "../data-option.js";

interface InstrumentOptions {
  symbol?: string;
  venue?: string;
  tickSize?: string;
  lotSize?: string;
}

interface ReadOptions extends GlobalOptions, InstrumentOptions {
  format?: string;
  columns?: string;
  timeUnit?: string;
  onBadRows?: string;
  clockOffset?: string;
}

interface IngestOptions extends ReadOptions {
  out: string;
  replace?: boolean;
  validate?: boolean;
}

interface ValidateOptions extends ReadOptions {
  html?: string;
  policy?: string;
  sequence?: string;
}

interface GenerateOptions extends GlobalOptions, InstrumentOptions {
  events: string;
  seed: string;
  mode: string;
  out: string;
}

function instrumentFrom(options: InstrumentOptions): InstrumentSpec | undefined {
  if (options.tickSize === undefined) {
    if (options.lotSize !== undefined || options.symbol !== undefined) {
      throw new LabError({ code: "BAD_OPTION", message: "--symbol/--lot-size need --tick-size", hint: "e.g. --symbol BTCUSDT --venue binance --tick-size 0.1 --lot-size 0.001 (or omit all three to infer the grid from the data)", context: { option: "--tick-size" } });
    }
    return undefined;
  }
  return instrument({ symbol: options.symbol ?? "UNKNOWN", venue: options.venue ?? "UNKNOWN", tickSize: options.tickSize, lotSize: options.lotSize ?? "1" });
}

function readOptionsFrom(path: string, options: ReadOptions, progress: ReturnType<typeof cliProgress>): Parameters<typeof readFile>[1] {
  const format = options.format ?? guessFormat(path);
  if (!format) {
    throw new LabError({ code: "UNKNOWN_FORMAT", message: `cannot tell the format of ${path}`, hint: `pass --format ${formatNames().join("|")}`, context: { file: path } });
  }
  const spec = instrumentFrom(options);
  const out: Parameters<typeof readFile>[1] = { format };
  if (spec) out.instrument = spec;
  if (options.columns) out.columns = parseJsonOption(options.columns, "--columns") as ColumnMapping;
  if (options.timeUnit) {
    if (!["s", "ms", "us", "ns"].includes(options.timeUnit)) throw new LabError({ code: "BAD_OPTION", message: `--time-unit must be s, ms, us or ns, got "${options.timeUnit}"`, hint: "e.g. --time-unit us", context: { option: "--time-unit" } });
    out.timeUnit = options.timeUnit as TimeUnit;
  }
  if (options.onBadRows) {
    if (options.onBadRows !== "reject" && options.onBadRows !== "quarantine") throw new LabError({ code: "BAD_OPTION", message: `--on-bad-rows must be reject or quarantine, got "${options.onBadRows}"`, hint: "quarantine keeps the good rows and sets the bad ones aside", context: { option: "--on-bad-rows" } });
    out.onBadRows = options.onBadRows;
  }
  if (options.clockOffset !== undefined && options.clockOffset !== "0") out.clockOffsetNs = options.clockOffset === "auto" ? "auto" : durationNs(options.clockOffset, "--clock-offset");
  if (progress) out.progress = progress;
  return out;
}

function addReadOptions(command: Command): Command {
  return command
    .option("--format <format>", `input format (${formatNames().join(", ")}); told from the file's content when omitted`)
    .option("--symbol <symbol>", "instrument symbol (with --tick-size)")
    .option("--venue <venue>", "venue name (with --tick-size)")
    .option("--tick-size <decimal>", "price increment, e.g. 0.01 (inferred from the data if omitted)")
    .option("--lot-size <decimal>", "size increment, e.g. 0.001")
    .option("--columns <json>", 'column mapping for parquet/csv/arrow, e.g. \'{"exchTs":"ts","price":"px"}\'')
    .option("--time-unit <unit>", "unit of integer epoch timestamps: s, ms, us, ns (guessed if omitted)")
    .option("--on-bad-rows <policy>", "reject (default) or quarantine unparseable rows")
    .option("--clock-offset <auto|duration>", "add to every receive time: auto (the receive clock's lag behind the exchange's, estimated from the data) or a duration", "0")
    .option("--json", "print the result as JSON")
    .option("-q, --quiet", "no progress output");
}

function issueLines(report: QualityReport): string[] {
  return report.issues.map((i) => {
    const sample = i.samples[0];
    const where = sample ? ` first at ${sample.line !== undefined ? `line ${sample.line}` : `row ${sample.row}`}, column ${sample.column}${sample.value !== undefined ? ` (${sample.value})` : ""}` : "";
    return `  ${i.severity.padEnd(7)} ${i.class.padEnd(18)} ${String(i.count).padStart(9)}  ${i.message}${where} [${i.policy}]`;
  });
}

function verdictLine(report: QualityReport): string {
  if (report.rejected) {
    const classes = report.issues.filter((i) => i.policy === "reject").map((i) => i.class);
    return `REJECTED: ${classes.join(", ")} (policy reject; --on-bad-rows quarantine or --policy '{"${classes[0]}":"quarantine"}' keeps the good rows)`;
  }
  const quarantined = (report.quarantine?.batch.length ?? 0) + (report.read?.quarantine?.batch.length ?? 0);
  if (!report.ok) return `errors found: ${quarantined.toLocaleString("en-US")} row${quarantined === 1 ? "" : "s"} set aside, ${report.clean.length.toLocaleString("en-US")} clean rows usable`;
  return report.issues.length === 0 ? "ok" : "ok (warnings above)";
}

function summaryLines(report: QualityReport): string[] {
  const s = report.summary;
  return [
    `${report.source}: ${s.rows.toLocaleString("en-US")} rows (${Object.entries(s.byKind).map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`).join(", ")})`,
    `  time ${s.firstExchTs === null ? "-" : formatNs(s.firstExchTs)} .. ${s.lastExchTs === null ? "-" : formatNs(s.lastExchTs)}, ${Number.isFinite(s.ratePerSecond) ? `${Math.round(s.ratePerSecond).toLocaleString("en-US")} events/s` : ""}`,
    ...(s.clockOffsetNs > 0 ? [`  receive clock behind the exchange's by up to ${(s.clockOffsetNs / 1e9).toFixed(6)} s (estimated clock offset; --clock-offset auto adds it to receive times)`] : []),
    `  instruments: ${s.byInstrument.map((i) => `${i.symbol}@${i.venue}`).join(", ")}; sequence check: ${s.sequenceMode}${s.sequenceScope === "feed" && s.sequenceMode !== "none" ? " (per feed)" : ""}`,
  ];
}

export function register(program: Command): void {
  program
    .command("cache-columns")
    .description("write decoded column files beside a catalog (<catalog>/_columns) so streamed backtests of the range (--catalog) copy columns instead of decoding Parquet")
    .argument("<catalog>", "catalog root folder")
    .option("--symbols <list>", "comma-separated symbols (default: all)")
    .option("--start <time>", "first day to cache: a time in it (ns or ISO)")
    .option("--end <time>", "exclusive end time")
    .option("--json", "print the result as JSON")
    .option("-q, --quiet", "no progress output")
    .action(async (catalog: string, o: { symbols?: string; start?: string; end?: string; json?: boolean; quiet?: boolean }) => {
      const progress = o.json ? undefined : cliProgress(o);
      const started = performance.now();
      const symbols = o.symbols ? o.symbols.split(",").map((x) => x.trim()).filter(Boolean) : undefined;
      const result = await cacheCatalogColumns(catalog, { ...(symbols ? { symbols } : {}), ...(o.start ? { start: o.start } : {}), ...(o.end ? { end: o.end } : {}), ...(progress ? { progress } : {}) });
      const seconds = (performance.now() - started) / 1000;
      output({ catalog, ...result, seconds }, o.json, () => `cached the columns of ${result.built} of ${result.files} files (${result.rows.toLocaleString("en-US")} rows in all${result.built < result.files ? `; ${result.files - result.built} already up to date` : ""}) in ${seconds.toFixed(1)} s`);
    });

  addReadOptions(
    program
      .command("ingest")
      .description("read a data file (any registered format), validate it and add it to a Parquet catalog (venue=/symbol=/date=)")
      .argument("<path>", "input file")
      .requiredOption("--out <catalog>", "catalog root folder (created if missing)")
      .option("--replace", "replace the partitions written instead of appending files to them")
      .option("--no-validate", "skip validation (rows are written as read)"),
  ).action(async (path: string, options: IngestOptions) => {
    requireFile(path);
    // Checked before reading: a catalog that cannot be written fails at once, not after the read.
    checkWritableFolder(options.out, { what: "catalog (--out)", note: "nothing was changed in the catalog" });
    const progress = options.json ? undefined : cliProgress(options);
    const batch = await readFile(path, readOptionsFrom(path, options, progress));
    let report: QualityReport | undefined;
    let rows = batch;
    if (options.validate !== false) {
      report = validate(batch);
      rows = report.clean;
    }
    const written = await writeCatalog(options.out, rows, { mode: options.replace ? "replace" : "append", ...(progress ? { progress } : {}) });
    const result = { file: path, catalog: options.out, rowsRead: batch.length, rowsWritten: written.rows, partitions: written.partitions, quality: report ? qualityReportJson(report) : null };
    output(result, options.json, () => [`ingested ${written.rows.toLocaleString("en-US")} of ${batch.length.toLocaleString("en-US")} rows from ${path} into ${options.out}`, ...written.partitions.map((p) => `  ${p}`), ...(report ? issueLines(report) : [])].join("\n"));
  });

  addReadOptions(
    program
      .command("validate")
      .description("read a data file and print its data-quality report (issues with their first rows, summary)")
      .argument("<path>", "input file")
      .option("--html <file>", "also write the report as an HTML page")
      .option("--policy <json>", 'policy per issue class, e.g. \'{"exch-ts-order":"reject"}\'')
      .option("--sequence <mode>", "sequence check: auto, consecutive, increasing, linked, none", "auto"),
  ).action(async (path: string, options: ValidateOptions) => {
    requireFile(path);
    const progress = options.json ? undefined : cliProgress(options);
    // Read with quarantine so one pass reports every problem the reader finds (a bad row, a cut
    // file) next to validate's own; --on-bad-rows (default reject) then decides whether they fail.
    const readOptions = readOptionsFrom(path, options, progress);
    const readPolicy = readOptions?.onBadRows ?? "reject";
    const batch = await readFile(path, { ...readOptions, onBadRows: "quarantine" });
    const sequence = options.sequence ?? "auto";
    if (!["auto", "consecutive", "increasing", "linked", "none"].includes(sequence)) {
      throw new LabError({ code: "BAD_OPTION", message: `--sequence must be auto, consecutive, increasing, linked or none, got "${sequence}"`, hint: "linked = Binance pu/u chaining", context: { option: "--sequence" } });
    }
    const policy = options.policy ? (parseJsonOption(options.policy, "--policy") as Record<string, IssuePolicy>) : undefined;
    const report = validate(batch, { sequence: sequence as "auto", onReject: "report", readIssuesPolicy: readPolicy, ...(policy ? { policy } : {}) });
    if (options.html) await writeOutputFile(options.html, `<!doctype html><meta charset="utf-8"><title>Data quality: ${path}</title>${qualityReportHtml(report)}`, { what: "data-quality report (--html)", example: "quality.html" });
    output(qualityReportJson(report), options.json, () => [...summaryLines(report), report.issues.length === 0 ? "  no issues" : "  issues:", ...issueLines(report), verdictLine(report)].join("\n"));
    // Only a reject policy fails validation; quarantined and warned rows are reported, not fatal.
    if (report.rejected) process.exitCode = 1;
  });

  program
    .command("generate")
    .description("write seeded synthetic ticks (L2 levels or L3 orders) to a Parquet, CSV or Arrow file")
    .requiredOption("--events <n>", "number of rows")
    .option("--seed <s>", "random seed (same seed = same bytes)", "1")
    .option("--mode <mode>", "l2 or l3", "l2")
    .requiredOption("--out <file>", "output file (.parquet, .csv or .arrow)")
    .option("--symbol <symbol>", "instrument symbol", "SYN")
    .option("--venue <venue>", "venue name", "SIM")
    .option("--tick-size <decimal>", "price increment", "0.01")
    .option("--lot-size <decimal>", "size increment", "1")
    .option("--json", "print the result as JSON")
    .option("-q, --quiet", "no progress output")
    .action(async (options: GenerateOptions) => {
      const events = parseIntegerOption(options.events, "--events");
      const seed = parseIntegerOption(options.seed, "--seed");
      if (options.mode !== "l2" && options.mode !== "l3") throw new LabError({ code: "BAD_OPTION", message: `--mode must be l2 or l3, got "${options.mode}"`, hint: "l2 = price levels, l3 = orders by id", context: { option: "--mode" } });
      const progress = options.json ? undefined : cliProgress(options);
      const spec = instrument({ symbol: options.symbol ?? "SYN", venue: options.venue ?? "SIM", tickSize: options.tickSize ?? "0.01", lotSize: options.lotSize ?? "1" });
      // Checked before generating: a path that cannot be written fails at once, not after the work.
      const target = { what: "generated data (--out)", example: "ticks.parquet" };
      prepareOutputFile(options.out, target);
      const started = performance.now();
      const batch = generateTicks({ events, seed, mode: options.mode, instrument: spec, ...(progress ? { progress } : {}) });
      try {
        await writeTable(batch, options.out, progress ? { progress } : {});
      } catch (error) {
        throw writeError(error, options.out, target);
      }
      const seconds = (performance.now() - started) / 1000;
      output({ file: options.out, events: batch.length, seed, mode: options.mode, seconds }, options.json, () => `wrote ${batch.length.toLocaleString("en-US")} ${options.mode} events (seed ${seed}) to ${options.out} in ${seconds.toFixed(1)} s`);
    });
}
