/**
 * The Parquet catalog: normalized TickBatch files partitioned Hive-style as
 * `<root>/venue=<venue>/symbol=<symbol>/date=<YYYY-MM-DD>/part-<first exchTs>-<uuid>.parquet` (date =
 * UTC day of the exchange time), readable as is by DuckDB, Spark, Trino or ClickHouse. Each
 * `venue=/symbol=` folder holds `instrument.json` (tick/lot sizes, fees) so prices read back
 * exactly. Columns in the files are the TickBatch columns; `instrument` is rebuilt at read time
 * from the partition (the files' own index is not trusted across writes).
 *
 * Commit (crash-safe per partition): each partition is ONE Parquet file. A write first puts the
 * partition's new content beside it under a name no reader picks up (`_pending.*`: no `.parquet`
 * suffix for globs, a leading `_` for Hive-style readers), fsyncs it, then renames it over the old
 * file (or to a new name for a new partition). A rename is atomic, so at any moment, also after a
 * kill at any point, every partition shows exactly its old content or exactly its new content, to
 * `readCatalog` and to a third-party glob over `**\/*.parquet` alike. "append" merges the old file
 * and the new rows into the pending file; "replace" writes the new rows only. Partitions written
 * by earlier versions with several files per partition are merged into one on their next write
 * (that one write is not atomic for them: the extra files are removed after the rename).
 * One writer at a time per catalog (`_writer.lock`, naming the writing process); the next write
 * removes whatever a killed writer left (its lock, pending files, empty folders).
 *
 * Reads list the partitions that match the symbols/venues/dates asked for (partition pruning in
 * JS), then let DuckDB push the exact ns range down to row-group statistics (`WHERE exchTs`).
 */import { link, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { randomUUID } from "node:crypto";
import { InstrumentSpec, LabError, Progress, formatNs, isLabError, parseTime, type InstrumentSpecInit, type Nanos, type ProgressSink } from "../core/index.js";
import { checkOptionKeys, processAlive } from "../core/internal.js";
import { errnoOf, writeError } from "../core/internal.js";
import { PIECE_GROWTH, constantColumns, duckConnection, fillConstant, normalizedSelectSql, sqlIdent, sqlString, streamColumns, TICK_SQL_TYPES, type RawArray } from "./duck.js";
import { attachReadReport, type QualityIssue } from "./quality.js";
import { readAheadThread, type PieceReader } from "./read-ahead.js";
import { COLUMN_CACHE_DIR, buildCachedFile, cachedFile, cachedRead, cachedReader, fileIdentity, type CachedFile, type CachedRead } from "./column-cache.js";
import { copyBatchToFile, parquetOptions } from "./table-io.js";
import { EventFlag, EventKind, TICK_COLUMNS, TICK_COLUMN_NAMES, allocateColumns, gatherRows, sliceBatch, tickBatch, type TickBatch, type TickColumnName, type TickColumns } from "./tick-batch.js";

export interface CatalogWriteOptions {
  /** "append" adds files to existing partitions; "replace" swaps the partitions written. @default "append" */
  mode?: "append" | "replace";
  progress?: ProgressSink;
  /**
   * Called when every partition's new file is written beside the old one and before anything
   * becomes visible (for tests and tooling); throwing here leaves the catalog unchanged.
   */
  beforeCommit?: (root: string, partitions: readonly string[]) => void | Promise<void>;
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

/** Prefix of files a write has not committed yet: no reader lists them (see the module comment). */
const PENDING = "_pending.";
const LOCK = "_writer.lock";
/** Parquet key-value metadata: the partition's row ranges by the write that added them, `[[first exchTs, rows], ...]`. */
const SEGMENTS_KEY = "strategy_lab_segments";
/**
 * Test hook: `STRATEGY_LAB_FAULT_AFTER_COMMIT_STEP=k` makes a write kill its own process (SIGKILL)
 * after the k-th rename/unlink of its commit (k = 0: before the first), to check what a kill leaves.
 */
export const COMMIT_FAULT_ENV = "STRATEGY_LAB_FAULT_AFTER_COMMIT_STEP";

const NO_CHANGE = "nothing was changed in the catalog";

/** Writes into one catalog from this process run one after another (another process gets CATALOG_BUSY). */
const writers = new Map<string, Promise<unknown>>();

/**
 * Writes a batch into the catalog at `root` (created if missing), one file per partition, each
 * replaced by an atomic rename (see the module comment): a failure or a kill leaves every
 * partition with its old or its new content. Filesystem faults are coded LabErrors naming the
 * catalog or partition (PERMISSION_DENIED, READ_ONLY_FS, DISK_FULL, NOT_A_DIRECTORY, ...);
 * another process writing the same catalog is CATALOG_BUSY.
 */
export async function writeCatalog(root: string, batch: TickBatch, options: CatalogWriteOptions = {}): Promise<CatalogWriteResult> {
  checkOptionKeys(options, ["mode", "progress", "beforeCommit"], "writeCatalog");
  const key = resolve(root);
  const run = (writers.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => writeLocked(root, batch, options));
  writers.set(key, run);
  try {
    return await run;
  } finally {
    if (writers.get(key) === run) writers.delete(key);
  }
}

interface StagedPartition {
  dir: string;
  /** Relative to the root. */
  path: string;
  pending: string;
  /** File name the pending file is renamed to: the partition's current file, or a new name. */
  target: string;
  /** Further files of a partition written by an earlier version (several files per partition). */
  obsolete: string[];
}

async function writeLocked(root: string, batch: TickBatch, options: CatalogWriteOptions): Promise<CatalogWriteResult> {
  const mode = options.mode ?? "append";
  if (mode !== "append" && mode !== "replace") {
    throw new LabError({ code: "BAD_OPTION", message: `writeCatalog mode must be "append" or "replace", got "${String(mode)}"`, hint: '"replace" swaps the partitions written, "append" adds rows to them', context: { option: "mode" } });
  }
  for (const spec of batch.instruments) {
    checkName("venue", spec.venue);
    checkName("symbol", spec.symbol);
  }
  try {
    await mkdir(root, { recursive: true });
  } catch (error) {
    throw writeError(error, root, { what: "catalog folder", directory: true, note: NO_CHANGE });
  }
  const lock = await acquireLock(root);
  let locked = true;
  // Errors already in their final form (the caller's own, or a commit error naming what was written).
  const asIs = new WeakSet<object>();
  const pendingFiles: string[] = [];
  // Folders this write created (first created, deepest), removed again when it fails.
  const createdDirs: { top: string; leaf: string }[] = [];
  let where = root;
  try {
    await sweepLeftovers(root);
    // instrument.json must agree with what is already there: a changed tick size would silently
    // reinterpret every stored tick count.
    const newSpecs: InstrumentSpec[] = [];
    for (const spec of batch.instruments) {
      const existing = await readInstrument(root, spec.venue, spec.symbol);
      if (existing && (existing.tickSize !== spec.tickSize || existing.lotSize !== spec.lotSize)) {
        throw new LabError({ code: "INSTRUMENT_MISMATCH", message: `${spec.venue}/${spec.symbol} is in the catalog with tick ${existing.tickSize} lot ${existing.lotSize}, not tick ${spec.tickSize} lot ${spec.lotSize}`, hint: "write it under another symbol name, or into another catalog", context: { symbol: spec.symbol } });
      }
      if (!existing && !newSpecs.some((s) => s.venue === spec.venue && s.symbol === spec.symbol)) newSpecs.push(spec);
    }

    // Stage: every partition's new content, complete and fsynced, beside its current file.
    // Each partition is its own plain Parquet COPY of its rows in batch order: DuckDB's
    // PARTITION_BY writer does not keep row order within a partition (rows of a chunk that
    // straddles a day boundary came out behind the next chunk's), so partitioning is done here.
    const staged: StagedPartition[] = [];
    for (const part of partitionRows(batch)) {
      const spec = batch.instruments[part.instrument]!;
      const path = join(`venue=${spec.venue}`, `symbol=${spec.symbol}`, `date=${part.date}`);
      const dir = join(root, path);
      where = dir;
      const made = await mkdir(dir, { recursive: true });
      if (made !== undefined) createdDirs.push({ top: made, leaf: dir });
      const existing = await dataFiles(dir);
      const rows = part.indices === null ? sliceBatch(batch, part.start, part.end) : gatherRows(batch, part.indices);
      const first = rows.exchTs[0]!;
      const fresh = join(dir, pendingName("pending"));
      pendingFiles.push(fresh);
      const segments = JSON.stringify([[first.toString(), rows.length]]);
      await copyBatchToFile(rows, fresh, options.progress, (from) => `SELECT ${normalizedSelectSql()} FROM ${from}`, `FORMAT parquet, ${parquetOptions({})}, KV_METADATA {${SEGMENTS_KEY}: ${sqlString(segments)}}`, `catalog ${spec.venue}/${spec.symbol}/${part.date}`);
      let pending = fresh;
      if (mode === "append" && existing.length > 0) {
        pending = join(dir, pendingName("pending"));
        pendingFiles.push(pending);
        await mergeFiles([...existing.map((f) => join(dir, f)), fresh], pending);
        await rm(fresh, { force: true });
      }
      await syncFile(pending);
      staged.push({ dir, path, pending, target: existing[0] ?? partName(first), obsolete: existing.slice(1) });
    }
    const specFiles: { pending: string; target: string }[] = [];
    for (const spec of newSpecs) {
      const dir = join(root, `venue=${spec.venue}`, `symbol=${spec.symbol}`);
      where = dir;
      const made = await mkdir(dir, { recursive: true });
      if (made !== undefined) createdDirs.push({ top: made, leaf: dir });
      const pending = join(dir, pendingName("json"));
      pendingFiles.push(pending);
      await writeFile(pending, JSON.stringify(spec.toJSON(), null, 2) + "\n");
      await syncFile(pending);
      specFiles.push({ pending, target: join(dir, "instrument.json") });
    }
    where = root;
    try {
      await options.beforeCommit?.(root, staged.map((p) => p.path));
    } catch (error) {
      // the caller's own error, passed on as it is
      if (typeof error === "object" && error !== null) asIs.add(error);
      throw error;
    }

    // Commit: one rename per partition, each atomic. instrument.json goes first so a partition
    // is never visible without it.
    const fault = faultStep();
    let steps = 0;
    const step = async (action: () => Promise<void>): Promise<void> => {
      if (steps === fault) process.kill(process.pid, "SIGKILL");
      await action();
      steps++;
    };
    let committed = 0;
    try {
      for (const f of specFiles) await step(() => rename(f.pending, f.target));
      for (const part of staged) {
        where = part.dir;
        await step(() => rename(part.pending, join(part.dir, part.target)));
        committed++;
        for (const name of part.obsolete) await step(() => unlink(join(part.dir, name)));
      }
    } catch (error) {
      const mapped = commitError(error, root, where, committed, staged.length);
      asIs.add(mapped);
      throw mapped;
    }
    for (const dir of new Set([...staged.map((p) => p.dir), ...specFiles.map((f) => join(f.target, ".."))])) await syncDir(dir);
    pendingFiles.length = 0;
    createdDirs.length = 0;
    await step(() => unlink(lock));
    locked = false;
    if (steps === fault) process.kill(process.pid, "SIGKILL");
    return { partitions: staged.map((p) => p.path), rows: batch.length };
  } catch (error) {
    for (const file of pendingFiles) await rm(file, { force: true });
    for (const dirs of createdDirs.reverse()) await removeEmptyFolders(dirs.top, dirs.leaf);
    if (asIs.has(error as object)) throw error;
    if (errnoOf(error) !== undefined && (!isLabError(error) || error.code === "WRITE_FAILED")) throw writeError(error, where, { what: where === root ? "catalog" : "catalog partition", directory: true, note: NO_CHANGE });
    if (isLabError(error) && error.code !== "WRITE_FAILED") throw error;
    throw new LabError({ code: "CATALOG_WRITE_FAILED", message: `cannot write into catalog ${root}: ${(error as Error).message.split("\n")[0]}`, hint: `${NO_CHANGE}; check the files under ${where}`, context: { file: where }, cause: error });
  } finally {
    if (locked) await rm(lock, { force: true });
  }
}

function commitError(error: unknown, root: string, where: string, committed: number, total: number): LabError {
  const note = committed === 0 ? NO_CHANGE : `${committed} of ${total} partitions were written, every other one is unchanged; write again to finish`;
  if (errnoOf(error) !== undefined) return writeError(error, where, { what: "catalog partition", directory: true, note });
  return new LabError({ code: "CATALOG_WRITE_FAILED", message: `cannot commit into catalog ${root} at ${where}: ${(error as Error).message.split("\n")[0]}`, hint: note, context: { file: where }, cause: error });
}

function faultStep(): number {
  const text = process.env[COMMIT_FAULT_ENV];
  if (text === undefined || !/^\d+$/.test(text.trim())) return -1;
  return Number(text.trim());
}

function pendingName(extension: string): string {
  return `${PENDING}${process.pid}.${randomUUID()}.${extension}`;
}

/** File name of a new partition file: sorts by its first exchange time (zero-padded ns). */
function partName(first: bigint): string {
  return `part-${first < 0n ? "0" : first.toString().padStart(20, "0")}-${randomUUID()}.parquet`;
}

/** The Parquet files readers see in a partition folder, in name order. */
async function dataFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names.filter((f) => f.endsWith(".parquet") && !f.startsWith("_") && !f.startsWith(".")).sort();
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes renames in `dir` durable; file systems that cannot sync a folder are left as they are. */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // not supported here (some network and Windows file systems)
  }
}

