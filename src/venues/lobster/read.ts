/**
 * LOBSTER limit-order-book data (lobsterdata.com): a message file (time, type, order id, size,
 * price, direction) and an orderbook file (the top L levels after every message), as CSVs or in
 * LOBSTER's zip.
 *
 * Mapping into TickBatch rows (aux = the LOBSTER event type 1-6; for halts the halt/resume code):
 * | type | meaning | kind | notes |
 * | 1 | new limit order | Add | |
 * | 2 | partial cancel | Reduce | qty = size removed |
 * | 3 | full delete | Delete | qty = size removed |
 * | 4 | visible execution | Execute | side = the RESTING order's side (the aggressor is the other side) |
 * | 5 | hidden execution | Execute + Hidden | order id 0 -> NaN; the visible book is unchanged; a midpoint price between ticks keeps its exact fractional tick count and gets OffGrid |
 * | 6 | cross trade | Trade + Cross | auction print |
 * | 7 | trading halt | Halt | aux = LOBSTER's price field (the halt/resume code, as TickBatch defines aux for Halt): -1 halt, 0 quoting resumes, 1 trading resumes; qtyLots NaN |
 *
 * Times are seconds after midnight, New York time, with up to 9 decimals: the fraction is read as
 * text and right-padded to 9 digits (never through a float of seconds), then the session date's
 * midnight in New York (UTC offset from the time-zone database for that date) is added, giving
 * exact UTC ns. LOBSTER has no receive time: localTs = exchTs.
 * Prices are dollars x 10000; with the default tick of 0.01 a price p is p / 100 ticks, exactly.
 *
 * What is kept, flagged and rejected (`onBadRows`, default "reject"); every batch carries a read
 * report (`readReportOf(batch)`, merged into `validate(batch)`):
 * - Kept and flagged under both policies:
 *   - a time with more than 9 decimals (real exports print float noise such as
 *     43002.632812672004): rounded to the nanosecond from its digits, half-up on the 10th decimal
 *     (the discarded tail rounds up when it is at least half a nanosecond, so an exact half rounds
 *     up; a carry runs into the seconds); issue `time-rounded` (warning);
 *   - a time earlier than the row before: the row stays where it is; `validate()` reports
 *     `exch-ts-order`.
 * - Bad message rows (6 fields expected; time unparseable or empty; type not 1-7; order id not a
 *   whole number; size not a number, fractional (`off-grid`), or not positive for types 1-6
 *   (`bad-size`); price not a whole number; price of types 1-4 off the tick grid; direction not
 *   1/-1; any empty field (`missing-value`)). reject: a LabError (BAD_ROW, BAD_TIME, BAD_VALUE,
 *   OFF_TICK) naming file, row (1-based), column and the cell's text. quarantine: every good row
 *   is kept; each bad one is counted by class with samples (0-based row, column, cell text), and
 *   rows whose time and type parse are kept in `report.quarantine` with their source row.
 *   The orderbook row of a message set aside is dropped too, so row i of the orderbook is always
 *   the book after message i of the batch. (The replay of the book then misses that message; a
 *   hidden execution, which leaves the visible book alone, can go without any effect.)
 * - Bad orderbook rows: reject: BAD_ORDERBOOK; quarantine: the row and its message are set aside
 *   (the message goes to `report.quarantine`), counted like bad message rows.
 * - A file cut short or damaged: a zip without its central directory (a download cut short: the
 *   members are found from their local headers and inflated as far as the data goes), a zip
 *   member that stops decoding or whose CRC-32 does not match, a gzip/zstd stream that ends early,
 *   a plain CSV whose last line is cut (an unterminated last line that does not parse), or an
 *   orderbook and message file of different lengths. reject: CORRUPT_ZIP / CORRUPT_GZIP /
 *   CORRUPT_ZSTD / TRUNCATED / ROW_COUNT_MISMATCH. quarantine: every complete row before the cut
 *   is kept, the partial last line is dropped, and the longer file is cut to the rows both files
 *   have; one `truncated` issue says where and how many rows were kept. A member whose checksum
 *   is wrong decodes fully but may be damaged anywhere: its rows are read and the issue says so.
 *   A zip in which no message data can be reached is an error under both policies.
 * - A path that is missing, a directory or unreadable: FILE_NOT_FOUND / IS_A_DIRECTORY /
 *   PERMISSION_DENIED.
 * Allocations are sized by the number of lines (and, for the orderbook, by its column count,
 * capped), never by a value in a cell.
 */
import { basename } from "node:path";
import { inflateRawSync } from "node:zlib";
import { Inflate } from "fflate";
import { InstrumentSpec, LabError, NS_PER_SECOND, parseIso, Progress, type LabErrorCode, type ProgressSink } from "../../core/index.js";
import { EventFlag, EventKind, ISSUE_CLASSES, IssueCollector, TICK_COLUMN_NAMES, TickBatchBuilder, allocateColumns, attachReadReport, completeLinesLength, decodeSource, readSourceBytes, tickBatch, truncatedIssue, type BadRowPolicy, type IssueClass, type IssuePolicy, type QualityIssue, type ReadReport, type TickBatch, type TickColumnName, type TickColumns } from "../../data/index.js";
import { concatBytes } from "../../data/internal.js";

export interface LobsterOrderbook {
  levels: number;
  rows: number;
  /** Row-major: value of level k (0-based) in row r is at [r * levels + k]. Prices in ticks, NaN = empty level. */
  askPrice: Float64Array;
  askSize: Float64Array;
  bidPrice: Float64Array;
  bidSize: Float64Array;
}

export interface LobsterData {
  /** The messages as L3 rows (see module comment). Its read report: `readReportOf(batch)`. */
  batch: TickBatch;
  orderbook?: LobsterOrderbook;
  date: string;
  symbol: string;
  counts: Record<"add" | "partialCancel" | "delete" | "execute" | "hiddenExecute" | "cross" | "halt", number>;
}

export interface LobsterReadOptions {
  /** Message CSV (plain, .gz or .zst), or a LOBSTER zip holding it (and the orderbook). */
  messages: string;
  /**
   * Orderbook CSV or zip; default: the orderbook inside the messages zip, if any (a plain message
   * CSV has none unless given). Pass false to skip.
   */
  orderbook?: string | false;
  /** Session date YYYY-MM-DD; default: from the file name (TICKER_YYYY-MM-DD_...). */
  date?: string;
  /** Default: from the file name. */
  symbol?: string;
  /** IANA time zone of the timestamps. @default "America/New_York" */
  timeZone?: string;
  /** Default: the symbol on NASDAQ with tick 0.01, lot 1. */
  instrument?: InstrumentSpec;
  /** What to do with bad rows and cut files (see the module comment). @default "reject" */
  onBadRows?: BadRowPolicy;
  progress?: ProgressSink;
}

