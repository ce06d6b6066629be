/**
 * Statistics from the shell.
 *   strategy-lab stats returns.csv --periods-per-year 252 --trials 240 --trial-sharpe-variance 0.0004 --json
 *   strategy-lab pbo matrix.csv --partitions 16 --json
 *   strategy-lab report run.json --out report.html
 *
 * `stats` reads per-period simple returns: a JSON array, a JSON object with a `returns` array,
 * one number per line, or a CSV with a `return` (or `returns`) column. `pbo` reads a numeric CSV
 * with one row per period and one column per trial (an optional header row is skipped).
 * `report` reads what `strategy-lab backtest --out` writes (`BacktestResult.toJSON()`).
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import type { Command } from "commander";
import { LabError, parseDuration, periodsPerYearOf, resolveCalendar } from "../../core/index.js";
import { METRICS, metricsReport, probabilityOfOverfitting, sharpeInference, type TrialsInfo } from "../../stats/index.js";
import { exportHtml, jsonSheetInput, tearSheet, type BacktestJsonLike, type RunReportOptions, type TearSheetInput } from "../../report/index.js";
import { output, parseIntegerOption, parseNumberOption, requireFile } from "../util.js";

/** The keys `stats --json` prints, in order (plus `reasons` for the NaN ones). */
export const STATS_KEYS = [
  "totalReturn",
  "annualReturn",
  "annualVolatility",
  "sharpe",
  "sortino",
  "calmar",
  "maxDrawdown",
  "omega",
  "tailRatio",
  "valueAtRisk",
  "conditionalValueAtRisk",
  "skewness",
  "kurtosis",
  "probabilisticSharpe",
  "deflatedSharpe",
  "minTrackRecordLength",
  "sharpeStandardError",
] as const;

function readText(file: string, what: string): string {
  requireFile(file, what);
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new LabError({ code: "READ_FAILED", message: `could not read ${what} ${file}: ${(error as Error).message}`, hint: "check the file permissions", context: { file }, cause: error });
  }
}

function parseNumberCell(text: string, file: string, row: number, column: string): number {
  const t = text.trim();
  const v = Number(t);
  if (t === "" || !Number.isFinite(v)) {
    throw new LabError({ code: "BAD_NUMBER", message: `not a number at row ${row}, column ${column} of ${file}: "${text}"`, hint: "every value must be a finite decimal number (use 0 for periods without activity)", context: { file, row, column } });
  }
  return v;
}

/**
 * Splits a small numeric CSV into cells. Hand-written on purpose: these files hold only numbers
 * and one optional header row, so quoting never occurs; a quote is rejected rather than guessed.
 */
function csvRows(text: string, file: string): { cells: string[][]; lines: number[] } {
  const cells: string[][] = [];
  const lines: number[] = [];
  const all = text.split(/\r?\n/);
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!;
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    if (line.includes('"')) throw new LabError({ code: "BAD_CSV", message: `quoted values are not supported (line ${i + 1} of ${file})`, hint: "write plain numbers separated by commas", context: { file, row: i + 1 } });
    cells.push(line.split(/[,;\t]/).map((c) => c.trim()));
    lines.push(i + 1);
  }
  return { cells, lines };
}

const isNumeric = (s: string): boolean => s.trim() !== "" && Number.isFinite(Number(s));