/** Removes the empty folders from `leaf` up to `top` (the folders one mkdir created). */
async function removeEmptyFolders(top: string, leaf: string): Promise<void> {
  const stop = resolve(top);
  for (let current = resolve(leaf); ; current = dirname(current)) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    if (current === stop || dirname(current) === current) return;
  }
}

interface LockHolder {
  pid: number;
  host: string;
  started: string;
}

function holderAlive(holder: LockHolder): boolean {
  return holder.host !== hostname() || processAlive(holder.pid);
}

/**
 * Takes the catalog's writer lock: a file linked into place complete (never seen half-written).
 * A lock whose process is gone (a killed write) is taken over; the sweep then removes its leftovers.
 */
async function acquireLock(root: string): Promise<string> {
  const file = join(root, LOCK);
  const temp = join(root, pendingName("lock"));
  const holder: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  try {
    await writeFile(temp, JSON.stringify(holder) + "\n");
  } catch (error) {
    throw writeError(error, root, { what: "catalog", directory: true, note: NO_CHANGE });
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(temp, file);
        return file;
      } catch (error) {
        const code = errnoOf(error);
        if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") {
          // no hard links on this file system: exclusive create (the holder is written right after)
          try {
            await writeFile(file, JSON.stringify(holder) + "\n", { flag: "wx" });
            return file;
          } catch (inner) {
            if (errnoOf(inner) !== "EEXIST") throw writeError(inner, root, { what: "catalog", directory: true, note: NO_CHANGE });
          }
        } else if (code !== "EEXIST") {
          throw writeError(error, root, { what: "catalog", directory: true, note: NO_CHANGE });
        }
        const current = await readHolder(file);
        if (attempt > 2 || (current !== undefined && holderAlive(current))) {
          const who = current ? `process ${current.pid} on ${current.host} (since ${current.started})` : "another process";
          throw new LabError({ code: "CATALOG_BUSY", message: `catalog ${root} is being written by ${who}`, hint: `wait for that write to finish or write into another catalog; if no such process runs any more, delete ${file}`, context: { file, holder: current } });
        }
        await rm(file, { force: true });
      }
    }
  } finally {
    await rm(temp, { force: true });
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<LockHolder>;
    if (typeof parsed.pid === "number" && typeof parsed.host === "string") return { pid: parsed.pid, host: parsed.host, started: String(parsed.started ?? "?") };
  } catch {
    // missing or unreadable: the holder is gone (a lock is linked into place complete)
  }
  return undefined;
}