const NAME_RE = /([A-Za-z.]+)_(\d{4}-\d{2}-\d{2})_\d+_\d+_(message|orderbook)_(\d+)\.csv$/;
const KEEP_OPTION = '{ onBadRows: "quarantine" } (CLI: --on-bad-rows quarantine)';
const MESSAGE_COLUMNS = ["time", "type", "order_id", "size", "price", "direction"] as const;
/** More levels than LOBSTER sells; bounds the orderbook's allocation when its first row is garbage. */
const MAX_LEVELS = 1000;
const DUMMY_ASK = 9999999999;

function lobsterError(code: LabErrorCode, message: string, file: string, hint: string, row?: number, column?: string, value?: string): LabError {
  const context: Record<string, unknown> = { file };
  if (row !== undefined) context.row = row;
  if (column !== undefined) context.column = column;
  if (value !== undefined) context.value = value;
  return new LabError({ code, message, hint, context });
}

/** A cell's text for messages, shortened when a damaged file puts a whole block in one cell. */
function cellText(bytes: Uint8Array, start: number, end: number): string {
  const shown = Math.min(end, start + 80);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, shown - start).toString("latin1");
  return shown < end ? `${text}...` : text;
}

// ---------------------------------------------------------------------------------------------
// Sources: plain, gzip/zstd or zip, with what was damaged when the prefix is kept.

type PartName = "message" | "orderbook";

interface CsvPart {
  bytes: Uint8Array;
  /** The CSV's name: the zip member's, or the file's. */
  name: string;
  /** The path the user gave (messages name it). */
  file: string;
  /** Set when the bytes end early or are damaged (only when the prefix is kept). */
  damage?: { detail: string; checksumOnly: boolean };
}

interface Source {
  zip: boolean;
  /** Bytes in the file as stored. */
  size: number;
  parts: Partial<Record<PartName, CsvPart>>;
  /** Damage of the zip as a whole (its central directory is missing), when the prefix is kept. */
  zipDamage?: string;
}

function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}

function loadSource(path: string, wanted: readonly PartName[], keepPrefix: boolean, what: string): Source {
  const bytes = readSourceBytes(path, what);
  if (isZip(bytes)) return readZip(bytes, path, wanted, keepPrefix);
  const decoded = decodeSource(bytes, path, { keepPrefix, keepPrefixOption: KEEP_OPTION });
  const part: CsvPart = { bytes: decoded.bytes, name: basename(path), file: path };
  if (decoded.cut) {
    part.damage = { detail: `the ${decoded.compression} stream ${decoded.cut.checksumOnly ? "fails its checksum" : "ends early"} (${decoded.cut.reason})`, checksumOnly: decoded.cut.checksumOnly };
  }
  return { zip: false, size: bytes.length, parts: { [wanted[0]!]: part } };
}

interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  dataStart: number;
  compressedSize: number;
  size: number;
  crc: number;
  /** The member's data runs past the end of the file, or its end was not found. */
  cut: boolean;
}

const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const u64 = (b: Uint8Array, at: number) => u32(b, at) + u32(b, at + 4) * 2 ** 32;
const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_END64 = 0x06064b50;
const SIG_END64_LOCATOR = 0x07064b50;
const SIG_DESCRIPTOR = 0x08074b50;

function entryName(bytes: Uint8Array, at: number, length: number, flags: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + at, length).toString(flags & 0x800 ? "utf8" : "latin1");
}

/** Where a member's data starts, from its local header; -1 when the header is not there. */
function localDataStart(bytes: Uint8Array, header: number): number {
  if (header < 0 || header + 30 > bytes.length || u32(bytes, header) !== SIG_LOCAL) return -1;
  return header + 30 + u16(bytes, header + 26) + u16(bytes, header + 28);
}

/** The members listed by the central directory, or undefined when it is missing or inconsistent. */
function centralDirectory(bytes: Uint8Array): ZipEntry[] | undefined {
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 65_535); at--) {
    if (u32(bytes, at) === SIG_END && at + 22 + u16(bytes, at + 20) === bytes.length) {
      end = at;
      break;
    }
  }
  if (end < 0) return undefined;
  let count = u16(bytes, end + 10);
  let offset = u32(bytes, end + 16);
  if (offset === 0xffffffff || count === 0xffff) {
    const locator = end - 20;
    if (locator < 0 || u32(bytes, locator) !== SIG_END64_LOCATOR) return undefined;
    const end64 = u64(bytes, locator + 8);
    if (end64 + 56 > bytes.length || u32(bytes, end64) !== SIG_END64) return undefined;
    count = u64(bytes, end64 + 32);
    offset = u64(bytes, end64 + 48);
  }
  const entries: ZipEntry[] = [];
  let at = offset;
  for (let k = 0; k < count; k++) {
    if (at + 46 > bytes.length || u32(bytes, at) !== SIG_CENTRAL) return undefined;
    const flags = u16(bytes, at + 8);
    const nameLength = u16(bytes, at + 28);
    const extraLength = u16(bytes, at + 30);
    let compressedSize = u32(bytes, at + 20);
    let size = u32(bytes, at + 24);
    let header = u32(bytes, at + 42);
    // Zip64: the sizes and offset that overflowed 32 bits are in extra field 0x0001, in this order.
    for (let x = at + 46 + nameLength; x + 4 <= at + 46 + nameLength + extraLength; x += 4 + u16(bytes, x + 2)) {
      if (u16(bytes, x) !== 1) continue;
      let y = x + 4;
      if (size === 0xffffffff) (size = u64(bytes, y)), (y += 8);
      if (compressedSize === 0xffffffff) (compressedSize = u64(bytes, y)), (y += 8);
      if (header === 0xffffffff) header = u64(bytes, y);
    }
    const dataStart = localDataStart(bytes, header);
    if (dataStart < 0 || dataStart + compressedSize > bytes.length) return undefined;
    entries.push({ name: entryName(bytes, at + 46, nameLength, flags), flags, method: u16(bytes, at + 10), dataStart, compressedSize, size, crc: u32(bytes, at + 16), cut: false });
    at += 46 + nameLength + extraLength + u16(bytes, at + 32);
  }
  return entries;
}

/**
 * The members found by walking local headers from the start (a zip cut short has no central
 * directory). A member written with a data descriptor (LOBSTER's are) has no sizes in its header:
 * its end is the descriptor whose compressed size equals its distance from the data start, a
 * match that compressed data does not fake.
 */