/** Per-period returns from a JSON array / object, a one-number-per-line file or a CSV with a `return` column. */
export function readReturns(file: string): Float64Array {
  const text = readText(file, "returns file");
  const trimmed = text.trimStart();
  if (file.toLowerCase().endsWith(".json") || trimmed.startsWith("[") || trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new LabError({ code: "BAD_JSON", message: `${file} is not valid JSON: ${(error as Error).message}`, hint: "write an array of numbers, e.g. [0.001, -0.002]", context: { file }, cause: error });
    }
    const values = Array.isArray(parsed) ? parsed : typeof parsed === "object" && parsed !== null && Array.isArray((parsed as { returns?: unknown }).returns) ? (parsed as { returns: unknown[] }).returns : undefined;
    if (!values) throw new LabError({ code: "BAD_JSON", message: `${file} holds neither an array of returns nor { "returns": [...] }`, hint: "write an array of numbers, e.g. [0.001, -0.002]", context: { file } });
    return Float64Array.from(values, (v, i) => {
      if (typeof v !== "number" || !Number.isFinite(v)) throw new LabError({ code: "BAD_NUMBER", message: `element ${i} of ${file} is ${JSON.stringify(v)}, not a finite number`, hint: "every return must be a number (use 0 for periods without activity)", context: { file, row: i } });
      return v;
    });
  }
  const { cells, lines } = csvRows(text, file);
  if (cells.length === 0) return new Float64Array(0);
  let column = 0;
  let start = 0;
  const header = cells[0]!;
  if (!header.every(isNumeric)) {
    const idx = header.findIndex((h) => /^returns?$/i.test(h));
    if (idx < 0) {
      if (header.length === 1) throw new LabError({ code: "BAD_NUMBER", message: `not a number at row ${lines[0]} of ${file}: "${header[0]}"`, hint: "one return per line, or a CSV with a `return` column", context: { file, row: lines[0]! } });
      throw new LabError({ code: "NO_RETURN_COLUMN", message: `${file} has no "return" column (columns: ${header.join(", ")})`, hint: "name the column of per-period returns `return`", context: { file } });
    }
    column = idx;
    start = 1;
  } else if (header.length > 1) {
    throw new LabError({ code: "NO_RETURN_COLUMN", message: `${file} has ${header.length} columns and no header`, hint: "add a header row with a `return` column, or write one return per line", context: { file } });
  }
  const name = start === 1 ? header[column]! : "1";
  const out = new Float64Array(cells.length - start);
  for (let i = start; i < cells.length; i++) out[i - start] = parseNumberCell(cells[i]![column] ?? "", file, lines[i]!, name);
  return out;
}

/** A periods × trials matrix from a numeric CSV (optional header row). */
export function readMatrix(file: string): number[][] {
  const { cells, lines } = csvRows(readText(file, "matrix file"), file);
  const start = cells.length > 0 && !cells[0]!.every(isNumeric) ? 1 : 0;
  const header = start === 1 ? cells[0]! : undefined;
  const rows: number[][] = [];
  for (let i = start; i < cells.length; i++) {
    rows.push(cells[i]!.map((c, j) => parseNumberCell(c, file, lines[i]!, header?.[j] ?? String(j + 1))));
  }
  if (rows.length === 0) throw new LabError({ code: "EMPTY_MATRIX", message: `${file} has no data rows`, hint: "one row per period, one column per trial", context: { file } });
  return rows;
}

function trialsOption(o: { trials?: string; trialSharpeVariance?: string }): TrialsInfo | undefined {
  if (o.trials === undefined && o.trialSharpeVariance === undefined) return undefined;
  if (o.trials === undefined || o.trialSharpeVariance === undefined) {
    throw new LabError({ code: "BAD_OPTION", message: "--trials and --trial-sharpe-variance go together", hint: "e.g. --trials 240 --trial-sharpe-variance 0.0004 (variance of the trials' per-period Sharpe ratios)", context: { option: o.trials === undefined ? "--trials" : "--trial-sharpe-variance" } });
  }
  const count = parseIntegerOption(o.trials, "--trials");
  const sharpeVariance = parseNumberOption(o.trialSharpeVariance, "--trial-sharpe-variance");
  if (count < 1) throw new LabError({ code: "BAD_OPTION", message: `--trials must be ≥ 1, got ${count}`, hint: "the number of parameter sets really evaluated", context: { option: "--trials" } });
  if (sharpeVariance < 0) throw new LabError({ code: "BAD_OPTION", message: `--trial-sharpe-variance must be ≥ 0, got ${sharpeVariance}`, hint: "the variance of the trials' per-period Sharpe ratios", context: { option: "--trial-sharpe-variance" } });
  return { count, sharpeVariance };
}

export interface StatsSummary {
  [key: string]: number | Record<string, string> | undefined;
  reasons: Record<string, string>;
}

