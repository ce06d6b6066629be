/**
 * TickBatch <-> files: normalized Parquet, CSV and Arrow IPC, plus `readTable` for a user's own
 * Parquet/CSV/Arrow files with a column mapping.
 *
 * Normalized Parquet has exactly the TickBatch columns (exchTs/localTs as BIGINT ns, priceTicks,
 * qtyLots, ...) and the instrument list as JSON in the file's key-value metadata under
 * "strategy_lab", so DuckDB, Spark or pandas read it as is and we read it back without guessing.
 * User files go through SQL that parses every value with TRY_CAST (a bad cell becomes a bad-row
 * bit, never an exception halfway through), then through the exact tick/lot conversion and the
 * bad-row policy in staging.ts. Reads stream DuckDB chunks into preallocated typed arrays.
 */
import { rename, rm, readFile, writeFile, stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import { LabError, Progress, checkOptionKeys, closestName, guessEpochUnit, InstrumentSpec, NS_PER, type InstrumentSpecInit, type ProgressSink, type TimeUnit } from "../core/index.js";
import { constantColumns, duckConnection, fillConstant, normalizedSelectSql, scanBatch, sqlIdent, sqlString, streamColumns, TICK_SQL_TYPES, type RawArray } from "./duck.js";
import { decimalsOf, stepForDecimals } from "./exact.js";
import { BAD, finishStaged, type BadRowPolicy, type Staged } from "./staging.js";
import { EVENT_KIND_NAMES, EventFlag, EventKind, TICK_COLUMN_NAMES, allocateColumns, type TickBatch, type TickColumnName } from "./tick-batch.js";
import { arrowLibrary, fromArrow, toArrow } from "./arrow.js";

export type TableFormat = "parquet" | "csv" | "arrow";

/** Which column of the user's file holds each TickBatch field (prices and sizes as decimals). */
export interface ColumnMapping {
  exchTs?: string;
  localTs?: string;
  kind?: string;
  side?: string;
  price?: string;
  qty?: string;
  orderId?: string;
  flags?: string;
  seq?: string;
  aux?: string;
  /** Symbol per row, matched against `instruments`. */
  symbol?: string;
}

const MAPPING_KEYS = ["exchTs", "localTs", "kind", "side", "price", "qty", "orderId", "flags", "seq", "aux", "symbol"] as const;
type MappingKey = (typeof MAPPING_KEYS)[number];

export interface ReadTableOptions {
  /** @default from the extension (.parquet, .csv, .arrow/.feather/.ipc) */
  format?: TableFormat;
  /** Column mapping; unmapped fields are looked up by their normalized or usual names. */
  columns?: ColumnMapping;
  /** The instrument of every row (when there is no symbol column). Inferred from the data if absent. */
  instrument?: InstrumentSpec | InstrumentSpecInit;
  /** Instruments matched by the symbol column. */
  instruments?: readonly (InstrumentSpec | InstrumentSpecInit)[];
  /** Unit of integer/decimal epoch timestamps. @default guessed from the digit count */
  timeUnit?: TimeUnit;
  /** Event kind of every row when there is no kind column. @default "Trade" */
  kind?: keyof typeof EventKind | EventKind;
  /** What to do with rows that cannot be parsed. @default "reject" */
  onBadRows?: BadRowPolicy;
  /** Allocate SharedArrayBuffer columns. @default false */
  shared?: boolean;
  progress?: ProgressSink;
  /** CSV field delimiter. @default auto-detected */
  delimiter?: string;
}

const READ_KEYS = ["format", "columns", "instrument", "instruments", "timeUnit", "kind", "onBadRows", "shared", "progress", "delimiter"] as const;

/** Usual names per field, tried in order when the mapping does not say. */
const DEFAULT_NAMES: Record<MappingKey, readonly string[]> = {
  exchTs: ["exchTs", "exch_ts", "timestamp", "ts_event", "ts"],
  localTs: ["localTs", "local_ts", "local_timestamp", "ts_recv"],
  kind: ["kind"],
  side: ["side"],
  price: ["price", "px"],
  qty: ["qty", "size", "amount", "quantity"],
  orderId: ["orderId", "order_id"],
  flags: ["flags"],
  seq: ["seq", "sequence"],
  aux: ["aux"],
  symbol: ["symbol"],
};

const METADATA_KEY = "strategy_lab";

export function formatFromPath(path: string): TableFormat | undefined {
  const ext = extname(path.replace(/\.(gz|zst)$/i, "")).toLowerCase();
  if (ext === ".parquet" || ext === ".pq") return "parquet";
  if (ext === ".csv" || ext === ".tsv" || ext === ".txt") return "csv";
  if (ext === ".arrow" || ext === ".feather" || ext === ".ipc" || ext === ".arrows") return "arrow";
  return undefined;
}

function resolveFormat(path: string, format: TableFormat | undefined): TableFormat {
  const f = format ?? formatFromPath(path);
  if (!f) {
    throw new LabError({ code: "UNKNOWN_FORMAT", message: `cannot tell the format of ${path} from its extension`, hint: 'pass { format: "parquet" | "csv" | "arrow" }', context: { file: path } });
  }
  return f;
}

async function requireReadable(path: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error("not a file");
    return s.size;
  } catch {
    throw new LabError({ code: "FILE_NOT_FOUND", message: `file not found: ${path}`, hint: "check the path (relative paths start at the current folder)", context: { file: path } });
  }
}

