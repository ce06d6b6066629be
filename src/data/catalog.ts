/**
 * The Parquet catalog: normalized TickBatch files partitioned Hive-style as
 * `<root>/venue=<venue>/symbol=<symbol>/date=<YYYY-MM-DD>/part-<first exchTs>-<uuid>.parquet` (date =
 * UTC day of the exchange time; files sort in time order), readable as is by DuckDB, Spark, Trino or ClickHouse. Each
 * `venue=/symbol=` folder holds `instrument.json` (tick/lot sizes, fees) so prices read back
 * exactly. Columns in the files are the TickBatch columns; `instrument` is rebuilt at read time
 * from the partition (the files' own index is not trusted across writes).
 *
 * Writes are atomic per partition: everything is written into a temporary folder inside the
 * catalog root (same file system, so renames are atomic), then each new partition folder is
 * renamed into place, or, when the partition exists, each new file is (mode "append"), or the old
 * folder is swapped out (mode "replace"). A failure before the move leaves the catalog untouched
 * and the temporary folder removed; no reader ever sees a half-written file or partition.
 *
 * Reads list the partitions that match the symbols/venues/dates asked for (partition pruning in
 * JS), then let DuckDB push the exact ns range down to row-group statistics (`WHERE exchTs`).
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { InstrumentSpec, LabError, Progress, checkOptionKeys, formatNs, parseTime, type InstrumentSpecInit, type Nanos, type ProgressSink } from "../core/index.js";
import { constantColumns, duckConnection, fillConstant, normalizedSelectSql, sqlString, streamColumns, TICK_SQL_TYPES, type RawArray } from "./duck.js";
import { attachReadReport, type QualityIssue } from "./quality.js";
import { copyBatchToFile, parquetOptions } from "./table-io.js";
import { TICK_COLUMN_NAMES, allocateColumns, gatherRows, sliceBatch, tickBatch, type TickBatch } from "./tick-batch.js";

export interface CatalogWriteOptions {
  /** "append" adds files to existing partitions; "replace" swaps the partitions written. @default "append" */
  mode?: "append" | "replace";
  progress?: ProgressSink;
  /** Called after the data is in the temporary folder and before anything is moved (for tests and tooling). */
  beforeCommit?: (tempDir: string, partitions: readonly string[]) => void | Promise<void>;
}

export interface CatalogPartition {
  venue: string;
  symbol: string;
  date: string;
  /** Path relative to the catalog root. */
  path: string;
  files: string[];
}

export interface CatalogWriteResult {
  partitions: string[];
  rows: number;
}

const SAFE = /^[A-Za-z0-9._:@+\- ]+$/;

function checkName(kind: string, value: string): void {
  if (!SAFE.test(value) || value === "." || value === "..") {
    throw new LabError({ code: "BAD_PARTITION_NAME", message: `${kind} "${value}" cannot be a catalog folder name`, hint: `use letters, digits and . _ - : @ + (e.g. "BTC-USD" instead of "BTC/USD")`, context: { [kind]: value } });
  }
}

let counter = 0;