/** The `stats` command's object: the registry metrics and the Sharpe tests, NaN ones explained. */
export function statsSummary(returns: Float64Array, options: { periodsPerYear: number; riskFree: number; trials?: TrialsInfo }): { values: Record<(typeof STATS_KEYS)[number], number>; reasons: Record<string, string>; periods: number; periodsPerYear: number } {
  const metrics = metricsReport(returns, { periodsPerYear: options.periodsPerYear, riskFree: options.riskFree });
  const inference = sharpeInference(returns, { periodsPerYear: options.periodsPerYear, riskFree: options.riskFree, ...(options.trials ? { trials: options.trials } : {}) });
  const iv = inference.values;
  const values = {} as Record<(typeof STATS_KEYS)[number], number>;
  const reasons: Record<string, string> = {};
  const fromInference: Record<string, [number, string | undefined]> = {
    probabilisticSharpe: [iv.probabilisticSharpe, inference.reasons.probabilisticSharpe],
    deflatedSharpe: [iv.deflatedSharpe, inference.reasons.deflatedSharpe],
    minTrackRecordLength: [iv.minTrackRecordLength, inference.reasons.minTrackRecordLength],
    sharpeStandardError: [iv.sharpeStandardErrorAnnualized, inference.reasons.sharpeStandardErrorAnnualized ?? inference.reasons.sharpeStandardError],
  };
  for (const key of STATS_KEYS) {
    const inf = fromInference[key];
    const value = inf ? inf[0] : (metrics.values[key] ?? NaN);
    const reason = inf ? inf[1] : metrics.reasons[key];
    values[key] = value;
    if (!Number.isFinite(value)) reasons[key] = reason ?? "undefined for these returns";
  }
  return { values, reasons, periods: returns.length, periodsPerYear: options.periodsPerYear };
}

/** The tear sheet's input from a `BacktestResult.toJSON()` file (the adapter is the library's: `lab.report.jsonSheetInput`). */
export function readResults(file: string, options: RunReportOptions = {}): TearSheetInput {
  let json: BacktestJsonLike;
  try {
    json = JSON.parse(readText(file, "results file")) as BacktestJsonLike;
  } catch (error) {
    if (error instanceof LabError) throw error;
    throw new LabError({ code: "BAD_JSON", message: `${file} is not valid JSON: ${(error as Error).message}`, hint: "write it with `strategy-lab backtest --out run.json`", context: { file }, cause: error });
  }
  return jsonSheetInput(json, options, file);
}

const fmt = (v: number): string => (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : "n/a");