function toSpec(x: InstrumentSpec | InstrumentSpecInit): InstrumentSpec {
  return x instanceof InstrumentSpec ? x : new InstrumentSpec(x);
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface WriteOptions {
  progress?: ProgressSink;
  /** Parquet compression. @default "zstd" */
  compression?: "snappy" | "zstd" | "uncompressed";
}

function instrumentsJson(batch: TickBatch): string {
  return JSON.stringify({ version: 1, instruments: batch.instruments.map((s) => s.toJSON()) });
}

let tableCounter = 0;

/** Parquet writer settings: zstd by default (half the size of snappy, ~equal read speed here). */
export function parquetOptions(options: WriteOptions): string {
  return `COMPRESSION ${options.compression ?? "zstd"}, ROW_GROUP_SIZE 1000000`;
}

/** Writes a TickBatch as normalized Parquet (atomically: temp file, then rename). */
export async function writeParquet(batch: TickBatch, path: string, options: WriteOptions = {}): Promise<void> {
  checkOptionKeys(options, ["progress", "compression"], "writeParquet");
  await copyBatchToFile(batch, path, options.progress, (from) => `SELECT ${normalizedSelectSql()} FROM ${from}`, `FORMAT parquet, ${parquetOptions(options)}, KV_METADATA {${METADATA_KEY}: ${sqlString(instrumentsJson(batch))}}`);
}

/**
 * Streams `select(<the batch as a table>)` into `path` with DuckDB's COPY, atomically: a temporary
 * file renamed into place, removed on failure.
 */
export async function copyBatchToFile(batch: TickBatch, path: string, progress: ProgressSink | undefined, select: (from: string) => string, copyOptions: string, task = `write ${basename(path)}`): Promise<void> {
  const connection = await duckConnection();
  const temp = `${path}.tmp-${process.pid}-${++tableCounter}`;
  const scan = await scanBatch(connection, batch, progress, task);
  try {
    await connection.run(`COPY (${select(scan.from)}) TO ${sqlString(temp)} (${copyOptions})`);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new LabError({ code: "WRITE_FAILED", message: `cannot write ${path}: ${(error as Error).message.split("\n")[0]}`, hint: "check that the folder exists and is writable", context: { file: path }, cause: error });
  } finally {
    scan.release();
    connection.closeSync();
  }
}

/** SQL giving the exact decimal text of a ticks/lots column for each instrument. */
export function decimalSql(column: string, batch: TickBatch, which: "price" | "size"): string {
  const cases = batch.instruments.map((spec, index) => {
    const step = which === "price" ? spec.tickSize : spec.lotSize;
    const scale = which === "price" ? spec.priceScale : spec.sizeScale;
    const units = BigInt((step.split(".")[0] ?? "0") + ((step.split(".")[1] ?? "").padEnd(scale, "0").slice(0, scale))).toString();
    // Integer units times 10^-scale as a DECIMAL literal keeps the arithmetic exact.
    const value = `CAST(CAST(${column} AS HUGEINT) * ${units} AS DECIMAL(38,0))`;
    const text = scale === 0 ? `CAST(${value} AS VARCHAR)` : `CAST(${value} * ${stepForDecimals(scale)} AS VARCHAR)`;
    return `WHEN ${index} THEN ${text}`;
  });
  return `CASE WHEN isnan(${column}) THEN NULL ELSE CASE instrument ${cases.join(" ")} END END`;
}

/**
 * Writes a TickBatch as CSV with decimal prices/sizes (exact text from ticks/lots), kind names
 * and a symbol column: `exchTs,localTs,kind,side,price,qty,orderId,flags,seq,aux,symbol`.
 */
export async function writeCsv(batch: TickBatch, path: string, options: WriteOptions = {}): Promise<void> {
  checkOptionKeys(options, ["progress"], "writeCsv");
  const kindCase = `CASE kind ${Object.entries(EVENT_KIND_NAMES).map(([code, name]) => `WHEN ${code} THEN '${name}'`).join(" ")} ELSE CAST(kind AS VARCHAR) END`;
  const symbolCase = `CASE instrument ${batch.instruments.map((s, i) => `WHEN ${i} THEN ${sqlString(s.symbol)}`).join(" ")} END`;
  // Whole numbers (ids, sequence numbers) print without a trailing ".0".
  const num = (c: string): string => `CASE WHEN isnan(${c}) THEN NULL WHEN ${c} = trunc(${c}) AND abs(${c}) < 9e15 THEN CAST(CAST(${c} AS BIGINT) AS VARCHAR) ELSE CAST(${c} AS VARCHAR) END`;
  const select = (from: string): string =>
    `SELECT exchTs, localTs, ${kindCase} AS kind, side, ${decimalSql("priceTicks", batch, "price")} AS price, ${decimalSql("qtyLots", batch, "size")} AS qty, ${num("orderId")} AS orderId, flags, ${num("seq")} AS seq, ${num("aux")} AS aux, ${symbolCase} AS symbol FROM ${from}`;
  await copyBatchToFile(batch, path, options.progress, select, "FORMAT csv, HEADER true");
}

/** Writes a TickBatch as an Arrow IPC file (see `toArrow` for the schema). */
export async function writeArrowFile(batch: TickBatch, path: string): Promise<void> {
  const { tableToIPC } = arrowLibrary();
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, tableToIPC(toArrow(batch), "file"));
  await rename(temp, path);
}

