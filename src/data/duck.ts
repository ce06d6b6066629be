/**
 * DuckDB plumbing shared by the Parquet/CSV readers, the writers and the catalog (internal).
 *
 * Columns move between DuckDB and typed arrays as raw memory: reading copies each result
 * vector's data buffer straight into a `BigInt64Array`/`Float64Array` (no JS value per cell), and
 * writing copies typed-array ranges into appender chunks. This is why the raw C-API bindings are
 * used instead of the value-level `getItem()` API, which would create a BigInt per timestamp.
 * `@duckdb/node-api` is loaded lazily so importing the package does not load the native module.
 */
import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type * as DuckApi from "@duckdb/node-api";
import { LabError, Progress, type ProgressSink } from "../core/index.js";
import { TICK_COLUMN_NAMES, type TickBatch, type TickColumnName } from "./tick-batch.js";

type Bindings = typeof import("@duckdb/node-bindings");

interface DuckModules {
  api: typeof DuckApi;
  bindings: Bindings;
}

let modules: Promise<DuckModules> | undefined;
let instance: Promise<DuckApi.DuckDBInstance> | undefined;

async function loadModules(): Promise<DuckModules> {
  modules ??= (async () => {
    const api = await import("@duckdb/node-api");
    return { api, bindings: loadBindings() };
  })();
  return modules;
}

/** The C-API bindings alone: the api package's own dependency, resolved from there. */
function loadBindings(): Bindings {
  return createRequire(createRequire(import.meta.url).resolve("@duckdb/node-api"))("@duckdb/node-bindings") as Bindings;
}

type DataChunk = import("@duckdb/node-bindings").DataChunk;

/** What `streamColumnChunks` needs of a connection: the api's `DuckDBConnection`, or `streamingConnection`'s. */
export interface ChunkStreamConnection {
  stream(sql: string): Promise<{ fetchChunk(): Promise<{ readonly chunk: DataChunk; readonly rowCount: number } | null> }>;
  closeSync(): void;
}

/**
 * A connection on a new DuckDB instance that only streams queries (a read-ahead thread's), made
 * with the C-API bindings alone: a thread that imported the api package for it spent ~370 ms
 * loading its modules before the first query, the bindings take ~15 ms. `threads` is the
 * instance's thread count, `streamingBuffer` its `streaming_buffer_size` (DuckDB's default: ~1 MB).
 */
export async function streamingConnection(threads: number, streamingBuffer?: string): Promise<ChunkStreamConnection> {
  const bindings = loadBindings();
  const config = bindings.create_config();
  bindings.set_config(config, "threads", String(threads));
  const database = await bindings.open(":memory:", config);
  const connection = await bindings.connect(database);
  if (streamingBuffer !== undefined) {
    try {
      await bindings.query(connection, `SET streaming_buffer_size = ${sqlString(streamingBuffer)}`);
    } catch {
      // An engine without the setting streams as before, only slower.
    }
  }
  return {
    async stream(sql) {
      const prepared = await bindings.prepare(connection, sql);
      let result;
      try {
        result = await bindings.execute_prepared_streaming(prepared);
      } finally {
        bindings.destroy_prepare_sync(prepared);
      }
      const streamed = result;
      return {
        async fetchChunk() {
          const chunk = await bindings.fetch_chunk(streamed);
          return chunk ? { chunk, rowCount: bindings.data_chunk_get_size(chunk) } : null;
        },
      };
    },
    closeSync() {
      bindings.disconnect_sync(connection);
      bindings.close_sync(database);
    },
  };
}

/**
 * Result chunks are native memory freed only when their small JS wrappers are garbage collected,
 * and a stream allocates few JS objects, so scavenges are rare and DuckDB keeps allocating fresh
 * memory (on this class of VM, first-touch memory costs more than decoding). A minor GC every few
 * dozen chunks frees them promptly: reads got ~2x faster and peak RSS fell ~5x in measurements.
 * The collector is obtained once through the documented runtime flag; if that is refused, reads
 * are only slower.
 */
let minorGc: (() => void) | null | undefined;
export function releaseChunks(): void {
  if (minorGc === undefined) {
    try {
      const existing = (globalThis as { gc?: (o?: { type: string }) => void }).gc;
      let gc = existing;
      if (!gc) {
        setFlagsFromString("--expose-gc");
        gc = runInNewContext("gc") as (o?: { type: string }) => void;
        setFlagsFromString("--no-expose-gc");
      }
      const collector = gc;
      minorGc = () => collector({ type: "minor" });
    } catch {
      minorGc = null;
    }
  }
  minorGc?.();
}