function leftover(name: string): boolean {
  return name.startsWith(PENDING) || /^instrument\.json\.tmp-/.test(name);
}

/**
 * Removes what killed writes left: pending files, temporary folders of earlier versions
 * (`.tmp-<pid>-...` at the root, when that process is gone) and partition folders left empty.
 * Runs under the writer lock, so nothing here belongs to a live write.
 */
async function sweepLeftovers(root: string): Promise<void> {
  const list = async (dir: string): Promise<{ name: string; isDirectory: boolean }[]> => {
    try {
      return (await readdir(dir, { withFileTypes: true })).map((d) => ({ name: d.name, isDirectory: d.isDirectory() }));
    } catch {
      return [];
    }
  };
  for (const entry of await list(root)) {
    const temp = /^\.tmp-(\d+)-/.exec(entry.name);
    if (temp && entry.isDirectory && !holderAlive({ pid: Number(temp[1]), host: hostname(), started: "" })) await rm(join(root, entry.name), { recursive: true, force: true });
    else if (!entry.isDirectory && leftover(entry.name)) await rm(join(root, entry.name), { force: true });
  }
  for (const venue of await list(root)) {
    if (!venue.isDirectory || !venue.name.startsWith("venue=")) continue;
    const venueDir = join(root, venue.name);
    for (const symbol of await list(venueDir)) {
      if (!symbol.isDirectory || !symbol.name.startsWith("symbol=")) continue;
      const symbolDir = join(venueDir, symbol.name);
      for (const entry of await list(symbolDir)) {
        if (!entry.isDirectory) {
          if (leftover(entry.name)) await rm(join(symbolDir, entry.name), { force: true });
          continue;
        }
        if (!entry.name.startsWith("date=")) continue;
        const dateDir = join(symbolDir, entry.name);
        for (const file of await list(dateDir)) if (!file.isDirectory && leftover(file.name)) await rm(join(dateDir, file.name), { force: true });
        await rmdir(dateDir).catch(() => undefined);
      }
      await rmdir(symbolDir).catch(() => undefined);
    }
    await rmdir(venueDir).catch(() => undefined);
  }
}

interface Segment {
  file: number;
  start: number;
  rows: number;
  first: bigint;
}

