/**
 * The common tail of every table reader (internal): rows arrive as TickBatch columns whose price
 * and size are still decimal values, plus a per-row bit mask of what could not be parsed. This
 * module converts prices and sizes exactly to ticks and lots, turns the bad bits into issues
 * that name file, row and column, and applies the bad-row policy: "reject" throws on the first
 * bad row, "quarantine" keeps every good row and sets the bad ones aside. Nothing is dropped.
 */
import { LabError, type InstrumentSpec } from "../core/index.js";
import { convertColumnExact, gridStep } from "./exact.js";
import { ISSUE_CLASSES, IssueCollector, attachReadReport, type IssueClass, type ReadReport, type SequenceMode } from "./quality.js";
import { EVENT_KIND_NAMES, EventFlag, EventKind, TICK_COLUMN_NAMES, TickBatchBuilder, allocateColumns, tickBatch, type TickBatch, type TickColumnName, type TickColumns } from "./tick-batch.js";

/** Bits of the per-row `bad` mask. Parse failures use one bit per column. */
export const BAD = {
  exchTs: 1 << 0,
  localTs: 1 << 1,
  kind: 1 << 2,
  side: 1 << 3,
  flags: 1 << 4,
  instrument: 1 << 5,
  priceTicks: 1 << 6,
  qtyLots: 1 << 7,
  orderId: 1 << 8,
  seq: 1 << 9,
  aux: 1 << 10,
  missingExchTs: 1 << 11,
  missingLocalTs: 1 << 12,
  offTick: 1 << 13,
  offLot: 1 << 14,
  missingKind: 1 << 15,
} as const;

const BAD_INFO: readonly { bit: number; cls: IssueClass; column: TickColumnName; what: string }[] = [
  { bit: BAD.exchTs, cls: "type-error", column: "exchTs", what: "timestamp cannot be parsed" },
  { bit: BAD.missingExchTs, cls: "missing-value", column: "exchTs", what: "exchange timestamp is empty" },
  { bit: BAD.localTs, cls: "type-error", column: "localTs", what: "timestamp cannot be parsed" },
  { bit: BAD.missingLocalTs, cls: "missing-value", column: "localTs", what: "local timestamp is empty" },
  { bit: BAD.kind, cls: "type-error", column: "kind", what: "unknown event kind" },
  { bit: BAD.missingKind, cls: "missing-value", column: "kind", what: "event kind is empty" },
  { bit: BAD.side, cls: "type-error", column: "side", what: "unknown side (expected buy/sell, bid/ask, b/a, 1/-1)" },
  { bit: BAD.flags, cls: "type-error", column: "flags", what: "flags are not a 16-bit unsigned integer" },
  { bit: BAD.instrument, cls: "type-error", column: "instrument", what: "symbol is not among the instruments given" },
  { bit: BAD.priceTicks, cls: "type-error", column: "priceTicks", what: "price is not a number" },
  { bit: BAD.offTick, cls: "off-grid", column: "priceTicks", what: "price is not a multiple of the tick size" },
  { bit: BAD.qtyLots, cls: "type-error", column: "qtyLots", what: "size is not a number" },
  { bit: BAD.offLot, cls: "off-grid", column: "qtyLots", what: "size is not a multiple of the lot size" },
  { bit: BAD.orderId, cls: "type-error", column: "orderId", what: "order id is not a number" },
  { bit: BAD.seq, cls: "type-error", column: "seq", what: "sequence number is not a number" },
  { bit: BAD.aux, cls: "type-error", column: "aux", what: "value is not a number" },
];

export interface Staged {
  columns: TickColumns;
  /** One mask per row (bits of `BAD`); empty when the source cannot have bad rows. */
  bad: Uint32Array;
  length: number;
}

export type BadRowPolicy = "reject" | "quarantine";

export interface FinishOptions {
  file: string;
  format: string;
  instruments: readonly InstrumentSpec[];
  onBadRows: BadRowPolicy;
  /** Source column name for each normalized column, for messages ("px" rather than priceTicks). */
  sourceColumns?: Partial<Record<TickColumnName, string>>;
  /** Rows in a CSV: report 1-based lines (header = line 1). */
  csv?: boolean;
  /** Fetches raw text of some rows (by data row index) for messages; optional. */
  rawValues?: (rows: readonly number[], columns: readonly string[]) => Promise<Map<number, Record<string, string | null>>>;
  /** Row index in the source of staged row i (defaults to i). */
  sourceRow?: (i: number) => number;
  /** Convert price/size columns to ticks/lots (false when already in ticks). @default true */
  convert?: boolean;
  /** How this source fills `seq`, recorded in the read report for `validate()`. */
  sequence?: SequenceMode;
}

