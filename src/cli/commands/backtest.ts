/**
 * `strategy-lab backtest`: one backtest from the shell.
 *   strategy-lab backtest --strategy imbalance --data ticks.parquet --params '{"threshold":0.3}' --latency 50us --queue prob --json
 *   strategy-lab backtest --strategy marketMaker --data generated --events 200000 --out run.json
 *   strategy-lab backtest --strategy imbalance --data catalog/ --venue SIM --symbol SYN --start 2024-01-02T14:30:00Z
 * `--out` writes the full result (the input of `strategy-lab report`).
 * `--store runs.duckdb` (or STRATEGY_LAB_STORE) records the run in the run registry (`strategy-lab runs`).
 * `--check warn|strict|off` (default warn): the input check before the run; under warn, issues
 * found print one `warning:` line on stderr (and `inputCheck` in --json); strict refuses damaged
 * input with a DATA_* error naming the first bad row.
 *
 * `strategy-lab new strategy <Name>`: scaffolds a strategy file, its test and a notebook.
 */
import { writeOutputFileSync } from "../../core/internal.js";
import { statSync } from "node:fs";
import { relative, resolve } from "node:path";
import type { Command } from "commander";
import { LabError } from "../../core/index.js";
import { backtest, fillsCsv, type BacktestOptions, type FillModelName, type QueueName } from "../../engine/index.js";
import { describeInputCheck, type InputCheckMode } from "../../engine/index.js";
import { backtest as streamBacktest, recordBacktest, storeSpecFrom } from "../../runs/index.js";
import { openRunStore } from "../../store/index.js";
import { strategies } from "../../strategy/index.js";
import { durationNs, loadDataOption, withDataOptions, type DataCliOptions } from "../data-option.js";
import { scaffoldStrategy } from "../scaffold.js";
import { checklistBrief, runChecklist } from "../../report/index.js";
import { cliProgress, output, parseIntegerOption, parseJsonOption, parseNumberOption, type GlobalOptions } from "../util.js";

interface BacktestCliOptions extends GlobalOptions, DataCliOptions {
  strategy: string;
  params?: string;
  latency?: string;
  feedLatency?: string;
  clockOffset?: string;
  catalog?: string;
  symbols?: string;
  chunkRows?: string;
  queue?: string;
  fillsModel?: string;
  compat?: string;
  fillsCsv?: string;
  fees?: string;
  risk?: string;
  seed?: string;
  interval?: string;
  cash?: string;
  out?: string;
  check?: string;
  session?: string;
  store?: string;
}


/** The data options as given, so a rerun reads the same data the same way (file paths made absolute). */
function dataReadOptions(o: BacktestCliOptions): Record<string, string> {
  const read: Record<string, string> = { data: o.data === "generated" ? "generated" : resolve(o.data) };
  const keys = ["format", "symbol", "venue", "tickSize", "lotSize", "start", "end", "onBadRows"] as const;
  for (const k of keys) if (o[k] !== undefined) read[k] = String(o[k]);
  if (o.data === "generated") {
    read.events = o.events ?? "200000";
    read.mode = o.mode ?? "l2";
    read.seed = o.seed ?? "1";
  }
  return read;
}