/** A file's row ranges by the write that added them; one range for a file without that metadata. */
async function fileSegments(connection: Awaited<ReturnType<typeof duckConnection>>, path: string, file: number): Promise<Segment[]> {
  const count = await connection.runAndReadAll(`SELECT count(*)::DOUBLE AS n FROM read_parquet(${sqlString(path)}, hive_partitioning = false)`);
  const rows = Number(count.getRowObjectsJS()[0]?.["n"] ?? 0);
  try {
    const meta = await connection.runAndReadAll(`SELECT decode(value) AS v FROM parquet_kv_metadata(${sqlString(path)}) WHERE decode(key) = ${sqlString(SEGMENTS_KEY)}`);
    const text = meta.getRowObjectsJS()[0]?.["v"];
    if (typeof text === "string") {
      const parsed = JSON.parse(text) as unknown;
      if (Array.isArray(parsed)) {
        const out: Segment[] = [];
        let start = 0;
        for (const item of parsed) {
          if (!Array.isArray(item) || typeof item[0] !== "string" || !/^-?\d{1,20}$/.test(item[0]) || !Number.isSafeInteger(item[1]) || (item[1] as number) < 0) break;
          out.push({ file, start, rows: item[1] as number, first: BigInt(item[0]) });
          start += item[1] as number;
        }
        // Metadata that does not add up to the file's rows is not trusted.
        if (out.length === parsed.length && start === rows) return out;
      }
    }
  } catch {
    // no usable metadata: one range
  }
  const named = /^part-(\d{1,20})-/.exec(path.slice(path.lastIndexOf("/") + 1));
  let first = named ? BigInt(named[1]!) : 0n;
  if (!named && rows > 0) {
    const head = await connection.runAndReadAll(`SELECT CAST(exchTs AS VARCHAR) AS t FROM read_parquet(${sqlString(path)}, hive_partitioning = false) LIMIT 1`);
    first = BigInt(String(head.getRowObjectsJS()[0]?.["t"] ?? "0"));
  }
  return [{ file, start: 0, rows, first }];
}

/**
 * Writes the rows of `files` as one file: the ranges each write added, ordered by their first
 * exchange time (ties keep the order of the files), each in its own row order. This is the order
 * separate files named by their first exchange time read back in.
 */