export async function writeTable(batch: TickBatch, path: string, options: WriteOptions & { format?: TableFormat } = {}): Promise<void> {
  const { format, ...rest } = options;
  const f = resolveFormat(path, format);
  if (f === "parquet") return writeParquet(batch, path, rest);
  if (f === "csv") return writeCsv(batch, path, { ...(rest.progress ? { progress: rest.progress } : {}) });
  return writeArrowFile(batch, path);
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Rows in a CSV estimated from its size and the mean length of the first lines (+5 %). */
async function estimateCsvRows(path: string): Promise<number> {
  const { open } = await import("node:fs/promises");
  const handle = await open(path, "r");
  try {
    const size = (await handle.stat()).size;
    const sample = Buffer.alloc(Math.min(size, 1 << 20));
    await handle.read(sample, 0, sample.length, 0);
    let lines = 0;
    for (let i = 0; i < sample.length; i++) if (sample[i] === 10) lines++;
    if (lines <= 1 || sample.length === size) return Math.max(lines + 1, 16);
    return Math.ceil((size / (sample.length / lines)) * 1.05) + 1024;
  } finally {
    await handle.close();
  }
}

/** Streams reader SQL (TickBatch columns + bad) into staged columns sized by `expected`. */
async function streamStaged(connection: DuckConnection, sql: string, expected: number, path: string, format: string, shared: boolean, progress: Progress): Promise<Staged> {
  const columns = allocateColumns(expected, shared);
  const bad = new Uint32Array(shared ? new SharedArrayBuffer(expected * 4) : new ArrayBuffer(expected * 4));
  const specs = [...TICK_COLUMN_NAMES.map((name) => ({ name, type: TICK_SQL_TYPES[name] })), { name: "bad", type: "UINTEGER" as const }];
  let result;
  try {
    result = await streamColumns(connection, sql, specs, { expectedRows: expected, progress, into: { ...(columns as unknown as Record<string, RawArray>), bad } });
  } catch (error) {
    if (error instanceof LabError) throw error;
    throw badFileError(error, path, format);
  }
  const out = {} as Record<string, unknown>;
  for (const name of TICK_COLUMN_NAMES) out[name] = result.columns[name];
  return { columns: out as unknown as Staged["columns"], bad: result.columns["bad"] as Uint32Array, length: result.length };
}

export interface SourceColumn {
  name: string;
  type: string;
}

/**
 * DuckDB relation for a file. CSV is read as text (every cell parsed by our SQL, so a bad cell is
 * a bad-row bit); `lenient` pads short rows with NULLs, which makes DuckDB parse on one thread, so
 * it is only the retry after a strict read failed on a malformed row.
 */
function relationSql(path: string, format: "parquet" | "csv", delimiter?: string, lenient = false): string {
  if (format === "parquet") return `read_parquet(${sqlString(path)})`;
  const delim = delimiter !== undefined ? `, delim=${sqlString(delimiter)}` : "";
  return `read_csv(${sqlString(path)}, header=true, all_varchar=true${lenient ? ", null_padding=true, ignore_errors=false" : ""}${delim})`;
}

async function describe(connection: Awaited<ReturnType<typeof duckConnection>>, relation: string, path: string, format: string): Promise<SourceColumn[]> {
  try {
    const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
    return reader.getRowObjectsJS().map((r) => ({ name: String(r["column_name"]), type: String(r["column_type"]) }));
  } catch (error) {
    throw badFileError(error, path, format);
  }
}

function badFileError(error: unknown, path: string, format: string): LabError {
  const message = error instanceof Error ? error.message : String(error);
  const line = format === "csv" ? /line:?\s*(\d+)/i.exec(message)?.[1] : undefined;
  const truncated = /too small|magic|footer|truncated|invalid input|no magic bytes|metadata/i.test(message);
  const what = format === "parquet" ? (truncated ? "is not a complete Parquet file (truncated or corrupt)" : "cannot be read as Parquet") : `cannot be read as ${format.toUpperCase()}`;
  return new LabError({
    code: format === "parquet" ? "BAD_PARQUET" : "BAD_FILE",
    message: `${path} ${what}: ${message.split("\n")[0]}`,
    hint: format === "parquet" ? "the file ends early or is damaged; re-export or re-download it (other files are unaffected)" : "check the delimiter, quoting and header",
    context: { file: path, row: line !== undefined ? Number(line) - 2 : 0, column: "*", ...(line !== undefined ? { line: Number(line) } : {}) },
    cause: error,
  });
}

async function readMetadata(connection: Awaited<ReturnType<typeof duckConnection>>, path: string): Promise<InstrumentSpec[] | undefined> {
  try {
    const reader = await connection.runAndReadAll(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${sqlString(path)})`);
    for (const row of reader.getRowObjectsJS()) {
      if (row["k"] === METADATA_KEY) {
        const meta = JSON.parse(String(row["v"])) as { instruments: InstrumentSpecInit[] };
        return meta.instruments.map((i) => new InstrumentSpec(i));
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Reads a file in any supported table format into a TickBatch (see `ReadTableOptions`). */
export async function readTable(path: string, options: ReadTableOptions = {}): Promise<TickBatch> {
  checkOptionKeys(options, READ_KEYS, "readTable");
  if (options.columns) checkOptionKeys(options.columns, MAPPING_KEYS, "readTable columns");
  const format = resolveFormat(path, options.format);
  await requireReadable(path);
  if (format === "arrow") return readArrowFile(path, options);
  const connection = await duckConnection();
  try {
    const relation = relationSql(path, format, options.delimiter);
    const schema = await describe(connection, relation, path, format);
    if (format === "parquet" && !options.columns && TICK_COLUMN_NAMES.every((n) => schema.some((c) => c.name === n))) {
      const instruments = (await readMetadata(connection, path)) ?? (options.instrument ? [toSpec(options.instrument)] : undefined);
      if (instruments) return await readNormalized(connection, relation, path, instruments, options);
    }
    try {
      return await readMapped(connection, relation, path, format, schema, options);
    } catch (error) {
      if (format !== "csv" || !(error instanceof LabError) || error.code !== "BAD_FILE") throw error;
      const lenient = relationSql(path, format, options.delimiter, true);
      return await readMapped(connection, lenient, path, format, await describe(connection, lenient, path, format), options);
    }
  } finally {
    connection.closeSync();
  }
}

/** Reads normalized Parquet (written by `writeParquet`) straight into TickBatch columns. */
export async function readParquet(path: string, options: Omit<ReadTableOptions, "format"> = {}): Promise<TickBatch> {
  return readTable(path, { ...options, format: "parquet" });
}

async function countRows(connection: Awaited<ReturnType<typeof duckConnection>>, relation: string, path: string, format: string): Promise<number> {
  try {
    const reader = await connection.runAndReadAll(`SELECT count(*)::DOUBLE AS n FROM ${relation}`);
    return Number(reader.getRowObjectsJS()[0]?.["n"] ?? 0);
  } catch (error) {
    throw badFileError(error, path, format);
  }
}

async function readNormalized(connection: Awaited<ReturnType<typeof duckConnection>>, relation: string, path: string, instruments: InstrumentSpec[], options: ReadTableOptions): Promise<TickBatch> {
  const total = await countRows(connection, relation, path, "parquet");
  const columns = allocateColumns(total, options.shared ?? false);
  const progress = new Progress(`read ${basename(path)}`, options.progress, { total, unit: "rows" });
  // Columns the footer fixes (all NULL, one integer value) are filled here, not streamed.
  const constant = await constantColumns(connection, [path]);
  const streamed = TICK_COLUMN_NAMES.filter((n) => !constant.has(n));
  const specs = streamed.map((name) => ({ name, type: TICK_SQL_TYPES[name] }));
  const select = streamed.map((n) => `CAST(${sqlIdent(n)} AS ${TICK_SQL_TYPES[n]}) AS ${sqlIdent(n)}`).join(", ");
  try {
    if (streamed.length > 0) await streamColumns(connection, `SELECT ${select} FROM ${relation}`, specs, { expectedRows: total, progress, into: columns as unknown as Record<string, RawArray> });
  } catch (error) {
    if (error instanceof LabError) throw error;
    throw badFileError(error, path, "parquet");
  }
  for (const [name, value] of constant) fillConstant(columns[name], value, total);
  progress.finish();
  return finishStaged({ columns, bad: new Uint32Array(0), length: total }, { file: path, format: "parquet", instruments, onBadRows: options.onBadRows ?? "reject", convert: false });
}

const KIND_ALIASES: Record<string, number> = {
  levelset: EventKind.LevelSet, level_set: EventKind.LevelSet, level: EventKind.LevelSet, book: EventKind.LevelSet, l2: EventKind.LevelSet,
  clear: EventKind.Clear,
  trade: EventKind.Trade, trades: EventKind.Trade,
  bbo: EventKind.Bbo, quote: EventKind.Bbo, quotes: EventKind.Bbo,
  add: EventKind.Add,
  reduce: EventKind.Reduce, cancel: EventKind.Reduce,
  modify: EventKind.Modify,
  delete: EventKind.Delete,
  execute: EventKind.Execute, fill: EventKind.Execute, exec: EventKind.Execute,
  halt: EventKind.Halt,
};

const SIDE_ALIASES: Record<string, number> = { b: 1, bid: 1, bids: 1, buy: 1, "1": 1, "+1": 1, s: -1, a: -1, ask: -1, asks: -1, sell: -1, "-1": -1, "0": 0, n: 0, none: 0, unknown: 0 };

function isTextType(type: string): boolean {
  return type === "VARCHAR" || type.startsWith("VARCHAR") || type === "BLOB";
}

function isTimestampType(type: string): boolean {
  return type.startsWith("TIMESTAMP") || type === "DATE";
}

function isIntegerType(type: string): boolean {
  return /^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|U?BIGINT|U?HUGEINT)$/.test(type);
}

/** Resolves the mapping against the file's columns; a mapped column that is missing is an error. */
function resolveMapping(schema: readonly SourceColumn[], mapping: ColumnMapping | undefined, path: string): Partial<Record<MappingKey, SourceColumn>> {
  const names = schema.map((c) => c.name);
  const out: Partial<Record<MappingKey, SourceColumn>> = {};
  for (const key of MAPPING_KEYS) {
    const wanted = mapping?.[key];
    if (wanted !== undefined) {
      const column = schema.find((c) => c.name === wanted) ?? schema.find((c) => c.name.toLowerCase() === wanted.toLowerCase());
      if (!column) {
        const guess = closestName(wanted, names);
        throw new LabError({
          code: "MISSING_COLUMN",
          message: `${path}: column "${wanted}" (mapped to ${key}) is not in the header (row 0, line 1); columns are ${names.join(", ")}`,
          hint: guess ? `did you mean "${guess}"? Fix the mapping in { columns: { ${key}: "..." } }` : `map ${key} to one of the file's columns in { columns: { ${key}: "..." } }`,
          context: { file: path, row: 0, line: 1, column: wanted },
        });
      }
      out[key] = column;
      continue;
    }
    for (const candidate of DEFAULT_NAMES[key]) {
      const column = schema.find((c) => c.name === candidate);
      if (column) {
        out[key] = column;
        break;
      }
    }
  }
  for (const required of ["exchTs"] as const) {
    if (!out[required]) {
      throw new LabError({
        code: "MISSING_COLUMN",
        message: `${path}: no ${required} column in the header (row 0, line 1); columns are ${names.join(", ")}`,
        hint: `name the timestamp column: { columns: { ${required}: "..." } }`,
        context: { file: path, row: 0, line: 1, column: required },
      });
    }
  }
  return out;
}