/** Converts price/size decimals to ticks/lots in place (once), marking off-grid rows. */
function convertStaged(staged: Staged, options: FinishOptions): void {
  if ((options.convert ?? true) && staged.length > 0 && !converted.has(staged)) {
    const { columns, bad } = staged;
    convertColumnExact(columns.priceTicks, columns.instrument, options.instruments.map((s) => gridStep(s, "price")), bad, BAD.offTick, BAD.instrument | BAD.priceTicks);
    convertColumnExact(columns.qtyLots, columns.instrument, options.instruments.map((s) => gridStep(s, "size")), bad, BAD.offLot, BAD.instrument | BAD.qtyLots);
  }
  converted.add(staged);
}
const converted = new WeakSet<Staged>();

/** Staged rows worth quoting in messages: the first few per (class, column). */
function sampleRows(staged: Staged, sourceRow: (i: number) => number): number[] {
  const rows: number[] = [];
  const seen = new Map<number, number>();
  for (let i = 0; i < staged.length && rows.length < 64; i++) {
    const mask = staged.bad[i]!;
    if (mask === 0) continue;
    for (const info of BAD_INFO) {
      if ((mask & info.bit) === 0) continue;
      const count = seen.get(info.bit) ?? 0;
      seen.set(info.bit, count + 1);
      if (count < 5) {
        rows.push(sourceRow(i));
        break;
      }
    }
  }
  return [...new Set(rows)];
}

/** Converts decimals exactly, applies the bad-row policy and attaches the read report. */
export async function finishStaged(staged: Staged, options: FinishOptions): Promise<TickBatch> {
  convertStaged(staged, options);
  let raw = new Map<number, Record<string, string | null>>();
  const sourceRow = options.sourceRow ?? ((i: number) => i);
  if (options.rawValues && staged.bad.length > 0 && staged.bad.some((b) => b !== 0)) {
    try {
      const names = [...new Set(Object.values(options.sourceColumns ?? {}).filter((x): x is string => typeof x === "string"))];
      raw = await options.rawValues(sampleRows(staged, sourceRow), names);
    } catch {
      raw = new Map();
    }
  }
  return finishStagedSync(staged, options, raw);
}

/** Synchronous variant; `raw` holds the text of sample rows when the caller has it. */
export function finishStagedSync(staged: Staged, options: FinishOptions, raw: Map<number, Record<string, string | null>> = new Map()): TickBatch {
  convertStaged(staged, options);
  const { columns, bad, length } = staged;
  let badRows = 0;
  // An empty mask means the source cannot have bad rows (normalized files): skip the scan.
  if (bad.length > 0) for (let i = 0; i < length; i++) if (bad[i] !== 0) badRows++;
  const sourceRow = options.sourceRow ?? ((i: number) => i);
  const report: ReadReport = { file: options.file, format: options.format, rowsRead: length, issues: [] };
  if (options.sequence) report.sequence = options.sequence;
  if (badRows === 0) {
    const batch = tickBatch(columns, options.instruments, options.file);
    attachReadReport(batch, report);
    return batch;
  }
  const collector = new IssueCollector();
  const sourceName = (column: TickColumnName): string => options.sourceColumns?.[column] ?? column;
  const describeRow = (i: number, info: (typeof BAD_INFO)[number]): { row: number; column: string; value: string | undefined; line: number | undefined } => {
    const row = sourceRow(i);
    const column = sourceName(info.column);
    const value = raw.get(row)?.[column];
    return { row, column, value: value === null ? "" : value, line: options.csv ? row + 2 : undefined };
  };
  let first: { i: number; info: (typeof BAD_INFO)[number] } | undefined;
  for (let i = 0; i < length; i++) {
    const mask = bad[i]!;
    if (mask === 0) continue;
    for (const info of BAD_INFO) {
      if ((mask & info.bit) === 0) continue;
      first ??= { i, info };
      const d = describeRow(i, info);
      collector.add(info.cls, d.row, d.column, d.value, d.line);
    }
  }
  const goodRows = length - badRows;
  if (options.onBadRows === "reject" && first) {
    const d = describeRow(first.i, first.info);
    const where = `${options.file}: row ${d.row}${d.line !== undefined ? ` (line ${d.line})` : ""}, column "${d.column}"`;
    throw new LabError({
      code: first.info.cls === "off-grid" ? "OFF_GRID" : first.info.cls === "missing-value" ? "MISSING_VALUE" : "BAD_VALUE",
      message: `${where}: ${first.info.what}${d.value !== undefined ? ` ("${d.value}")` : ""}; ${badRows} bad row${badRows === 1 ? "" : "s"} of ${length}`,
      hint: `fix the file, or pass { onBadRows: "quarantine" } to keep the ${goodRows} good rows and set the ${badRows} bad one${badRows === 1 ? "" : "s"} aside${first.info.cls === "off-grid" ? "; or check the instrument's tick/lot size" : ""}`,
      context: { file: options.file, row: d.row, column: d.column, ...(d.line !== undefined ? { line: d.line } : {}), ...(d.value !== undefined ? { value: d.value } : {}), goodRows, badRows },
    });
  }

  // Quarantine: compact good rows in place, copy bad rows into their own batch.
  const quarantine = new TickBatchBuilder(Math.min(badRows, 1 << 20));
  const sourceRows = new Float64Array(badRows);
  const reasons: IssueClass[] = [];
  let w = 0;
  let q = 0;
  const cols = columns as unknown as Record<TickColumnName, { [i: number]: number | bigint }>;
  for (let i = 0; i < length; i++) {
    const mask = bad[i]!;
    if (mask === 0) {
      if (w !== i) for (const name of TICK_COLUMN_NAMES) cols[name][w] = cols[name][i]!;
      w++;
      continue;
    }
    const priceBad = (mask & (BAD.priceTicks | BAD.offTick | BAD.instrument)) !== 0;
    const qtyBad = (mask & (BAD.qtyLots | BAD.offLot | BAD.instrument)) !== 0;
    quarantine.push(columns.exchTs[i]!, columns.localTs[i]!, columns.kind[i]!, columns.side[i]!, priceBad ? NaN : columns.priceTicks[i]!, qtyBad ? NaN : columns.qtyLots[i]!, columns.orderId[i]!, columns.flags[i]!, (mask & BAD.instrument) !== 0 ? 0 : columns.instrument[i]!, columns.seq[i]!, columns.aux[i]!);
    sourceRows[q++] = sourceRow(i);
    reasons.push(BAD_INFO.find((info) => (mask & info.bit) !== 0)!.cls);
  }
  const good = {} as Record<TickColumnName, unknown>;
  for (const name of TICK_COLUMN_NAMES) good[name] = columns[name].subarray(0, w);
  const batch = tickBatch(good as TickColumns, options.instruments, options.file);
  report.issues = collector.issues(options.file, {}, (cls, count) => `${count} row${count === 1 ? "" : "s"}: ${ISSUE_CLASSES[cls].title.toLowerCase()}`).map((issue) => ({ ...issue, policy: "quarantine" }));
  report.quarantine = { batch: quarantine.build(options.instruments, `${options.file} (quarantined)`), sourceRows, reasons };
  attachReadReport(batch, report);
  return batch;
}

