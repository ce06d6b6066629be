/**
 * The `--data` family of options shared by `backtest` and `optimize`: a file in any registered
 * format (with `--format`, `--symbol`/`--tick-size` for files that carry no instrument), a
 * partitioned catalog folder (`--symbol`, `--venue`, `--start`, `--end` select from it), a DBN
 * file, or `generated` (`--events`, `--mode`) for a seeded synthetic stream.
 */
import { statSync } from "node:fs";
import type { Command } from "commander";
import { LabError, instrument, parseDuration, type InstrumentSpec } from "../core/index.js";
import { generateTicks, readCatalog, readFile, type ClockOffsetOption, type TickBatch } from "../data/index.js";
import { parseIntegerOption, requireFile } from "./util.js";

export interface DataCliOptions {
  data: string;
  format?: string;
  events?: string;
  mode?: string;
  symbol?: string;
  venue?: string;
  tickSize?: string;
  lotSize?: string;
  start?: string;
  end?: string;
  onBadRows?: string;
  exchangeTime?: string;
}

/** Declares the `--data` family of options on a command (see the module comment). */
export function withDataOptions(command: Command, dataRequired = true): Command {
  const data = 'tick data file, a catalog folder, or "generated" for seeded synthetic data';
  return (dataRequired ? command.requiredOption("--data <path>", data) : command.option("--data <path>", data))
    .option("--format <name>", "data format (told from the file's content when omitted)")
    .option("--events <n>", "rows of generated data", "200000")
    .option("--mode <l2|l3>", "generated data kind", "l2")
    .option("--symbol <symbol>", "instrument symbol (formats that need one; the symbol to read from a catalog)")
    .option("--venue <venue>", "instrument venue (the venue to read from a catalog)")
    .option("--start <time>", "catalog: first instant to read (ISO time or epoch)")
    .option("--end <time>", "catalog: end of the range to read (exclusive)")
    .option("--tick-size <decimal>", "instrument tick size, e.g. 0.01")
    .option("--lot-size <decimal>", "instrument lot size, e.g. 0.001")
    .option("--on-bad-rows <policy>", "reject (default) or quarantine: run on the good rows of a damaged file (the rows set aside are reported with the run)")
    .option("--exchange-time <event|transaction>", "Binance raw captures: stamp rows with the event time E (default) or the transaction time T");
}

export interface LoadDataOptions {
  /** Seed of the generated stream, and the option it came from (for messages). */
  seed: string | undefined;
  seedOption: string;
  /** Columns in SharedArrayBuffers, for worker threads. */
  shared?: boolean;
  /** Read a file as that engine's converter does, the clock offset applied on reading (`readFile`'s `compat`). */
  compat?: { engine: "hftbacktest"; clockOffsetNs?: ClockOffsetOption };
}

/** A duration option: plain digits are ns, or a number with a unit ("50us", "1.5ms"). */
export function durationNs(value: string, name: string): number {
  if (/^\s*\d+\s*$/.test(value)) return parseIntegerOption(value, name);
  try {
    return Number(parseDuration(value));
  } catch (error) {
    throw new LabError({ code: "BAD_OPTION", message: `option ${name} expects a duration, got "${value}"`, hint: `ns as digits or with a unit, e.g. ${name} 50us`, context: { option: name }, cause: error });
  }
}

export async function loadDataOption(o: DataCliOptions, options: LoadDataOptions): Promise<TickBatch> {
  const shared = options.shared ?? false;
  if (o.data === "generated") {
    const mode = o.mode ?? "l2";
    if (mode !== "l2" && mode !== "l3") throw new LabError({ code: "BAD_OPTION", message: `--mode must be l2 or l3, got "${mode}"`, hint: "e.g. --mode l3", context: { option: "--mode" } });
    return generateTicks({ events: parseIntegerOption(o.events ?? "200000", "--events"), seed: parseIntegerOption(options.seed ?? "1", options.seedOption), mode, shared });
  }
  requireFile(o.data, "data file", true);
  if (statSync(o.data).isDirectory()) {
    return readCatalog(o.data, { shared, ...(o.symbol ? { symbols: [o.symbol] } : {}), ...(o.venue ? { venues: [o.venue] } : {}), ...(o.start ? { start: o.start } : {}), ...(o.end ? { end: o.end } : {}) });
  }
  let spec: InstrumentSpec | undefined;
  if (o.tickSize !== undefined || o.symbol !== undefined) {
    spec = instrument({ symbol: o.symbol ?? "UNKNOWN", venue: o.venue ?? "UNKNOWN", tickSize: o.tickSize ?? "0.01", ...(o.lotSize ? { lotSize: o.lotSize } : {}) });
  }
  const onBadRows = o.onBadRows ?? "reject";
  if (onBadRows !== "reject" && onBadRows !== "quarantine") {
    throw new LabError({ code: "BAD_OPTION", message: `--on-bad-rows must be reject or quarantine, got "${onBadRows}"`, hint: "quarantine keeps the good rows of a damaged file, sets the bad ones aside and reports them with the run", context: { option: "--on-bad-rows" } });
  }
  const exchangeTime = o.exchangeTime;
  if (exchangeTime !== undefined && exchangeTime !== "event" && exchangeTime !== "transaction") {
    throw new LabError({ code: "BAD_OPTION", message: `--exchange-time must be event or transaction, got "${exchangeTime}"`, hint: "event stamps Binance rows with E (the default), transaction with T (as hftbacktest's converter does)", context: { option: "--exchange-time" } });
  }
  const compat = options.compat === undefined ? {} : { compat: options.compat.engine, ...(options.compat.clockOffsetNs === undefined ? {} : { clockOffsetNs: options.compat.clockOffsetNs }) };
  return readFile(o.data, { shared, onBadRows, ...(o.format ? { format: o.format } : {}), ...(spec ? { instrument: spec } : {}), ...(exchangeTime ? { exchangeTime } : {}), ...compat });
}