async function guessUnit(connection: Awaited<ReturnType<typeof duckConnection>>, relation: string, column: SourceColumn): Promise<TimeUnit> {
  const reader = await connection.runAndReadAll(`SELECT CAST(${sqlIdent(column.name)} AS VARCHAR) AS v FROM ${relation} WHERE ${sqlIdent(column.name)} IS NOT NULL AND trim(CAST(${sqlIdent(column.name)} AS VARCHAR)) <> '' LIMIT 1`);
  const text = String(reader.getRowObjectsJS()[0]?.["v"] ?? "");
  const integerDigits = /^\s*[+-]?(\d+)/.exec(text)?.[1] ?? "";
  return integerDigits ? guessEpochUnit(integerDigits) : "ns";
}

/** Infers the finest decimal grid seen in the price and size columns (exact for decimal text). */
async function inferInstrument(connection: Awaited<ReturnType<typeof duckConnection>>, relation: string, price: SourceColumn | undefined, qty: SourceColumn | undefined, symbol: string, venue: string): Promise<InstrumentSpec> {
  const decimals = (c: SourceColumn | undefined): string =>
    c ? `max(CASE WHEN strpos(CAST(${sqlIdent(c.name)} AS VARCHAR), '.') > 0 THEN length(rtrim(split_part(CAST(${sqlIdent(c.name)} AS VARCHAR), '.', 2), '0')) ELSE 0 END)` : "0";
  const reader = await connection.runAndReadAll(`SELECT ${decimals(price)}::INTEGER AS p, ${decimals(qty)}::INTEGER AS q FROM ${relation}`);
  const row = reader.getRowObjectsJS()[0] ?? {};
  return new InstrumentSpec({ symbol, venue, tickSize: stepForDecimals(Number(row["p"] ?? 0)), lotSize: stepForDecimals(Number(row["q"] ?? 0)) });
}

