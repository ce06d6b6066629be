/**
 * Decoded columns of catalog files, for streamed reads: `<root>/_columns/<partition>/<file stem>/`
 * holds one raw little-endian file per column (`<column>.bin`, the typed array's bytes) and
 * `meta.json` (rows, column types, columns constant in the file, and the Parquet file's identity:
 * inode, size, mtime). A cache whose identity no longer matches its Parquet file (the partition was
 * rewritten) is not used. Hive-style readers and globs over `**\/*.parquet` skip the folder
 * (leading `_`, no `.parquet` files), and the catalog lists partitions under `venue=` only.
 *
 * Why by hand: a streamed backtest's reader shares the machine's cores with the engine. Decoding
 * the Parquet pages (zstd, DuckDB vectors copied into typed arrays) costs the reader about half
 * the engine's time per row, and the engine on a 2-core machine loses 14-27 % of its speed beside a
 * busy reader (bench figure "in-memory engine beside a busy Parquet reader"); reading a column file costs a copy from the page cache. The files are written from
 * the same query the Parquet path reads, so both give the same arrays.
 */
import { closeSync, fstatSync, openSync, read as fsRead } from "node:fs";
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { randomUUID } from "node:crypto";
import { LabError, isLabError } from "../core/index.js";
import { errnoOf, processAlive, writeError } from "../core/internal.js";
import { BufferPool, RAW_BYTES, TICK_SQL_TYPES, constantColumns, duckConnection, sqlString, streamColumnChunks, trimmed, type RawArray, type RawColumnSpec, type RawColumns, type RawType } from "./duck.js";
import type { PieceReader } from "./read-ahead.js";
import { TICK_COLUMN_NAMES } from "./tick-batch.js";

/** The cache's folder under a catalog root. */
export const COLUMN_CACHE_DIR = "_columns";
const FORMAT = 1;
/** Rows per write while a file's columns are cached. */
const BUILD_PIECE_ROWS = 1_000_000;

/** A column in a cached file: its type, and its one value when the whole file holds one (decimal text, or "NaN"). */
export interface CachedColumn {
  type: RawType;
  constant?: string;
}

/** A Parquet file's cached columns, ready to read. */
export interface CachedFile {
  /** The cache folder of the file. */
  dir: string;
  rows: number;
  columns: Record<string, CachedColumn>;
  /** Smallest and largest exchange time in the file (ns; undefined without rows). */
  minExchTs?: bigint;
  maxExchTs?: bigint;
}

interface CacheMeta {
  format: number;
  source: string;
  rows: number;
  columns: Record<string, CachedColumn>;
  minExchTs?: string;
  maxExchTs?: string;
}

function fromMeta(dir: string, meta: CacheMeta): CachedFile {
  return { dir, rows: meta.rows, columns: meta.columns, ...(meta.minExchTs !== undefined ? { minExchTs: BigInt(meta.minExchTs), maxExchTs: BigInt(meta.maxExchTs!) } : {}) };
}

/** Where the columns of `file` (a Parquet file under `root`) are cached. */
export function cacheDirOf(root: string, file: string): string {
  return join(root, COLUMN_CACHE_DIR, relative(root, file).replace(/\.parquet$/, ""));
}

/** A file's identity for telling versions apart: a write renames a new file over the old (new inode), or changes size or mtime. */
export async function fileIdentity(file: string): Promise<string> {
  const s = await stat(file, { bigint: true });
  return `${s.ino}:${s.size}:${s.mtimeNs}`;
}

