/**
 * Tardis.dev downloadable CSV: incremental_book_L2, book_snapshot_N, trades and quotes.
 * The file type is recognized from the header. Timestamps are integer µs (exchange `timestamp`,
 * receive `local_timestamp`) and become exact ns. Prices and sizes are converted exactly to the
 * instrument's ticks and lots; without an instrument the grid is the finest decimal in the file.
 *
 * Mapping (one TickBatch row per level / trade / quote side):
 * - incremental_book_L2: LevelSet (qty = new total, 0 = delete). `is_snapshot` rows carry
 *   EventFlag.Snapshot; each run of snapshot rows is preceded by a Clear row (Snapshot flag),
 *   because Tardis re-sends a snapshot after a reconnect and the book must be rebuilt from it.
 *   Rows sharing (local_timestamp, is_snapshot) are one message: the last carries EventFlag.Last.
 * - book_snapshot_N: per CSV row, a Clear then bids[0..N-1] and asks[0..N-1] as LevelSet rows,
 *   all flagged Snapshot; empty levels are skipped; the last row carries Last.
 * - trades: Trade rows, side = aggressor (buy 1 / sell -1; "unknown" -> 0 with
 *   EventFlag.AggressorUnknown); a numeric trade id goes to `aux` (UUIDs cannot, aux = NaN).
 * - quotes: two Bbo rows per CSV row (bid, then ask, which carries Last); an empty side has NaN
 *   price and size (no quote on that side).
 */
import { LabError, type InstrumentSpec, type InstrumentSpecInit, type ProgressSink } from "../../core/index.js";
import { checkOptionKeys } from "../../core/internal.js";
import { EventFlag, EventKind, TICK_COLUMN_NAMES, type BadRowPolicy, type TickBatch, type TickColumnName } from "../../data/index.js";
import { BAD, csvFinishOptions, duckConnection, finishStaged, insertClearRows, instrumentsFor, markGroupEnds, openCsvSource, sqlIdent, stageCsv, symbolCaseSql, type Staged } from "../../data/internal.js";

export type TardisDataType = "incremental_book_L2" | "book_snapshot" | "trades" | "quotes";

export interface TardisReadOptions {
  instrument?: InstrumentSpec | InstrumentSpecInit;
  instruments?: readonly (InstrumentSpec | InstrumentSpecInit)[];
  onBadRows?: BadRowPolicy;
  shared?: boolean;
  progress?: ProgressSink;
}

const KEYS = ["instrument", "instruments", "onBadRows", "shared", "progress"] as const;

export function tardisDataType(header: readonly string[]): TardisDataType | undefined {
  const has = (n: string): boolean => header.includes(n);
  if (!has("timestamp") || !has("local_timestamp")) return undefined;
  if (has("is_snapshot") && has("side") && has("price") && has("amount")) return "incremental_book_L2";
  if (has("asks[0].price") || has("bids[0].price")) return "book_snapshot";
  if (has("ask_price") && has("bid_price")) return "quotes";
  if (has("side") && has("price") && has("amount")) return "trades";
  return undefined;
}

/** µs text -> ns; out-of-range values become NULL (a bad-row bit), never an overflow error. */
const us = (column: string): string => `CASE WHEN abs(TRY_CAST(${sqlIdent(column)} AS BIGINT)) <= 9223372036854775 THEN TRY_CAST(${sqlIdent(column)} AS BIGINT) * 1000 END`;
const txt = (column: string): string => `NULLIF(trim(${sqlIdent(column)}), '')`;

/** Marks a book_snapshot level that is empty in the file (fewer levels than N): dropped, not bad. */
const EMPTY_LEVEL = 2 ** 31;

function timeBits(): string {
  return `(CASE WHEN src_ts IS NULL THEN ${BAD.missingExchTs} WHEN exchTs IS NULL THEN ${BAD.exchTs} ELSE 0 END) | (CASE WHEN src_lts IS NULL THEN ${BAD.missingLocalTs} WHEN localTs IS NULL THEN ${BAD.localTs} ELSE 0 END)`;
}

/** Bits of one price or size: empty where it is needed, or text that is not a finite number. */
function numBits(srcAlias: string, valueAlias: string, bit: number, missingBit: number): string {
  return `(CASE WHEN ${srcAlias} IS NULL THEN ${missingBit} WHEN ${valueAlias} IS NULL OR NOT isfinite(${valueAlias}) THEN ${bit} ELSE 0 END)`;
}

function outerColumns(): string {
  const types: Record<string, string> = { exchTs: "BIGINT", localTs: "BIGINT", kind: "UTINYINT", side: "TINYINT", flags: "USMALLINT", instrument: "USMALLINT", priceTicks: "DOUBLE", qtyLots: "DOUBLE", orderId: "DOUBLE", seq: "DOUBLE", aux: "DOUBLE" };
  return TICK_COLUMN_NAMES.map((n) => `CAST(${n} AS ${types[n]}) AS ${n}`).join(", ");
}