const UNIT_DIGITS: Record<TimeUnit, number> = { s: 9, ms: 6, us: 3, ns: 0 };

/**
 * SQL turning an epoch (integer or decimal text, any unit), a TIMESTAMP or ISO text into exact ns.
 * Decimal epochs are split into integer and fraction digits and combined with BIGINT arithmetic:
 * exact, and ~1000x faster here than parsing into a 38-digit DECIMAL. Out-of-range values become
 * NULL (a bad-row bit), never an overflow error halfway through the file.
 */
function timeSql(column: SourceColumn, unit: TimeUnit): string {
  const id = sqlIdent(column.name);
  if (isTimestampType(column.type)) return `epoch_ns(${id})`;
  const mult = NS_PER[unit];
  const limit = 9_223_372_036_854_775_807n / mult;
  const scaled = (int: string): string => `CASE WHEN abs(${int}) <= ${limit} THEN ${int} * ${mult} END`;
  if (isIntegerType(column.type)) return scaled(`TRY_CAST(${id} AS BIGINT)`);
  const t = isTextType(column.type) ? id : `CAST(${id} AS VARCHAR)`;
  const digits = UNIT_DIGITS[unit];
  const integerPart = `TRY_CAST(split_part(${t}, '.', 1) AS BIGINT)`;
  const fraction = digits === 0 ? "0" : `TRY_CAST(rpad(left(split_part(${t}, '.', 2), ${digits}), ${digits}, '0') AS BIGINT)`;
  const decimal = `${scaled(integerPart)} + (CASE WHEN starts_with(trim(${t}), '-') THEN -1 ELSE 1 END) * ${fraction}`;
  const iso = isTextType(column.type) ? `epoch_ns(TRY_CAST(${t} AS TIMESTAMP_NS))` : "NULL::BIGINT";
  // COALESCE evaluates later arguments only for rows still NULL: plain integers take one cast.
  return `COALESCE(${scaled(`TRY_CAST(${t} AS BIGINT)`)}, CASE WHEN contains(${t}, '.') AND NOT contains(${t}, ':') THEN ${decimal} ELSE ${iso} END)`;
}