/** A connection on the process-wide in-memory DuckDB instance. */
export async function duckConnection(): Promise<DuckApi.DuckDBConnection> {
  const { api } = await loadModules();
  instance ??= api.DuckDBInstance.create(":memory:", { threads: "2" });
  return (await instance).connect();
}

/**
 * Lets a streamed query run further ahead of the reader. DuckDB pauses a streaming query once
 * ~1 MB of result chunks wait unread; a CSV scan whose every row is parsed and checked in SQL
 * then keeps stalling its threads, and a 7M-row CSV read took ~2x longer than with room for ~50 MB
 * of chunks (~250k rows; memory the finished result would take anyway). Set per connection.
 */
export async function setStreamingBuffer(connection: DuckApi.DuckDBConnection, size = "64MB"): Promise<void> {
  try {
    await connection.run(`SET streaming_buffer_size = ${sqlString(size)}`);
  } catch {
    // An engine without the setting streams as before, only slower.
  }
}

/** SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** SQL identifier. */
export function sqlIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Element types of the columns a query returns, as the typed arrays they are copied into. */
export type RawType = "BIGINT" | "DOUBLE" | "UTINYINT" | "TINYINT" | "USMALLINT" | "UINTEGER";

export const RAW_BYTES: Record<RawType, number> = { BIGINT: 8, DOUBLE: 8, UTINYINT: 1, TINYINT: 1, USMALLINT: 2, UINTEGER: 4 };

const VECTOR_ROWS = 2048;

export type RawArray = BigInt64Array | Float64Array | Uint8Array | Int8Array | Uint16Array | Uint32Array;

export function makeArray(type: RawType, length: number): RawArray {
  switch (type) {
    case "BIGINT":
      return new BigInt64Array(length);
    case "DOUBLE":
      return new Float64Array(length);
    case "UTINYINT":
      return new Uint8Array(length);
    case "TINYINT":
      return new Int8Array(length);
    case "USMALLINT":
      return new Uint16Array(length);
    case "UINTEGER":
      return new Uint32Array(length);
  }
}

export function viewOf(type: RawType, buffer: ArrayBufferLike, byteOffset: number, length: number): RawArray {
  switch (type) {
    case "BIGINT":
      return new BigInt64Array(buffer, byteOffset, length);
    case "DOUBLE":
      return new Float64Array(buffer, byteOffset, length);
    case "UTINYINT":
      return new Uint8Array(buffer, byteOffset, length);
    case "TINYINT":
      return new Int8Array(buffer, byteOffset, length);
    case "USMALLINT":
      return new Uint16Array(buffer, byteOffset, length);
    case "UINTEGER":
      return new Uint32Array(buffer, byteOffset, length);
  }
}

/**
 * Buffers given back by a reader's consumer, by byte length, for later pieces: fresh memory costs
 * a page fault per page on first touch. At most `maxBytes` are kept; more given back are dropped
 * (left to the collector).
 */
export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private bytes = 0;

  constructor(private readonly maxBytes = Infinity) {}

  /** An array of `length` elements, in a buffer given back before when one of its size is free. */
  readonly allocate = (type: RawType, length: number): RawArray => {
    const buffer = this.free.get(length * RAW_BYTES[type])?.pop();
    if (!buffer) return makeArray(type, length);
    this.bytes -= buffer.byteLength;
    return viewOf(type, buffer, 0, length);
  };

  give(buffer: ArrayBuffer): void {
    if (this.bytes + buffer.byteLength > this.maxBytes) return;
    this.bytes += buffer.byteLength;
    const list = this.free.get(buffer.byteLength);
    if (list) list.push(buffer);
    else this.free.set(buffer.byteLength, [buffer]);
  }

  /** Drops every buffer kept. */
  clear(): void {
    this.free.clear();
    this.bytes = 0;
  }
}

export interface RawColumnSpec {
  name: string;
  type: RawType;
  /** Value written where DuckDB returns NULL (NaN for DOUBLE, 0 otherwise). */
  nullValue?: number | bigint;
}

export interface RawColumns {
  length: number;
  columns: Record<string, RawArray>;
}

