/**
 * The common tail of every table reader (internal): rows arrive as TickBatch columns whose price
 * and size are still decimal values, plus a per-row bit mask of what could not be parsed. This
 * module converts prices and sizes exactly to ticks and lots, turns the bad bits into issues
 * that name file, row and column, and applies the bad-row policy: "reject" throws on the first
 * bad row, "quarantine" keeps every good row and sets the bad ones aside. Nothing is dropped:
 * CSV lines the parser could not split into the header's fields (and so never became rows) and a
 * cut at the end of the file are counted and reported here too.
 */
import { LabError, type InstrumentSpec } from "../core/index.js";
import { convertColumnExact, gridStep } from "./exact.js";
import { ISSUE_CLASSES, IssueCollector, attachReadReport, type IssueClass, type QualityIssue, type ReadReport, type SequenceMode } from "./quality.js";
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
  missingPrice: 1 << 16,
  missingQty: 1 << 17,
  otherSymbol: 1 << 18,
} as const;

/** Event kinds whose rows need a price / a size (as `validate()` checks them). */
export const PRICED_KINDS: readonly EventKind[] = [EventKind.LevelSet, EventKind.Trade, EventKind.Add, EventKind.Reduce, EventKind.Modify, EventKind.Delete, EventKind.Execute];
export const SIZED_KINDS: readonly EventKind[] = [EventKind.LevelSet, EventKind.Trade, EventKind.Add, EventKind.Reduce, EventKind.Modify, EventKind.Execute];

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
  { bit: BAD.otherSymbol, cls: "type-error", column: "instrument", what: "symbol differs from the file's first symbol (one instrument given: it applies to a one-symbol file; pass instruments for several)" },
  { bit: BAD.priceTicks, cls: "type-error", column: "priceTicks", what: "price is not a number" },
  { bit: BAD.missingPrice, cls: "missing-value", column: "priceTicks", what: "price is empty (this event kind needs one)" },
  { bit: BAD.offTick, cls: "off-grid", column: "priceTicks", what: "price is not a multiple of the tick size" },
  { bit: BAD.qtyLots, cls: "type-error", column: "qtyLots", what: "size is not a number" },
  { bit: BAD.missingQty, cls: "missing-value", column: "qtyLots", what: "size is empty (this event kind needs one)" },
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
  /** Fetches raw text of some rows (by parser output row) for messages; optional. */
  rawValues?: (rows: readonly number[], columns: readonly string[]) => Promise<Map<number, Record<string, string | null>>>;
  /** Parser output row of staged row i (defaults to i); differs where a reader inserted rows. */
  sourceRow?: (i: number) => number;
  /** Source column of staged row i's value, where it differs by row (a quote's bid_price / ask_price). */
  columnOf?: (i: number, column: TickColumnName) => string | undefined;
  /** Convert price/size columns to ticks/lots (false when already in ticks). @default true */
  convert?: boolean;
  /** How this source fills `seq`, recorded in the read report for `validate()`. */
  sequence?: SequenceMode;
  /** The source was cut off and only its complete records were read (quarantine): reported as is. */
  truncated?: QualityIssue;
  /** CSV lines the parser could not split into the header's fields: bad rows that never became rows. */
  rejected?: RejectedLines;
  /** Where the blank lines of a CSV are, loaded only when a line must be named. */
  csvLayout?: () => Promise<CsvLayout>;
  /**
   * Rows come from a normalized file (ticks and codes, no parse step): check that kinds are known,
   * sides are -1/0/1, instrument indexes exist and prices/sizes are not infinite.
   */
  checkNormalized?: boolean;
}

/** CSV lines that never became rows. */
export interface RejectedLines {
  /** Physical 1-based line numbers (header = line 1), ascending, one per line. */
  lines: Float64Array;
  /** The first few, described (`what` says what is wrong, never the whole line). */
  samples: { line: number; column: string; what: string }[];
  /** Lines swallowed by a quoted value that never closes (they follow `samples[0]`). */
  swallowed?: number;
}