/** Source value; text is used as is (CSV empty fields are already NULL; casts ignore spaces). */
function textSql(column: SourceColumn): string {
  return sqlIdent(column.name);
}

function caseSql(expr: string, table: Record<string, number>, otherwise = "NULL"): string {
  return `CASE ${expr} ${Object.entries(table).map(([k, v]) => `WHEN ${sqlString(k)} THEN ${v}`).join(" ")} ELSE ${otherwise} END`;
}

async function readMapped(connection: Awaited<ReturnType<typeof duckConnection>>, relation: string, path: string, format: "parquet" | "csv", schema: readonly SourceColumn[], options: ReadTableOptions): Promise<TickBatch> {
  const m = resolveMapping(schema, options.columns, path);
  let instruments: InstrumentSpec[];
  if (options.instruments && options.instruments.length > 0) instruments = options.instruments.map(toSpec);
  else if (options.instrument) instruments = [toSpec(options.instrument)];
  else instruments = [await inferInstrument(connection, relation, m.price, m.qty, basename(path).replace(/\.[^.]*$/, ""), "UNKNOWN")];
  const unit = options.timeUnit ?? (isTimestampType(m.exchTs!.type) ? "ns" : await guessUnit(connection, relation, m.exchTs!));

  const defaultKind = typeof options.kind === "string" ? EventKind[options.kind] : options.kind ?? EventKind.Trade;
  if (defaultKind === undefined || !(defaultKind in EVENT_KIND_NAMES)) {
    throw new LabError({ code: "BAD_OPTION", message: `unknown kind ${String(options.kind)}`, hint: `one of ${Object.keys(EventKind).join(", ")}`, context: { option: "kind" } });
  }
  // Inner query: source text per field and the parsed value; outer query: the bad-row bits.
  const inner: string[] = [];
  const bits: string[] = [];
  const field = (key: MappingKey): SourceColumn | undefined => m[key];
  const src = (key: MappingKey, alias: string): string => {
    const c = field(key)!;
    inner.push(`${textSql(c)} AS ${alias}`);
    return alias;
  };
  inner.push(`${timeSql(m.exchTs!, unit)} AS exchTs`);
  src("exchTs", "src_exchTs");
  bits.push(`CASE WHEN src_exchTs IS NULL THEN ${BAD.missingExchTs} WHEN exchTs IS NULL THEN ${BAD.exchTs} ELSE 0 END`);
  if (m.localTs) {
    inner.push(`${timeSql(m.localTs, options.timeUnit ?? (isTimestampType(m.localTs.type) ? "ns" : await guessUnit(connection, relation, m.localTs)))} AS localTs`);
    src("localTs", "src_localTs");
    bits.push(`CASE WHEN src_localTs IS NULL THEN ${BAD.missingLocalTs} WHEN localTs IS NULL THEN ${BAD.localTs} ELSE 0 END`);
  } else {
    inner.push(`NULL::BIGINT AS localTs`);
  }
  if (m.kind) {
    const s = src("kind", "src_kind");
    // Names first; a code is cast only when no name matched (failed casts are the slow path).
    inner.push(`${caseSql(`lower(trim(CAST(${s} AS VARCHAR)))`, Object.fromEntries([...Object.entries(EventKind).map(([k, v]) => [k.toLowerCase(), v]), ...Object.entries(KIND_ALIASES)]), `TRY_CAST(${s} AS UTINYINT)`)} AS kind`);
    bits.push(`CASE WHEN src_kind IS NULL THEN ${BAD.missingKind} WHEN kind IS NULL OR kind NOT IN (${Object.keys(EVENT_KIND_NAMES).join(",")}) THEN ${BAD.kind} ELSE 0 END`);
  } else {
    inner.push(`${defaultKind}::UTINYINT AS kind`);
  }
  if (m.side) {
    const s = src("side", "src_side");
    inner.push(`CASE WHEN ${s} IS NULL THEN 0 ELSE ${caseSql(`lower(trim(CAST(${s} AS VARCHAR)))`, SIDE_ALIASES)} END AS side`);
    bits.push(`CASE WHEN side IS NULL THEN ${BAD.side} ELSE 0 END`);
  } else {
    inner.push(`0::TINYINT AS side`);
  }
  if (m.flags) {
    const s = src("flags", "src_flags");
    inner.push(`COALESCE(TRY_CAST(${s} AS USMALLINT), 0) AS flags`);
    bits.push(`CASE WHEN ${s} IS NOT NULL AND TRY_CAST(${s} AS USMALLINT) IS NULL THEN ${BAD.flags} ELSE 0 END`);
  } else {
    inner.push(`${m.localTs ? 0 : EventFlag.BadTimestamp}::USMALLINT AS flags`);
  }
  if (m.symbol) {
    const s = src("symbol", "src_symbol");
    inner.push(`${caseSql(`CAST(${s} AS VARCHAR)`, Object.fromEntries(instruments.map((spec, i) => [spec.symbol, i])))} AS instrument`);
    bits.push(`CASE WHEN instrument IS NULL THEN ${BAD.instrument} ELSE 0 END`);
  } else {
    inner.push(`0::USMALLINT AS instrument`);
  }
  const numeric = (key: MappingKey, target: TickColumnName, bit: number): void => {
    if (!field(key)) {
      inner.push(`NULL::DOUBLE AS ${target}`);
      return;
    }
    const s = src(key, `src_${target}`);
    inner.push(`TRY_CAST(${s} AS DOUBLE) AS ${target}`);
    bits.push(`CASE WHEN ${s} IS NOT NULL AND ${target} IS NULL THEN ${bit} ELSE 0 END`);
  };
  numeric("price", "priceTicks", BAD.priceTicks);
  numeric("qty", "qtyLots", BAD.qtyLots);
  numeric("orderId", "orderId", BAD.orderId);
  numeric("seq", "seq", BAD.seq);
  numeric("aux", "aux", BAD.aux);

  const outer = TICK_COLUMN_NAMES.map((n) => (n === "localTs" && !m.localTs ? `exchTs AS localTs` : `CAST(${n} AS ${TICK_SQL_TYPES[n]}) AS ${n}`));
  const sql = `SELECT ${outer.join(", ")}, CAST(${bits.length > 0 ? bits.join(" | ") : "0"} AS UINTEGER) AS bad FROM (SELECT ${inner.join(", ")} FROM ${relation})`;

  // Parquet knows its row count (metadata); a CSV is estimated rather than parsed twice.
  const total = format === "parquet" ? await countRows(connection, relation, path, format) : await estimateCsvRows(path);
  const progress = new Progress(`read ${basename(path)}`, options.progress, { total: format === "parquet" ? total : NaN, unit: "rows" });
  const staged = await streamStaged(connection, sql, total, path, format, options.shared ?? false, progress);
  progress.finish();
  const sourceColumns: Partial<Record<TickColumnName, string>> = {};
  const pairs: [TickColumnName, MappingKey][] = [["exchTs", "exchTs"], ["localTs", "localTs"], ["kind", "kind"], ["side", "side"], ["flags", "flags"], ["instrument", "symbol"], ["priceTicks", "price"], ["qtyLots", "qty"], ["orderId", "orderId"], ["seq", "seq"], ["aux", "aux"]];
  for (const [target, key] of pairs) if (m[key]) sourceColumns[target] = m[key]!.name;
  return finishStaged(staged, {
    file: path,
    format,
    instruments,
    onBadRows: options.onBadRows ?? "reject",
    sourceColumns,
    csv: format === "csv",
    rawValues: (rows, names) => fetchRawRows(relation, rows, names),
  });
}

