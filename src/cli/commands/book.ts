/**
 * `strategy-lab book verify --format <name> ...`: rebuilds an L2 book from a source's messages and
 * compares it with the source's own reference book, printing
 * {"rows","compared","mismatches","firstMismatch","notComparable"}.
 *
 * Each source format is one handler in a small registry (`registerBookVerifyFormat`), so adding a
 * venue (e.g. a raw websocket capture checked against its best-bid/offer stream) is one call; the
 * command's options are shared and each handler reads the ones that apply.
 */
import type { Command } from "commander";
import { LabError, closestName } from "../../core/index.js";
import { readReportOf, type TickBatch } from "../../data/index.js";
import { binance, lobster } from "../../venues/index.js";
import { cliProgress, output, parseIntegerOption, requireFile, type GlobalOptions } from "../util.js";

/** Options `book verify` accepts; a format handler uses the ones that apply to it. */
export interface BookVerifyOptions extends GlobalOptions {
  format: string;
  messages?: string;
  orderbook?: string;
  levels?: string;
  date?: string;
  symbol?: string;
  /** Positional file (binance-raw: the capture). */
  capture?: string;
  /** reject (default) or quarantine: keep the good rows of a damaged file and report the rest. */
  onBadRows?: string;
}

/** What every format handler returns (extra fields are printed too). */
export interface BookVerifyResult {
  rows: number;
  compared: number;
  mismatches: number;
  firstMismatch: unknown;
  notComparable: number;
  [extra: string]: unknown;
}

export type BookVerifyHandler = (options: BookVerifyOptions) => BookVerifyResult | Promise<BookVerifyResult>;

const handlers = new Map<string, { description: string; handler: BookVerifyHandler }>();

/** Adds (or replaces) the `book verify --format <name>` handler. */
export function registerBookVerifyFormat(name: string, description: string, handler: BookVerifyHandler): void {
  handlers.set(name, { description, handler });
}

export function bookVerifyFormats(): string[] {
  return [...handlers.keys()];
}

function badRowPolicy(o: BookVerifyOptions): "reject" | "quarantine" {
  const p = o.onBadRows ?? "reject";
  if (p !== "reject" && p !== "quarantine") throw new LabError({ code: "BAD_OPTION", message: `--on-bad-rows must be reject or quarantine, got "${p}"`, hint: "quarantine keeps the good rows and reports the bad ones", context: { option: "--on-bad-rows" } });
  return p;
}

/** The reader's issues as plain rows for the verify output (a damaged file is verified on what was kept). */
function readIssues(batch: TickBatch): { class: string; count: number; message: string }[] {
  return (readReportOf(batch)?.issues ?? []).map((i) => ({ class: i.class, count: i.count, message: i.message }));
}

function need(value: string | undefined, option: string, format: string): string {
  if (value === undefined) throw new LabError({ code: "MISSING_OPTION", message: `book verify --format ${format} needs ${option}`, hint: `e.g. strategy-lab book verify --format ${format} ${option} <file>`, context: { option } });
  return value;
}

registerBookVerifyFormat("lobster", "LOBSTER message + orderbook files (CSV or zip): price-level replay vs the orderbook file", (o) => {
  const messages = requireFile(need(o.messages, "--messages", "lobster"), "LOBSTER message file");
  const orderbook = o.orderbook === undefined ? undefined : requireFile(o.orderbook, "LOBSTER orderbook file");
  const progress = cliProgress(o);
  const data = lobster.read({ messages, onBadRows: badRowPolicy(o), ...(orderbook ? { orderbook } : {}), ...(o.date ? { date: o.date } : {}), ...(o.symbol ? { symbol: o.symbol } : {}), ...(progress ? { progress } : {}) });
  if (!data.orderbook) {
    throw new LabError({ code: "NO_ORDERBOOK", message: `${messages} holds no orderbook file`, hint: "pass --orderbook <file> (the *_orderbook_L.csv of the same download)", context: { file: messages } });
  }
  const levels = o.levels === undefined ? data.orderbook.levels : parseIntegerOption(o.levels, "--levels");
  const r = lobster.verify(data, { levels });
  return { rows: r.rows, compared: r.compared, mismatches: r.mismatches, firstMismatch: r.firstMismatch, notComparable: r.notComparable, levels: r.levels, readIssues: readIssues(data.batch) };
});