/**
 * Reads one Tardis CSV file (any of the four data types, plain or gzip/zstd-compressed) into a
 * TickBatch. Behaviour on damaged input:
 * - Path faults, a directory, an empty file, another format, a header that is not Tardis's:
 *   FILE_NOT_FOUND / IS_A_DIRECTORY / EMPTY_FILE / WRONG_FORMAT / NOT_TARDIS.
 * - A file cut inside its last line (Tardis ends every line, so any last line without a line end
 *   is cut) or a .csv.gz that ends early: TRUNCATED / CORRUPT_GZIP under "reject"; under
 *   "quarantine" every complete line is read and one `truncated` issue is reported.
 * - A line with too few or too many fields, an unclosed quote or non-UTF-8 bytes: a bad row by line.
 * - Values: a price or amount that is not a finite number (NaN, inf, 1e400, text), an empty one
 *   where the row needs it (L2, trades; one side of a quote or snapshot level given without the
 *   other), an unknown side, is_snapshot other than true/false, a timestamp that is empty or not
 *   an integer, a price off the tick grid: bad rows, named by line and column with the raw text
 *   under "reject", counted and set aside under "quarantine". Empty snapshot levels and empty
 *   quote sides (both price and amount empty) are how Tardis writes a thin book: not errors.
 *   Negative amounts and non-positive prices are reported by `validate()`.
 */
export async function readTardisCsv(path: string, options: TardisReadOptions = {}): Promise<TickBatch> {
  checkOptionKeys(options, KEYS, "readTardisCsv");
  const onBadRows = options.onBadRows ?? "reject";
  const source = await openCsvSource(path, { onBadRows, delimiter: ",", strictEnd: true, what: "a Tardis CSV file" });
  let connection: Awaited<ReturnType<typeof duckConnection>> | undefined;
  try {
    connection = await duckConnection();
    const names = source.columns;
    const type = tardisDataType(names);
    if (!type) {
      throw new LabError({ code: "NOT_TARDIS", message: `${path} does not look like a Tardis CSV (header: ${names.slice(0, 8).join(",")}${names.length > 8 ? ",..." : ""})`, hint: "expected exchange,symbol,timestamp,local_timestamp,... (incremental_book_L2, book_snapshot_N, trades or quotes)", context: { file: path, row: 0, line: 1, column: "timestamp" } });
    }
    const relation = source.scan();
    const hasSymbol = names.includes("symbol");
    const symbolSql = hasSymbol ? txt("symbol") : "'?'";
    const venueSql = names.includes("exchange") ? txt("exchange") : "'tardis'";
    const levels = type === "book_snapshot" ? Math.max(names.filter((n) => /^asks\[\d+\]\.price$/.test(n)).length, names.filter((n) => /^bids\[\d+\]\.price$/.test(n)).length) : 0;
    const priceCols = type === "book_snapshot" ? names.filter((n) => n.endsWith(".price")) : type === "quotes" ? ["bid_price", "ask_price"] : ["price"];
    const qtyCols = type === "book_snapshot" ? names.filter((n) => n.endsWith(".amount")) : type === "quotes" ? ["bid_amount", "ask_amount"] : ["amount"];
    const missing = [...priceCols, ...qtyCols].find((c) => !names.includes(c));
    if (missing) {
      throw new LabError({ code: "MISSING_COLUMN", message: `${path}: column "${missing}" is missing from the header of a Tardis ${type} file (row 0, line 1); columns are ${names.join(",")}`, hint: "the file's header is incomplete; re-download it", context: { file: path, row: 0, line: 1, column: missing } });
    }
    const instruments = await instrumentsFor(connection, relation, symbolSql, venueSql, priceCols.map(txt), qtyCols.map(txt), options, path);
    const instrumentSql = symbolCaseSql(symbolSql, instruments);
    const rowsPerLine = type === "book_snapshot" ? 2 * levels + 1 : type === "quotes" ? 2 : 1;
    const { staged, rejected } = await stageCsv(connection, source, (from) => tardisSql(type, from, instrumentSql, levels), { format: `tardis ${type}`, rowsPerLine, ...(options.shared ? { shared: true } : {}), ...(options.progress ? { progress: options.progress } : {}) });
    let finalStaged: Staged = staged;
    let sourceRow: (i: number) => number = (i) => i;
    let columnOf: ((i: number, column: TickColumnName) => string | undefined) | undefined;
    if (type === "incremental_book_L2") {
      finalStaged = insertSnapshotClears(staged);
      sourceRow = sourceRowMapper(finalStaged);
    } else if (type === "book_snapshot") {
      const origin = dropEmptyLevels(staged);
      sourceRow = (i) => Math.floor(origin[i]! / rowsPerLine);
      columnOf = (i, column) => {
        const entry = origin[i]! % rowsPerLine;
        if (entry === 0 || (column !== "priceTicks" && column !== "qtyLots")) return undefined;
        const level = entry <= levels ? `bids[${entry - 1}]` : `asks[${entry - levels - 1}]`;
        return `${level}.${column === "priceTicks" ? "price" : "amount"}`;
      };
    } else if (type === "quotes") {
      sourceRow = (i) => i >>> 1;
      columnOf = (i, column) => (column === "priceTicks" || column === "qtyLots" ? `${i % 2 === 0 ? "bid" : "ask"}_${column === "priceTicks" ? "price" : "amount"}` : undefined);
    }
    markTardisGroups(finalStaged, type);
    return await finishStaged(finalStaged, {
      file: path,
      format: `tardis ${type}`,
      instruments,
      onBadRows,
      sourceColumns: { exchTs: "timestamp", localTs: "local_timestamp", priceTicks: "price", qtyLots: "amount", side: "side", instrument: "symbol", flags: "is_snapshot" },
      sourceRow,
      ...(columnOf ? { columnOf } : {}),
      ...csvFinishOptions(source, rejected),
    });
  } finally {
    connection?.closeSync();
    await source.release();
  }
}