function localEntries(bytes: Uint8Array): ZipEntry[] {
  const entries: ZipEntry[] = [];
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const descriptorSig = Buffer.from([0x50, 0x4b, 0x07, 0x08]);
  let at = 0;
  while (at + 30 <= bytes.length && u32(bytes, at) === SIG_LOCAL) {
    const flags = u16(bytes, at + 6);
    const nameLength = u16(bytes, at + 26);
    const dataStart = localDataStart(bytes, at);
    if (dataStart > bytes.length) break;
    const entry: ZipEntry = { name: entryName(bytes, at + 30, Math.min(nameLength, bytes.length - at - 30), flags), flags, method: u16(bytes, at + 8), dataStart, compressedSize: u32(bytes, at + 18), size: u32(bytes, at + 22), crc: u32(bytes, at + 14), cut: false };
    entries.push(entry);
    if ((flags & 8) === 0) {
      if (dataStart + entry.compressedSize > bytes.length) {
        entry.cut = true;
        entry.compressedSize = bytes.length - dataStart;
        break;
      }
      at = dataStart + entry.compressedSize;
      continue;
    }
    let next = -1;
    for (let q = buffer.indexOf(descriptorSig, dataStart); q >= 0; q = buffer.indexOf(descriptorSig, q + 1)) {
      if (q + 16 <= bytes.length && u32(bytes, q + 8) === q - dataStart) {
        entry.crc = u32(bytes, q + 4);
        entry.compressedSize = q - dataStart;
        entry.size = u32(bytes, q + 12);
        next = q + 16;
        break;
      }
      if (q + 24 <= bytes.length && u64(bytes, q + 8) === q - dataStart) {
        entry.crc = u32(bytes, q + 4);
        entry.compressedSize = q - dataStart;
        entry.size = u64(bytes, q + 16);
        next = q + 24;
        break;
      }
    }
    if (next < 0) {
      entry.cut = true;
      entry.compressedSize = bytes.length - dataStart;
      break;
    }
    at = next;
  }
  return entries;
}

function isPart(name: string, part: PartName): boolean {
  return name.includes(`_${part}_`) && name.endsWith(".csv");
}

function corruptZip(path: string, message: string, keepsPrefix: boolean): LabError {
  return new LabError({
    code: "CORRUPT_ZIP",
    message,
    hint: `re-download the LOBSTER zip (unzip -t tells whether it is whole)${keepsPrefix ? `, or pass ${KEEP_OPTION} to keep every row before the damage` : ""}`,
    context: { file: path },
  });
}

function readZip(bytes: Uint8Array, path: string, wanted: readonly PartName[], keepPrefix: boolean): Source {
  const source: Source = { zip: true, size: bytes.length, parts: {} };
  let entries = centralDirectory(bytes);
  if (!entries) {
    const why = "has no intact central directory (the end of the zip): the download was probably cut short";
    if (!keepPrefix) throw corruptZip(path, `${path}: the zip is incomplete: it ${why} (${bytes.length.toLocaleString("en-US")} bytes)`, true);
    source.zipDamage = why;
    entries = localEntries(bytes);
  }
  if (source.zipDamage && wanted.includes("message") && !entries.some((e) => isPart(e.name, "message"))) {
    const found = entries.length === 0 ? "no member" : `only ${entries.map((e) => `${e.name}${e.cut ? " (cut)" : ""}`).join(", ")}`;
    throw corruptZip(path, `${path}: the zip is cut before its message file (${found} can be reached)`, false);
  }
  for (const part of wanted) {
    const entry = entries.find((e) => isPart(e.name, part));
    if (entry) source.parts[part] = inflateEntry(bytes, entry, path, keepPrefix);
  }
  return source;
}

function inflateEntry(bytes: Uint8Array, entry: ZipEntry, path: string, keepPrefix: boolean): CsvPart {
  const part: CsvPart = { bytes: new Uint8Array(0), name: entry.name, file: path };
  if ((entry.flags & 1) !== 0 || (entry.method !== 0 && entry.method !== 8)) {
    throw new LabError({ code: "UNSUPPORTED_ZIP", message: `${path}: zip member ${entry.name} is ${(entry.flags & 1) !== 0 ? "encrypted" : `compressed with method ${entry.method}`}`, hint: "re-pack the zip with plain deflate (zip -r), or unzip it and pass the CSVs", context: { file: path, member: entry.name } });
  }
  const data = bytes.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
  let failure = "the data ends early";
  if (!entry.cut) {
    let out: Uint8Array | undefined;
    try {
      // zlib is native and grows its output as it goes (no allocation sized by the header).
      out = entry.method === 0 ? data : inflateRawSync(data);
    } catch (error) {
      failure = (error as Error).message;
    }
    if (out) {
      const crc = crc32(out);
      if (crc === entry.crc && out.length % 2 ** 32 === entry.size % 2 ** 32) {
        part.bytes = out;
        return part;
      }
      const detail = crc !== entry.crc ? `CRC-32 ${hex(crc)} where the zip says ${hex(entry.crc)}` : `${out.length} bytes where the zip says ${entry.size}`;
      if (!keepPrefix) throw corruptZip(path, `${path}: zip member ${entry.name} is damaged: it decodes to its end but with ${detail}`, true);
      part.bytes = out;
      part.damage = { detail: `zip member ${entry.name} decodes to its end with ${detail}: it is damaged somewhere inside, so rows that parse are kept but values may be wrong`, checksumOnly: true };
      return part;
    }
  }
  if (!keepPrefix) throw corruptZip(path, `${path}: zip member ${entry.name} is ${entry.cut ? "cut short" : "damaged"} (${failure})`, true);
  const prefix = entry.method === 0 ? { bytes: data, failure: undefined } : inflatePrefix(data);
  part.bytes = prefix.bytes;
  const how = prefix.failure ?? (entry.cut ? failure : "its checksum cannot be checked");
  part.damage = { detail: `zip member ${entry.name} is ${entry.cut ? "cut short" : "damaged"} after ${prefix.bytes.length.toLocaleString("en-US")} decoded bytes (${how})`, checksumOnly: false };
  return part;
}

/** Everything a deflate stream decodes to before it ends or breaks (fflate's streaming inflater). */
function inflatePrefix(data: Uint8Array): { bytes: Uint8Array; failure: string | undefined } {
  const chunks: Uint8Array[] = [];
  let ended = false;
  let failure: string | undefined;
  const stream = new Inflate((chunk, final) => {
    chunks.push(chunk);
    if (final) ended = true;
  });
  const step = 1 << 16;
  try {
    for (let at = 0; at < data.length && !ended; at += step) stream.push(data.subarray(at, Math.min(data.length, at + step)), false);
    if (!ended) stream.push(new Uint8Array(0), true);
  } catch (error) {
    failure = (error as Error).message;
  }
  const bytes = concatBytes(chunks);
  return { bytes, failure };
}

/**
 * CRC-32 (IEEE, as zip stores it), table-driven. fflate checks no CRC when it unzips and keeps its
 * own CRC code internal, node:zlib has `crc32` only from Node 22 on (the lab supports Node 20),
 * and the `crc-32` package is not a dependency of the lab (only of a dependency).
 */
const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 255]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

// ---------------------------------------------------------------------------------------------
// Time zone.

/** Offset of `timeZone` from UTC in minutes at the instant `utcMs` (e.g. -240 for New York in June). */
export function timeZoneOffsetMinutes(timeZone: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((asUtc - utcMs) / 60_000);
}

/** UTC ns of local midnight of `date` in `timeZone` (offset taken at local noon, away from DST switches). */
function localMidnightNs(date: string, timeZone: string): bigint {
  const utcMidnight = parseIso(date);
  const offset = timeZoneOffsetMinutes(timeZone, Number(utcMidnight / 1_000_000n) + 12 * 3_600_000);
  return utcMidnight - BigInt(offset) * 60n * NS_PER_SECOND;
}

// ---------------------------------------------------------------------------------------------
// Cell parsing straight from bytes (no strings on the clean path).