export function register(program: Command): void {
  withDataOptions(
    program
      .command("backtest")
      .description("run one event-driven backtest of a registered strategy on a data file (or generated data)")
      .requiredOption("--strategy <name>", `strategy name (${strategies.names().join(", ")})`),
    false,
  )
    .option("--params <json>", "strategy parameters as JSON, e.g. '{\"threshold\":0.3}'")
    .option("--latency <duration>", "order latency each way (ns, or 50us, 1ms ...)", "0")
    .option("--feed-latency <duration>", 'feed latency: "data" (receive timestamps) or a constant', "data")
    .option("--catalog <dir>", "stream the run from a Parquet catalog chunk by chunk instead of reading --data into memory (with --symbols, --start, --end)")
    .option("--symbols <list>", "catalog: comma-separated symbols (default: all)")
    .option("--chunk-rows <n>", "catalog: rows read per chunk", "1000000")
    .option("--clock-offset <auto|duration>", "added to receive times before feed latency is taken from the data: auto (estimated from the data) or a duration, for a capture whose clock runs behind the exchange's", "0")
    .option("--queue <model>", "queue model: riskAverse, prob, log, squareProb (hftbacktest's), l3Fifo (default by data)")
    .option("--fills-model <model>", "fill model: partial (the queue overshoot; default) or no-partial (the whole order once its queue position is below zero, as hftbacktest's NoPartialFillExchange)")
    .option("--compat <engine>", "hftbacktest: every semantic choice as hftbacktest 1.x makes it (no-partial fills, step grid from the first row; Binance captures stamped with T unless --exchange-time is given); each option still overrides")
    .option("--fills-csv <file>", "write the fills as CSV with hftbacktest's reference columns (step_local_ts_ns, exch_fill_ts_ns, order_id, side, exec_price_tick, exec_qty)")
    .option("--fees <json>", "fee schedule for every instrument, e.g. '{\"maker\":-0.0001,\"taker\":0.0004}' (default: the instrument's)")
    .option("--risk <json>", "risk limits, e.g. '{\"maxPosition\":10,\"maxDrawdown\":500}'")
    .option("--seed <n>", "seed for random latency and generated data", "1")
    .option("--interval <duration>", "equity sampling interval", "1s")
    .option("--cash <amount>", "initial cash", "0")
    .option("--out <file>", "write the full result as JSON (report input)")
    .option("--check <mode>", "input check before the run: warn (report issues), strict (refuse damaged input), off", "warn")
    .option("--session <hours>", 'trading sessions of a multi-day run: 24x7 (default), nasdaq, nyse, lse, xetra, euronext, cme-globex, or JSON {"open":"09:30","close":"16:00","timeZone":"America/New_York"}; resting orders are cancelled at each close')
    .option("--store <spec>", "record the run in this store: a DuckDB file, \"memory\" or a postgres:// URL (default: STRATEGY_LAB_STORE when set)")
    .option("--json", "print the summary as JSON")
    .option("-q, --quiet", "no progress output")
    .action(async (o: BacktestCliOptions) => {
      const factory = strategies.get(o.strategy);
      const params = o.params === undefined ? {} : parseJsonOption(o.params, "--params");
      if (typeof params !== "object" || params === null || Array.isArray(params)) throw new LabError({ code: "BAD_OPTION", message: "--params must be a JSON object", hint: `e.g. --params '{"threshold":0.3}'` });
      const strategy = factory(params as Record<string, unknown>);
      const check = o.check ?? "warn";
      if (check !== "warn" && check !== "strict" && check !== "off") throw new LabError({ code: "BAD_OPTION", message: `--check must be warn, strict or off, got "${check}"`, hint: "warn reports issues in the input and runs, strict refuses damaged input, off skips the check", context: { option: "--check" } });
      if (o.catalog === undefined && o.data === undefined) throw new LabError({ code: "BAD_OPTION", message: "backtest needs data: --data <file|catalog|generated> or --catalog <dir>", hint: "e.g. --data generated, --data ticks.parquet, or --catalog catalog/ --symbols BTCUSDT", context: { option: "--data" } });
      const catalog = o.catalog === undefined ? undefined : { catalog: o.catalog, ...(o.symbols ? { symbols: o.symbols.split(",").map((x) => x.trim()).filter(Boolean) } : {}), ...(o.start ? { start: o.start } : {}), ...(o.end ? { end: o.end } : {}), chunkRows: parseIntegerOption(o.chunkRows ?? "1000000", "--chunk-rows") };
      if (catalog && o.data !== undefined && o.data !== "generated") throw new LabError({ code: "BAD_OPTION", message: "--catalog and --data are two sources; give one", hint: "--catalog <dir> streams a catalog range; --data <file> reads a file into memory", context: { option: "--catalog" } });
      if (o.compat !== undefined && o.compat !== "hftbacktest") throw new LabError({ code: "BAD_OPTION", message: `--compat must be hftbacktest, got "${o.compat}"`, hint: "--compat hftbacktest", context: { option: "--compat" } });
      // hftbacktest's Binance converter stamps T: the capture is read that way under --compat.
      if (o.compat === "hftbacktest" && o.exchangeTime === undefined) o.exchangeTime = "transaction";
      const clockOffsetNs = o.clockOffset === undefined || o.clockOffset === "0" ? undefined : o.clockOffset === "auto" ? ("auto" as const) : durationNs(o.clockOffset, "--clock-offset");
      // Under --compat a file reads as hftbacktest's converter makes events of it, the clock offset
      // applied on reading (the converter's event order depends on it): docs/fidelity.md.
      const readCompat = o.compat === "hftbacktest" && o.data !== undefined && o.data !== "generated";
      const ticks = catalog ? undefined : await loadDataOption(o, { seed: o.seed, seedOption: "--seed", ...(readCompat ? { compat: { engine: "hftbacktest" as const, ...(clockOffsetNs === undefined ? {} : { clockOffsetNs }) } } : {}) });
      const options: BacktestOptions = {
        latencyNs: durationNs(o.latency ?? "0", "--latency"),
        feedLatencyNs: o.feedLatency === undefined || o.feedLatency === "data" ? "data" : durationNs(o.feedLatency, "--feed-latency"),
        seed: parseIntegerOption(o.seed ?? "1", "--seed"),
        equityIntervalNs: durationNs(o.interval ?? "1s", "--interval"),
        initialCash: parseNumberOption(o.cash ?? "0", "--cash"),
        check: check as InputCheckMode,
      };
      if (clockOffsetNs !== undefined && !readCompat) options.clockOffsetNs = clockOffsetNs;
      if (o.queue !== undefined) options.queue = o.queue as QueueName;
      if (o.fillsModel !== undefined) options.fills = o.fillsModel as FillModelName;
      if (o.compat !== undefined) options.compat = o.compat as "hftbacktest";
      if (o.fees !== undefined) options.fees = parseJsonOption(o.fees, "--fees") as { maker: number; taker: number };
      if (o.risk !== undefined) options.risk = parseJsonOption(o.risk, "--risk") as BacktestOptions["risk"];
      if (o.session !== undefined) options.session = o.session.trim().startsWith("{") ? (parseJsonOption(o.session, "--session") as BacktestOptions["session"] & object) : o.session;
      const progress = o.json || o.quiet ? undefined : cliProgress(o);
      if (progress) options.progress = progress;
      const run = catalog ? await streamBacktest(catalog, strategy, options) : backtest(ticks!, strategy, options);
      const found = run.inputCheck ? describeInputCheck(run.inputCheck) : undefined;
      if (found) process.stderr.write(`warning: input ${found}; \`strategy-lab validate ${catalog ? catalog.catalog : o.data}\` for the full report, --check strict to refuse such input\n`);
      if (o.out) writeOutputFileSync(o.out, JSON.stringify(run.toJSON()) + "\n", { what: "backtest result (--out)", example: "run.json" });
      if (o.fillsCsv) {
        // A strategy on a fixed-step clock (a stepMs parameter) saw each fill at its next step.
        const stepMs = (strategy.params as Record<string, unknown>).stepMs;
        writeOutputFileSync(o.fillsCsv, fillsCsv(run, typeof stepMs === "number" ? { stepNs: Math.round(stepMs * 1e6) } : {}), { what: "fills CSV (--fills-csv)", example: "fills.csv" });
      }
      const storeSpec = storeSpecFrom(o.store);
      let recorded: { runId: string; store: string } | undefined;
      if (storeSpec !== undefined) {
        const { store, owned } = await openRunStore(storeSpec);
        try {
          const runId = catalog
            ? await recordBacktest(store, run, { options, schema: factory.schema, read: { catalog: resolve(catalog.catalog), ...(o.symbols ? { symbols: o.symbols } : {}), ...(o.start ? { start: o.start } : {}), ...(o.end ? { end: o.end } : {}) } })
            : await recordBacktest(store, run, { data: ticks!, options, schema: factory.schema, read: dataReadOptions(o), ...(o.data === "generated" || statSync(o.data).isDirectory() ? {} : { files: [resolve(o.data)] }) });
          recorded = { runId, store: store.location };
        } finally {
          if (owned) await store.close();
        }
        if (!o.json) process.stderr.write(`recorded as run ${recorded.runId} in ${recorded.store}\n`);
      }
      const json = run.toJSON();
      const checklist = runChecklist(run);
      output({ ...(recorded ? { runId: recorded.runId } : {}), summary: json.summary, settings: json.settings, instruments: json.instruments, orders: run.statusCounts(), warnings: run.diagnostics.warnings, books: run.diagnostics.books, ...(run.inputCheck ? { inputCheck: run.inputCheck } : {}), checklist: checklist.toJSON(), ...(o.out ? { out: o.out } : {}) }, o.json, () => run.toString() + "\n" + checklistBrief(checklist) + (o.out ? `\nwrote ${relative(process.cwd(), o.out)}` : ""));
    });

  const create = program.command("new").description("scaffold new project files");
  create
    .command("strategy")
    .description("write <name>.ts (a strategy), <name>.test.ts and <name>.ipynb (a notebook that backtests it)")
    .argument("<Name>", "strategy name, e.g. MyMomentum")
    .option("--dir <folder>", "where to write the files", "strategies")
    .option("--force", "overwrite existing files")
    .option("--json", "print the written files as JSON")
    .action((name: string, o: { dir: string; force?: boolean; json?: boolean }) => {
      const result = scaffoldStrategy(name, o.dir, { force: Boolean(o.force) });
      output(result, o.json, () => [`created strategy ${result.name} (registry name "${result.registryName}"):`, ...result.files.map((f) => `  ${relative(process.cwd(), f)}`)].join("\n"));
    });
}