/**
 * Streams a query whose result columns are exactly `specs` (in order, already CAST to the
 * listed types) into typed arrays. `expectedRows` presizes the arrays (grown by 1.5x when
 * exceeded); `into` lets the caller supply the arrays (e.g. SharedArrayBuffers). The returned
 * columns are exactly `length` long (views of `into` arrays when those were big enough).
 */
export async function streamColumns(
  connection: DuckApi.DuckDBConnection,
  sql: string,
  specs: readonly RawColumnSpec[],
  options: { expectedRows?: number; progress?: Progress; into?: Record<string, RawArray> } = {},
): Promise<RawColumns> {
  const { bindings } = await loadModules();
  let capacity = Math.max(1, options.expectedRows ?? 65536);
  const columns: Record<string, RawArray> = {};
  for (const spec of specs) columns[spec.name] = options.into?.[spec.name] ?? makeArray(spec.type, capacity);
  if (options.into) capacity = columns[specs[0]!.name]!.length;
  if (process.env.STRATEGY_LAB_DEBUG_SQL) process.stderr.write(`${sql}\n`);
  const result = await connection.stream(sql);
  let length = 0;
  let chunks = 0;
  // The next chunk is requested before this one is copied, so DuckDB decodes while JS copies.
  let pending = result.fetchChunk();
  for (;;) {
    const chunk = await pending;
    if (!chunk) break;
    const n = chunk.rowCount;
    if (n === 0) break;
    pending = result.fetchChunk();
    if (++chunks % 64 === 0) releaseChunks();
    if (length + n > capacity) {
      // An estimate was too small: grow (same kind of buffer as given) and keep going.
      while (length + n > capacity) capacity = Math.ceil(capacity * 1.5) + VECTOR_ROWS;
      for (const spec of specs) {
        const old = columns[spec.name]!;
        const grown = old.buffer instanceof SharedArrayBuffer ? viewOf(spec.type, new SharedArrayBuffer(capacity * RAW_BYTES[spec.type]), 0, capacity) : makeArray(spec.type, capacity);
        if (grown instanceof Float64Array) grown.fill(NaN);
        (grown as { set(a: ArrayLike<number | bigint>): void }).set(columns[spec.name] as ArrayLike<number | bigint>);
        columns[spec.name] = grown;
      }
    }
    for (let c = 0; c < specs.length; c++) {
      const spec = specs[c]!;
      const vector = bindings.data_chunk_get_vector(chunk.chunk, c);
      const bytes = RAW_BYTES[spec.type];
      const data = bindings.vector_get_data(vector, n * bytes);
      const target = columns[spec.name]!;
      (target as { set(a: ArrayLike<number | bigint>, o: number): void }).set(viewOf(spec.type, data.buffer, data.byteOffset, n) as ArrayLike<number | bigint>, length);
      const validity = bindings.vector_get_validity(vector, Math.ceil(n / 64) * 8);
      if (validity) applyNulls(validity, n, target, length, spec.nullValue ?? (spec.type === "DOUBLE" ? NaN : spec.type === "BIGINT" ? 0n : 0));
    }
    length += n;
    options.progress?.tick(n);
  }
  if (length < capacity) {
    // Caller-supplied (possibly shared) arrays are trimmed as views; our own are copied to size.
    for (const spec of specs) columns[spec.name] = options.into ? columns[spec.name]!.subarray(0, length) : columns[spec.name]!.slice(0, length);
  }
  return { length, columns };
}

/**
 * Writes `nullValue` where the validity mask marks NULL. Runs of NULL (a column NULL on every row,
 * such as the order ids of a price-level feed) are filled 64 rows at a time: written row by row
 * they took most of a catalog read's time.
 */
function applyNulls(validity: Uint8Array, n: number, target: RawArray, offset: number, nullValue: number | bigint): void {
  const fill = target.fill.bind(target) as (value: number | bigint, start: number, end: number) => void;
  for (let w = 0; w < n; w += 64) {
    const base = w >>> 3;
    let all = 0;
    let none = 0xff;
    for (let b = 0; b < 8 && base + b < validity.length; b++) {
      all |= validity[base + b]!;
      none &= validity[base + b]!;
    }
    if (none === 0xff && w + 64 <= n) continue;
    if (all === 0) {
      fill(nullValue, offset + w, offset + Math.min(n, w + 64));
      continue;
    }
    for (let i = w; i < w + 64 && i < n; i++) {
      if ((validity[i >>> 3]! & (1 << (i & 7))) === 0) fill(nullValue, offset + i, offset + i + 1);
    }
  }
}