/** Writes a batch into the catalog at `root` (created if missing). */
export async function writeCatalog(root: string, batch: TickBatch, options: CatalogWriteOptions = {}): Promise<CatalogWriteResult> {
  checkOptionKeys(options, ["mode", "progress", "beforeCommit"], "writeCatalog");
  const mode = options.mode ?? "append";
  for (const spec of batch.instruments) {
    checkName("venue", spec.venue);
    checkName("symbol", spec.symbol);
  }
  await mkdir(root, { recursive: true });
  // instrument.json must agree with what is already there: a changed tick size would silently
  // reinterpret every stored tick count.
  for (const spec of batch.instruments) {
    const existing = await readInstrument(root, spec.venue, spec.symbol);
    if (existing && (existing.tickSize !== spec.tickSize || existing.lotSize !== spec.lotSize)) {
      throw new LabError({ code: "INSTRUMENT_MISMATCH", message: `${spec.venue}/${spec.symbol} is in the catalog with tick ${existing.tickSize} lot ${existing.lotSize}, not tick ${spec.tickSize} lot ${spec.lotSize}`, hint: "write it under another symbol name, or into another catalog", context: { symbol: spec.symbol } });
    }
  }
  const temp = join(root, `.tmp-${process.pid}-${Date.now()}-${++counter}`);
  await mkdir(temp, { recursive: true });
  // Each partition is written as its own plain Parquet COPY of its rows in batch order.
  // DuckDB's PARTITION_BY writer does not keep row order within a partition (rows of a chunk
  // that straddles a day boundary came out behind the next chunk's), so partitioning is done here.
  try {
    for (const part of partitionRows(batch)) {
      const spec = batch.instruments[part.instrument]!;
      const dir = join(temp, `venue=${spec.venue}`, `symbol=${spec.symbol}`, `date=${part.date}`);
      await mkdir(dir, { recursive: true });
      const rows = part.indices === null ? sliceBatch(batch, part.start, part.end) : gatherRows(batch, part.indices);
      // File names sort by the first exchange time (zero-padded ns), so a partition appended to
      // several times reads back in time order.
      const first = rows.exchTs[0]!;
      const name = `part-${first < 0n ? "0" : first.toString().padStart(20, "0")}-${randomUUID()}.parquet`;
      await copyBatchToFile(rows, join(dir, name), options.progress, (from) => `SELECT ${normalizedSelectSql()} FROM ${from}`, `FORMAT parquet, ${parquetOptions({})}`, `catalog ${spec.venue}/${spec.symbol}/${part.date}`);
    }
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw new LabError({ code: "CATALOG_WRITE_FAILED", message: `cannot write into catalog ${root}: ${(error as Error).message.split("\n")[0]}`, hint: "nothing was changed in the catalog; check disk space and permissions", context: { file: root }, cause: error });
  }

  const written = await listPartitions(temp);
  try {
    await options.beforeCommit?.(temp, written.map((p) => p.path));
    for (const spec of batch.instruments) {
      const dir = join(root, `venue=${spec.venue}`, `symbol=${spec.symbol}`);
      await mkdir(dir, { recursive: true });
      const file = join(dir, "instrument.json");
      if (!(await exists(file))) await writeAtomic(file, JSON.stringify(spec.toJSON(), null, 2) + "\n");
    }
    for (const part of written) {
      const target = join(root, part.path);
      const source = join(temp, part.path);
      if (!(await exists(target))) {
        await mkdir(join(target, ".."), { recursive: true });
        await rename(source, target);
      } else if (mode === "replace") {
        const old = join(temp, `old-${part.venue}-${part.symbol}-${part.date}`);
        await rename(target, old);
        await rename(source, target);
      } else {
        for (const f of part.files) await rename(join(source, f), join(target, f));
      }
    }
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return { partitions: written.map((p) => p.path), rows: batch.length };
}

const NS_PER_DAY = 86_400_000_000_000n;

interface RowPartition {
  instrument: number;
  /** UTC day of the exchange time, YYYY-MM-DD. */
  date: string;
  start: number;
  end: number;
  /** Row indices when the partition's rows are not one contiguous range; null when they are. */
  indices: Int32Array | null;
}

/**
 * Groups rows by (instrument, UTC day of exchTs), keeping batch order within each group. The day
 * test compares the timestamp's 32-bit words with the current day's bounds (exact, and no BigInt
 * per row); the day is recomputed with BigInt only when a row leaves its instrument's current day.
 */
function partitionRows(batch: TickBatch): RowPartition[] {
  const n = batch.length;
  const words = new Int32Array(batch.exchTs.buffer, batch.exchTs.byteOffset, n * 2);
  const instruments = batch.instruments.length;
  // Per instrument: current day's [lo, hi) bounds as (high word, unsigned low word), and its group.
  const loHi = new Int32Array(instruments).fill(2147483647);
  const loLo = new Float64Array(instruments);
  const hiHi = new Int32Array(instruments).fill(-2147483648);
  const hiLo = new Float64Array(instruments);
  const current = new Int32Array(instruments).fill(-1);
  const groupOf = new Int32Array(n);
  const groups: { instrument: number; day: bigint; start: number; end: number; count: number }[] = [];
  const byKey = new Map<string, number>();
  const below = (h: number, l: number, bh: number, bl: number): boolean => h < bh || (h === bh && l < bl);
  for (let i = 0; i < n; i++) {
    const k = batch.instrument[i]!;
    const h = words[2 * i + 1]!;
    const l = words[2 * i]! >>> 0;
    let g = current[k]!;
    if (g < 0 || below(h, l, loHi[k]!, loLo[k]!) || !below(h, l, hiHi[k]!, hiLo[k]!)) {
      const ts = batch.exchTs[i]!;
      const day = ts >= 0n ? ts / NS_PER_DAY : -((-ts + NS_PER_DAY - 1n) / NS_PER_DAY);
      const key = `${k}:${day}`;
      let found = byKey.get(key);
      if (found === undefined) {
        found = groups.length;
        byKey.set(key, found);
        groups.push({ instrument: k, day, start: i, end: i, count: 0 });
      }
      g = found;
      current[k] = g;
      const lo = day * NS_PER_DAY;
      const hi = lo + NS_PER_DAY;
      loHi[k] = Number(BigInt.asIntN(32, lo >> 32n));
      loLo[k] = Number(BigInt.asUintN(32, lo));
      hiHi[k] = Number(BigInt.asIntN(32, hi >> 32n));
      hiLo[k] = Number(BigInt.asUintN(32, hi));
    }
    groupOf[i] = g;
    const group = groups[g]!;
    group.end = i + 1;
    group.count++;
  }
  const out: RowPartition[] = [];
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    const date = new Date(Number(group.day * 86_400_000n)).toISOString().slice(0, 10);
    let indices: Int32Array | null = null;
    if (group.end - group.start !== group.count) {
      indices = new Int32Array(group.count);
      let j = 0;
      for (let i = group.start; i < group.end; i++) if (groupOf[i] === g) indices[j++] = i;
    }
    out.push({ instrument: group.instrument, date, start: group.start, end: group.end, indices });
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${++counter}`;
  await writeFile(temp, text);
  await rename(temp, path);
}

async function readInstrument(root: string, venue: string, symbol: string): Promise<InstrumentSpec | undefined> {
  try {
    return new InstrumentSpec(JSON.parse(await readFile(join(root, `venue=${venue}`, `symbol=${symbol}`, "instrument.json"), "utf8")) as InstrumentSpecInit);
  } catch {
    return undefined;
  }
}

async function dirs(path: string, prefix: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name.startsWith(prefix)).map((d) => d.name.slice(prefix.length)).sort();
  } catch {
    return [];
  }
}

/** The partitions under a catalog root (skipping temporary folders). */
export async function listPartitions(root: string): Promise<CatalogPartition[]> {
  const out: CatalogPartition[] = [];
  for (const venue of await dirs(root, "venue=")) {
    for (const symbol of await dirs(join(root, `venue=${venue}`), "symbol=")) {
      for (const date of await dirs(join(root, `venue=${venue}`, `symbol=${symbol}`), "date=")) {
        const path = join(`venue=${venue}`, `symbol=${symbol}`, `date=${date}`);
        const files = (await readdir(join(root, path))).filter((f) => f.endsWith(".parquet")).sort();
        out.push({ venue, symbol, date, path, files });
      }
    }
  }
  return out;
}

export interface CatalogReadOptions {
  symbols?: readonly string[];
  venues?: readonly string[];
  /** Inclusive start (ns, or a time text for `parseTime`). */
  start?: Nanos | string;
  /** Exclusive end. */
  end?: Nanos | string;
  /** Row order across streams. @default "localTs" when several streams, file order otherwise */
  order?: "localTs" | "exchTs" | "file";
  /** What to do with a damaged file: "reject" throws naming it, "skip" reads the rest and reports it. @default "reject" */
  onBadFile?: "reject" | "skip";
  shared?: boolean;
  progress?: ProgressSink;
}

function toNs(x: Nanos | string | undefined): Nanos | undefined {
  return x === undefined ? undefined : typeof x === "bigint" ? x : parseTime(x);
}

function dayOf(ns: Nanos): string {
  return formatNs(ns).slice(0, 10);
}

/** Reads the rows of the given symbols/venues and time range into one TickBatch. */
export async function readCatalog(root: string, options: CatalogReadOptions = {}): Promise<TickBatch> {
  checkOptionKeys(options, ["symbols", "venues", "start", "end", "order", "onBadFile", "shared", "progress"], "readCatalog");
  if (!(await exists(root))) throw new LabError({ code: "CATALOG_NOT_FOUND", message: `no catalog at ${root}`, hint: "write one with writeCatalog() or `strategy-lab ingest ... --out <catalog>`", context: { file: root } });
  const start = toNs(options.start);
  const end = toNs(options.end);
  const startDay = start !== undefined ? dayOf(start) : undefined;
  const endDay = end !== undefined ? dayOf(end - 1n) : undefined;
  const partitions = (await listPartitions(root)).filter(
    (p) => (!options.symbols || options.symbols.includes(p.symbol)) && (!options.venues || options.venues.includes(p.venue)) && (startDay === undefined || p.date >= startDay) && (endDay === undefined || p.date <= endDay),
  );
  const streams = [...new Set(partitions.map((p) => `${p.venue}\u0000${p.symbol}`))];
  const instruments: InstrumentSpec[] = [];
  for (const key of streams) {
    const [venue, symbol] = key.split("\u0000") as [string, string];
    const spec = await readInstrument(root, venue, symbol);
    if (!spec) throw new LabError({ code: "CATALOG_DAMAGED", message: `${root}/venue=${venue}/symbol=${symbol} has no readable instrument.json`, hint: "restore the file (tick size and lot size of the symbol)", context: { file: join(root, `venue=${venue}`, `symbol=${symbol}`, "instrument.json") } });
    instruments.push(spec);
  }
  let files = partitions.flatMap((p) => p.files.map((f) => join(root, p.path, f)));
  const issues: QualityIssue[] = [];
  if (files.length === 0) {
    const empty = tickBatch(allocateColumns(0, options.shared ?? false), instruments, root);
    attachReadReport(empty, { file: root, format: "catalog", rowsRead: 0, issues });
    return empty;
  }
  const order = options.order ?? (streams.length > 1 ? "localTs" : "file");
  const connection = await duckConnection();
  try {
    for (;;) {
      try {
        const relation = `read_parquet([${files.map(sqlString).join(", ")}], hive_partitioning = true, hive_types = {'venue': VARCHAR, 'symbol': VARCHAR, 'date': VARCHAR})`;
        const where: string[] = [];
        if (start !== undefined) where.push(`exchTs >= ${start}`);
        if (end !== undefined) where.push(`exchTs < ${end}`);
        const instrumentSql = `CASE ${instruments.map((s, i) => `WHEN venue = ${sqlString(s.venue)} AND symbol = ${sqlString(s.symbol)} THEN ${i}`).join(" ")} END`;
        // Columns the footers fix are filled in memory, not streamed; the instrument index comes
        // from the partition, so it is constant exactly when one instrument is read.
        const constant = await constantColumns(connection, files);
        constant.delete("instrument");
        if (instruments.length === 1) constant.set("instrument", 0);
        const streamed = TICK_COLUMN_NAMES.filter((n) => !constant.has(n));
        const columns = streamed.map((n) => (n === "instrument" ? `CAST(${instrumentSql} AS USMALLINT) AS instrument` : `CAST("${n}" AS ${TICK_SQL_TYPES[n]}) AS "${n}"`)).join(", ");
        const orderBy = order === "file" ? "" : ` ORDER BY "${order}", ${order === "localTs" ? "exchTs" : "localTs"}, venue, symbol`;
        const sql = `SELECT ${columns} FROM ${relation}${where.length ? ` WHERE ${where.join(" AND ")}` : ""}${orderBy}`;
        const countReader = await connection.runAndReadAll(`SELECT count(*)::DOUBLE AS n FROM ${relation}${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`);
        const total = Number(countReader.getRowObjectsJS()[0]?.["n"] ?? 0);
        const cols = allocateColumns(total, options.shared ?? false);
        const progress = new Progress(`read catalog`, options.progress, { total, unit: "rows" });
        if (streamed.length > 0) await streamColumns(connection, sql, streamed.map((name) => ({ name, type: TICK_SQL_TYPES[name] })), { expectedRows: total, progress, into: cols as unknown as Record<string, RawArray> });
        for (const [name, value] of constant) fillConstant(cols[name], value, total);
        progress.finish();
        const batch = tickBatch(cols, instruments, root);
        attachReadReport(batch, { file: root, format: "catalog", rowsRead: total, issues });
        return batch;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const badFile = files.find((f) => message.includes(f));
        if (!badFile) throw new LabError({ code: "CATALOG_READ_FAILED", message: `cannot read catalog ${root}: ${message.split("\n")[0]}`, hint: "check the files under the catalog root", context: { file: root }, cause: error });
        if (options.onBadFile !== "skip") {
          throw new LabError({ code: "BAD_PARQUET", message: `${badFile} is not a complete Parquet file (truncated or corrupt): ${message.split("\n")[0]}`, hint: 'pass { onBadFile: "skip" } to read every other file, then re-ingest this partition', context: { file: badFile, row: 0, column: "*" }, cause: error });
        }
        issues.push({ class: "type-error", severity: "error", policy: "quarantine", count: 1, message: `file skipped: ${message.split("\n")[0]}`, file: badFile, samples: [{ row: 0, column: "*" }] });
        files = files.filter((f) => f !== badFile);
        if (files.length === 0) {
          const empty = tickBatch(allocateColumns(0), instruments, root);
          attachReadReport(empty, { file: root, format: "catalog", rowsRead: 0, issues });
          return empty;
        }
      }
    }
  } finally {
    connection.closeSync();
  }
}