function tardisSql(type: TardisDataType, relation: string, instrumentSql: string, levels: number): string {
  const common = `${us("timestamp")} AS exchTs, ${us("local_timestamp")} AS localTs, ${txt("timestamp")} AS src_ts, ${txt("local_timestamp")} AS src_lts, ${instrumentSql} AS instrument`;
  const instrumentBit = `(CASE WHEN instrument IS NULL THEN ${BAD.instrument} ELSE 0 END)`;
  if (type === "incremental_book_L2" || type === "trades") {
    const sideSql = `CASE lower(${txt("side")}) WHEN 'bid' THEN 1 WHEN 'buy' THEN 1 WHEN 'ask' THEN -1 WHEN 'sell' THEN -1 WHEN 'unknown' THEN 0 END`;
    const kind = type === "trades" ? EventKind.Trade : EventKind.LevelSet;
    const flags = type === "trades" ? `CASE WHEN lower(${txt("side")}) = 'unknown' OR ${txt("side")} IS NULL THEN ${EventFlag.AggressorUnknown} ELSE 0 END` : `CASE WHEN lower(${txt("is_snapshot")}) = 'true' THEN ${EventFlag.Snapshot} ELSE 0 END`;
    const aux = type === "trades" ? `TRY_CAST(${txt("id")} AS DOUBLE)` : "NULL::DOUBLE";
    const snapshotText = type === "trades" ? "NULL" : `lower(${txt("is_snapshot")})`;
    const inner = `SELECT ${common}, ${kind} AS kind, ${sideSql} AS side, ${txt("side")} AS src_side, ${flags} AS flags, ${snapshotText} AS src_snapshot, TRY_CAST(${txt("price")} AS DOUBLE) AS priceTicks, ${txt("price")} AS src_price, TRY_CAST(${txt("amount")} AS DOUBLE) AS qtyLots, ${txt("amount")} AS src_qty, NULL::DOUBLE AS orderId, NULL::DOUBLE AS seq, ${aux} AS aux FROM ${relation}`;
    const sideBit = type === "trades" ? `(CASE WHEN side IS NULL THEN ${BAD.side} ELSE 0 END)` : `(CASE WHEN side IS NULL OR side = 0 THEN ${BAD.side} ELSE 0 END)`;
    const snapshotBit = type === "trades" ? "0" : `(CASE WHEN src_snapshot IS NULL OR NOT list_contains(['true', 'false'], src_snapshot) THEN ${BAD.flags} ELSE 0 END)`;
    return `SELECT ${outerColumns()}, CAST(${timeBits()} | ${sideBit} | ${snapshotBit} | ${instrumentBit} | ${numBits("src_price", "priceTicks", BAD.priceTicks, BAD.missingPrice)} | ${numBits("src_qty", "qtyLots", BAD.qtyLots, BAD.missingQty)} AS UINTEGER) AS bad FROM (${inner})`;
  }
  // Wide rows become several TickBatch rows through UNNEST of a list of level structs (order kept).
  // Every entry is kept, so row i of the result is entry i % (entries per line) of line i / that.
  const entry = (kind: number, side: number, price: string | null, qty: string | null): string =>
    `{'k': ${kind}, 's': ${side}, 'p': ${price ? txt(price) : "NULL::VARCHAR"}, 'q': ${qty ? txt(qty) : "NULL::VARCHAR"}}`;
  const entries: string[] = [];
  if (type === "book_snapshot") {
    entries.push(entry(EventKind.Clear, 0, null, null));
    for (let i = 0; i < levels; i++) entries.push(entry(EventKind.LevelSet, 1, `bids[${i}].price`, `bids[${i}].amount`));
    for (let i = 0; i < levels; i++) entries.push(entry(EventKind.LevelSet, -1, `asks[${i}].price`, `asks[${i}].amount`));
  } else {
    entries.push(entry(EventKind.Bbo, 1, "bid_price", "bid_amount"), entry(EventKind.Bbo, -1, "ask_price", "ask_amount"));
  }
  const flags = type === "book_snapshot" ? EventFlag.Snapshot : 0;
  const expanded = `SELECT ${common}, unnest([${entries.join(", ")}]) AS lv FROM ${relation}`;
  const inner = `SELECT exchTs, localTs, src_ts, src_lts, instrument, lv.k AS kind, lv.s AS side, ${flags} AS flags, TRY_CAST(lv.p AS DOUBLE) AS priceTicks, lv.p AS src_price, TRY_CAST(lv.q AS DOUBLE) AS qtyLots, lv.q AS src_qty, NULL::DOUBLE AS orderId, NULL::DOUBLE AS seq, NULL::DOUBLE AS aux FROM (${expanded})`;
  // A level (or quote side) with both values empty is absent; with one of them empty, it is missing.
  const emptyOrMissing = `(CASE WHEN kind = ${EventKind.Clear} THEN 0 WHEN src_price IS NULL AND src_qty IS NULL THEN ${type === "book_snapshot" ? EMPTY_LEVEL : 0} ELSE ${numBits("src_price", "priceTicks", BAD.priceTicks, BAD.missingPrice)} | ${numBits("src_qty", "qtyLots", BAD.qtyLots, BAD.missingQty)} END)`;
  return `SELECT ${outerColumns()}, CAST(${timeBits()} | ${instrumentBit} | ${emptyOrMissing} AS UINTEGER) AS bad FROM (${inner})`;
}