/**
 * Growth of each piece over the one before, while pieces are below `chunkRows`. The catalog's
 * reader does ~1.7x the rows per second the engine does, so a piece 1.5x the previous one is read
 * while the engine runs the previous one; doubling outran the reader and a streamed run of 20M
 * events waited ~0.1 s more for its pieces in the ramp (measured: 0.32-0.43 s of waiting in all,
 * against 0.24-0.39 s with 1.5).
 */
export const PIECE_GROWTH = 1.5;

/**
 * Like `streamColumns`, in pieces: yields the query's rows as columns of at most `chunkRows` rows
 * (whole DuckDB vectors of up to 2,048 rows each), fresh arrays per piece, so a caller can hold
 * one piece while the next is read. The next vector is requested before one is copied.
 * `frontRows` leaves that many unused rows before each piece's columns in their buffers (the
 * columns are views starting there), so a consumer can put rows it kept from the previous piece
 * in front of the new ones without copying the new ones (see `TickChunkSource.frontRows`).
 * `allocate` makes each piece's arrays (default: new, zero-filled ones), always `frontRows` +
 * `chunkRows` long (at least a vector) so that memory can hold any later piece; every row a piece
 * holds is written, so it may hand out reused memory. `firstRows` makes the first piece that small
 * and each next one PIECE_GROWTH times the one before, up to `chunkRows`: a consumer that waits for
 * the first piece before it can start (a streamed run) waits for a few vectors, not for a whole chunk.
 */
export async function* streamColumnChunks(connection: ChunkStreamConnection, sql: string, specs: readonly RawColumnSpec[], chunkRows: number, frontRows = 0, allocate: (type: RawType, length: number) => RawArray = makeArray, firstRows = chunkRows): AsyncGenerator<RawColumns> {
  const bindings = loadBindings();
  const capacity = Math.max(chunkRows, VECTOR_ROWS);
  const fresh = (): Record<string, RawArray> => Object.fromEntries(specs.map((spec) => [spec.name, frontRows > 0 ? allocate(spec.type, frontRows + capacity).subarray(frontRows) : allocate(spec.type, capacity)]));
  let columns = fresh();
  let length = 0;
  let limit = Math.min(capacity, Math.max(firstRows, VECTOR_ROWS));
  let chunks = 0;
  const result = await connection.stream(sql);
  let pending = result.fetchChunk();
  for (;;) {
    const chunk = await pending;
    const n = chunk ? chunk.rowCount : 0;
    if (!chunk || n === 0) break;
    pending = result.fetchChunk();
    if (++chunks % 64 === 0) releaseChunks();
    if (length > 0 && length + n > limit) {
      yield { length, columns: trimmed(columns, specs, length) };
      columns = fresh();
      length = 0;
      limit = Math.min(capacity, Math.ceil(PIECE_GROWTH * limit));
    }
    for (let c = 0; c < specs.length; c++) {
      const spec = specs[c]!;
      const vector = bindings.data_chunk_get_vector(chunk.chunk, c);
      const data = bindings.vector_get_data(vector, n * RAW_BYTES[spec.type]);
      const target = columns[spec.name]!;
      (target as { set(a: ArrayLike<number | bigint>, o: number): void }).set(viewOf(spec.type, data.buffer, data.byteOffset, n) as ArrayLike<number | bigint>, length);
      const validity = bindings.vector_get_validity(vector, Math.ceil(n / 64) * 8);
      if (validity) applyNulls(validity, n, target, length, spec.nullValue ?? (spec.type === "DOUBLE" ? NaN : spec.type === "BIGINT" ? 0n : 0));
    }
    length += n;
  }
  if (length > 0) yield { length, columns: trimmed(columns, specs, length) };
}

/** Each column cut to `length` rows (a view when longer). */
export function trimmed(columns: Record<string, RawArray>, specs: readonly RawColumnSpec[], length: number): Record<string, RawArray> {
  const out: Record<string, RawArray> = {};
  for (const spec of specs) out[spec.name] = columns[spec.name]!.length === length ? columns[spec.name]! : columns[spec.name]!.subarray(0, length);
  return out;
}

