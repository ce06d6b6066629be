/**
 * `strategy-lab dbn inspect <file>`: DBN metadata and counts per record type, action and flag.
 * `strategy-lab book check-mbo <file>`: replays an MBO file with Databento's book rules and
 * reports the acceptance checks (negative sizes, crossing, unknown ids, fills, trade prints).
 */
import type { Command } from "commander";
import { LabError, formatNs, instrument, isLabError, type InstrumentSpec } from "../../core/index.js";
import { databento } from "../../venues/index.js";
import { output, parseNumberOption, requireFile, type GlobalOptions } from "../util.js";

interface InspectOptions extends GlobalOptions {
  records?: boolean;
}

interface CheckOptions extends GlobalOptions {
  tickSize?: string;
  definitions?: string;
  tolerance?: string;
}

function tsRange(file: databento.File): { first: string | null; last: string | null } {
  let first: bigint | undefined;
  let last: bigint | undefined;
  for (const c of [file.mbo, file.trades, file.mbp1, file.mbp10]) {
    if (c.length === 0) continue;
    const a = c.tsEvent[0]!;
    const b = c.tsEvent[c.length - 1]!;
    if (first === undefined || a < first) first = a;
    if (last === undefined || b > last) last = b;
  }
  return { first: first === undefined ? null : formatNs(first), last: last === undefined ? null : formatNs(last) };
}

/** The inspect report: plain data, JSON-friendly. */
export function inspectDbn(path: string): Record<string, unknown> {
  const file = databento.decodeFile(path, { onCorrupt: "keep" });
  const m = file.metadata;
  return {
    file: path,
    compressed: file.compressed,
    version: m.version,
    dataset: m.dataset,
    schema: m.schema,
    start: formatNs(m.start),
    end: m.end === null ? null : formatNs(m.end),
    limit: m.limit,
    stypeIn: m.stypeIn,
    stypeOut: m.stypeOut,
    tsOut: m.tsOut,
    symbols: m.symbols,
    partial: m.partial,
    notFound: m.notFound,
    mappings: m.mappings,
    records: file.counts.records,
    byRType: file.counts.byRType,
    byAction: file.counts.byAction,
    byFlag: file.counts.byFlag,
    skipped: file.counts.skipped,
    tsEvent: tsRange(file),
    definitions: file.definitions.map((d) => ({ instrumentId: d.instrumentId, rawSymbol: d.rawSymbol, tickSize: d.tickSize, displayFactor: databento.fixedToDecimal(d.displayFactor), exchange: d.exchange, currency: d.currency, instrumentClass: d.instrumentClass })),
    corruption: file.corruption ? file.corruption.toJSON() : null,
  };
}

/** Replays an MBO file and returns the check report plus where the tick size came from. */
export function checkMboFile(path: string, options: { tickSize?: string; definitions?: string; toleranceTicks?: number } = {}): databento.VerifyReport & { file: string; symbol: string; tickSize: string; description: string; bestBidPrice: string | null; bestAskPrice: string | null } {
  const file = databento.decodeFile(path);
  if (file.mbo.length === 0) {
    throw new LabError({ code: "DBN_NOT_MBO", message: `${path} has no MBO records (${databento.describe(file)})`, hint: "check-mbo needs a Databento MBO file (schema mbo)", context: { file: path } });
  }
  let spec: InstrumentSpec | undefined;
  if (options.tickSize !== undefined) spec = instrument({ symbol: file.metadata.symbols[0] ?? "?", venue: file.metadata.dataset, tickSize: options.tickSize });
  let batch;
  try {
    batch = databento.toTickBatch(file, { ...(spec ? { instrument: spec } : {}), ...(options.definitions ? { definitions: options.definitions } : {}) });
  } catch (error) {
    if (isLabError(error) && error.code === "DBN_NO_TICK_SIZE") {
      throw new LabError({ code: error.code, message: error.message, hint: "pass --tick-size 0.25 (the instrument's real tick size) or --definitions <definition .dbn file>", context: error.context });
    }
    throw error;
  }
  const report = databento.verify(batch, options.toleranceTicks === undefined ? {} : { tradeToleranceTicks: options.toleranceTicks });
  const s = batch.instruments[0]!;
  const price = (t: number) => (Number.isNaN(t) ? null : s.priceString(t));
  return { file: path, symbol: s.symbol, tickSize: s.tickSize, description: databento.describe(file), bestBidPrice: price(report.bestBid), bestAskPrice: price(report.bestAsk), ...report };
}