registerBookVerifyFormat("binance-raw", "Binance raw websocket capture (.gz): snapshot + depth diffs synced per Binance's rules vs every bookTicker with the same update id", (o) => {
  const file = requireFile(need(o.capture, "<capture.gz>", "binance-raw"), "Binance capture");
  const progress = cliProgress(o);
  const capture = binance.read(file, { onBadRows: badRowPolicy(o), ...(progress ? { progress } : {}) });
  const { report } = binance.sync(capture);
  // A cell here is one bookTicker; "not comparable" = bookTickers whose update id ends no applied diff.
  return {
    rows: capture.messages,
    compared: report.tickersComparable,
    mismatches: report.tickersMismatched,
    firstMismatch: report.firstTickerMismatch,
    notComparable: report.bookTickers - report.tickersComparable,
    market: report.market,
    equal: report.tickersEqual,
    diffsApplied: report.diffsApplied,
    diffsSuperseded: report.diffsSuperseded,
    gaps: report.gaps,
    resyncs: report.resyncs,
    inSyncAtEnd: report.inSyncAtEnd,
    readProblems: capture.problems,
    readIssues: (capture.readReport?.issues ?? []).map((i) => ({ class: i.class, count: i.count, message: i.message })),
  };
});

function human(format: string, r: BookVerifyResult): string {
  const lines = [
    `book verify (${format}): ${r.mismatches === 0 ? "OK" : "MISMATCH"}`,
    `  rows compared:   ${r.rows}`,
    `  cells compared:  ${r.compared}`,
    `  mismatches:      ${r.mismatches}`,
    `  not comparable:  ${r.notComparable} (levels that entered the window from beyond it)`,
  ];
  if (r.firstMismatch) lines.push(`  first mismatch:  ${JSON.stringify(r.firstMismatch)}`);
  const issues = (r.readIssues ?? []) as { class: string; count: number; message: string }[];
  for (const i of issues) lines.push(`  read issue:      ${i.class} ${i.count}: ${i.message}`);
  return lines.join("\n");
}

export function register(program: Command): void {
  // The `book` group may already exist (created by another command module): share it.
  const book = program.commands.find((c) => c.name() === "book") ?? program.command("book").description("order book reconstruction and checks");
  if (book.commands.some((c) => c.name() === "verify")) return;
  book
    .command("verify")
    .description("rebuild the book from a source's messages and compare it with the source's reference book after every message")
    .argument("[capture]", "binance-raw: the capture file")
    .requiredOption("--format <name>", `source format (${bookVerifyFormats().join(", ")})`)
    .option("--messages <file>", "message file (LOBSTER: *_message_L.csv or the zip)")
    .option("--orderbook <file>", "reference book file (LOBSTER: *_orderbook_L.csv; default: inside the messages zip)")
    .option("--levels <n>", "levels per side to compare (LOBSTER: 1..L-1 compared, level L when knowable)")
    .option("--date <YYYY-MM-DD>", "session date when the file name does not carry it")
    .option("--symbol <symbol>", "instrument symbol when the file name does not carry it")
    .option("--on-bad-rows <policy>", "reject (default) or quarantine: verify the good rows of a damaged file and list what was set aside")
    .option("--json", "print as JSON")
    .option("--quiet", "no progress bar")
    .action(async (capture: string | undefined, options: BookVerifyOptions) => {
      if (capture !== undefined) options.capture = capture;
      const entry = handlers.get(options.format);
      if (!entry) {
        const guess = closestName(options.format, bookVerifyFormats());
        throw new LabError({ code: "UNKNOWN_FORMAT", message: `book verify has no format "${options.format}"`, hint: `${guess ? `did you mean "${guess}"? ` : ""}known: ${bookVerifyFormats().join(", ")}`, context: { format: options.format } });
      }
      const r = await entry.handler(options);
      output(r, options.json, () => human(options.format, r));
      if (r.mismatches > 0) process.exitCode = 1;
    });
}