/** DuckDB column type of each normalized TickBatch column. */
export const TICK_SQL_TYPES: Record<TickColumnName, RawType> = {
  exchTs: "BIGINT",
  localTs: "BIGINT",
  kind: "UTINYINT",
  side: "TINYINT",
  flags: "USMALLINT",
  instrument: "USMALLINT",
  priceTicks: "DOUBLE",
  qtyLots: "DOUBLE",
  orderId: "DOUBLE",
  seq: "DOUBLE",
  aux: "DOUBLE",
};


/**
 * SELECT list of the normalized columns for writing Parquet: NaN in a DOUBLE column (no order id,
 * no sequence number) is written as NULL, which reads back as NaN. NULLs are counted in the
 * row-group statistics, so a reader can tell an all-NaN column from the file footer alone
 * (`constantColumns`); NaN is left out of min/max statistics and would not be.
 */
export function normalizedSelectSql(): string {
  return TICK_COLUMN_NAMES.map((n) => (TICK_SQL_TYPES[n] === "DOUBLE" ? `CASE WHEN isnan(${sqlIdent(n)}) THEN NULL ELSE ${sqlIdent(n)} END AS ${sqlIdent(n)}` : sqlIdent(n))).join(", ");
}

/**
 * Normalized columns whose every value the Parquet footers of `files` already fix: NULL in every
 * row group (the reader's null value), or, for integer columns, one min = max and no NULLs in
 * every row group. Readers fill those in memory instead of streaming them through DuckDB (a
 * single-instrument file never needs its instrument column read; L2 data has no order ids).
 * DOUBLE min/max are not trusted: writers leave NaN out of them.
 */
export async function constantColumns(connection: DuckApi.DuckDBConnection, files: readonly string[]): Promise<Map<TickColumnName, number | bigint>> {
  const out = new Map<TickColumnName, number | bigint>();
  if (files.length === 0) return out;
  let rows: Record<string, unknown>[];
  try {
    const reader = await connection.runAndReadAll(
      `SELECT path_in_schema AS c, count(*)::DOUBLE AS groups, sum(num_values)::DOUBLE AS n, count(stats_null_count)::DOUBLE AS counted, sum(stats_null_count)::DOUBLE AS nulls,
        count(stats_min_value)::DOUBLE AS withMin, count(DISTINCT stats_min_value)::DOUBLE AS mins, count(DISTINCT stats_max_value)::DOUBLE AS maxs, any_value(stats_min_value) AS lo, any_value(stats_max_value) AS hi
       FROM parquet_metadata([${files.map(sqlString).join(", ")}]) GROUP BY path_in_schema`,
    );
    rows = reader.getRowObjectsJS();
  } catch {
    return out;
  }
  for (const r of rows) {
    const name = String(r["c"]) as TickColumnName;
    const type = TICK_SQL_TYPES[name];
    if (type === undefined) continue;
    const groups = Number(r["groups"]);
    const n = Number(r["n"]);
    if (Number(r["counted"]) !== groups) continue;
    const nulls = Number(r["nulls"]);
    if (nulls === n) {
      out.set(name, type === "DOUBLE" ? NaN : type === "BIGINT" ? 0n : 0);
      continue;
    }
    if (type === "DOUBLE" || nulls !== 0 || Number(r["withMin"]) !== groups || Number(r["mins"]) !== 1 || Number(r["maxs"]) !== 1 || r["lo"] !== r["hi"]) continue;
    const text = String(r["lo"]);
    if (!/^-?\d+$/.test(text)) continue;
    out.set(name, type === "BIGINT" ? BigInt(text) : Number(text));
  }
  return out;
}

/** Fills a column with the constant `constantColumns` found (NaN columns are allocated as NaN). */
export function fillConstant(column: RawArray, value: number | bigint, length: number): void {
  if (typeof value === "bigint") (column as BigInt64Array).fill(value, 0, length);
  else if (!(column instanceof Float64Array && Number.isNaN(value))) (column as Exclude<RawArray, BigInt64Array>).fill(value, 0, length);
}

/**
 * Loads a TickBatch into a DuckDB table (created, or replaced) by copying column memory into
 * appender chunks, `VECTOR_ROWS` rows at a time.
 */