/** Set by `parseTimeNs`: the time had more than 9 decimals and was rounded. */
let timeRounded = false;

/**
 * Nanoseconds of the day from "seconds[.fraction]" text, or -1. Only integer arithmetic on the
 * digits: at most 6 digits of seconds, the first 9 decimals padded to ns, then half-up on the
 * 10th decimal (the rest only has to be digits). Every value stays below 2^53, so it is exact.
 */
function parseTimeNs(b: Uint8Array, start: number, end: number): number {
  timeRounded = false;
  let i = start;
  let whole = 0;
  for (; i < end && i - start < 7; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) break;
    whole = whole * 10 + d;
  }
  if (i === start || i - start > 6) return -1;
  if (i === end) return whole * 1e9;
  if (b[i] !== 46 || i + 1 === end) return -1;
  i++;
  let frac = 0;
  let digits = 0;
  for (; i < end && digits < 9; i++, digits++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) return -1;
    frac = frac * 10 + d;
  }
  for (let k = digits; k < 9; k++) frac *= 10;
  if (i < end) {
    const tenth = b[i]! - 48;
    for (let j = i; j < end; j++) if (b[j]! < 48 || b[j]! > 57) return -1;
    timeRounded = true;
    if (tenth >= 5) frac += 1;
  }
  return whole * 1e9 + frac;
}

/** "-?digits(.digits)?" as a number (a fraction only through the rare slow path), else NaN. */
function parseNumber(b: Uint8Array, start: number, end: number): number {
  let i = start;
  const negative = i < end && b[i] === 45;
  if (negative) i++;
  const digitsAt = i;
  let value = 0;
  for (; i < end; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
  }
  if (i === digitsAt) return NaN;
  if (i === end) return negative ? -value : value;
  if (b[i] !== 46 || i + 1 === end) return NaN;
  for (let j = i + 1; j < end; j++) if (b[j]! < 48 || b[j]! > 57) return NaN;
  return Number(cellText(b, start, end));
}

// ---------------------------------------------------------------------------------------------
// Messages.

/** The first problem of a row (one object reused for every row). */
interface Fault {
  code: LabErrorCode | "";
  cls: IssueClass;
  /** Column index 0-5; 6 = a seventh field. */
  column: number;
  start: number;
  end: number;
  why: string;
  hint: string;
}

interface MessageResult {
  cols: TickColumns;
  /** Rows written to `cols`. */
  kept: number;
  /** Complete data rows read (kept and set aside). */
  rowsRead: number;
  /** Source rows (0-based) set aside, ascending. */
  bad: number[];
  /** Byte offset of a cut last line that was dropped (quarantine only). */
  cutAt?: number;
  cutDetail?: string;
}

interface ReadContext {
  file: string;
  midnight: bigint;
  tickUnits: number;
  tickSize: string;
  quarantine: boolean;
  issues: IssueCollector;
  setAside: TickBatchBuilder;
  setAsideRows: number[];
  setAsideReasons: IssueClass[];
  counts: LobsterData["counts"];
  progress: ProgressSink | undefined;
}