/** The cached columns of `file`, or undefined when there are none or they belong to another version of the file. */
export async function cachedFile(root: string, file: string): Promise<CachedFile | undefined> {
  const dir = cacheDirOf(root, file);
  let meta: CacheMeta;
  try {
    meta = JSON.parse(await readFile(join(dir, "meta.json"), "utf8")) as CacheMeta;
  } catch {
    return undefined;
  }
  const source = await fileIdentity(file).catch(() => "-");
  if (meta.format !== FORMAT || meta.source !== source || !Number.isInteger(meta.rows)) return undefined;
  if (typeof meta.columns !== "object" || meta.columns === null) return undefined;
  for (const [name, column] of Object.entries(meta.columns)) {
    if (column.constant !== undefined) continue;
    // a column file of another length is not this cache's (never written so: each is renamed in whole)
    const size = await stat(join(dir, `${name}.bin`)).then((s) => s.size, () => -1);
    if (size !== meta.rows * RAW_BYTES[column.type]) return undefined;
  }
  try {
    return fromMeta(dir, meta);
  } catch {
    // a meta.json edited by hand (times that are not integers): not this cache's
    return undefined;
  }
}

/**
 * Writes the cache of one Parquet file (replacing a stale one): its rows through the same
 * normalized query a catalog read makes, each column appended to its file, into a temporary folder
 * renamed into place at the end (a killed build leaves no cache, only a `.tmp-` folder the next
 * build of the file removes).
 */