export async function loadBatchTable(connection: DuckApi.DuckDBConnection, table: string, batch: TickBatch, progressSink?: ProgressSink, task = "load"): Promise<void> {
  const { api, bindings } = await loadModules();
  const columnsSql = TICK_COLUMN_NAMES.map((name) => `${sqlIdent(name)} ${TICK_SQL_TYPES[name]}`).join(", ");
  await connection.run(`CREATE OR REPLACE TABLE ${sqlIdent(table)} (${columnsSql})`);
  const appender = await connection.createAppender(table);
  const typeOf: Record<RawType, DuckApi.DuckDBType> = {
    BIGINT: api.BIGINT,
    DOUBLE: api.DOUBLE,
    UTINYINT: api.UTINYINT,
    TINYINT: api.TINYINT,
    USMALLINT: api.USMALLINT,
    UINTEGER: api.UINTEGER,
  };
  const types = TICK_COLUMN_NAMES.map((name) => typeOf[TICK_SQL_TYPES[name]]);
  const progress = new Progress(task, progressSink, { total: batch.length, unit: "rows" });
  try {
    const chunk = api.DuckDBDataChunk.create(types, VECTOR_ROWS);
    for (let start = 0; start < batch.length; start += VECTOR_ROWS) {
      const n = Math.min(VECTOR_ROWS, batch.length - start);
      chunk.reset();
      chunk.rowCount = n;
      for (let c = 0; c < TICK_COLUMN_NAMES.length; c++) {
        const column = batch[TICK_COLUMN_NAMES[c]!];
        const vector = bindings.data_chunk_get_vector(chunk.chunk, c);
        const bytes = column.BYTES_PER_ELEMENT;
        bindings.copy_data_to_vector(vector, 0, column.buffer as ArrayBuffer, column.byteOffset + start * bytes, n * bytes);
      }
      appender.appendDataChunk(chunk);
      progress.tick(n);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  progress.finish();
}

/** Turns a DuckDB failure into a LabError naming the file. */
export function duckError(error: unknown, file: string, what: string, hint: string): LabError {
  const message = error instanceof Error ? error.message : String(error);
  return new LabError({ code: "READ_FAILED", message: `${what} ${file}: ${message.split("\n")[0]}`, hint, context: { file }, cause: error });
}

let scanCounter = 0;

/**
 * Exposes a TickBatch to SQL as a table function that copies column memory into DuckDB's
 * output chunks on demand, so `COPY (SELECT ... FROM <from>) TO ...` streams the batch without
 * materializing a second copy in DuckDB. Call `release()` when done: the registered function
 * then no longer holds the batch.
 */
export async function scanBatch(connection: DuckApi.DuckDBConnection, batch: TickBatch, progressSink?: ProgressSink, task = "write"): Promise<{ from: string; release(): void }> {
  const { api, bindings } = await loadModules();
  const typeOf: Record<RawType, DuckApi.DuckDBType> = { BIGINT: api.BIGINT, DOUBLE: api.DOUBLE, UTINYINT: api.UTINYINT, TINYINT: api.TINYINT, USMALLINT: api.USMALLINT, UINTEGER: api.UINTEGER };
  const holder: { batch: TickBatch | undefined } = { batch };
  const progress = new Progress(task, progressSink, { total: batch.length, unit: "rows" });
  const name = `lab_scan_${process.pid}_${++scanCounter}`;
  const fn = api.DuckDBTableFunction.create({
    name,
    bindFunction: (bind) => {
      for (const column of TICK_COLUMN_NAMES) bind.addResultColumn(column, typeOf[TICK_SQL_TYPES[column]]);
      bind.setCardinality(holder.batch?.length ?? 0, true);
    },
    initFunction: (init) => {
      init.setInitData({ offset: 0 });
      init.setMaxThreads(1);
    },
    mainFunction: (info, out) => {
      const source = holder.batch;
      const state = info.getInitData() as { offset: number };
      const n = source ? Math.min(VECTOR_ROWS, source.length - state.offset) : 0;
      out.rowCount = n;
      if (!source || n === 0) return;
      for (let c = 0; c < TICK_COLUMN_NAMES.length; c++) {
        const column = source[TICK_COLUMN_NAMES[c]!];
        const bytes = column.BYTES_PER_ELEMENT;
        bindings.copy_data_to_vector(bindings.data_chunk_get_vector(out.chunk, c), 0, column.buffer as ArrayBuffer, column.byteOffset + state.offset * bytes, n * bytes);
      }
      state.offset += n;
      progress.tick(n);
    },
  });
  connection.registerTableFunction(fn);
  return {
    from: `${name}()`,
    release: () => {
      holder.batch = undefined;
      progress.finish();
    },
  };
}