function parseMessages(part: CsvPart, ctx: ReadContext): MessageResult {
  const b = part.bytes;
  const complete = completeLinesLength(b);
  let capacity = 0;
  for (let i = b.indexOf(10); i >= 0 && i < complete; i = b.indexOf(10, i + 1)) capacity++;
  if (complete < b.length) capacity++;
  const cols = allocateColumns(capacity);
  const progress = new Progress("lobster", ctx.progress, { total: capacity, unit: "rows" });
  const { exchTs, localTs, kind, side, flags, priceTicks, qtyLots, orderId, aux } = cols;
  const bad: number[] = [];
  const fieldStart = new Int32Array(8);
  const fieldEnd = new Int32Array(8);
  const fault: Fault = { code: "", cls: "type-error", column: 0, start: 0, end: 0, why: "", hint: "" };
  const fail = (code: LabErrorCode, cls: IssueClass, column: number, why: string, hint: string): void => {
    fault.code = code;
    fault.cls = cls;
    fault.column = column;
    fault.start = column < 7 ? fieldStart[Math.min(column, 6)]! : 0;
    fault.end = column < 7 ? fieldEnd[Math.min(column, 6)]! : 0;
    fault.why = why;
    fault.hint = hint;
  };
  const { midnight, tickUnits, counts } = ctx;
  let w = 0;
  let row = 0;
  let pos = 0;
  let cutAt: number | undefined;
  let cutDetail: string | undefined;
  while (pos < b.length) {
    const newline = b.indexOf(10, pos);
    const lineEnd = newline < 0 ? b.length : newline;
    const start = pos;
    let end = lineEnd;
    if (end > start && b[end - 1] === 13) end--;
    pos = lineEnd + 1;
    if (end === start) continue;
    const last = newline < 0;
    if (last && part.damage && !part.damage.checksumOnly) {
      cutAt = start;
      break;
    }
    // Fields.
    let nf = 0;
    let s = start;
    for (let i = start; i < end; i++) {
      if (b[i] === 44) {
        if (nf < 7) (fieldStart[nf] = s), (fieldEnd[nf] = i);
        nf++;
        s = i + 1;
      }
    }
    if (nf < 7) (fieldStart[nf] = s), (fieldEnd[nf] = end);
    nf++;

    // Checks, in column order; the first problem names the row.
    fault.code = "";
    let ns = 0;
    let type = 0;
    let id = NaN;
    let size = NaN;
    let price = NaN;
    let direction = 0;
    let rounded = false;
    if (nf < 6) {
      fieldStart[nf] = fieldEnd[nf] = end;
      fail("BAD_ROW", "missing-value", nf, `has ${nf} field${nf === 1 ? "" : "s"}, a LOBSTER message has 6 (time,type,order_id,size,price,direction)`, "check that this is a LOBSTER message file");
    } else if (nf > 6) {
      fail("BAD_ROW", "type-error", 6, `is a field beyond the 6 of a LOBSTER message (time,type,order_id,size,price,direction)`, "check that this is a LOBSTER message file");
    } else {
      const t0 = fieldStart[0]!, t1 = fieldEnd[0]!, i0 = fieldStart[2]!, i1 = fieldEnd[2]!, z0 = fieldStart[3]!, z1 = fieldEnd[3]!;
      const p0 = fieldStart[4]!, p1 = fieldEnd[4]!, d0 = fieldStart[5]!, d1 = fieldEnd[5]!;
      ns = t0 === t1 ? -2 : parseTimeNs(b, t0, t1);
      rounded = timeRounded;
      type = parseNumber(b, fieldStart[1]!, fieldEnd[1]!);
      if (ns === -2) fail("BAD_TIME", "missing-value", 0, "is empty", "LOBSTER times look like 34200.015105074 (seconds after midnight)");
      else if (ns < 0) fail("BAD_TIME", "type-error", 0, "is not seconds after midnight (up to 6 digits, then decimals)", "LOBSTER times look like 34200.015105074 (seconds after midnight)");
      else if (fieldStart[1] === fieldEnd[1]) fail("BAD_VALUE", "missing-value", 1, "is empty", "LOBSTER event types are 1-7");
      else if (!(type >= 1 && type <= 7 && Number.isInteger(type))) fail("BAD_VALUE", "type-error", 1, "is not a LOBSTER event type (1-7)", "LOBSTER event types are 1-7");
      else {
        id = parseNumber(b, i0, i1);
        size = parseNumber(b, z0, z1);
        price = parseNumber(b, p0, p1);
        direction = parseNumber(b, d0, d1);
        if (i0 === i1) fail("BAD_VALUE", "missing-value", 2, "is empty", "order ids are whole numbers (0 for hidden executions)");
        else if (!(Number.isSafeInteger(id) && id >= 0)) fail("BAD_VALUE", "type-error", 2, "is not an order id (a whole number below 2^53)", "order ids are whole numbers (0 for hidden executions)");
        else if (z0 === z1) fail("BAD_VALUE", "missing-value", 3, "is empty", "sizes are whole numbers of shares");
        else if (!Number.isFinite(size) || Math.abs(size) > Number.MAX_SAFE_INTEGER) fail("BAD_VALUE", "type-error", 3, "is not a number", "sizes are whole numbers of shares");
        else if (!Number.isInteger(size)) fail("BAD_VALUE", "off-grid", 3, "is not a whole number of shares", "sizes are whole numbers of shares");
        else if (size < 0 || (size === 0 && type <= 6)) fail("BAD_VALUE", "bad-size", 3, "is not a positive size", "sizes of LOBSTER events 1-6 are positive");
        else if (p0 === p1) fail("BAD_VALUE", "missing-value", 4, "is empty", "LOBSTER prices are whole numbers of 1/10000 dollar");
        else if (!Number.isSafeInteger(price)) fail("BAD_VALUE", "type-error", 4, "is not a price (a whole number of 1/10000 dollar)", "LOBSTER prices are whole numbers of 1/10000 dollar");
        else if (type <= 4 && price % tickUnits !== 0) fail("OFF_TICK", "off-grid", 4, `(x10000) is not a multiple of tick ${ctx.tickSize}`, "pass an instrument with the right tick size");
        else if (d0 === d1) fail("BAD_VALUE", "missing-value", 5, "is empty", "LOBSTER directions are 1 (buy) and -1 (sell)");
        else if (direction !== 1 && direction !== -1) fail("BAD_VALUE", "type-error", 5, "is not a direction (1 or -1)", "LOBSTER directions are 1 (buy) and -1 (sell)");
      }
    }

    if (fault.code !== "") {
      const column = fault.column < 6 ? MESSAGE_COLUMNS[fault.column]! : `field ${fault.column + 1}`;
      const raw = cellText(b, fault.start, fault.end);
      if (last && !part.damage) {
        // An unterminated last line that does not parse is where the file was cut.
        if (!ctx.quarantine) {
          throw new LabError({
            code: "TRUNCATED",
            message: `${ctx.file}: the last line (row ${row + 1}) is cut off: it ends without a newline and column ${column} ("${raw}") ${fault.why}`,
            hint: `copy or download the file again, or pass ${KEEP_OPTION} to keep the ${row.toLocaleString("en-US")} complete rows before it`,
            context: { file: ctx.file, row: row + 1, column, value: raw, byteOffset: start },
          });
        }
        cutAt = start;
        cutDetail = `its last line is cut off (column ${column}: "${raw}")`;
        break;
      }
      if (!ctx.quarantine) {
        throw lobsterError(fault.code, `${ctx.file}: row ${row + 1}, column ${column}: "${raw}" ${fault.why}`, ctx.file, `${fault.hint}; or pass ${KEEP_OPTION} to keep the good rows and set the bad ones aside`, row + 1, column, raw);
      }
      ctx.issues.add(fault.cls, row, column, raw, row + 1);
      bad.push(row);
      // A row whose time and type parse can still be shown as a row (its bad cell NaN).
      if (fault.column >= 2 && fault.column <= 5 && nf === 6) {
        const ticks = Number.isSafeInteger(price) ? (type === 7 ? NaN : price / tickUnits) : NaN;
        const ts = midnight + BigInt(ns);
        const k = kindOf(type);
        ctx.setAside.push(ts, ts, k, type === 7 || (direction !== 1 && direction !== -1) ? 0 : direction, ticks, type === 7 || !Number.isFinite(size) ? NaN : size, Number.isSafeInteger(id) && id > 0 ? id : NaN, flagsOf(type, ticks), 0, NaN, type === 7 ? price : type);
        ctx.setAsideRows.push(row);
        ctx.setAsideReasons.push(fault.cls);
      }
      row++;
      continue;
    }

    if (rounded) {
      // Text only for the rows that become samples: a noisy export can have many such rows.
      const sampled = (ctx.issues.counts.get("time-rounded") ?? 0) < ctx.issues.maxSamples;
      ctx.issues.add("time-rounded", row, "time", sampled ? cellText(b, fieldStart[0]!, fieldEnd[0]!) : undefined, row + 1);
    }
    const ts = midnight + BigInt(ns);
    exchTs[w] = ts;
    localTs[w] = ts;
    if (type === 7) {
      kind[w] = EventKind.Halt;
      aux[w] = price; // -1 halt, 0 quoting resumes, 1 trading resumes
      side[w] = 0;
      counts.halt++;
    } else {
      // Hidden (midpoint) executions and crosses may print between ticks; they do not touch the
      // visible book, so they keep the exact fractional tick count, flagged.
      const ticks = price / tickUnits;
      aux[w] = type;
      side[w] = direction;
      priceTicks[w] = ticks;
      qtyLots[w] = size;
      orderId[w] = id === 0 ? NaN : id;
      kind[w] = kindOf(type);
      flags[w] = flagsOf(type, ticks);
      switch (type) {
        case 1: counts.add++; break;
        case 2: counts.partialCancel++; break;
        case 3: counts.delete++; break;
        case 4: counts.execute++; break;
        case 5: counts.hiddenExecute++; break;
        case 6: counts.cross++; break;
      }
    }
    w++;
    row++;
    if ((row & 16383) === 0) progress.update(row);
  }
  progress.finish();
  const result: MessageResult = { cols, kept: w, rowsRead: row, bad };
  if (cutAt !== undefined) {
    result.cutAt = cutAt;
    if (cutDetail) result.cutDetail = cutDetail;
  }
  return result;
}

function kindOf(type: number): number {
  switch (type) {
    case 1: return EventKind.Add;
    case 2: return EventKind.Reduce;
    case 3: return EventKind.Delete;
    case 4: case 5: return EventKind.Execute;
    case 6: return EventKind.Trade;
    default: return EventKind.Halt;
  }
}

function flagsOf(type: number, ticks: number): number {
  const offGrid = (type === 5 || type === 6) && !Number.isInteger(ticks) && ticks === ticks ? EventFlag.OffGrid : 0;
  return offGrid | (type === 5 ? EventFlag.Hidden : type === 6 ? EventFlag.Cross : 0);
}

// ---------------------------------------------------------------------------------------------
// Orderbook.