async function mergeFiles(files: readonly string[], out: string): Promise<void> {
  const connection = await duckConnection();
  try {
    const segments: Segment[] = [];
    for (let i = 0; i < files.length; i++) {
      try {
        segments.push(...(await fileSegments(connection, files[i]!, i)));
      } catch (error) {
        // a filesystem fault is reported as one (by the caller), not as a damaged file
        if (errnoOf(error) !== undefined) throw error;
        throw new LabError({ code: "CATALOG_DAMAGED", message: `cannot append to ${files[i]}: it is not a complete Parquet file (${(error as Error).message.split("\n")[0]})`, hint: "rewrite the partition with mode \"replace\" (--replace), or remove that file", context: { file: files[i] }, cause: error });
      }
    }
    const order = segments.map((_, i) => i).sort((x, y) => (segments[x]!.first < segments[y]!.first ? -1 : segments[x]!.first > segments[y]!.first ? 1 : x - y));
    const columns = TICK_COLUMN_NAMES.map(sqlIdent).join(", ");
    const list = `[${files.map(sqlString).join(", ")}]`;
    let sql: string;
    if (order.every((v, i) => v === i)) {
      // Already in order: a multi-file scan keeps file and row order.
      sql = `SELECT ${columns} FROM read_parquet(${list}, hive_partitioning = false)`;
    } else {
      const rank = new Array<number>(segments.length);
      order.forEach((segment, position) => (rank[segment] = position));
      const cases = segments.map((s, i) => `WHEN filename = ${sqlString(files[s.file]!)} AND file_row_number >= ${s.start} AND file_row_number < ${s.start + s.rows} THEN ${rank[i]}`).join(" ");
      sql = `SELECT ${columns} FROM read_parquet(${list}, hive_partitioning = false, filename = true, file_row_number = true) ORDER BY CASE ${cases} END, file_row_number`;
    }
    const merged = JSON.stringify(order.map((i) => [segments[i]!.first.toString(), segments[i]!.rows]));
    try {
      await connection.run(`COPY (${sql}) TO ${sqlString(out)} (FORMAT parquet, ${parquetOptions({})}, KV_METADATA {${SEGMENTS_KEY}: ${sqlString(merged)}})`);
    } catch (error) {
      await rm(out, { force: true });
      const message = (error as Error).message;
      const bad = files.slice(0, -1).find((f) => message.includes(f));
      if (bad && errnoOf(error) === undefined) throw new LabError({ code: "CATALOG_DAMAGED", message: `cannot append to ${bad}: ${message.split("\n")[0]}`, hint: "rewrite the partition with mode \"replace\" (--replace), or remove that file", context: { file: bad }, cause: error });
      throw error;
    }
  } finally {
    connection.closeSync();
  }
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
  // An instrument listed twice (same venue and symbol) is one stream: its rows share partitions.
  const canon = new Int32Array(instruments);
  for (let k = 0; k < instruments; k++) {
    const spec = batch.instruments[k]!;
    canon[k] = batch.instruments.findIndex((s) => s.venue === spec.venue && s.symbol === spec.symbol);
  }
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
    const k = canon[batch.instrument[i]!]!;
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

/**
 * The partitions under a catalog root that hold data: `venue=/symbol=/date=` folders with at least
 * one `.parquet` file. Files a write has not committed (`_pending.*`), names starting with `_` or
 * `.` and folders left empty by a killed write are not listed.
 */
export async function listPartitions(root: string): Promise<CatalogPartition[]> {
  const out: CatalogPartition[] = [];
  for (const venue of await dirs(root, "venue=")) {
    for (const symbol of await dirs(join(root, `venue=${venue}`), "symbol=")) {
      for (const date of await dirs(join(root, `venue=${venue}`, `symbol=${symbol}`), "date=")) {
        const path = join(`venue=${venue}`, `symbol=${symbol}`, `date=${date}`);
        const files = await dataFiles(join(root, path));
        if (files.length > 0) out.push({ venue, symbol, date, path, files });
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

/** The partitions (and their files) of a range: symbols, venues and the dates its start and end touch. */
async function rangePartitions(root: string, options: { symbols?: readonly string[]; venues?: readonly string[] }, start: Nanos | undefined, end: Nanos | undefined): Promise<{ partitions: CatalogPartition[]; files: string[] }> {
  const startDay = start !== undefined ? dayOf(start) : undefined;
  const endDay = end !== undefined ? dayOf(end - 1n) : undefined;
  const partitions = (await listPartitions(root)).filter(
    (p) => (!options.symbols || options.symbols.includes(p.symbol)) && (!options.venues || options.venues.includes(p.venue)) && (startDay === undefined || p.date >= startDay) && (endDay === undefined || p.date <= endDay),
  );
  return { partitions, files: partitions.flatMap((p) => p.files.map((f) => join(root, p.path, f))) };
}

function catalogNotFound(root: string): LabError {
  return new LabError({ code: "CATALOG_NOT_FOUND", message: `no catalog at ${root}${root.startsWith("/") ? "" : ` (relative paths resolve from ${process.cwd()})`}`, hint: "write one with writeCatalog() or `strategy-lab ingest ... --out <catalog>`", context: { file: root } });
}

/** Reads the rows of the given symbols/venues and time range into one TickBatch. */
export async function readCatalog(root: string, options: CatalogReadOptions = {}): Promise<TickBatch> {
  checkOptionKeys(options, ["symbols", "venues", "start", "end", "order", "onBadFile", "shared", "progress"], "readCatalog");
  if (!(await exists(root))) throw catalogNotFound(root);
  const start = toNs(options.start);
  const end = toNs(options.end);
  // A write swaps a partition's file by a rename while this may be reading it; the queries below
  // open each file more than once (footers, count, rows), so a read that saw a file change is
  // done again on the new listing (each partition then reads as wholly old or wholly new).
  // A read that saw a change is never returned: it could mix two versions of one file.
  for (let attempt = 1; ; attempt++) {
    const { partitions, files } = await rangePartitions(root, options, start, end);
    const before = await identities(files);
    let batch: TickBatch | undefined;
    let failure: unknown;
    try {
      batch = await readFiles(root, options, partitions, files, start, end);
    } catch (error) {
      failure = error;
    }
    if ((await identities(files)) === before) {
      if (batch) return batch;
      throw failure;
    }
    if (attempt >= CHANGED_READ_ATTEMPTS) {
      throw new LabError({
        code: "CATALOG_CHANGING",
        message: `catalog ${root} changed during each of ${attempt} reads (another process keeps replacing its files)`,
        hint: "read again when the writer is done (it holds _writer.lock in the catalog root while it writes)",
        context: { file: root },
      });
    }
    // let the writer finish its commit before the next try
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
  }
}

/** Reads of a catalog whose files keep changing meanwhile, before it gives up. */
const CHANGED_READ_ATTEMPTS = 8;

/** Inode, size and modification time of each file ("-" when gone), to notice a file replaced meanwhile. */
async function identities(files: readonly string[]): Promise<string> {
  const ids = await Promise.all(files.map((f) => fileIdentity(f).catch(() => "-")));
  return ids.join("|");
}

async function readFiles(root: string, options: CatalogReadOptions, partitions: readonly CatalogPartition[], listed: readonly string[], start: Nanos | undefined, end: Nanos | undefined): Promise<TickBatch> {
  const streams = [...new Set(partitions.map((p) => `${p.venue}\u0000${p.symbol}`))];
  const instruments: InstrumentSpec[] = [];
  for (const key of streams) {
    const [venue, symbol] = key.split("\u0000") as [string, string];
    const spec = await readInstrument(root, venue, symbol);
    if (!spec) throw new LabError({ code: "CATALOG_DAMAGED", message: `${root}/venue=${venue}/symbol=${symbol} has no readable instrument.json`, hint: "restore the file (tick size and lot size of the symbol)", context: { file: join(root, `venue=${venue}`, `symbol=${symbol}`, "instrument.json") } });
    instruments.push(spec);
  }
  let files = [...listed];
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

export interface CatalogChunkOptions {
  symbols?: readonly string[];
  venues?: readonly string[];
  /** Inclusive start (ns, or a time text). */
  start?: Nanos | string;
  /** Exclusive end. */
  end?: Nanos | string;
  /** Rows per chunk (about: whole DuckDB vectors). @default 1_000_000 */
  chunkRows?: number;
  /** Only the first `rows` rows of the range, in read order. @default all */
  rows?: number;
  /**
   * The range's `catalogSummary`, when the caller has it (a sweep reading the same range for many
   * trials): its aggregate query, a scan of the range, is then not run again.
   */
  summary?: CatalogSummary;
  /**
   * `"use"`: read the range's decoded column files (`cacheCatalogColumns`) when every file of the
   * range has an up-to-date one and the read is of one instrument, else the Parquet files.
   * `"off"`: always the Parquet files. Both give the same rows.
   * @default "use"
   */
  columnCache?: "use" | "off";
}

/** What a streamed backtest needs to know of each instrument's rows as a whole (see src/engine/streaming.ts). */
export interface CatalogStreamTraits {
  hasLast: boolean;
  l3: boolean;
  hasTrades: boolean;
}

/** A catalog query read chunk by chunk: the shape `lab.backtest` streams (TickChunkSource). */
export interface CatalogChunks {
  readonly instruments: readonly InstrumentSpec[];
  readonly traits: readonly CatalogStreamTraits[];
  readonly totalRows: number;
  readonly description: string;
  /** Rows of writable room before each chunk's columns in buffers the chunk alone owns (one instrument; 0 otherwise). */
  readonly frontRows: number;
  /** Whether the rows come from the range's column cache (`cacheCatalogColumns`) rather than its Parquet files. */
  readonly cached: boolean;
  next(): Promise<TickBatch | undefined>;
  /**
   * The caller reads no row of `chunk` (a batch `next` returned) again, nor any view of its
   * columns: its memory holds a later chunk. Optional: chunks not released are garbage collected.
   */
  release(chunk: TickBatch): void;
  close(): Promise<void>;
}

/** Room left in front of each chunk of a one-instrument catalog read (see `CatalogChunks.frontRows`). */
const CHUNK_FRONT_ROWS = 65_536;
/**
 * Rows of a catalog read's first chunk; each next one is 1.5 times the one before, up to
 * `chunkRows` (duck.ts, PIECE_GROWTH). A streamed run starts on its first chunk, and a whole first
 * chunk of 1M rows took 0.2-0.4 s to read.
 */
const CHUNK_FIRST_ROWS = 16_384;

/** What a catalog range holds, per instrument (see `catalogSummary`). */
export interface CatalogSummary {
  readonly instruments: readonly InstrumentSpec[];
  readonly traits: readonly CatalogStreamTraits[];
  /** Rows in the range, all instruments. */
  readonly totalRows: number;
  readonly description: string;
}

interface CatalogPlan extends CatalogSummary {
  files: string[];
  relation: string;
  whereSql: string;
  instrumentOf(list: readonly InstrumentSpec[]): string;
}

async function planCatalogRead(root: string, options: CatalogChunkOptions, connection: Awaited<ReturnType<typeof duckConnection>>): Promise<CatalogPlan> {
  if (!(await exists(root))) throw catalogNotFound(root);
  const start = toNs(options.start);
  const end = toNs(options.end);
  const { partitions, files } = await rangePartitions(root, options, start, end);
  const description = `catalog ${root}${options.symbols ? ` (${options.symbols.join(", ")})` : ""}`;
  if (files.length === 0) throw new LabError({ code: "NO_DATA", message: `${description} has no partition in the range asked for`, hint: "check the symbols, venues, start and end (lab.data.listPartitions(root), or the folders venue=/symbol=/date= under the root, show what the catalog holds)", context: { file: root } });
  const streams = [...new Set(partitions.map((p) => `${p.venue}\u0000${p.symbol}`))];
  const specs: InstrumentSpec[] = [];
  for (const key of streams) {
    const [venue, symbol] = key.split("\u0000") as [string, string];
    const spec = await readInstrument(root, venue, symbol);
    if (!spec) throw new LabError({ code: "CATALOG_DAMAGED", message: `${root}/venue=${venue}/symbol=${symbol} has no readable instrument.json`, hint: "restore the file (tick size and lot size of the symbol)", context: { file: join(root, `venue=${venue}`, `symbol=${symbol}`, "instrument.json") } });
    specs.push(spec);
  }
  const relation = `read_parquet([${files.map(sqlString).join(", ")}], hive_partitioning = true, hive_types = {'venue': VARCHAR, 'symbol': VARCHAR, 'date': VARCHAR})`;
  const where: string[] = [];
  if (start !== undefined) where.push(`exchTs >= ${start}`);
  if (end !== undefined) where.push(`exchTs < ${end}`);
  const whereSql = where.length ? ` WHERE ${where.join(" AND ")}` : "";
  const instrumentOf = (list: readonly InstrumentSpec[]): string => `CASE ${list.map((s, i) => `WHEN venue = ${sqlString(s.venue)} AND symbol = ${sqlString(s.symbol)} THEN ${i}`).join(" ")} END`;
  if (options.summary) return { ...options.summary, files, relation, whereSql, instrumentOf };
  const filesOf = specs.map((s) => partitions.filter((p) => p.venue === s.venue && p.symbol === s.symbol).flatMap((p) => p.files.map((f) => join(root, p.path, f))));
  const counted = await rangeStats(connection, filesOf, start, end);
  const kept = specs.map((_, i) => i).filter((i) => counted[i]!.rows > 0);
  const instruments = kept.map((i) => specs[i]!);
  const traits = kept.map((i) => counted[i]!.traits);
  const totalRows = kept.reduce((a, i) => a + counted[i]!.rows, 0);
  if (instruments.length === 0) throw new LabError({ code: "NO_DATA", message: `${description} has no rows in the range asked for`, hint: "check the start and end", context: { file: root } });
  return { instruments, traits, totalRows, description, files, relation, whereSql, instrumentOf };
}

/**
 * Per instrument (its files), the rows in [start, end) and whether they carry `Last` flags,
 * order-by-order kinds and trades. A streamed run waits for this before its first event, and one
 * aggregate over the range's rows took 0.4-0.9 s per 20M rows (it decodes the time column of
 * every row). Rows of files whose row groups' time statistics lie inside the range are counted
 * from the footers; only files cut by the range are counted by a scan. The three traits are
 * EXISTS queries, which stop at their first row and which DuckDB answers from the row groups'
 * statistics where they rule a kind out (no order-by-order kinds in a price-level feed).
 */
async function rangeStats(connection: Awaited<ReturnType<typeof duckConnection>>, filesOf: readonly string[][], start: Nanos | undefined, end: Nanos | undefined): Promise<{ rows: number; traits: CatalogStreamTraits }[]> {
  const all = filesOf.flat();
  const groups = all.length === 0 ? [] : (await connection.runAndReadAll(
    `SELECT file_name AS f, any_value(row_group_num_rows)::DOUBLE AS n,
       max(CASE WHEN path_in_schema = 'exchTs' THEN stats_min_value END) AS lo, max(CASE WHEN path_in_schema = 'exchTs' THEN stats_max_value END) AS hi,
       max(CASE WHEN path_in_schema = 'exchTs' THEN stats_null_count END)::DOUBLE AS nulls
     FROM parquet_metadata([${all.map(sqlString).join(", ")}]) GROUP BY file_name, row_group_id`,
  )).getRowObjectsJS();
  const ns = (v: unknown): bigint | undefined => (typeof v === "string" && /^-?\d+$/.test(v) ? BigInt(v) : undefined);
  /** Per file: "in" (every row counts), "out" (none does), or "cut" (scan it). */
  const placement = new Map<string, { where: "in" | "out" | "cut"; rows: number }>();
  for (const g of groups) {
    const file = String(g["f"]);
    const n = Number(g["n"]);
    const lo = ns(g["lo"]);
    const hi = ns(g["hi"]);
    let where: "in" | "out" | "cut";
    if (start === undefined && end === undefined) where = "in";
    else if (lo === undefined || hi === undefined || g["nulls"] !== 0) where = "cut";
    else if ((start !== undefined && hi < start) || (end !== undefined && lo >= end)) where = "out";
    else if ((start === undefined || lo >= start) && (end === undefined || hi < end)) where = "in";
    else where = "cut";
    const seen = placement.get(file);
    if (!seen) placement.set(file, { where, rows: n });
    else {
      seen.rows += n;
      if (seen.where !== where) seen.where = "cut";
    }
  }
  const range = [start === undefined ? "" : `exchTs >= ${start}`, end === undefined ? "" : `exchTs < ${end}`].filter(Boolean);
  const l3Kinds = [EventKind.Add, EventKind.Reduce, EventKind.Modify, EventKind.Delete, EventKind.Execute].join(", ");
  const out: { rows: number; traits: CatalogStreamTraits }[] = [];
  for (const files of filesOf) {
    // a file the footers did not list (no row group) holds no row
    const inside = files.filter((f) => placement.get(f)?.where === "in");
    const cut = files.filter((f) => placement.get(f)?.where === "cut");
    let rows = inside.reduce((a, f) => a + placement.get(f)!.rows, 0);
    const read = [...inside, ...cut];
    if (read.length === 0) {
      out.push({ rows: 0, traits: { hasLast: false, l3: false, hasTrades: false } });
      continue;
    }
    const relation = `read_parquet([${read.map(sqlString).join(", ")}])`;
    const where = (condition: string): string => [condition, ...(cut.length > 0 ? range : [])].join(" AND ");
    const counts = cut.length > 0 ? `, (SELECT count(*) FROM read_parquet([${cut.map(sqlString).join(", ")}]) WHERE ${range.join(" AND ")})::DOUBLE AS cutRows` : "";
    const r = (await connection.runAndReadAll(
      `SELECT EXISTS (SELECT 1 FROM ${relation} WHERE ${where(`(flags & ${EventFlag.Last}) <> 0`)}) AS hasLast,
         EXISTS (SELECT 1 FROM ${relation} WHERE ${where(`kind IN (${l3Kinds})`)}) AS l3,
         EXISTS (SELECT 1 FROM ${relation} WHERE ${where(`kind = ${EventKind.Trade}`)}) AS trades${counts}`,
    )).getRowObjectsJS()[0]!;
    if (cut.length > 0) rows += Number(r["cutRows"]);
    out.push({ rows, traits: { hasLast: r["hasLast"] === true, l3: r["l3"] === true, hasTrades: r["trades"] === true } });
  }
  return out;
}

/**
 * The instruments of a catalog range, whether their rows carry `Last` flags, order-by-order kinds
 * and trades, and how many rows it holds, from the files' footers and a few queries that stop at
 * their first row (only files the range cuts are counted by a scan; see `rangeStats`): enough to
 * size a read before making it (the optimizer reads a range into memory only when it fits).
 */
export async function catalogSummary(root: string, options: Omit<CatalogChunkOptions, "chunkRows"> = {}): Promise<CatalogSummary> {
  checkOptionKeys(options, ["symbols", "venues", "start", "end"], "catalogSummary");
  const connection = await duckConnection();
  try {
    const { instruments, traits, totalRows, description } = await planCatalogRead(root, options, connection);
    return { instruments, traits, totalRows, description };
  } finally {
    connection.closeSync();
  }
}

/**
 * The rows `readCatalog(root, options)` would return, in the same order, as chunks of about
 * `chunkRows` rows: memory holds a chunk or two, never the whole range. One aggregate query first
 * counts each instrument's rows and whether they carry `Last` flags, order-by-order kinds and
 * trades (the engine's rules depend on them); instruments without a row in the range are left out.
 * Files replaced while the chunks are read are not noticed (read while no writer commits).
 */
export async function catalogChunks(root: string, options: CatalogChunkOptions = {}): Promise<CatalogChunks> {
  checkOptionKeys(options, ["symbols", "venues", "start", "end", "chunkRows", "rows", "summary", "columnCache"], "catalogChunks");
  const columnCache = options.columnCache ?? "use";
  if (columnCache !== "use" && columnCache !== "off") throw new LabError({ code: "BAD_OPTION", message: `columnCache must be "use" or "off", got ${JSON.stringify(columnCache)}`, hint: '"use" reads the decoded column files when the range has them (cacheCatalogColumns), "off" the Parquet files', context: { option: "columnCache" } });
  const limit = options.rows;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new LabError({ code: "BAD_OPTION", message: `rows must be a positive integer, got ${String(limit)}`, hint: "e.g. rows: 1_000_000 (the first rows of the range)", context: { option: "rows" } });
  const chunkRows = options.chunkRows ?? 1_000_000;
  if (!(Number.isInteger(chunkRows) && chunkRows > 0)) throw new LabError({ code: "BAD_OPTION", message: `chunkRows must be a positive integer, got ${String(chunkRows)}`, hint: "e.g. chunkRows: 1_000_000", context: { option: "chunkRows" } });
  // A Parquet read's thread loads DuckDB while this one plans the read; a catalog with a column
  // cache may not need the thread at all (the cache is read in this thread), so it starts once the
  // plan says so.
  const mayUseCache = columnCache === "use" && (await exists(join(root, COLUMN_CACHE_DIR)));
  let thread = mayUseCache ? undefined : readAheadThread();
  const connection = await duckConnection().catch(async (error: unknown) => {
    await thread?.close();
    throw error;
  });
  let started = false;
  try {
    const plan = await planCatalogRead(root, options, connection);
    const { instruments, traits, description, files, relation, whereSql, instrumentOf } = plan;
    const totalRows = limit === undefined ? plan.totalRows : Math.min(limit, plan.totalRows);
    // the order readCatalog reads in: by receive time across streams, file order for one
    const orderBy = instruments.length > 1 ? ` ORDER BY "localTs", exchTs, venue, symbol` : "";
    // One instrument: each chunk's columns leave room in front for the rows a streamed run keeps
    // from the chunk before (see TickChunkSource.frontRows), so the new rows are not copied again.
    const frontRows = instruments.length === 1 ? CHUNK_FRONT_ROWS : 0;
    // Columns the files' footers show constant (no order ids on a price-level feed, one
    // instrument) are not read: each chunk gets a view of one array holding the value.
    // With an up-to-date column cache for every file, its meta.json files say which columns are
    // constant (the footers' query took 20-70 ms of a run's start).
    const cachedFiles = columnCache === "use" && instruments.length === 1 ? await cachedFilesOf(root, files) : undefined;
    const constant = cachedFiles ? constantsOfCache(cachedFiles) : await constantColumns(connection, files);
    if (instruments.length === 1) constant.set("instrument", 0);
    else constant.delete("instrument");
    const capacity = frontRows + Math.max(chunkRows, 2048);
    const constantArrays = new Map([...constant].map(([name, value]) => {
      const array = new TICK_COLUMNS[name](capacity) as unknown as RawArray;
      (array as { fill(v: number | bigint): unknown }).fill(value);
      return [name, array] as const;
    }));
    const read = TICK_COLUMN_NAMES.filter((name) => !constant.has(name));
    const columns = read.map((n) => (n === "instrument" ? `CAST(${instrumentOf(instruments)} AS USMALLINT) AS instrument` : `CAST("${n}" AS ${TICK_SQL_TYPES[n]}) AS "${n}"`)).join(", ");
    const sql = `SELECT ${columns} FROM ${relation}${whereSql}${orderBy}${limit === undefined ? "" : ` LIMIT ${limit}`}`;
    const cached = cachedFiles ? cachedReadOf(cachedFiles, toNs(options.start), toNs(options.end), read) : undefined;
    const cache = cached && limit !== undefined ? { ...cached, rows: limit } : cached;
    const failure = (message: string): LabError =>
      new LabError({ code: "CATALOG_READ_FAILED", message: `${description}: reading failed: ${message}`, hint: "check the files under the catalog root (lab.data.listPartitions(root) lists them; strategy-lab validate on a partition's file)", context: { file: root } });
    const specs = read.map((name) => ({ name, type: TICK_SQL_TYPES[name] }));
    let pieces: PieceReader;
    if (cache) {
      await thread?.close();
      thread = undefined;
      pieces = cachedReader(cache, specs, chunkRows, frontRows, CHUNK_FIRST_ROWS, PIECE_GROWTH, failure);
    } else pieces = (thread ??= readAheadThread()).start({ sql, specs, chunkRows, frontRows, ahead: 1, firstRows: CHUNK_FIRST_ROWS }, failure);
    started = true;
    return {
      instruments,
      traits,
      totalRows,
      description,
      frontRows,
      cached: cache !== undefined,
      next: async () => {
        const piece = await pieces.next();
        if (!piece) return undefined;
        for (const [name, array] of constantArrays) piece.columns[name] = array.subarray(frontRows, frontRows + piece.length);
        return tickBatch(piece.columns as unknown as TickColumns, instruments, root);
      },
      release: (chunk) => pieces.recycle(TICK_COLUMN_NAMES.map((name) => chunk[name])),
      close: () => pieces.close(),
    };
  } finally {
    // the read itself runs on its own connection
    connection.closeSync();
    if (!started) await thread?.close();
  }
}

/** The column caches of `files`, when every one has an up-to-date cache; undefined otherwise. */
async function cachedFilesOf(root: string, files: readonly string[]): Promise<CachedFile[] | undefined> {
  const cached = await Promise.all(files.map((file) => cachedFile(root, file)));
  return cached.some((c) => c === undefined) ? undefined : (cached as CachedFile[]);
}

/** Columns with one value in every cached file (what `constantColumns` finds in the files' footers). */
function constantsOfCache(files: readonly CachedFile[]): Map<TickColumnName, number | bigint> {
  const out = new Map<TickColumnName, number | bigint>();
  for (const name of TICK_COLUMN_NAMES) {
    const values = new Set(files.map((f) => f.columns[name]?.constant));
    const [text] = values;
    if (values.size !== 1 || text === undefined) continue;
    out.set(name, TICK_SQL_TYPES[name] === "BIGINT" ? BigInt(text) : Number(text));
  }
  return out;
}

/**
 * A read of cached files for the rows in [start, end); undefined when the range cuts a file and
 * the read lacks the exchange times to filter it by (the read goes to the Parquet files).
 */
function cachedReadOf(files: readonly CachedFile[], start: Nanos | undefined, end: Nanos | undefined, read: readonly TickColumnName[]): CachedRead | undefined {
  const plan = cachedRead(files, start, end);
  if (plan.files.some((f) => f.keep !== undefined) && !read.includes("exchTs")) return undefined;
  return plan;
}

export interface ColumnCacheResult {
  /** Parquet files of the range. */
  files: number;
  /** Files whose columns were written now (the others had an up-to-date cache). */
  built: number;
  /** Rows in the range's files (whole files, whatever the range cuts). */
  rows: number;
}

/**
 * Writes decoded column files beside the catalog (`<root>/_columns/`) for every Parquet file of
 * the range (symbols, venues, and the days `start`-`end` touch), so that streamed reads of it
 * (`catalogChunks`, `lab.backtest` on a catalog query) copy columns from the page cache instead of
 * decoding Parquet: the reader then takes little of the CPU the engine runs on. Files that already
 * have an up-to-date cache are skipped; a partition rewritten later is read from Parquet again until
 * it is cached again. The cache takes about 41 bytes per row of an L2 feed (no order ids), about five
 * times the Parquet files; delete `<root>/_columns` to drop it.
 */
export async function cacheCatalogColumns(root: string, options: Omit<CatalogChunkOptions, "chunkRows" | "rows" | "summary" | "columnCache"> & { progress?: ProgressSink } = {}): Promise<ColumnCacheResult> {
  checkOptionKeys(options, ["symbols", "venues", "start", "end", "progress"], "cacheCatalogColumns");
  if (!(await exists(root))) throw catalogNotFound(root);
  const { files } = await rangePartitions(root, options, toNs(options.start), toNs(options.end));
  const progress = new Progress("cache columns", options.progress, { total: files.length, unit: "files" });
  let built = 0;
  let rows = 0;
  for (const file of files) {
    let entry = await cachedFile(root, file);
    if (!entry) {
      entry = await buildCachedFile(root, file);
      built++;
    }
    rows += entry.rows;
    progress.tick();
  }
  progress.finish();
  return { files: files.length, built, rows };
}
