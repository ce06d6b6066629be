/**
 * TickBatch <-> files: normalized Parquet, CSV and Arrow IPC, plus `readTable` for a user's own
 * Parquet/CSV/Arrow files with a column mapping.
 *
 * Normalized Parquet has exactly the TickBatch columns (exchTs/localTs as BIGINT ns, priceTicks,
 * qtyLots, ...) and the instrument list as JSON in the file's key-value metadata under
 * "strategy_lab", so DuckDB, Spark or pandas read it as is and we read it back without guessing.
 * User files go through SQL that parses every value with TRY_CAST (a bad cell becomes a bad-row
 * bit, never an exception halfway through), then through the exact tick/lot conversion and the
 * bad-row policy in staging.ts. CSV files are prepared by csv-source.ts first (header, dialect,
 * compression, a cut at the end), so DuckDB never guesses the dialect from a sample. Reads stream
 * DuckDB chunks into typed arrays presized from the file's row count, bounded by its size.
 */
import { open, rename, rm, writeFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { LabError, Progress, closestName, guessEpochUnit, InstrumentSpec, NS_PER, type InstrumentSpecInit, type ProgressSink, type TimeUnit } from "../core/index.js";
import { checkOptionKeys } from "../core/internal.js";
import { constantColumns, duckConnection, fillConstant, normalizedSelectSql, scanBatch, setStreamingBuffer, sqlIdent, sqlString, streamColumns, TICK_SQL_TYPES, type RawArray, type RawColumnSpec } from "./duck.js";
import { gridStep, stepForDecimals } from "./exact.js";
import { convertDecided, decimalTextSteps, openCsvSource, readRejects, rejectsTableName, undecidedTextSql, UNDECIDED_PRICE, UNDECIDED_QTY, type CsvSource, type ExactStep } from "./csv-source.js";
import { checkReadableFile, compressionOf, filesystemError, readSourceBytes } from "./source-bytes.js";
import { BAD, PRICED_KINDS, SIZED_KINDS, finishStaged, type BadRowPolicy, type FinishOptions, type RejectedLines, type Staged } from "./staging.js";
import { EVENT_KIND_NAMES, EventFlag, EventKind, TICK_COLUMNS, TICK_COLUMN_NAMES, allocateColumns, type TickBatch, type TickColumnName, type TickColumns } from "./tick-batch.js";
import { arrowLibrary, fromArrow, toArrow } from "./arrow.js";
import type { ColumnMapping } from "./column-mapping.js";

export type TableFormat = "parquet" | "csv" | "arrow";

export type { ColumnMapping } from "./column-mapping.js";

const MAPPING_KEYS = ["exchTs", "localTs", "kind", "side", "price", "qty", "orderId", "flags", "seq", "aux", "symbol", "venue"] as const;
type MappingKey = (typeof MAPPING_KEYS)[number];

export interface ReadTableOptions {
  /** @default from the extension (.parquet, .csv, .arrow/.feather/.ipc) */
  format?: TableFormat;
  /** Column mapping; unmapped fields are looked up by their normalized or usual names. */
  columns?: ColumnMapping;
  /**
   * The instrument of every row. With a symbol column, rows are matched by its symbol; when the
   * file never spells that symbol, the file must hold one symbol (rows with another are bad rows).
   * Without `instrument`/`instruments`: one instrument per symbol in the file (venue UNKNOWN, the
   * finest decimal grid seen), or one named after the file when there is no symbol column.
   */
  instrument?: InstrumentSpec | InstrumentSpecInit;
  /** Instruments matched by the symbol column (a row with another symbol is a bad row). */
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
  /** CSV field delimiter. @default the most frequent of , tab ; | in the header line */
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
  venue: ["venue"],
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
  // The venue travels with the symbol, so a CSV read back (or ingested) names the same instrument.
  const venueCase = `CASE instrument ${batch.instruments.map((s, i) => `WHEN ${i} THEN ${sqlString(s.venue)}`).join(" ")} END`;
  // Whole numbers (ids, sequence numbers) print without a trailing ".0".
  const num = (c: string): string => `CASE WHEN isnan(${c}) THEN NULL WHEN ${c} = trunc(${c}) AND abs(${c}) < 9e15 THEN CAST(CAST(${c} AS BIGINT) AS VARCHAR) ELSE CAST(${c} AS VARCHAR) END`;
  const select = (from: string): string =>
    `SELECT exchTs, localTs, ${kindCase} AS kind, side, ${decimalSql("priceTicks", batch, "price")} AS price, ${decimalSql("qtyLots", batch, "size")} AS qty, ${num("orderId")} AS orderId, flags, ${num("seq")} AS seq, ${num("aux")} AS aux, ${symbolCase} AS symbol, ${venueCase} AS venue FROM ${from}`;
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

/**
 * Rows to presize columns for: what the file claims (a Parquet footer) or an estimate, but never
 * more than a quarter row per byte of the file beyond a floor. A damaged or hostile footer then
 * cannot size an allocation; a file that really holds more rows grows its columns as they arrive.
 */
function presizeRows(claimed: number, fileBytes: number): number {
  return Math.max(1, Math.min(claimed, 65_536 + Math.ceil(fileBytes / 4)));
}

/**
 * Rows in a CSV estimated from its size and the mean length of the first lines (+5 %). A line is
 * never shorter than its delimiters, so the estimate stays proportional to the file's size.
 */
async function estimateCsvRows(path: string, minLineBytes = 1): Promise<number> {
  const handle = await open(path, "r");
  try {
    const size = (await handle.stat()).size;
    const sample = Buffer.alloc(Math.min(size, 1 << 20));
    await handle.read(sample, 0, sample.length, 0);
    let lines = 0;
    for (let i = 0; i < sample.length; i++) if (sample[i] === 10) lines++;
    if (lines <= 1 || sample.length === size) return Math.max(lines + 1, 16);
    return Math.ceil((size / Math.max(sample.length / lines, minLineBytes)) * 1.05) + 1024;
  } finally {
    await handle.close();
  }
}

/** Streams reader SQL (TickBatch columns + bad) into staged columns presized for `expected` rows. */
async function streamStaged(connection: DuckConnection, sql: string, expected: number, path: string, format: string, shared: boolean, progress: Progress, withUndecided = false): Promise<Staged & { undecided?: Uint8Array }> {
  const columns = allocateColumns(expected, shared);
  const bad = new Uint32Array(shared ? new SharedArrayBuffer(expected * 4) : new ArrayBuffer(expected * 4));
  const specs: RawColumnSpec[] = [...TICK_COLUMN_NAMES.map((name) => ({ name, type: TICK_SQL_TYPES[name] })), ...(withUndecided ? [{ name: "undecided", type: "UTINYINT" as const }] : []), { name: "bad", type: "UINTEGER" as const }];
  let result;
  try {
    result = await streamColumns(connection, sql, specs, { expectedRows: expected, progress, into: { ...(columns as unknown as Record<string, RawArray>), bad } });
  } catch (error) {
    if (error instanceof LabError) throw error;
    throw badFileError(error, path, format);
  }
  const out = {} as Record<string, unknown>;
  for (const name of TICK_COLUMN_NAMES) out[name] = result.columns[name];
  const staged = { columns: out as unknown as Staged["columns"], bad: result.columns["bad"] as Uint32Array, length: result.length };
  return withUndecided ? { ...staged, undecided: result.columns["undecided"] as Uint8Array } : staged;
}

export interface SourceColumn {
  name: string;
  type: string;
}

async function describe(connection: DuckConnection, relation: string, path: string, format: string): Promise<SourceColumn[]> {
  try {
    const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
    return reader.getRowObjectsJS().map((r) => ({ name: String(r["column_name"]), type: String(r["column_type"]) }));
  } catch (error) {
    throw badFileError(error, path, format);
  }
}

/** A DuckDB failure on a file as a coded error naming the file (never DuckDB's text alone). */
function badFileError(error: unknown, path: string, format: string): LabError {
  const message = error instanceof Error ? error.message : String(error);
  const line = format === "csv" ? /line:?\s*(\d+)/i.exec(message)?.[1] : undefined;
  const truncated = /too small|magic|footer|truncated|invalid input|no magic bytes|metadata/i.test(message);
  const what = format === "parquet" ? (truncated ? "is not a complete Parquet file (truncated or corrupt)" : "cannot be read as Parquet (the file is damaged)") : `cannot be read as ${format.toUpperCase()}`;
  return new LabError({
    code: format === "parquet" ? "BAD_PARQUET" : "BAD_FILE",
    message: `${path} ${what}: ${message.split("\n")[0]}`,
    hint: format === "parquet" ? "the file ends early or is damaged; re-export or re-download it (other files are unaffected)" : "the file is damaged or not in the expected format; re-export or re-download it",
    context: { file: path, row: line !== undefined ? Number(line) - 2 : 0, column: "*", ...(line !== undefined ? { line: Number(line) } : {}) },
    cause: error,
  });
}

/** The first and last bytes of a file. */
async function fileEnds(path: string, n: number): Promise<{ size: number; head: Buffer; tail: Buffer }> {
  const handle = await open(path, "r").catch((error: unknown) => {
    throw filesystemError(error, path);
  });
  try {
    const size = (await handle.stat()).size;
    const head = Buffer.alloc(Math.min(size, n));
    await handle.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(size, n));
    await handle.read(tail, 0, tail.length, size - tail.length);
    return { size, head, tail };
  } finally {
    await handle.close();
  }
}

/** What other kind of file these first bytes are, if any (for "wrong format" errors). */
function otherFormat(head: Uint8Array): { name: string; format: string } | undefined {
  const text = String.fromCharCode(...head.subarray(0, 6));
  if (text.startsWith("PAR1")) return { name: "a Parquet file", format: "parquet" };
  if (text === "ARROW1" || (head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff)) return { name: "an Arrow IPC file", format: "arrow" };
  const compression = compressionOf(head);
  if (compression !== "none") return { name: `${compression}-compressed data (a compressed CSV?)`, format: "csv" };
  if (head.length > 0 && !head.subarray(0, 4096).includes(0)) return { name: "text (a CSV file?)", format: "csv" };
  return undefined;
}

function emptyFileError(path: string, what: string): LabError {
  return new LabError({ code: "EMPTY_FILE", message: `${path} is empty (0 bytes); expected ${what}`, hint: "check the path, or re-download or re-export the file", context: { file: path, row: 0, column: "*" } });
}

/**
 * Parquet files start and end with "PAR1" (the footer, with the schema and row groups, sits just
 * before the end): a missing start is another format or junk, a missing end is a file cut off.
 */
async function checkParquetFile(path: string): Promise<number> {
  const { size, head, tail } = await fileEnds(path, 8);
  if (size === 0) throw emptyFileError(path, "a Parquet file");
  if (head.subarray(0, 4).toString("latin1") !== "PAR1") {
    const other = otherFormat(head);
    if (other && other.format !== "parquet") {
      throw new LabError({ code: "WRONG_FORMAT", message: `${path} is not a Parquet file: it is ${other.name}`, hint: `read it with its own format ({ format: "${other.format}" } / --format ${other.format})`, context: { file: path, row: 0, column: "*" } });
    }
    throw new LabError({ code: "BAD_PARQUET", message: `${path} is not a Parquet file (no "PAR1" at its start): damaged, or another kind of file`, hint: "check the path; re-export or re-download the file", context: { file: path, row: 0, column: "*" } });
  }
  if (size < 12 || tail.subarray(tail.length - 4).toString("latin1") !== "PAR1") {
    throw new LabError({ code: "BAD_PARQUET", message: `${path} is not a complete Parquet file (truncated or corrupt): it ends at byte ${size.toLocaleString("en-US")} without its footer`, hint: "the file ends early or is damaged; re-export or re-download it (other files are unaffected)", context: { file: path, row: 0, column: "*", byteOffset: size } });
  }
  return size;
}

async function readMetadata(connection: DuckConnection, path: string): Promise<InstrumentSpec[] | undefined> {
  let rows: Record<string, unknown>[];
  try {
    const reader = await connection.runAndReadAll(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${sqlString(path)})`);
    rows = reader.getRowObjectsJS();
  } catch {
    return undefined;
  }
  for (const row of rows) {
    if (row["k"] !== METADATA_KEY) continue;
    try {
      const meta = JSON.parse(String(row["v"])) as { instruments: InstrumentSpecInit[] };
      return meta.instruments.map((i) => new InstrumentSpec(i));
    } catch (error) {
      throw new LabError({ code: "SCHEMA_MISMATCH", message: `${path}: the instrument list in the file's "${METADATA_KEY}" metadata is damaged (${(error as Error).message.split("\n")[0]})`, hint: "re-export the file, or read it with { instrument } (--symbol/--tick-size) and a column mapping", context: { file: path, row: 0, column: METADATA_KEY }, cause: error });
    }
  }
  return undefined;
}