/** Blank lines of a CSV: the parser skips them, so rows after one sit one line further down. */
export interface CsvLayout {
  /** Physical line numbers of blank lines after the header, ascending. */
  blankLines: Float64Array;
}

/** Converts price/size decimals to ticks/lots in place (once), marking off-grid rows. */
function convertStaged(staged: Staged, options: FinishOptions): void {
  if ((options.convert ?? true) && staged.length > 0 && !converted.has(staged)) {
    const { columns, bad } = staged;
    convertColumnExact(columns.priceTicks, columns.instrument, options.instruments.map((s) => gridStep(s, "price")), bad, BAD.offTick, BAD.instrument | BAD.otherSymbol | BAD.priceTicks);
    convertColumnExact(columns.qtyLots, columns.instrument, options.instruments.map((s) => gridStep(s, "size")), bad, BAD.offLot, BAD.instrument | BAD.otherSymbol | BAD.qtyLots);
  }
  converted.add(staged);
}
const converted = new WeakSet<Staged>();

/**
 * Bad-row mask of normalized rows (empty when every row is sound): unknown kind, side outside
 * -1..1, an instrument index with no instrument, an infinite price or size. A typed-array pass
 * over five columns; the mask is allocated only at the first bad row.
 */
export function checkNormalizedRows(columns: TickColumns, length: number, instrumentCount: number): Uint32Array {
  const { kind, side, instrument, priceTicks, qtyLots } = columns;
  const known = new Uint8Array(256);
  for (const code of Object.keys(EVENT_KIND_NAMES)) known[Number(code)] = 1;
  let bad = new Uint32Array(0);
  for (let i = 0; i < length; i++) {
    const s = side[i]!;
    const p = priceTicks[i]!;
    const q = qtyLots[i]!;
    if (known[kind[i]!] === 1 && s >= -1 && s <= 1 && instrument[i]! < instrumentCount && p !== Infinity && p !== -Infinity && q !== Infinity && q !== -Infinity) continue;
    if (bad.length === 0) bad = new Uint32Array(length);
    bad[i] = (known[kind[i]!] === 1 ? 0 : BAD.kind) | (s >= -1 && s <= 1 ? 0 : BAD.side) | (instrument[i]! < instrumentCount ? 0 : BAD.instrument) | (p === Infinity || p === -Infinity ? BAD.priceTicks : 0) | (q === Infinity || q === -Infinity ? BAD.qtyLots : 0);
  }
  return bad;
}

/** Staged rows worth quoting in messages: the first few per (class, column). */
function sampleRows(staged: Staged): number[] {
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
        rows.push(i);
        break;
      }
    }
  }
  return [...new Set(rows)];
}

/**
 * Physical line of parser output row o: rows skip the lines the parser dropped (blank or
 * rejected). With V[k] = U[k] - k - 2 for the sorted dropped lines U, the line is
 * o + 2 + #{k : V[k] <= o} (V never decreases, so a binary search finds the count).
 */
export function lineLocator(dropped: Float64Array): (o: number) => number {
  if (dropped.length === 0) return (o) => o + 2;
  const v = new Float64Array(dropped.length);
  for (let k = 0; k < dropped.length; k++) v[k] = dropped[k]! - k - 2;
  return (o) => {
    let lo = 0;
    let hi = v.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v[mid]! <= o) lo = mid + 1;
      else hi = mid;
    }
    return o + 2 + lo;
  };
}

function mergeSorted(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let w = 0;
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (w === 0 || out[w - 1] !== x) out[w++] = x;
  }
  return out.subarray(0, w);
}