interface OrderbookResult {
  orderbook: LobsterOrderbook;
  /** Complete source rows read (up to the message rows). */
  rowsRead: number;
  /** Complete rows beyond the message rows. */
  extraRows: number;
  /** Source rows (0-based) whose orderbook row is bad (quarantine), ascending. */
  bad: number[];
  badClasses: IssueClass[];
  cutAt?: number;
  cutDetail?: string;
}

const BOOK_COLUMNS = ["ask_price", "ask_size", "bid_price", "bid_size"] as const;

/**
 * Parses the orderbook CSV straight from bytes: 40 integers per row over ~150k rows is 6 million
 * fields, and splitting strings for them costs seconds; a byte loop takes tens of milliseconds.
 * Rows of messages set aside (`skip`) are passed over; at most `maxRows` rows are stored.
 */
function parseOrderbook(part: CsvPart, tickUnits: number, maxRows: number, skip: readonly number[], keptMessages: number, quarantine: boolean, issues: IssueCollector): OrderbookResult {
  const bytes = part.bytes;
  const file = part.file;
  let width = 1;
  for (let i = 0; i < bytes.length && bytes[i] !== 10 && width <= MAX_LEVELS * 4; i++) if (bytes[i] === 44) width++;
  if (width % 4 !== 0 || width > MAX_LEVELS * 4) {
    throw lobsterError("BAD_ORDERBOOK", `${file}: orderbook rows have ${width > MAX_LEVELS * 4 ? `more than ${MAX_LEVELS * 4}` : width} columns, expected 4 per level (at most ${MAX_LEVELS} levels)`, file, "LOBSTER orderbook rows are ask_px,ask_sz,bid_px,bid_sz repeated per level");
  }
  const levels = width / 4;
  const values = new Float64Array(width);
  // A stored row takes at least 2 bytes per field, so the file's size bounds the rows too.
  const capacity = Math.min(keptMessages, Math.floor(bytes.length / (2 * width)) + 1);
  const askPrice = new Float64Array(capacity * levels);
  const askSize = new Float64Array(capacity * levels);
  const bidPrice = new Float64Array(capacity * levels);
  const bidSize = new Float64Array(capacity * levels);
  const bad: number[] = [];
  const badClasses: IssueClass[] = [];
  let stored = 0;
  let row = 0;
  let extraRows = 0;
  let nextSkip = 0;
  let cutAt: number | undefined;
  let cutDetail: string | undefined;
  let pos = 0;
  const columnName = (field: number) => (field < width ? `${BOOK_COLUMNS[field % 4]}_${Math.floor(field / 4) + 1}` : `field ${field + 1}`);
  while (pos < bytes.length) {
    const newline = bytes.indexOf(10, pos);
    const lineEnd = newline < 0 ? bytes.length : newline;
    const start = pos;
    let end = lineEnd;
    if (end > start && bytes[end - 1] === 13) end--;
    pos = lineEnd + 1;
    if (end === start) continue;
    const last = newline < 0;
    if (last && part.damage && !part.damage.checksumOnly) {
      cutAt = start;
      break;
    }
    if (row >= maxRows) {
      extraRows++;
      continue;
    }
    if (nextSkip < skip.length && skip[nextSkip] === row) {
      nextSkip++;
      row++;
      continue;
    }
    // One row: fields of -?digits.
    let field = 0;
    let value = 0;
    let negative = false;
    let digits = 0;
    let cellStart = start;
    let problem = "";
    for (let i = start; i <= end; i++) {
      const c = i < end ? bytes[i]! : 44;
      if (c >= 48 && c <= 57) {
        value = value * 10 + (c - 48);
        digits++;
      } else if (c === 45 && digits === 0 && !negative) negative = true;
      else if (c === 44) {
        if (field >= width) {
          problem = `has more than ${width} columns`;
          break;
        }
        if (digits === 0) {
          problem = i === cellStart ? "is empty" : "is not a whole number";
          break;
        }
        values[field++] = negative ? -value : value;
        value = 0;
        digits = 0;
        negative = false;
        cellStart = i + 1;
      } else {
        problem = "is not a whole number";
        break;
      }
    }
    if (problem === "" && field !== width) {
      problem = `is missing: the row has ${field} columns, expected ${width}`;
      cellStart = end;
    }
    if (problem !== "") {
      let cellEnd = cellStart;
      while (cellEnd < end && bytes[cellEnd] !== 44) cellEnd++;
      const column = columnName(problem.startsWith("is missing") ? field : problem.startsWith("has more") ? width : field);
      const raw = problem.startsWith("is missing") ? "" : cellText(bytes, cellStart, cellEnd);
      const cls: IssueClass = raw === "" ? "missing-value" : "type-error";
      if (last && !part.damage) {
        if (!quarantine) {
          throw new LabError({
            code: "TRUNCATED",
            message: `${file}: the last line (row ${row + 1}) is cut off: it ends without a newline and column ${column} ("${raw}") ${problem}`,
            hint: `copy or download the file again, or pass ${KEEP_OPTION} to keep the ${row.toLocaleString("en-US")} complete rows before it`,
            context: { file, row: row + 1, column, value: raw, byteOffset: start },
          });
        }
        cutAt = start;
        cutDetail = `its last line is cut off (column ${column}: "${raw}")`;
        break;
      }
      if (!quarantine) throw lobsterError("BAD_ORDERBOOK", `${file}: row ${row + 1}, column ${column}: "${raw}" ${problem}`, file, `the orderbook file is damaged; pass ${KEEP_OPTION} to set this row and its message aside`, row + 1, column, raw);
      issues.add(cls, row, column, raw, row + 1);
      bad.push(row);
      badClasses.push(cls);
      row++;
      continue;
    }
    for (let k = 0; k < levels; k++) {
      const at = stored * levels + k;
      const ap = values[4 * k]!;
      const bp = values[4 * k + 2]!;
      askPrice[at] = ap >= DUMMY_ASK ? NaN : ap / tickUnits;
      askSize[at] = ap >= DUMMY_ASK ? 0 : values[4 * k + 1]!;
      bidPrice[at] = bp <= -DUMMY_ASK ? NaN : bp / tickUnits;
      bidSize[at] = bp <= -DUMMY_ASK ? 0 : values[4 * k + 3]!;
    }
    stored++;
    row++;
  }
  const result: OrderbookResult = { orderbook: { levels, rows: stored, askPrice, askSize, bidPrice, bidSize }, rowsRead: row, extraRows, bad, badClasses };
  if (cutAt !== undefined) {
    result.cutAt = cutAt;
    if (cutDetail) result.cutDetail = cutDetail;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------

/** Number of values of ascending `sorted` below `limit`. */
function countBelow(sorted: readonly number[], limit: number): number {
  let n = 0;
  while (n < sorted.length && sorted[n]! < limit) n++;
  return n;
}

/**
 * Whether the orderbook file lists every visible level the messages touch: the level an Add
 * (type 1) lands on must be in the row after it, and the level a cancel, delete or visible
 * execution (types 2-4) takes from must be in the row before it, whenever that price lies within
 * the levels the row shows on that side (beyond the last listed level nothing can be said). One
 * pass over the rows, at most L comparisons each. Hidden executions, crosses and halts do not touch
 * the visible book. Rows are the batch's (the file's rows after any set aside).
 */
function bookAgreesWithMessages(batch: TickBatch, book: LobsterOrderbook, file: string): QualityIssue | undefined {
  const { kind, side, priceTicks, flags } = batch;
  const L = book.levels;
  const collector = new IssueCollector();
  const listed = (prices: Float64Array, row: number, p: number, isBid: boolean): boolean => {
    let worst = NaN;
    let filled = 0;
    for (let k = 0; k < L; k++) {
      const q = prices[row * L + k]!;
      if (q !== q) break;
      if (q === p) return true;
      worst = q;
      filled++;
    }
    // Not listed: a disagreement only if p lies inside the listed range (or the side shows fewer than L levels).
    if (filled < L) return false;
    return isBid ? p < worst : p > worst;
  };
  for (let r = 0; r < batch.length; r++) {
    const k = kind[r]!;
    if ((flags[r]! & EventFlag.Hidden) !== 0) continue;
    const isAdd = k === EventKind.Add;
    if (!isAdd && k !== EventKind.Reduce && k !== EventKind.Delete && k !== EventKind.Execute) continue;
    const row = isAdd ? r : r - 1;
    if (row < 0) continue;
    const p = priceTicks[r]!;
    const isBid = side[r] === 1;
    if (!listed(isBid ? book.bidPrice : book.askPrice, row, p, isBid)) collector.add("book-mismatch", r, "price", `${isBid ? "bid" : "ask"} ${p} not in orderbook row ${row + 1}`);
  }
  const found = collector.issues(file, {}, (_cls, count) => `${count.toLocaleString("en-US")} message${count === 1 ? "" : "s"} touch a price level the orderbook file does not list (the two files disagree)`);
  return found[0];
}

/** Reads LOBSTER messages (and the orderbook when present) exactly; see the module comment for bad input. */
export function readLobster(options: LobsterReadOptions): LobsterData {
  const policy = options.onBadRows ?? "reject";
  if (policy !== "reject" && policy !== "quarantine") throw new LabError({ code: "BAD_OPTION", message: `onBadRows must be "reject" or "quarantine", got ${JSON.stringify(policy)}`, hint: 'pass { onBadRows: "quarantine" } to keep the good rows and set the bad ones aside', context: { option: "onBadRows" } });
  const quarantine = policy === "quarantine";
  const bookFromMessages = options.orderbook === undefined;
  const messageSource = loadSource(options.messages, bookFromMessages ? ["message", "orderbook"] : ["message"], quarantine, "LOBSTER message file");
  const messagePart = messageSource.parts.message;
  if (!messagePart) throw lobsterError("NO_MESSAGE_FILE", `${options.messages}: no *_message_*.csv inside the zip`, options.messages, "pass the LOBSTER zip or the message CSV itself");
  const messagesAreZip = messageSource.zip;
  let bookPart: CsvPart | undefined;
  let bookSource: Source | undefined;
  if (bookFromMessages) bookPart = messagesAreZip ? messageSource.parts.orderbook : undefined;
  else if (options.orderbook !== false) {
    bookSource = loadSource(options.orderbook!, ["orderbook"], quarantine, "LOBSTER orderbook file");
    bookPart = bookSource.parts.orderbook;
    if (!bookPart) throw lobsterError("NO_ORDERBOOK_FILE", `${options.orderbook}: no *_orderbook_*.csv inside the zip`, options.orderbook!, "pass the LOBSTER zip or the orderbook CSV itself");
  }

  const nameMatch = NAME_RE.exec(messagePart.name);
  const date = options.date ?? nameMatch?.[2];
  const symbol = options.symbol ?? nameMatch?.[1] ?? "UNKNOWN";
  if (!date) {
    throw lobsterError("NO_DATE", `cannot tell the session date of ${messagePart.name}`, options.messages, 'pass { date: "YYYY-MM-DD" } (LOBSTER names files TICKER_YYYY-MM-DD_start_end_message_L.csv)');
  }
  const instrument = options.instrument ?? new InstrumentSpec({ symbol, venue: "NASDAQ", tickSize: "0.01", lotSize: "1" });
  // LOBSTER prices are integers in 1/10000 dollar; one tick is tickUnits of them.
  const tickUnits = Number(instrument.tickSize) * 10_000;
  if (!Number.isInteger(tickUnits) || tickUnits <= 0) {
    throw lobsterError("BAD_INSTRUMENT", `tick size ${instrument.tickSize} is not a whole number of 1/10000 dollars`, options.messages, "use a tick size such as 0.01 or 0.0001");
  }
  const file = options.messages;
  const counts = { add: 0, partialCancel: 0, delete: 0, execute: 0, hiddenExecute: 0, cross: 0, halt: 0 };
  const ctx: ReadContext = {
    file,
    midnight: localMidnightNs(date, options.timeZone ?? "America/New_York"),
    tickUnits,
    tickSize: String(instrument.tickSize),
    quarantine,
    issues: new IssueCollector(),
    setAside: new TickBatchBuilder(16),
    setAsideRows: [],
    setAsideReasons: [],
    counts,
    progress: options.progress,
  };
  const messages = parseMessages(messagePart, ctx);
  if (messages.rowsRead === 0) {
    // An empty message file is never a session: say so rather than return an empty day.
    throw lobsterError("EMPTY_FILE", `${messagePart.file}: the message file has no rows`, messagePart.file, "check that the file was copied whole; LOBSTER message files hold one row per event");
  }

  // The orderbook, aligned with the messages: row i of each is the same event.
  const bookIssues = new IssueCollector();
  const book = bookPart ? parseOrderbook(bookPart, tickUnits, messages.rowsRead, messages.bad, messages.kept, quarantine, bookIssues) : undefined;
  let common = messages.rowsRead;
  if (book) {
    const bookRows = book.rowsRead + book.extraRows;
    if (bookRows !== messages.rowsRead && !quarantine) {
      throw lobsterError("ROW_COUNT_MISMATCH", `${book.extraRows > 0 ? bookPart!.file : file}: the orderbook has ${bookRows} rows, the message file ${messages.rowsRead}`, bookPart!.file, `use the message and orderbook files of the same LOBSTER download; or pass ${KEEP_OPTION} to keep the rows both files have`, Math.min(bookRows, messages.rowsRead) + 1);
    }
    common = Math.min(messages.rowsRead, book.rowsRead);
  }

  // Drop message rows past the common prefix and those whose orderbook row was bad.
  const cols = messages.cols;
  let kept = messages.kept;
  const dropBookBad = book ? book.bad.filter((r) => r < common) : [];
  if (common < messages.rowsRead || dropBookBad.length > 0) {
    const names = TICK_COLUMN_NAMES as readonly TickColumnName[];
    const columns = cols as unknown as Record<TickColumnName, { [i: number]: number | bigint }>;
    let k = 0;
    let w = 0;
    let nextBad = 0;
    let nextBookBad = 0;
    for (let s = 0; s < common; s++) {
      if (nextBad < messages.bad.length && messages.bad[nextBad] === s) {
        nextBad++;
        continue;
      }
      if (nextBookBad < dropBookBad.length && dropBookBad[nextBookBad] === s) {
        const reason = book!.badClasses[book!.bad.indexOf(s)]!;
        nextBookBad++;
        ctx.setAside.push(cols.exchTs[k]!, cols.localTs[k]!, cols.kind[k]!, cols.side[k]!, cols.priceTicks[k]!, cols.qtyLots[k]!, cols.orderId[k]!, cols.flags[k]!, 0, NaN, cols.aux[k]!);
        ctx.setAsideRows.push(s);
        ctx.setAsideReasons.push(reason);
        k++;
        continue;
      }
      if (w !== k) for (const name of names) columns[name][w] = columns[name][k]!;
      w++;
      k++;
    }
    kept = w;
  }
  let orderbook: LobsterOrderbook | undefined;
  if (book) {
    orderbook = book.orderbook;
    const rows = common - countBelow(messages.bad, common) - countBelow(book.bad, common);
    if (rows !== kept) throw new LabError({ code: "INTERNAL", message: `LOBSTER reader: ${kept} messages kept but ${rows} orderbook rows`, hint: "report this with the file" });
    if (orderbook.rows !== rows) {
      const n = rows * orderbook.levels;
      orderbook = { ...orderbook, rows, askPrice: orderbook.askPrice.subarray(0, n), askSize: orderbook.askSize.subarray(0, n), bidPrice: orderbook.bidPrice.subarray(0, n), bidSize: orderbook.bidSize.subarray(0, n) };
    }
  }
  const trimmed = kept === cols.exchTs.length ? cols : (Object.fromEntries(TICK_COLUMN_NAMES.map((name) => [name, cols[name].subarray(0, kept)])) as unknown as TickColumns);
  if (kept !== messages.kept) recount(trimmed, kept, counts);
  const batch = tickBatch(trimmed, [instrument], file);

  // The read report.
  const setAsidePolicies: Partial<Record<IssueClass, IssuePolicy>> = { "type-error": "quarantine", "off-grid": "quarantine", "missing-value": "quarantine", "bad-size": "quarantine" };
  const describe = (cls: IssueClass, count: number) => (cls === "time-rounded" ? `${count.toLocaleString("en-US")} time${count === 1 ? "" : "s"} with more than 9 decimals rounded to the nanosecond (half-up)` : `${count.toLocaleString("en-US")} row${count === 1 ? "" : "s"} set aside: ${ISSUE_CLASSES[cls].title.toLowerCase()}`);
  const issues: QualityIssue[] = [...ctx.issues.issues(file, setAsidePolicies, describe), ...(bookPart ? bookIssues.issues(bookPart.file, setAsidePolicies, describe) : [])];
  const cut = truncation(messageSource, bookSource, messagePart, bookPart, messages, book, common, bookFromMessages && messagesAreZip);
  if (cut) issues.push(cut);
  if (orderbook && bookPart) {
    const mismatch = bookAgreesWithMessages(batch, orderbook, bookPart.file);
    if (mismatch) issues.push(mismatch);
  }
  const report: ReadReport = { file, format: "lobster", sequence: "none", rowsRead: messages.rowsRead, issues };
  if (ctx.setAsideRows.length > 0) {
    const order = ctx.setAsideRows.map((_, i) => i).sort((a, b) => ctx.setAsideRows[a]! - ctx.setAsideRows[b]!);
    const built = ctx.setAside.build([instrument], `${file} (quarantined)`);
    const sorted = allocateColumns(built.length);
    const from = built as unknown as Record<TickColumnName, { [i: number]: number | bigint }>;
    const to = sorted as unknown as Record<TickColumnName, { [i: number]: number | bigint }>;
    order.forEach((src, dst) => {
      for (const name of TICK_COLUMN_NAMES) to[name][dst] = from[name][src]!;
    });
    report.quarantine = { batch: tickBatch(sorted, [instrument], `${file} (quarantined)`), sourceRows: Float64Array.from(order, (i) => ctx.setAsideRows[i]!), reasons: order.map((i) => ctx.setAsideReasons[i]!) };
  }
  attachReadReport(batch, report);

  const data: LobsterData = { batch, date, symbol, counts };
  if (orderbook) data.orderbook = orderbook;
  return data;
}

/** Event counts of the rows kept (after rows were dropped to keep the orderbook aligned). */
function recount(cols: TickColumns, n: number, counts: LobsterData["counts"]): void {
  for (const key of Object.keys(counts) as (keyof typeof counts)[]) counts[key] = 0;
  const names = ["", "add", "partialCancel", "delete", "execute", "hiddenExecute", "cross"] as const;
  for (let i = 0; i < n; i++) {
    if (cols.kind[i] === EventKind.Halt) counts.halt++;
    else {
      const name = names[cols.aux[i]!];
      if (name) counts[name]++;
    }
  }
}

/** The one `truncated` issue for whatever was cut or damaged, or undefined when nothing was. */
function truncation(messageSource: Source, bookSource: Source | undefined, messagePart: CsvPart, bookPart: CsvPart | undefined, messages: MessageResult, book: OrderbookResult | undefined, common: number, bookInZip: boolean): QualityIssue | undefined {
  const notes: string[] = [];
  let where: { file: string; byteOffset: number } | undefined;
  const note = (part: CsvPart, what: string, cutAt: number | undefined, detail: string | undefined) => {
    if (!part.damage && cutAt === undefined) return;
    const parts = [part.damage?.detail, detail].filter((x): x is string => !!x);
    notes.push(`${what}: ${parts.join("; ")}`);
    where ??= { file: part.file, byteOffset: cutAt ?? part.bytes.length };
  };
  if (messageSource.zipDamage) notes.push(`the zip ${messageSource.zipDamage}`);
  if (bookSource?.zipDamage) notes.push(`the orderbook zip ${bookSource.zipDamage}`);
  note(messagePart, "messages", messages.cutAt, messages.cutDetail);
  if (bookPart && book) note(bookPart, "orderbook", book.cutAt, book.cutDetail);
  if (messageSource.zipDamage && bookInZip && !bookPart) notes.push("the orderbook member cannot be reached");
  if (messages.rowsRead > common) {
    notes.push(`the last ${(messages.rowsRead - common).toLocaleString("en-US")} message rows have no orderbook row and are dropped`);
    where ??= { file: bookPart!.file, byteOffset: bookPart!.bytes.length };
  }
  if (book && book.rowsRead + book.extraRows > common) {
    notes.push(`the last ${(book.rowsRead + book.extraRows - common).toLocaleString("en-US")} orderbook rows have no message and are dropped`);
    where ??= { file: messagePart.file, byteOffset: messagePart.bytes.length };
  }
  if (notes.length === 0) return undefined;
  where ??= { file: messagePart.file, byteOffset: messageSource.zipDamage ? messageSource.size : messagePart.bytes.length };
  return truncatedIssue(where.file, common, where.byteOffset, notes.join("; "));
}