/**
 * Reads a file in any supported table format into a TickBatch (see `ReadTableOptions`). What
 * happens to a damaged file, by format:
 *
 * - Any format: a missing path is FILE_NOT_FOUND, a directory IS_A_DIRECTORY, an unreadable file
 *   PERMISSION_DENIED, a 0-byte file EMPTY_FILE, another format under this name WRONG_FORMAT.
 * - CSV (see csv-source.ts): read with a fixed dialect from its header (a UTF-8 BOM, CRLF line
 *   ends and quoted numbers read exactly like the plain file). gzip/zstd content is decoded first.
 *   A file cut inside its last line is TRUNCATED (a cut .gz CORRUPT_GZIP); with
 *   `onBadRows: "quarantine"` every complete line is read and one `truncated` issue is reported.
 *   A line with too few or too many fields, an unclosed quote or bytes that are not UTF-8 is a bad
 *   row (BAD_ROW, naming its line) that never becomes a row.
 * - Values (CSV and a mapped Parquet): text that is not a number (including NaN, inf and 1e400),
 *   an unknown kind or side, a symbol not among the instruments, an empty timestamp, an empty price
 *   or size where the event kind needs one, or a price/size off the tick/lot grid is a bad row:
 *   BAD_VALUE / MISSING_VALUE / OFF_GRID (file, row, line, column, raw text) under "reject"; under
 *   "quarantine" the good rows are kept and the bad ones reported by class and set aside in the
 *   read report. Negative sizes and non-positive prices are left to `validate()`, which reports them.
 * - Parquet: a file cut off or with damaged structure is BAD_PARQUET, naming the file; normalized
 *   columns of the wrong type (e.g. priceTicks as text) are SCHEMA_MISMATCH; a file with none of
 *   the expected columns is MISSING_COLUMN naming what was expected. Normalized rows with an
 *   unknown kind, a side outside -1..1, an instrument index without instrument or an infinite
 *   price are bad rows. Bytes changed inside column data cannot be detected (Parquet keeps no
 *   checksums by default).
 * - Arrow IPC: see `readArrowFile`.
 */