/** Removes the empty snapshot levels in place; returns the result row -> staged row map. */
function dropEmptyLevels(staged: Staged): Int32Array {
  const { columns, bad, length } = staged;
  const origin = new Int32Array(length);
  const cols = columns as unknown as Record<TickColumnName, { [i: number]: number | bigint }>;
  let w = 0;
  for (let i = 0; i < length; i++) {
    if (bad[i]! >= EMPTY_LEVEL) continue;
    if (w !== i) {
      for (const name of TICK_COLUMN_NAMES) cols[name][w] = cols[name][i]!;
      bad[w] = bad[i]!;
    }
    origin[w++] = i;
  }
  for (const name of TICK_COLUMN_NAMES) (columns as unknown as Record<string, unknown>)[name] = columns[name].subarray(0, w);
  staged.bad = bad.subarray(0, w);
  staged.length = w;
  return origin.subarray(0, w);
}

const insertedRows = new WeakMap<Staged, Int32Array>();

/** Inserts a Clear row (Snapshot flag) before every run of snapshot rows. */
function insertSnapshotClears(staged: Staged): Staged {
  const { columns, length } = staged;
  const starts: number[] = [];
  for (let i = 0; i < length; i++) {
    const snap = (columns.flags[i]! & EventFlag.Snapshot) !== 0;
    if (snap && (i === 0 || (columns.flags[i - 1]! & EventFlag.Snapshot) === 0)) starts.push(i);
  }
  if (starts.length === 0) return staged;
  const { staged: result, origin } = insertClearRows(staged, starts, EventFlag.Snapshot | EventFlag.Last);
  insertedRows.set(result, origin);
  return result;
}

function sourceRowMapper(staged: Staged): (i: number) => number {
  const origin = insertedRows.get(staged);
  return origin ? (i: number) => origin[i]! : (i: number) => i;
}

function markTardisGroups(staged: Staged, type: TardisDataType): void {
  const c = staged.columns;
  if (type === "trades") {
    for (let i = 0; i < staged.length; i++) c.flags[i] = c.flags[i]! | EventFlag.Last;
    return;
  }
  if (type === "incremental_book_L2") {
    // The inserted Clear is its own message; then rows with the same receive time and snapshot-ness.
    markGroupEnds(c, staged.length, (a, b) => c.kind[a] !== EventKind.Clear && c.kind[b] !== EventKind.Clear && c.localTs[a] === c.localTs[b] && (c.flags[a]! & EventFlag.Snapshot) === (c.flags[b]! & EventFlag.Snapshot) && c.exchTs[a] === c.exchTs[b]);
    return;
  }
  if (type === "book_snapshot") {
    markGroupEnds(c, staged.length, (_a, b) => c.kind[b] !== EventKind.Clear);
    return;
  }
  markGroupEnds(c, staged.length, (a) => c.side[a] === 1);
}