/** Converts decimals exactly, applies the bad-row policy and attaches the read report. */
export async function finishStaged(staged: Staged, options: FinishOptions): Promise<TickBatch> {
  convertStaged(staged, options);
  let raw = new Map<number, Record<string, string | null>>();
  const sourceRow = options.sourceRow ?? ((i: number) => i);
  const anyBad = staged.bad.length > 0 && staged.bad.some((b) => b !== 0);
  if (options.rawValues && anyBad) {
    try {
      const samples = sampleRows(staged);
      const names = new Set(Object.values(options.sourceColumns ?? {}).filter((x): x is string => typeof x === "string"));
      if (options.columnOf) for (const i of samples) for (const info of BAD_INFO) if ((staged.bad[i]! & info.bit) !== 0) names.add(options.columnOf(i, info.column) ?? "");
      names.delete("");
      raw = await options.rawValues([...new Set(samples.map(sourceRow))], [...names]);
    } catch {
      raw = new Map();
    }
  }
  let layout: CsvLayout | undefined;
  if (options.csvLayout && (anyBad || (options.rejected?.lines.length ?? 0) > 0)) layout = await options.csvLayout();
  return finishStagedSync(staged, options, raw, layout);
}

/** Synchronous variant; `raw` holds the text of sample rows when the caller has it. */
export function finishStagedSync(staged: Staged, options: FinishOptions, raw: Map<number, Record<string, string | null>> = new Map(), layout?: CsvLayout): TickBatch {
  convertStaged(staged, options);
  const { columns, length } = staged;
  let bad = staged.bad;
  if (options.checkNormalized && bad.length === 0) bad = checkNormalizedRows(columns, length, options.instruments.length);
  let badRows = 0;
  // An empty mask means the source cannot have bad rows (normalized files): skip the scan.
  if (bad.length > 0) for (let i = 0; i < length; i++) if (bad[i] !== 0) badRows++;
  const rejected = options.rejected;
  const rejectedRows = (rejected?.lines.length ?? 0) + (rejected?.swallowed ?? 0);
  const outputRow = options.sourceRow ?? ((i: number) => i);
  const dropped = options.csv ? mergeSorted(layout?.blankLines ?? new Float64Array(0), rejected?.lines ?? new Float64Array(0)) : new Float64Array(0);
  const lineOf = lineLocator(dropped);
  const report: ReadReport = { file: options.file, format: options.format, rowsRead: length + rejectedRows, issues: [] };
  if (options.sequence) report.sequence = options.sequence;
  if (badRows === 0 && rejectedRows === 0) {
    if (options.truncated) report.issues.push(options.truncated);
    const batch = tickBatch(columns, options.instruments, options.file);
    attachReadReport(batch, report);
    return batch;
  }
  const collector = new IssueCollector();
  const sourceName = (column: TickColumnName): string => options.sourceColumns?.[column] ?? column;
  const describeRow = (i: number, info: (typeof BAD_INFO)[number]): { row: number; column: string; value: string | undefined; line: number | undefined } => {
    const o = outputRow(i);
    const line = options.csv ? lineOf(o) : undefined;
    const column = options.columnOf?.(i, info.column) ?? sourceName(info.column);
    let value: string | null | undefined = raw.get(o)?.[column];
    if (value === undefined && options.convert === false) value = String((columns[info.column] as ArrayLike<number | bigint>)[i]);
    return { row: line !== undefined ? line - 2 : o, column, value: value === null ? "" : value, line };
  };
  let first: { i: number; info: (typeof BAD_INFO)[number] } | undefined;
  for (let i = 0; i < length && bad.length > 0; i++) {
    const mask = bad[i]!;
    if (mask === 0) continue;
    for (const info of BAD_INFO) {
      if ((mask & info.bit) === 0) continue;
      first ??= { i, info };
      const d = describeRow(i, info);
      collector.add(info.cls, d.row, d.column, d.value, d.line);
    }
  }
  if (rejected) {
    const described = new Map(rejected.samples.map((s) => [s.line, s]));
    for (const line of rejected.lines) {
      const s = described.get(line);
      collector.add("type-error", line - 2, s?.column ?? "(line)", s?.what ?? "cannot be split into the header's fields", line);
    }
    if (rejected.swallowed) {
      const at = rejected.samples[0];
      collector.addCount("type-error", rejected.swallowed, at ? [{ row: at.line - 1, column: at.column, value: `${rejected.swallowed} line${rejected.swallowed === 1 ? "" : "s"} inside a quoted value that never closes`, line: at.line + 1 }] : []);
    }
  }
  const goodRows = length - badRows;
  const totalBad = badRows + rejectedRows;
  if (options.onBadRows === "reject") {
    const firstRejected = rejected?.samples[0];
    const d = first ? describeRow(first.i, first.info) : undefined;
    const useRejected = firstRejected !== undefined && (d === undefined || d.line === undefined || firstRejected.line < d.line);
    const where = useRejected ? { row: firstRejected.line - 2, line: firstRejected.line as number | undefined, column: firstRejected.column, value: undefined as string | undefined } : { row: d!.row, line: d!.line, column: d!.column, value: d!.value };
    const what = useRejected ? `the line cannot be split into the header's fields (${firstRejected.what})` : first!.info.what;
    const cls = useRejected ? "type-error" : first!.info.cls;
    const place = `${options.file}: row ${where.row}${where.line !== undefined ? ` (line ${where.line})` : ""}, column "${where.column}"`;
    throw new LabError({
      code: cls === "off-grid" ? "OFF_GRID" : cls === "missing-value" ? "MISSING_VALUE" : useRejected ? "BAD_ROW" : "BAD_VALUE",
      message: `${place}: ${what}${where.value !== undefined ? ` ("${where.value}")` : ""}; ${totalBad} bad row${totalBad === 1 ? "" : "s"} of ${length + rejectedRows}`,
      hint: `fix the file, or pass { onBadRows: "quarantine" } (--on-bad-rows quarantine) to keep the ${goodRows} good rows and set the ${totalBad} bad one${totalBad === 1 ? "" : "s"} aside${cls === "off-grid" ? "; or check the instrument's tick/lot size" : ""}`,
      context: { file: options.file, row: where.row, column: where.column, ...(where.line !== undefined ? { line: where.line } : {}), ...(where.value !== undefined ? { value: where.value } : {}), goodRows, badRows: totalBad },
    });
  }

  // Quarantine: compact good rows in place, copy bad rows into their own batch.
  const quarantine = new TickBatchBuilder(Math.min(Math.max(badRows, 1), 1 << 20));
  const sourceRows = new Float64Array(badRows);
  const reasons: IssueClass[] = [];
  let w = 0;
  let q = 0;
  const cols = columns as unknown as Record<TickColumnName, { [i: number]: number | bigint }>;
  for (let i = 0; i < length; i++) {
    const mask = bad.length === 0 ? 0 : bad[i]!;
    if (mask === 0) {
      if (w !== i) for (const name of TICK_COLUMN_NAMES) cols[name][w] = cols[name][i]!;
      w++;
      continue;
    }
    const priceBad = (mask & (BAD.priceTicks | BAD.offTick | BAD.instrument | BAD.otherSymbol)) !== 0;
    const qtyBad = (mask & (BAD.qtyLots | BAD.offLot | BAD.instrument | BAD.otherSymbol)) !== 0;
    const badInstrument = (mask & (BAD.instrument | BAD.otherSymbol)) !== 0;
    quarantine.push(columns.exchTs[i]!, columns.localTs[i]!, columns.kind[i]!, columns.side[i]!, priceBad ? NaN : columns.priceTicks[i]!, qtyBad ? NaN : columns.qtyLots[i]!, columns.orderId[i]!, columns.flags[i]!, badInstrument ? 0 : columns.instrument[i]!, columns.seq[i]!, columns.aux[i]!);
    sourceRows[q++] = options.csv ? lineOf(outputRow(i)) - 2 : outputRow(i);
    reasons.push(BAD_INFO.find((info) => (mask & info.bit) !== 0)!.cls);
  }
  const good = {} as Record<TickColumnName, unknown>;
  for (const name of TICK_COLUMN_NAMES) good[name] = columns[name].subarray(0, w);
  const batch = tickBatch(good as TickColumns, options.instruments, options.file);
  report.issues = collector.issues(options.file, {}, (cls, count) => `${count} row${count === 1 ? "" : "s"}: ${ISSUE_CLASSES[cls].title.toLowerCase()}`).map((issue) => ({ ...issue, policy: "quarantine" }));
  if (options.truncated) report.issues.push(options.truncated);
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