export async function readTable(path: string, options: ReadTableOptions = {}): Promise<TickBatch> {
  checkOptionKeys(options, READ_KEYS, "readTable");
  if (options.columns) checkOptionKeys(options.columns, MAPPING_KEYS, "readTable columns");
  const format = resolveFormat(path, options.format);
  checkReadableFile(path);
  if (format === "arrow") return readArrowFile(path, options);
  if (format === "csv") return readCsvTable(path, options);
  return readParquetTable(path, options);
}

function givenInstruments(options: Pick<ReadTableOptions, "instrument" | "instruments">): InstrumentSpec[] | undefined {
  if (options.instruments && options.instruments.length > 0) return options.instruments.map(toSpec);
  if (options.instrument) return [toSpec(options.instrument)];
  return undefined;
}

async function readParquetTable(path: string, options: ReadTableOptions): Promise<TickBatch> {
  const size = await checkParquetFile(path);
  const connection = await duckConnection();
  try {
    const relation = `read_parquet(${sqlString(path)})`;
    const schema = await describe(connection, relation, path, "parquet");
    if (!options.columns && TICK_COLUMN_NAMES.every((n) => schema.some((c) => c.name === n))) {
      checkNormalizedSchema(schema, path);
      const instruments = (await readMetadata(connection, path)) ?? givenInstruments(options);
      if (!instruments) {
        throw new LabError({ code: "MISSING_INSTRUMENT", message: `${path} has the normalized columns (prices in ticks) but no instrument list in its metadata, so ticks cannot be turned into prices`, hint: 'pass { instrument: { symbol, venue, tickSize, lotSize } } (--symbol/--tick-size/--lot-size)', context: { file: path, row: 0, column: METADATA_KEY } });
      }
      return await readNormalized(connection, relation, path, size, instruments, options);
    }
    return await readMapped(connection, { relation }, path, "parquet", schema, options, size);
  } finally {
    connection.closeSync();
  }
}

async function readCsvTable(path: string, options: ReadTableOptions): Promise<TickBatch> {
  const source = await openCsvSource(path, { onBadRows: options.onBadRows ?? "reject", ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}), what: "a CSV file" });
  try {
    const connection = await duckConnection();
    try {
      const schema = source.columns.map((name) => ({ name, type: "VARCHAR" }));
      return await readMapped(connection, { relation: source.scan(), csv: source }, path, "csv", schema, options, 0);
    } finally {
      connection.closeSync();
    }
  } finally {
    await source.release();
  }
}

/** Reads normalized Parquet (written by `writeParquet`) straight into TickBatch columns; damaged files as in `readTable`. */
export async function readParquet(path: string, options: Omit<ReadTableOptions, "format"> = {}): Promise<TickBatch> {
  return readTable(path, { ...options, format: "parquet" });
}

async function countRows(connection: DuckConnection, relation: string, path: string, format: string): Promise<number> {
  try {
    const reader = await connection.runAndReadAll(`SELECT count(*)::DOUBLE AS n FROM ${relation}`);
    return Number(reader.getRowObjectsJS()[0]?.["n"] ?? 0);
  } catch (error) {
    throw badFileError(error, path, format);
  }
}