export function register(program: Command): void {
  program
    .command("stats")
    .description("return, risk and Sharpe-test statistics of a series of per-period returns")
    .argument("<returns>", "returns file: .json array, one number per line, or CSV with a `return` column")
    .option("--periods-per-year <n>", "return periods per year, for annualization (default 252, or from --interval)")
    .option("--interval <duration>", "length of one return period (e.g. 1s, 1m) for intraday returns: periods per year from the trading calendar")
    .option("--calendar <name>", "trading calendar with --interval: nasdaq, nyse, lse, 24x7, ...", "24x7")
    .option("--risk-free <r>", "risk-free return per period", "0")
    .option("--trials <n>", "parameter sets tried before picking this one (deflates the Sharpe ratio)")
    .option("--trial-sharpe-variance <v>", "variance of the trials' per-period Sharpe ratios")
    .option("--json", "print one JSON object")
    .action((file: string, o: { periodsPerYear?: string; interval?: string; calendar: string; riskFree: string; trials?: string; trialSharpeVariance?: string; json?: boolean }) => {
      const periodsPerYear =
        o.periodsPerYear !== undefined ? parseNumberOption(o.periodsPerYear, "--periods-per-year")
        : o.interval !== undefined ? periodsPerYearOf(resolveCalendar(o.calendar), Number(parseDuration(o.interval)))
        : 252;
      if (!(periodsPerYear > 0)) throw new LabError({ code: "BAD_OPTION", message: `--periods-per-year must be > 0, got ${periodsPerYear}`, hint: "e.g. 252 for daily returns, 8760 for hourly around the clock", context: { option: "--periods-per-year" } });
      const riskFree = parseNumberOption(o.riskFree, "--risk-free");
      const trials = trialsOption(o);
      const returns = readReturns(file);
      const s = statsSummary(returns, { periodsPerYear, riskFree, ...(trials ? { trials } : {}) });
      output({ ...s.values, reasons: s.reasons, periods: s.periods, periodsPerYear }, o.json, () => {
        const titles: Record<string, string> = Object.fromEntries(METRICS.map((m) => [m.key, m.title]));
        Object.assign(titles, { probabilisticSharpe: "Probabilistic Sharpe (vs 0)", deflatedSharpe: "Deflated Sharpe", minTrackRecordLength: "Minimum track record (periods, 95%)", sharpeStandardError: "Sharpe standard error (annualized, Lo 2002)" });
        const width = Math.max(...STATS_KEYS.map((k) => (titles[k] ?? k).length));
        const lines = STATS_KEYS.map((k) => `${(titles[k] ?? k).padEnd(width)}  ${fmt(s.values[k])}${s.reasons[k] ? `  (${s.reasons[k]})` : ""}`);
        return [`${s.periods} returns, ${periodsPerYear} periods per year`, ...lines].join("\n");
      });
    });

  program
    .command("pbo")
    .description("probability of backtest overfitting (CSCV) of a periods × trials returns matrix")
    .argument("<matrix>", "CSV: one row per period, one column per trial (optional header row)")
    .option("--partitions <S>", "number of blocks S (even); C(S, S/2) splits", "16")
    .option("--json", "print one JSON object")
    .action((file: string, o: { partitions: string; json?: boolean }) => {
      const partitions = parseIntegerOption(o.partitions, "--partitions");
      const rows = readMatrix(file);
      const result = probabilityOfOverfitting(rows, { partitions });
      output({ pbo: result.pbo, logits: Array.from(result.logits), ...(result.reason !== undefined ? { reason: result.reason } : {}) }, o.json, () =>
        result.reason !== undefined ? `PBO n/a: ${result.reason}` : [`PBO ${fmt(result.pbo)} over ${result.logits.length} splits (${result.trials} trials, ${result.periods} periods, ${result.partitions} partitions)`, `probability of an out-of-sample loss ${fmt(result.probabilityOfLoss)}`].join("\n"),
      );
    });

  program
    .command("report")
    .description("write a self-contained HTML tear sheet from a backtest results file")
    .argument("<results>", "results JSON written by `strategy-lab backtest --out` (BacktestResult.toJSON())")
    .requiredOption("--out <file>", "HTML file to write")
    .option("--title <text>", "page title (default: strategy, parameters and symbols)")
    .option("--trials <n>", "parameter sets tried before picking this run (deflates the Sharpe ratio)")
    .option("--trial-sharpe-variance <v>", "variance of the trials' per-period Sharpe ratios")
    .option("--calendar <name>", "trading calendar for annualization: nasdaq, nyse, lse, 24x7, ... (default: the instruments' venues')")
    .option("--periods-per-year <n>", "override the annualization outright (default: the calendar's sessions × session / equity interval)")
    .option("--capital <amount>", "account value the PnL was made on, for a run with no initial cash (equity = PnL)")
    .option("--json", "print what was written as JSON")
    .action((file: string, o: { out: string; title?: string; trials?: string; trialSharpeVariance?: string; calendar?: string; periodsPerYear?: string; capital?: string; json?: boolean }) => {
      const trials = trialsOption(o);
      const sheet = tearSheet(
        readResults(file, {
          ...(o.title !== undefined ? { title: o.title } : {}),
          ...(trials ? { trials } : {}),
          ...(o.calendar !== undefined ? { calendar: o.calendar } : {}),
          ...(o.periodsPerYear !== undefined ? { periodsPerYear: parseNumberOption(o.periodsPerYear, "--periods-per-year") } : {}),
          ...(o.capital !== undefined ? { capital: parseNumberOption(o.capital, "--capital") } : {}),
        }),
      );
      exportHtml(sheet, o.out);
      const verdict = (sheet as { verdict?: unknown }).verdict;
      output({ out: o.out, title: sheet.title, verdict, convention: sheet.convention }, o.json, () => `wrote ${relative(process.cwd(), o.out)}`);
    });
}