/** Raw text of a few rows (by data row index), for error messages. */
export async function fetchRawRows(relation: string, rows: readonly number[], names: readonly string[]): Promise<Map<number, Record<string, string | null>>> {
  const out = new Map<number, Record<string, string | null>>();
  if (rows.length === 0 || names.length === 0) return out;
  const connection = await duckConnection();
  try {
    const cols = names.map((n) => `CAST(${sqlIdent(n)} AS VARCHAR) AS ${sqlIdent(n)}`).join(", ");
    const reader = await connection.runAndReadAll(`SELECT * FROM (SELECT (row_number() OVER () - 1)::DOUBLE AS __row, ${cols} FROM ${relation}) WHERE __row IN (${rows.join(",")})`);
    for (const r of reader.getRowObjectsJS()) {
      const rec: Record<string, string | null> = {};
      for (const n of names) rec[n] = r[n] === null || r[n] === undefined ? null : String(r[n]);
      out.set(Number(r["__row"]), rec);
    }
  } finally {
    connection.closeSync();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Arrow IPC files

/** Reads an Arrow IPC file: written by `writeArrowFile` (exact), or a user's with a column mapping. */
export async function readArrowFile(path: string, options: ReadTableOptions = {}): Promise<TickBatch> {
  await requireReadable(path);
  const { tableFromIPC } = arrowLibrary();
  let table;
  try {
    table = tableFromIPC(await readFile(path));
  } catch (error) {
    throw new LabError({ code: "BAD_FILE", message: `${path} cannot be read as Arrow IPC: ${(error as Error).message}`, hint: "the file may be truncated; re-export it", context: { file: path, row: 0, column: "*" }, cause: error });
  }
  const fromOptions: Parameters<typeof fromArrow>[1] = { file: path, onBadRows: options.onBadRows ?? "reject" };
  if (options.columns) fromOptions.columns = options.columns;
  if (options.instrument) fromOptions.instrument = toSpec(options.instrument);
  if (options.instruments) fromOptions.instruments = options.instruments.map(toSpec);
  if (options.timeUnit) fromOptions.timeUnit = options.timeUnit;
  if (options.kind !== undefined) fromOptions.kind = typeof options.kind === "string" ? EventKind[options.kind] : options.kind;
  if (options.shared) fromOptions.shared = true;
  return fromArrow(table, fromOptions);
}

// ---------------------------------------------------------------------------------------------
// Shared by the format readers built on SQL (Tardis, Binance CSV, ...)

export type DuckConnection = Awaited<ReturnType<typeof duckConnection>>;

export interface SqlReadPlan {
  path: string;
  format: string;
  /** SELECT returning the TickBatch columns in order (prices/sizes as decimal DOUBLEs) plus `bad`. */
  sql: string;
  instruments: readonly InstrumentSpec[];
  shared?: boolean;
  progress?: ProgressSink;
}

/** Runs a reader's SQL into staged columns (count first, then stream into exact-size arrays). */
export async function stageSql(connection: DuckConnection, plan: SqlReadPlan, rowsPerLine = 1): Promise<Staged> {
  const expected = Math.ceil((await estimateCsvRows(plan.path)) * rowsPerLine);
  const progress = new Progress(`read ${basename(plan.path)}`, plan.progress, { unit: "rows" });
  const staged = await streamStaged(connection, plan.sql, expected, plan.path, plan.format, plan.shared ?? false, progress);
  progress.finish();
  return staged;
}

/** Header columns of a CSV file (all as text). */
export async function csvHeader(connection: DuckConnection, path: string): Promise<SourceColumn[]> {
  await requireReadable(path);
  return describe(connection, relationSql(path, "csv"), path, "csv");
}

export function csvRelation(path: string): string {
  return relationSql(path, "csv");
}

/**
 * Instruments for the symbols in `symbolSql` of a relation: the ones given (by symbol), else a
 * grid inferred per symbol from the finest decimals seen in its price and size text.
 */
export async function instrumentsFor(connection: DuckConnection, relation: string, symbolSql: string, venueSql: string, priceSqls: readonly string[], qtySqls: readonly string[], given: { instrument?: InstrumentSpec | InstrumentSpecInit; instruments?: readonly (InstrumentSpec | InstrumentSpecInit)[] }): Promise<InstrumentSpec[]> {
  if (given.instruments?.length) return given.instruments.map(toSpec);
  if (given.instrument) return [toSpec(given.instrument)];
  const decimals = (exprs: readonly string[]): string =>
    exprs.length === 0 ? "0" : `greatest(${exprs.map((e) => `max(CASE WHEN strpos(${e}, '.') > 0 THEN length(rtrim(split_part(${e}, '.', 2), '0')) ELSE 0 END)`).join(", ")}, 0)`;
  const reader = await connection.runAndReadAll(`SELECT ${symbolSql} AS symbol, any_value(${venueSql}) AS venue, ${decimals(priceSqls)}::INTEGER AS p, ${decimals(qtySqls)}::INTEGER AS q FROM ${relation} GROUP BY 1 ORDER BY 1`);
  return reader.getRowObjectsJS().map((r) => new InstrumentSpec({ symbol: String(r["symbol"] ?? "?"), venue: String(r["venue"] ?? "?"), tickSize: stepForDecimals(Number(r["p"] ?? 0)), lotSize: stepForDecimals(Number(r["q"] ?? 0)) }));
}

export function symbolCaseSql(symbolSql: string, instruments: readonly InstrumentSpec[]): string {
  // One instrument applies to every row (the caller named it; the file's spelling may differ).
  if (instruments.length === 1) return "0";
  return caseSql(symbolSql, Object.fromEntries(instruments.map((spec, i) => [spec.symbol, i])));
}

export { finishStaged } from "./staging.js";