/** Column types a normalized file may hold for each TickBatch column (cast on read). */
function normalizedTypeOk(name: TickColumnName, type: string): boolean {
  const t = TICK_SQL_TYPES[name];
  if (t === "DOUBLE") return isIntegerType(type) || /^(DOUBLE|FLOAT|REAL|DECIMAL.*)$/.test(type);
  return isIntegerType(type);
}

function checkNormalizedSchema(schema: readonly SourceColumn[], path: string): void {
  for (const name of TICK_COLUMN_NAMES) {
    const column = schema.find((c) => c.name === name)!;
    if (normalizedTypeOk(name, column.type)) continue;
    throw new LabError({
      code: "SCHEMA_MISMATCH",
      message: `${path}: column "${name}" is ${column.type}, but in a normalized file it is ${TICK_SQL_TYPES[name]}; expected ${TICK_COLUMN_NAMES.map((n) => `${n} ${TICK_SQL_TYPES[n]}`).join(", ")}`,
      hint: `re-export the file with writeParquet, or read its own columns with a mapping ({ columns: { exchTs: "...", price: "...", qty: "..." } } / --columns)`,
      context: { file: path, row: 0, column: name, found: column.type, expected: TICK_SQL_TYPES[name] },
    });
  }
}

function newColumn(name: TickColumnName, length: number, shared: boolean): RawArray {
  const Ctor = TICK_COLUMNS[name] as unknown as new (buffer: ArrayBufferLike) => RawArray;
  const bytes = length * (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const column = new Ctor(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  if (column instanceof Float64Array) column.fill(NaN);
  return column;
}

async function readNormalized(connection: DuckConnection, relation: string, path: string, fileBytes: number, instruments: InstrumentSpec[], options: ReadTableOptions): Promise<TickBatch> {
  const claimed = await countRows(connection, relation, path, "parquet");
  const shared = options.shared ?? false;
  const expected = presizeRows(claimed, fileBytes);
  const progress = new Progress(`read ${basename(path)}`, options.progress, { total: claimed, unit: "rows" });
  // Columns the footer fixes (all NULL, one integer value) are filled here, not streamed; the
  // timestamps are always streamed, so the row count is what the file really holds.
  const constant = await constantColumns(connection, [path]);
  constant.delete("exchTs");
  const streamed = TICK_COLUMN_NAMES.filter((n) => !constant.has(n));
  const specs = streamed.map((name) => ({ name, type: TICK_SQL_TYPES[name] }));
  const select = streamed.map((n) => `CAST(${sqlIdent(n)} AS ${TICK_SQL_TYPES[n]}) AS ${sqlIdent(n)}`).join(", ");
  const into: Record<string, RawArray> = {};
  for (const name of streamed) into[name] = newColumn(name, expected, shared);
  let result;
  try {
    result = await streamColumns(connection, `SELECT ${select} FROM ${relation}`, specs, { expectedRows: expected, progress, into });
  } catch (error) {
    if (error instanceof LabError) throw error;
    throw badFileError(error, path, "parquet");
  }
  const length = result.length;
  const columns = {} as Record<TickColumnName, RawArray>;
  for (const name of TICK_COLUMN_NAMES) {
    if (!constant.has(name)) {
      columns[name] = result.columns[name]!;
      continue;
    }
    const column = newColumn(name, length, shared);
    fillConstant(column, constant.get(name)!, length);
    columns[name] = column;
  }
  progress.finish();
  return finishStaged({ columns: columns as unknown as TickColumns, bad: new Uint32Array(0), length }, { file: path, format: "parquet", instruments, onBadRows: options.onBadRows ?? "reject", convert: false, checkNormalized: true });
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
        message: `${path}: no ${required} column in the header (row 0, line 1); looked for ${DEFAULT_NAMES[required].join(", ")}; columns are ${names.join(", ")} (a normalized file has ${TICK_COLUMN_NAMES.join(", ")})`,
        hint: `name the timestamp column: { columns: { ${required}: "..." } } (--columns '{"${required}":"..."}')`,
        context: { file: path, row: 0, line: 1, column: required, expected: DEFAULT_NAMES[required].join(",") },
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
  // Nanosecond epochs need no range check, which evaluated the cast a second time on every row.
  const scaled = (int: string): string => (mult === 1n ? int : `CASE WHEN abs(${int}) <= ${limit} THEN ${int} * ${mult} END`);
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

/** Source value; text as is (CSV empty fields are already NULL, casts ignore spaces), '' as NULL. */
function textSql(column: SourceColumn): string {
  return isTextType(column.type) ? `NULLIF(${sqlIdent(column.name)}, '')` : sqlIdent(column.name);
}

function caseSql(expr: string, table: Record<string, number>, otherwise = "NULL"): string {
  return `CASE ${expr} ${Object.entries(table).map(([k, v]) => `WHEN ${sqlString(k)} THEN ${v}`).join(" ")} ELSE ${otherwise} END`;
}

/** Where a mapped read gets its rows: a Parquet relation, or a prepared CSV source. */
interface MappedInput {
  /** Relation for the scans before the main read (inference); for CSV it skips unsplittable lines. */
  relation: string;
  csv?: CsvSource;
}

/** Kinds without a price (Clear, Halt) need no price column; every other kind does. */
function requireValueColumn(m: Partial<Record<MappingKey, SourceColumn>>, key: "price" | "qty", kinds: readonly number[], defaultKind: number, schema: readonly SourceColumn[], path: string): void {
  if (m[key] || (!m.kind && !kinds.includes(defaultKind))) return;
  const names = schema.map((c) => c.name);
  throw new LabError({
    code: "MISSING_COLUMN",
    message: `${path}: no ${key === "price" ? "price" : "size"} column in the header (row 0, line 1); looked for ${DEFAULT_NAMES[key].join(", ")}; columns are ${names.join(", ")}`,
    hint: `map it: { columns: { ${key}: "..." } } (--columns '{"${key}":"..."}')`,
    context: { file: path, row: 0, line: 1, column: key, expected: DEFAULT_NAMES[key].join(",") },
  });
}

async function readMapped(connection: DuckConnection, input: MappedInput, path: string, format: "parquet" | "csv", schema: readonly SourceColumn[], options: ReadTableOptions, fileBytes: number): Promise<TickBatch> {
  const { relation } = input;
  const m = resolveMapping(schema, options.columns, path);
  const defaultKind = typeof options.kind === "string" ? EventKind[options.kind] : options.kind ?? EventKind.Trade;
  if (defaultKind === undefined || !(defaultKind in EVENT_KIND_NAMES)) {
    throw new LabError({ code: "BAD_OPTION", message: `unknown kind ${String(options.kind)}`, hint: `one of ${Object.keys(EventKind).join(", ")}`, context: { option: "kind" } });
  }
  requireValueColumn(m, "price", PRICED_KINDS, defaultKind, schema, path);
  requireValueColumn(m, "qty", SIZED_KINDS, defaultKind, schema, path);
  const scalar = async (sql: string): Promise<Record<string, unknown>[]> => {
    try {
      return (await connection.runAndReadAll(sql)).getRowObjectsJS();
    } catch (error) {
      throw badFileError(error, path, format);
    }
  };

  // Instruments: given ones are matched by symbol; one given instrument names a one-symbol file
  // whatever its spelling there; without any, one grid per symbol from the finest decimals seen.
  const symbolText = m.symbol ? `NULLIF(trim(CAST(${sqlIdent(m.symbol.name)} AS VARCHAR)), '')` : undefined;
  let instruments: InstrumentSpec[];
  let instrumentSql = "0::USMALLINT";
  let instrumentBit = "0";
  const given = givenInstruments(options);
  const bySymbol = (specs: readonly InstrumentSpec[]): void => {
    const table = Object.fromEntries(specs.map((spec, i) => [spec.symbol, i]));
    // The symbol as written is tried before trim(): trimming allocated a string per row.
    instrumentSql = isTextType(m.symbol!.type) ? caseSql(sqlIdent(m.symbol!.name), table, caseSql(symbolText!, table)) : caseSql(symbolText!, table);
    instrumentBit = `CASE WHEN instrument IS NULL THEN ${BAD.instrument} ELSE 0 END`;
  };
  if (given) {
    instruments = given;
    if (symbolText) {
      const one = options.instruments === undefined || options.instruments.length === 0;
      const present = one ? (await scalar(`SELECT 1 AS x FROM ${relation} WHERE ${symbolText} = ${sqlString(given[0]!.symbol)} LIMIT 1`)).length > 0 : true;
      if (present) bySymbol(given);
      else {
        const first = (await scalar(`SELECT ${symbolText} AS s FROM ${relation} LIMIT 1`))[0]?.["s"];
        instrumentSql = first === null || first === undefined ? `CASE WHEN ${symbolText} IS NULL THEN 0 END` : `CASE WHEN ${symbolText} = ${sqlString(String(first))} THEN 0 END`;
        instrumentBit = `CASE WHEN instrument IS NULL THEN ${BAD.otherSymbol} ELSE 0 END`;
      }
    }
  } else if (symbolText) {
    const decimals = (c: SourceColumn | undefined): string =>
      c ? `max(CASE WHEN strpos(CAST(${sqlIdent(c.name)} AS VARCHAR), '.') > 0 THEN length(rtrim(split_part(CAST(${sqlIdent(c.name)} AS VARCHAR), '.', 2), '0')) ELSE 0 END)` : "0";
    const venueText = m.venue ? `any_value(NULLIF(trim(CAST(${sqlIdent(m.venue.name)} AS VARCHAR)), ''))` : "NULL";
    const rows = await scalar(`SELECT ${symbolText} AS s, ${venueText} AS v, ${decimals(m.price)}::INTEGER AS p, ${decimals(m.qty)}::INTEGER AS q FROM ${relation} WHERE ${symbolText} IS NOT NULL GROUP BY 1 ORDER BY 1 LIMIT 65536`);
    instruments = rows.map((r) => new InstrumentSpec({ symbol: String(r["s"]), venue: r["v"] === null || r["v"] === undefined ? "UNKNOWN" : String(r["v"]), tickSize: stepForDecimals(Number(r["p"] ?? 0)), lotSize: stepForDecimals(Number(r["q"] ?? 0)) }));
    if (instruments.length === 0) instruments = [await inferInstrument(connection, relation, m.price, m.qty, basename(path).replace(/\.[^.]*$/, ""), "UNKNOWN")];
    bySymbol(instruments);
  } else {
    instruments = [await inferInstrument(connection, relation, m.price, m.qty, basename(path).replace(/\.[^.]*$/, ""), "UNKNOWN")];
  }
  const unit = options.timeUnit ?? (isTimestampType(m.exchTs!.type) ? "ns" : await guessUnit(connection, relation, m.exchTs!));

  // Inner query: source text per field and the parsed value; outer query: the bad-row bits.
  // Set tests use list_contains, never IN (...): DuckDB plans a long IN list as a hash join, whose
  // parallel probe does not keep the file's row order.
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
    const anySpelling = caseSql(`lower(trim(CAST(${s} AS VARCHAR)))`, Object.fromEntries([...Object.entries(EventKind).map(([k, v]) => [k.toLowerCase(), v]), ...Object.entries(KIND_ALIASES)]), `TRY_CAST(${s} AS UTINYINT)`);
    // The names writeCsv writes are matched as they are first: lower(trim()) allocates two strings
    // per row, which made up a large part of a CSV read.
    const asWritten = Object.fromEntries(Object.entries(EVENT_KIND_NAMES).map(([code, name]) => [name, Number(code)]));
    inner.push(`${isTextType(field("kind")!.type) ? caseSql(s, asWritten, anySpelling) : anySpelling} AS kind`);
    bits.push(`CASE WHEN src_kind IS NULL THEN ${BAD.missingKind} WHEN kind IS NULL OR NOT list_contains([${Object.keys(EVENT_KIND_NAMES).join(",")}], kind) THEN ${BAD.kind} ELSE 0 END`);
  } else {
    inner.push(`${defaultKind}::UTINYINT AS kind`);
  }
  if (m.side) {
    const s = src("side", "src_side");
    const anySpelling = `CASE WHEN ${s} IS NULL THEN 0 ELSE ${caseSql(`lower(trim(CAST(${s} AS VARCHAR)))`, SIDE_ALIASES)} END`;
    // 1 / -1 / 0 as written (writeCsv) skip lower(trim()), as for the kind.
    inner.push(`${isTextType(field("side")!.type) ? caseSql(s, { "1": 1, "-1": -1, "0": 0 }, anySpelling) : anySpelling} AS side`);
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
  if (m.symbol) src("symbol", "src_symbol");
  inner.push(`${instrumentSql} AS instrument`);
  bits.push(instrumentBit);
  // CSV prices/sizes whose text a float64 cannot prove to be on the grid (see convertCsvExact).
  const undecided: string[] = [];
  // A NaN from a binary column means "no value"; text that does not parse, NaN/inf text and
  // overflowing numbers (1e400) are not numbers. An empty value is missing where the kind needs one.
  const numeric = (key: MappingKey, target: TickColumnName, bit: number, missing?: { bit: number; kinds: readonly number[] }): void => {
    if (!field(key)) {
      inner.push(`NULL::DOUBLE AS ${target}`);
      return;
    }
    const s = src(key, `src_${target}`);
    inner.push(`TRY_CAST(${s} AS DOUBLE) AS ${target}`);
    const missingBit = missing ? `CASE WHEN list_contains([${missing.kinds.join(",")}], kind) THEN ${missing.bit} ELSE 0 END` : "0";
    const empty = isTextType(field(key)!.type) ? `${s} IS NULL` : `${s} IS NULL OR isnan(${target})`;
    bits.push(`CASE WHEN ${empty} THEN ${missingBit} WHEN ${target} IS NULL OR NOT isfinite(${target}) THEN ${bit} ELSE 0 END`);
    if (input.csv && (key === "price" || key === "qty")) undecided.push(`CASE WHEN ${undecidedTextSql(s, target)} THEN ${key === "price" ? UNDECIDED_PRICE : UNDECIDED_QTY} ELSE 0 END`);
  };
  numeric("price", "priceTicks", BAD.priceTicks, { bit: BAD.missingPrice, kinds: PRICED_KINDS });
  numeric("qty", "qtyLots", BAD.qtyLots, { bit: BAD.missingQty, kinds: SIZED_KINDS });
  numeric("orderId", "orderId", BAD.orderId);
  numeric("seq", "seq", BAD.seq);
  numeric("aux", "aux", BAD.aux);

  const outer = TICK_COLUMN_NAMES.map((n) => (n === "localTs" && !m.localTs ? `exchTs AS localTs` : `CAST(${n} AS ${TICK_SQL_TYPES[n]}) AS ${n}`));
  if (input.csv) outer.push(`CAST(${undecided.length > 0 ? undecided.join(" | ") : "0"} AS UTINYINT) AS undecided`);
  const sqlFrom = (from: string): string => `SELECT ${outer.join(", ")}, CAST(${bits.length > 0 ? bits.join(" | ") : "0"} AS UINTEGER) AS bad FROM (SELECT ${inner.join(", ")} FROM ${from})`;

  const sourceColumns: Partial<Record<TickColumnName, string>> = {};
  const pairs: [TickColumnName, MappingKey][] = [["exchTs", "exchTs"], ["localTs", "localTs"], ["kind", "kind"], ["side", "side"], ["flags", "flags"], ["instrument", "symbol"], ["priceTicks", "price"], ["qtyLots", "qty"], ["orderId", "orderId"], ["seq", "seq"], ["aux", "aux"]];
  for (const [target, key] of pairs) if (m[key]) sourceColumns[target] = m[key]!.name;
  const finish = { file: path, format, instruments, onBadRows: options.onBadRows ?? "reject", sourceColumns } as const;
  if (input.csv) {
    const { staged, rejected, undecided: flags } = await stageCsv(connection, input.csv, sqlFrom, { format: "csv", undecided: true, ...(options.shared ? { shared: true } : {}), ...(options.progress ? { progress: options.progress } : {}) });
    await convertCsvExact(staged, flags!, instruments, input.csv, m.price?.name, m.qty?.name);
    return finishStaged(staged, { ...finish, convert: false, ...csvFinishOptions(input.csv, rejected) });
  }
  // Parquet knows its row count (metadata), trusted only as far as the file's size allows.
  const total = await countRows(connection, relation, path, format);
  const progress = new Progress(`read ${basename(path)}`, options.progress, { total, unit: "rows" });
  const staged = await streamStaged(connection, sqlFrom(relation), presizeRows(total, fileBytes), path, format, options.shared ?? false, progress);
  progress.finish();
  return finishStaged(staged, { ...finish, rawValues: (rows, names) => fetchRawRows(relation, rows, names) });
}

/**
 * Converts a CSV read's prices and sizes to exact ticks and lots (see csv-source.ts): the float
 * DuckDB parsed decides almost every row; the few it cannot decide (long texts, exponents that
 * underflow, step counts ≥ 10^15) are converted from their text with integer arithmetic, read in
 * one more pass over the file only when there are any. Off-grid rows get the off-tick/off-lot bit.
 */
async function convertCsvExact(staged: Staged, undecided: Uint8Array, instruments: readonly InstrumentSpec[], source: CsvSource, priceColumn: string | undefined, qtyColumn: string | undefined): Promise<void> {
  const { columns, bad, length } = staged;
  if (length === 0) return;
  const steps = (which: "price" | "size"): ExactStep[] => instruments.map((spec) => ({ units: gridStep(spec, which).units, scale: which === "price" ? spec.priceScale : spec.sizeScale }));
  const priceSteps = steps("price");
  const qtySteps = steps("size");
  const pendingPrice: number[] = [];
  const pendingQty: number[] = [];
  const skip = BAD.instrument | BAD.otherSymbol;
  convertDecided(columns.priceTicks, columns.instrument, priceSteps, bad, BAD.offTick, skip | BAD.priceTicks, undecided, UNDECIDED_PRICE, pendingPrice);
  convertDecided(columns.qtyLots, columns.instrument, qtySteps, bad, BAD.offLot, skip | BAD.qtyLots, undecided, UNDECIDED_QTY, pendingQty);
  if (pendingPrice.length === 0 && pendingQty.length === 0) return;
  const texts = await fetchUndecidedTexts(source, [...pendingPrice, ...pendingQty], priceColumn, qtyColumn, length);
  const settle = (rows: readonly number[], values: Float64Array, stepsOf: readonly ExactStep[], column: string | undefined, offGridBit: number): void => {
    for (const i of rows) {
      const text = column === undefined ? undefined : texts.get(i)?.[column];
      const t = typeof text === "string" ? decimalTextSteps(text, stepsOf[stepsOf.length === 1 ? 0 : columns.instrument[i]!]!) : undefined;
      if (t !== undefined) values[i] = t;
      else bad[i] = bad[i]! | offGridBit;
    }
  };
  settle(pendingPrice, columns.priceTicks, priceSteps, priceColumn, BAD.offTick);
  settle(pendingQty, columns.qtyLots, qtySteps, qtyColumn, BAD.offLot);
}

/**
 * Price and size text of the given parser rows. Few rows are picked by row number; many (a file
 * of long decimals) are taken from a full ordered pass, which allocates a string per row only in
 * that case.
 */
async function fetchUndecidedTexts(source: CsvSource, rows: readonly number[], priceColumn: string | undefined, qtyColumn: string | undefined, length: number): Promise<Map<number, Record<string, string | null>>> {
  const names = [priceColumn, qtyColumn].filter((n): n is string => n !== undefined);
  if (rows.length <= 20_000) return fetchRawRows(source.scan(), [...new Set(rows)].sort((a, b) => a - b), names);
  const wanted = new Uint8Array(length);
  for (const i of rows) wanted[i] = 1;
  const out = new Map<number, Record<string, string | null>>();
  const connection = await duckConnection();
  try {
    const result = await connection.stream(`SELECT ${names.map((n) => `CAST(${sqlIdent(n)} AS VARCHAR) AS ${sqlIdent(n)}`).join(", ")} FROM ${source.scan()}`);
    let row = 0;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const vectors = names.map((_, c) => chunk.getColumnValues(c));
      for (let r = 0; r < chunk.rowCount; r++, row++) {
        if (wanted[row] !== 1) continue;
        const rec: Record<string, string | null> = {};
        names.forEach((n, c) => {
          const v = vectors[c]![r];
          rec[n] = v === null || v === undefined ? null : String(v);
        });
        out.set(row, rec);
      }
    }
  } finally {
    connection.closeSync();
  }
  return out;
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

/**
 * Reads an Arrow IPC file (file or stream format): written by `writeArrowFile` (exact), or a
 * user's with a column mapping. A 0-byte file is EMPTY_FILE, another format WRONG_FORMAT, a file
 * that is cut off (the file format ends with "ARROW1", a stream with its end-of-stream marker) or
 * whose structure is damaged BAD_FILE
 * naming the file; record batches that claim more rows than their buffers hold are BAD_FILE
 * before anything is allocated for them. Columns of the wrong type are SCHEMA_MISMATCH; value
 * problems follow `onBadRows` as in `readTable` (see `fromArrow`). Bytes changed inside column
 * data cannot be detected (Arrow keeps no checksums).
 */
export async function readArrowFile(path: string, options: ReadTableOptions = {}): Promise<TickBatch> {
  const bytes = readSourceBytes(path);
  if (bytes.length === 0) throw emptyFileError(path, "an Arrow IPC file");
  const head = bytes.subarray(0, 8);
  const fileFormat = head.subarray(0, 6).toString("latin1") === "ARROW1";
  const streamFormat = head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff;
  if (!fileFormat && !streamFormat) {
    const other = otherFormat(head);
    if (other && other.format !== "arrow") {
      throw new LabError({ code: "WRONG_FORMAT", message: `${path} is not an Arrow IPC file: it is ${other.name}`, hint: `read it with its own format ({ format: "${other.format}" } / --format ${other.format})`, context: { file: path, row: 0, column: "*" } });
    }
    throw new LabError({ code: "BAD_FILE", message: `${path} is not an Arrow IPC file (no "ARROW1" or stream marker at its start): damaged, or another kind of file`, hint: "check the path; re-export or re-download the file", context: { file: path, row: 0, column: "*" } });
  }
  if (fileFormat && (bytes.length < 12 || bytes.subarray(bytes.length - 6).toString("latin1") !== "ARROW1")) {
    throw new LabError({ code: "BAD_FILE", message: `${path} is not a complete Arrow IPC file (truncated): it ends at byte ${bytes.length.toLocaleString("en-US")} without its footer`, hint: "the file ends early or is damaged; re-export or re-download it", context: { file: path, row: 0, column: "*", byteOffset: bytes.length } });
  }
  const eos = bytes.length >= 8 && bytes.readUInt32LE(bytes.length - 8) === 0xffffffff && bytes.readUInt32LE(bytes.length - 4) === 0;
  if (streamFormat && !eos) {
    // Writers end a stream with an end-of-stream marker; without it the stream was cut, possibly
    // between two record batches, where nothing else would show it.
    throw new LabError({ code: "BAD_FILE", message: `${path} is not a complete Arrow IPC stream (truncated): it ends at byte ${bytes.length.toLocaleString("en-US")} without its end-of-stream marker`, hint: "the file ends early or is damaged; re-export or re-download it", context: { file: path, row: 0, column: "*", byteOffset: bytes.length } });
  }
  checkArrowMessages(bytes, path, fileFormat);
  const { tableFromIPC } = arrowLibrary();
  let table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw new LabError({ code: "BAD_FILE", message: `${path} is a damaged Arrow IPC file: ${(error as Error).message.split("\n")[0]}`, hint: "the file is damaged or cut off; re-export or re-download it", context: { file: path, row: 0, column: "*" }, cause: error });
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

/**
 * Walks the IPC messages before the library decodes them: a record batch that claims more rows
 * than its body could hold (8 per byte: one validity bit) is damaged, and the library would size
 * validity bitmaps by that claim; a body shorter than announced is a cut.
 */
function checkArrowMessages(bytes: Uint8Array, path: string, fileFormat: boolean): void {
  const { MessageReader, MessageHeader } = arrowLibrary();
  const damaged = (what: string): LabError => new LabError({ code: "BAD_FILE", message: `${path} is a damaged Arrow IPC file: ${what}`, hint: "the file is damaged or cut off; re-export or re-download it", context: { file: path, row: 0, column: "*" } });
  try {
    const reader = new MessageReader(fileFormat ? bytes.subarray(8) : bytes);
    for (let rows = 0; ; ) {
      const message = reader.readMessage();
      if (!message) break;
      if (message.headerType === MessageHeader.RecordBatch || message.headerType === MessageHeader.DictionaryBatch) {
        const claimed = Number((message.header() as { length?: number | bigint }).length ?? 0);
        if (!(claimed <= message.bodyLength * 8 + 64)) throw damaged(`a record batch after row ${rows.toLocaleString("en-US")} claims ${claimed.toLocaleString("en-US")} rows in ${message.bodyLength.toLocaleString("en-US")} bytes`);
        if (message.headerType === MessageHeader.RecordBatch) rows += claimed;
      }
      const body = reader.readMessageBody(message.bodyLength);
      if (body.byteLength < message.bodyLength) throw damaged(`it ends inside a record batch (${body.byteLength.toLocaleString("en-US")} of ${message.bodyLength.toLocaleString("en-US")} bytes)`);
    }
  } catch (error) {
    if (error instanceof LabError) throw error;
    throw damaged((error as Error).message.split("\n")[0]!);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared by the CSV readers built on SQL (the venues' CSV exports)

export type DuckConnection = Awaited<ReturnType<typeof duckConnection>>;

export interface CsvStagePlan {
  format: string;
  shared?: boolean;
  progress?: ProgressSink;
  /** TickBatch rows per CSV line (exact: the count of parser rows is derived from it). @default 1 */
  rowsPerLine?: number;
  /** The SQL has an `undecided` UTINYINT column before `bad` (see `convertCsvExact`). */
  undecided?: boolean;
}

/**
 * Runs a reader's SQL (built on the relation it is given) over a CSV source into staged columns,
 * and lists the lines the parser skipped. Columns are presized from an estimate of the line count.
 */
export async function stageCsv(connection: DuckConnection, source: CsvSource, sql: (relation: string) => string, plan: CsvStagePlan): Promise<{ staged: Staged; rejected?: RejectedLines; undecided?: Uint8Array }> {
  const rowsPerLine = plan.rowsPerLine ?? 1;
  const expected = Math.ceil((await estimateCsvRows(source.path, source.columns.length)) * rowsPerLine);
  const progress = new Progress(`read ${basename(source.file)}`, plan.progress, { unit: "rows" });
  const table = rejectsTableName();
  await setStreamingBuffer(connection);
  const { undecided, ...staged } = await streamStaged(connection, sql(source.scan(table)), expected, source.file, plan.format, plan.shared ?? false, progress, plan.undecided ?? false);
  progress.finish();
  const rejected = await readRejects(connection, table, source, Math.floor(staged.length / rowsPerLine));
  return { staged, ...(rejected ? { rejected } : {}), ...(undecided ? { undecided } : {}) };
}

/** The finishStaged options every CSV reader passes: lines, the cut, rejected lines, raw text. */
export function csvFinishOptions(source: CsvSource, rejected: RejectedLines | undefined): Pick<FinishOptions, "csv" | "truncated" | "rejected" | "csvLayout" | "rawValues"> {
  const out: Pick<FinishOptions, "csv" | "truncated" | "rejected" | "csvLayout" | "rawValues"> = { csv: true, csvLayout: () => source.layout(), rawValues: (rows, names) => fetchRawRows(source.scan(), rows, names.filter((n) => source.columns.includes(n))) };
  if (source.truncated) out.truncated = source.truncated;
  if (rejected) out.rejected = rejected;
  return out;
}

/**
 * Instruments for the symbols in `symbolSql` of a relation: the ones given (by symbol), else a
 * grid inferred per symbol from the finest decimals seen in its price and size text.
 */
export async function instrumentsFor(connection: DuckConnection, relation: string, symbolSql: string, venueSql: string, priceSqls: readonly string[], qtySqls: readonly string[], given: { instrument?: InstrumentSpec | InstrumentSpecInit; instruments?: readonly (InstrumentSpec | InstrumentSpecInit)[] }, file = relation): Promise<InstrumentSpec[]> {
  if (given.instruments?.length) return given.instruments.map(toSpec);
  if (given.instrument) return [toSpec(given.instrument)];
  const decimals = (exprs: readonly string[]): string =>
    exprs.length === 0 ? "0" : `greatest(${exprs.map((e) => `max(CASE WHEN strpos(${e}, '.') > 0 THEN length(rtrim(split_part(${e}, '.', 2), '0')) ELSE 0 END)`).join(", ")}, 0)`;
  let rows: Record<string, unknown>[];
  try {
    rows = (await connection.runAndReadAll(`SELECT ${symbolSql} AS symbol, any_value(${venueSql}) AS venue, ${decimals(priceSqls)}::INTEGER AS p, ${decimals(qtySqls)}::INTEGER AS q FROM ${relation} GROUP BY 1 ORDER BY 1 LIMIT 65536`)).getRowObjectsJS();
  } catch (error) {
    throw badFileError(error, file, "csv");
  }
  if (rows.length === 0) rows = [{ symbol: "?", venue: "?", p: 0, q: 0 }];
  return rows.map((r) => new InstrumentSpec({ symbol: String(r["symbol"] ?? "?"), venue: String(r["venue"] ?? "?"), tickSize: stepForDecimals(Number(r["p"] ?? 0)), lotSize: stepForDecimals(Number(r["q"] ?? 0)) }));
}

export function symbolCaseSql(symbolSql: string, instruments: readonly InstrumentSpec[]): string {
  // One instrument applies to every row (the caller named it; the file's spelling may differ).
  if (instruments.length === 1) return "0";
  return caseSql(symbolSql, Object.fromEntries(instruments.map((spec, i) => [spec.symbol, i])));
}

export { finishStaged } from "./staging.js";