/**
 * `staged` with a Clear row inserted before each row of `starts` (ascending row indexes): how a
 * reader says "the book is replaced from here" where a snapshot begins. Each Clear copies the
 * times, instrument and sequence number of the row it precedes and carries `clearFlags`.
 * `origin[w]` is the source row of output row w (for an inserted Clear, the row it precedes), so
 * quality reports can name rows of the file.
 */
export function insertClearRows(staged: Staged, starts: readonly number[], clearFlags: number): { staged: Staged; origin: Int32Array } {
  const { columns, length } = staged;
  const n = length + starts.length;
  const out: TickColumns = allocateColumns(n, columns.exchTs.buffer instanceof SharedArrayBuffer);
  const bad = new Uint32Array(n);
  const origin = new Int32Array(n);
  const src = columns as unknown as Record<string, { [i: number]: number | bigint }>;
  const dst = out as unknown as Record<string, { [i: number]: number | bigint }>;
  let w = 0;
  let next = 0;
  for (let i = 0; i < length; i++) {
    if (starts[next] === i) {
      next++;
      out.exchTs[w] = columns.exchTs[i]!;
      out.localTs[w] = columns.localTs[i]!;
      out.kind[w] = EventKind.Clear;
      out.flags[w] = clearFlags;
      out.instrument[w] = columns.instrument[i]!;
      out.seq[w] = columns.seq[i]!;
      origin[w] = i;
      w++;
    }
    for (const name of TICK_COLUMN_NAMES) dst[name]![w] = src[name]![i]!;
    bad[w] = staged.bad[i]!;
    origin[w] = i;
    w++;
  }
  return { staged: { columns: out, bad, length: n }, origin };
}

/** Sets `EventFlag.Last` on row i whenever row i+1 starts a new message (key changes) and on the final row. */
export function markGroupEnds(columns: TickColumns, length: number, sameGroup: (a: number, b: number) => boolean): void {
  for (let i = 0; i < length; i++) {
    if (i === length - 1 || !sameGroup(i, i + 1)) columns.flags[i] = columns.flags[i]! | EventFlag.Last;
  }
}

export function kindName(kind: number): string {
  return EVENT_KIND_NAMES[kind] ?? String(kind);
}