function humanInspect(r: Record<string, unknown>): string {
  const lines = [
    `${r.file}: DBN v${r.version} ${r.dataset} ${r.schema ?? "mixed"}${r.compressed ? " (zstd)" : ""}`,
    `  query ${r.start} .. ${r.end ?? "?"}  symbols ${(r.symbols as string[]).join(", ")}  (${r.stypeIn} -> ${r.stypeOut})`,
    `  ${r.records} records; events ${(r.tsEvent as { first: string | null }).first ?? "-"} .. ${(r.tsEvent as { last: string | null }).last ?? "-"}`,
    `  by type:   ${JSON.stringify(r.byRType)}`,
    `  by action: ${JSON.stringify(r.byAction)}`,
    `  by flag:   ${JSON.stringify(r.byFlag)}`,
  ];
  for (const d of r.definitions as { instrumentId: number; rawSymbol: string; tickSize: string; exchange: string }[]) lines.push(`  definition ${d.instrumentId} ${d.rawSymbol} tick ${d.tickSize} ${d.exchange}`);
  const c = r.corruption as { code: string; message: string } | null;
  if (c) lines.push(`  STOPPED: ${c.code}: ${c.message}`);
  return lines.join("\n");
}

function humanCheck(r: ReturnType<typeof checkMboFile>): string {
  const lines = [
    `${r.file}: ${r.ok ? "OK" : "PROBLEMS"} (${r.symbol}, tick ${r.tickSize})`,
    `  ${r.rows} rows, ${r.lastPoints} F_LAST points, ${r.snapshotRows} snapshot rows, ${r.clears} clears; ${r.orders} orders at the end`,
    `  final top: ${r.bestBidPrice ?? "-"} x ${r.bestBidQty} / ${r.bestAskPrice ?? "-"} x ${r.bestAskQty}`,
    `  crossed at ${r.crossedPoints} F_LAST points in ${r.crossedRuns.length} runs${r.crossedRuns.length ? ` (first ${formatNs(r.crossedRuns[0]!.firstTs)} .. ${formatNs(r.crossedRuns[0]!.lastTs)})` : ""}`,
    `  unknown-id events ${r.unknownIdEvents}, negative-size events ${r.negativeQtyEvents}`,
    `  fills on known orders ${r.fillsOnKnownOrders}, on unknown orders ${r.fillsOnUnknownOrders}`,
    `  trades ${r.trades}: inside touch ${r.tradesInsideTouch}, sweeps ${r.tradesThroughTouch}, inconsistent ${r.tradesInconsistent} (tolerance ${r.toleranceTicks} ticks)`,
  ];
  for (const p of r.problems) lines.push(`  problem: ${p}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join("\n");
}

export function register(program: Command): void {
  const dbn = program.command("dbn").description("Databento DBN files: inspect metadata and record counts");
  dbn
    .command("inspect")
    .description("print DBN metadata and counts per record type, action and flag")
    .argument("<file>", ".dbn or .dbn.zst file")
    .option("--json", "print as JSON")
    .action((path: string, options: InspectOptions) => {
      requireFile(path, "DBN file");
      const r = inspectDbn(path);
      output(r, options.json, () => humanInspect(r));
    });

  // The `book` group may be created by another command module; share it.
  const book = program.commands.find((c) => c.name() === "book") ?? program.command("book").description("order book reconstruction and checks");
  book
    .command("check-mbo")
    .description("replay a Databento MBO file with Databento's book rules and report consistency checks")
    .argument("<file>", ".dbn or .dbn.zst MBO file")
    .option("--tick-size <decimal>", "instrument tick size (e.g. 0.25 for ES) when the file has no definition")
    .option("--definitions <file>", "DBN definition file to take tick sizes from")
    .option("--tolerance <ticks>", "how far outside best bid/ask a trade print may be (ticks)", "0")
    .option("--json", "print as JSON")
    .action((path: string, options: CheckOptions) => {
      requireFile(path, "DBN file");
      const r = checkMboFile(path, {
        ...(options.tickSize !== undefined ? { tickSize: options.tickSize } : {}),
        ...(options.definitions !== undefined ? { definitions: requireFile(options.definitions, "definition file") } : {}),
        toleranceTicks: parseNumberOption(options.tolerance ?? "0", "--tolerance"),
      });
      output(r, options.json, () => humanCheck(r));
      if (!r.ok) {
        throw new LabError({ code: "BOOK_CHECK_FAILED", message: `${path}: ${r.problems.join("; ")}`, hint: "see the report above; the replay of this file cannot be trusted as is", context: { file: path } });
      }
    });
}