export async function buildCachedFile(root: string, file: string): Promise<CachedFile> {
  const dir = cacheDirOf(root, file);
  const source = await fileIdentity(file);
  const connection = await duckConnection();
  const temp = `${dir}.tmp-${process.pid}-${randomUUID()}`;
  try {
    const constant = await constantColumns(connection, [file]);
    const names = TICK_COLUMN_NAMES.filter((name) => name !== "instrument");
    const columns: Record<string, CachedColumn> = {};
    for (const name of names) {
      const value = constant.get(name);
      columns[name] = value === undefined ? { type: TICK_SQL_TYPES[name] } : { type: TICK_SQL_TYPES[name], constant: String(value) };
    }
    const read: RawColumnSpec[] = names.filter((name) => columns[name]!.constant === undefined).map((name) => ({ name, type: TICK_SQL_TYPES[name] }));
    await mkdir(temp, { recursive: true });
    const handles = await Promise.all(read.map((spec) => open(join(temp, `${spec.name}.bin`), "w")));
    let rows = 0;
    let lo: bigint | undefined;
    let hi: bigint | undefined;
    try {
      if (read.length > 0) {
        const sql = `SELECT ${read.map((s) => `CAST("${s.name}" AS ${s.type}) AS "${s.name}"`).join(", ")} FROM read_parquet([${sqlString(file)}])`;
        for await (const piece of streamColumnChunks(connection, sql, read, BUILD_PIECE_ROWS)) {
          await Promise.all(read.map((spec, i) => {
            const array = piece.columns[spec.name]!;
            return handles[i]!.write(new Uint8Array(array.buffer, array.byteOffset, piece.length * RAW_BYTES[spec.type]));
          }));
          rows += piece.length;
          const time = piece.columns["exchTs"] as BigInt64Array | undefined;
          for (let i = 0; time !== undefined && i < piece.length; i++) {
            const t = time[i]!;
            if (lo === undefined || t < lo) lo = t;
            if (hi === undefined || t > hi) hi = t;
          }
        }
      } else {
        const counted = (await connection.runAndReadAll(`SELECT count(*)::DOUBLE AS n FROM read_parquet([${sqlString(file)}])`)).getRowObjectsJS();
        rows = Number(counted[0]!["n"]);
      }
      await Promise.all(handles.map((h) => h.sync()));
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
    if (columns["exchTs"]!.constant !== undefined && rows > 0) lo = hi = BigInt(columns["exchTs"]!.constant);
    const meta: CacheMeta = { format: FORMAT, source, rows, columns, ...(lo !== undefined ? { minExchTs: String(lo), maxExchTs: String(hi) } : {}) };
    await writeFile(join(temp, "meta.json"), JSON.stringify(meta));
    if ((await fileIdentity(file).catch(() => "-")) !== source) {
      throw new LabError({ code: "CATALOG_CHANGING", message: `${file} was replaced while its columns were cached`, hint: "cache the range again once no write is running", context: { file } });
    }
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
    return fromMeta(dir, meta);
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    if (isLabError(error)) throw error;
    if (errnoOf(error) !== undefined) throw writeError(error, temp, { what: "the catalog's column cache", note: "the catalog itself was not changed; streamed reads use its Parquet files", directory: true });
    const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new LabError({ code: "CATALOG_READ_FAILED", message: `${file}: its rows could not be read to cache its columns: ${reason}`, hint: "check the file (strategy-lab validate <file>); no cache was written for it, so streamed reads use the Parquet path", context: { file }, cause: error });
  } finally {
    connection.closeSync();
    await removeStaleTemps(dir);
  }
}

/** Removes `.tmp-` folders a killed build of this file left (this host's processes that are gone). */
async function removeStaleTemps(dir: string): Promise<void> {
  const parent = dirname(dir);
  const stem = relative(parent, dir);
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    const m = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.tmp-(\\d+)-`).exec(name);
    if (m && !processAlive(Number(m[1]))) await rm(join(parent, name), { recursive: true, force: true });
  }
}

/** What a read of cached files needs (see `cachedReader`). */
export interface CachedRead {
  /** In read order; each with the range its rows are kept in when the range cuts the file. */
  files: { dir: string; rows: number; columns: Record<string, CachedColumn>; keep?: { start?: bigint; end?: bigint } }[];
  /** Only the first `rows` rows kept (a catalog read's `rows` option). */
  rows?: number;
}

/**
 * A cached read of `files` for the rows in [start, end): files wholly outside are left out, files
 * wholly inside read whole, files the range cuts filtered by exchange time.
 */
export function cachedRead(files: readonly CachedFile[], start: bigint | undefined, end: bigint | undefined): CachedRead {
  const out: CachedRead["files"] = [];
  for (const f of files) {
    if (f.rows === 0 || f.minExchTs === undefined || f.maxExchTs === undefined) continue;
    if ((start !== undefined && f.maxExchTs < start) || (end !== undefined && f.minExchTs >= end)) continue;
    const inside = (start === undefined || f.minExchTs >= start) && (end === undefined || f.maxExchTs < end);
    out.push({ dir: f.dir, rows: f.rows, columns: f.columns, ...(inside ? {} : { keep: { ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) } }) });
  }
  return { files: out };
}

/**
 * Reads cached files piece by piece in this thread: `next()` issues a piece's reads, which run on
 * libuv's threadpool (a copy from the page cache), so a caller that asks for the next piece before
 * it works on the current one (a streamed backtest) has it read meanwhile. Buffers given back with
 * `recycle` hold later pieces. Pieces are shaped like `streamColumnChunks`' (same `frontRows`, first
 * piece `firstRows` rows growing by `growth` up to `chunkRows`), columns `specs`; `failure` turns an
 * error that is not a LabError into one.
 *
 * Why not the read-ahead worker the Parquet path uses: pieces there are ArrayBuffers moved between
 * threads, which this thread's heap counts as new external memory at every piece (a streamed run
 * of 20M rows had two to three times the mark-compacts of the in-memory run), and the worker loads
 * a DuckDB of its own. Here the buffers never leave this thread; only the copies run elsewhere.
 */
export function cachedReader(read: CachedRead, specs: readonly RawColumnSpec[], chunkRows: number, frontRows: number, firstRows: number, growth: number, failure: (message: string) => LabError): PieceReader {
  const pool = keptBuffers();
  /** Buffers handed out and not yet given back. */
  const lent = new Set<ArrayBufferLike>();
  const pieces = cachedPieces(read, specs, chunkRows, frontRows, pool.allocate, firstRows, growth);
  let finished = false;
  let reading: Promise<IteratorResult<RawColumns>> | undefined;
  return {
    async next() {
      if (finished) return undefined;
      reading = pieces.next();
      try {
        const result = await reading;
        if (result.done) {
          finished = true;
          return undefined;
        }
        for (const spec of specs) lent.add(result.value.columns[spec.name]!.buffer);
        return result.value;
      } catch (error) {
        finished = true;
        throw isLabError(error) ? error : failure((error as Error)?.message ?? String(error));
      } finally {
        reading = undefined;
      }
    },
    recycle(arrays) {
      for (const a of arrays) if (lent.delete(a.buffer)) pool.give(a.buffer as ArrayBuffer);
      // a long run keeps its buffers for the next read from its last chunk on, not its first
      keptTimer?.refresh();
    },
    async close() {
      finished = true;
      // a piece being read finishes first (its reads write into its buffers), then the files close
      await reading?.catch(() => undefined);
      await pieces.return(undefined);
    },
  };
}

/**
 * Buffers of cached reads, kept from one read to the next (this thread's): a streamed run of a
 * 1M-row chunk size fills two sets of ~47 MB, whose first touch cost 30-160 ms of a run's start on
 * a VM's page faults. Up to KEPT_BYTES are kept, and dropped once no cached read has used them for
 * KEPT_MS.
 */
let kept: BufferPool | undefined;
let keptTimer: NodeJS.Timeout | undefined;
const KEPT_BYTES = 256 * 1024 * 1024;
const KEPT_MS = 60_000;

function keptBuffers(): BufferPool {
  kept ??= new BufferPool(KEPT_BYTES);
  keptTimer?.refresh();
  keptTimer ??= setTimeout(() => {
    kept?.clear();
    kept = undefined;
    keptTimer = undefined;
  }, KEPT_MS).unref();
  return kept;
}

/** A stretch of one cached file's rows read into a piece: `n` rows from row `at` of `file`, at row `row` of the piece. */
interface Segment {
  file: CachedRead["files"][number];
  fds: Map<string, number>;
  at: number;
  n: number;
  row: number;
}

/** The column files of `file` opened for reading (constant columns have none), their lengths checked. */
function openColumnFiles(file: CachedRead["files"][number], specs: readonly RawColumnSpec[]): Map<string, number> {
  const fds = new Map<string, number>();
  try {
    for (const spec of specs) {
      const column = file.columns[spec.name];
      if (!column) throw new Error(`${file.dir} has no column ${spec.name}`);
      if (column.constant === undefined) fds.set(spec.name, openSync(join(file.dir, `${spec.name}.bin`), "r"));
    }
    for (const [name, fd] of fds) {
      const expected = file.rows * RAW_BYTES[file.columns[name]!.type];
      const size = fstatSync(fd).size;
      if (size !== expected) throw new Error(`${file.dir}/${name}.bin holds ${size} bytes, not ${expected}`);
    }
  } catch (error) {
    for (const fd of fds.values()) closeSync(fd);
    throw error;
  }
  return fds;
}

/** Fills `into` from `fd` at byte `position` (a read may return fewer bytes than asked). */
function readFully(fd: number, into: Uint8Array, position: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (done: number): void =>
      fsRead(fd, into, done, into.length - done, position + done, (error, got) => {
        if (error) reject(error);
        else if (got === 0) reject(new Error(`${what} ended early`));
        else if (done + got < into.length) step(done + got);
        else resolve();
      });
    step(0);
  });
}

/**
 * The rows of cached files in file order, as pieces (see `cachedReader`). Each piece's reads, across
 * files when it spans several, are issued together, so they run while the caller works; rows of a
 * file the range cuts are filtered once they are in.
 */
async function* cachedPieces(read: CachedRead, specs: readonly RawColumnSpec[], chunkRows: number, frontRows: number, allocate: (type: RawType, length: number) => RawArray, firstRows: number, growth: number): AsyncGenerator<RawColumns> {
  const capacity = Math.max(chunkRows, 2048);
  let limit = Math.min(capacity, Math.max(firstRows, 2048));
  const fresh = (): Record<string, RawArray> => Object.fromEntries(specs.map((spec) => [spec.name, frontRows > 0 ? allocate(spec.type, frontRows + capacity).subarray(frontRows) : allocate(spec.type, capacity)]));
  /** Rows left to yield. */
  let left = read.rows ?? Infinity;
  let f = 0;
  let at = 0;
  let fds: Map<string, number> | undefined;
  /** Files read to their end whose reads may still be running. */
  const done: Map<string, number>[] = [];
  const closeAll = (list: Map<string, number>[]): void => {
    for (const m of list.splice(0)) for (const fd of m.values()) closeSync(fd);
  };
  /** Moves past the files read to their end (their descriptors close once their reads are in). */
  const passReadFiles = (): void => {
    while (f < read.files.length && at >= read.files[f]!.rows) {
      if (fds) done.push(fds);
      fds = undefined;
      f++;
      at = 0;
    }
  };
  /** The piece being filled; allocated once there are rows for it (a piece the range filters empty keeps it). */
  let columns: Record<string, RawArray> | undefined;
  try {
    for (;;) {
      passReadFiles();
      if (left <= 0 || f >= read.files.length) break;
      columns ??= fresh();
      const want = Math.min(limit, left);
      let length = 0;
      while (length < want && f < read.files.length) {
        const segments: Segment[] = [];
        let planned = length;
        while (planned < want) {
          passReadFiles();
          if (f >= read.files.length) break;
          const file = read.files[f]!;
          fds ??= openColumnFiles(file, specs);
          const n = Math.min(want - planned, file.rows - at);
          segments.push({ file, fds, at, n, row: planned });
          planned += n;
          at += n;
        }
        const reads: Promise<void>[] = [];
        for (const seg of segments) {
          for (const spec of specs) {
            const target = columns[spec.name]!;
            const column = seg.file.columns[spec.name]!;
            if (column.constant !== undefined) {
              fillFrom(target, column, seg.row, seg.n);
              continue;
            }
            const bytes = RAW_BYTES[spec.type];
            const into = new Uint8Array(target.buffer, target.byteOffset + seg.row * bytes, seg.n * bytes);
            reads.push(readFully(seg.fds.get(spec.name)!, into, seg.at * bytes, `${seg.file.dir}/${spec.name}.bin (rows ${seg.at}-${seg.at + seg.n})`));
          }
        }
        // every read ends before a failure is thrown: the files close after it, none still written to
        const failed = (await Promise.allSettled(reads)).find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
        closeAll(done);
        for (const seg of segments) length = keepRows(columns, specs, length, seg.row, seg.n, seg.file.keep);
      }
      if (length > 0) {
        const piece = trimmed(columns, specs, length);
        columns = undefined;
        yield { length, columns: piece };
        left -= length;
      }
      limit = Math.min(capacity, Math.ceil(growth * limit));
    }
  } finally {
    if (fds) done.push(fds);
    closeAll(done);
  }
}

function fillFrom(target: RawArray, column: CachedColumn, from: number, n: number): void {
  const text = column.constant!;
  if (target instanceof BigInt64Array) target.fill(BigInt(text), from, from + n);
  else (target as Exclude<RawArray, BigInt64Array>).fill(text === "NaN" ? NaN : Number(text), from, from + n);
}

/**
 * Keeps the `n` rows at `from` after `kept` rows: all of them, or those of a file the range cuts
 * whose exchange time is in [start, end); rows move down over rows dropped before them. Returns
 * the rows kept in all.
 */
function keepRows(columns: Record<string, RawArray>, specs: readonly RawColumnSpec[], kept: number, from: number, n: number, keep: { start?: bigint; end?: bigint } | undefined): number {
  if (keep === undefined) {
    if (kept !== from) for (const spec of specs) columns[spec.name]!.copyWithin(kept, from, from + n);
    return kept + n;
  }
  const time = columns["exchTs"] as BigInt64Array | undefined;
  if (!time) throw new Error("a cached read cut by a time range needs the exchTs column");
  const { start, end } = keep;
  for (let i = from; i < from + n; i++) {
    const t = time[i]!;
    if ((start !== undefined && t < start) || (end !== undefined && t >= end)) continue;
    if (kept !== i) for (const spec of specs) (columns[spec.name] as { [k: number]: number | bigint })[kept] = columns[spec.name]![i]!;
    kept++;
  }
  return kept;
}
