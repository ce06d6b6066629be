/**
 * Telling a file's format from its content, so `readFile(path)` and `strategy-lab ingest|validate
 * <path>` (no --format) read a capture whatever it is called: `spot_btcusdt_20240808.gz` is a
 * gzip of `<ns> {json}` lines, a `.csv` may be a Tardis or Binance export, a download may have
 * lost its extension.
 *
 * Only the start of the file is read (at most `SNIFF_BYTES` of content; a gzip or zstd stream is
 * decompressed just far enough to give that many bytes, from at most `SNIFF_COMPRESSED_BYTES` of
 * input), plus the central directory at the end of a zip. What decides, in order:
 * - compression (gzip, zstd) is looked through;
 * - magic bytes: Parquet (`PAR1`), Arrow IPC file (`ARROW1`) or stream (0xFFFFFFFF continuation),
 *   DBN (`DBN` + version byte), zip (`PK\3\4`: a LOBSTER zip has `*_message_*.csv` /
 *   `*_orderbook_*.csv` members);
 * - text: `<ns> {json}` lines (Binance raw capture), a Tardis header
 *   (`exchange,symbol,timestamp,local_timestamp,...`), a Binance depth CSV header
 *   (`symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu`), LOBSTER
 *   message rows (6 numeric fields, no header, seconds after midnight first), a table header with
 *   a time and a price column (normalized CSV, as `writeCsv` writes it).
 * The file name is only a fallback for content that decides nothing (an empty or damaged start).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { Gunzip } from "fflate";
import { Decompress as ZstdStream } from "fzstd";
import { LabError } from "../core/index.js";
import { checkReadableFile, compressionOf, filesystemError, zstdWindowBytes, type Compression } from "./source-bytes.js";

/** Content bytes looked at (after decompression). */
export const SNIFF_BYTES = 64 * 1024;
/** Compressed input fed to the decompressor at most (a zstd block can be 128 KiB). */
export const SNIFF_COMPRESSED_BYTES = 1024 * 1024;
/** Bytes shown in messages about what was looked at. */
const SHOWN_BYTES = 32;

/** What the content says. */
export interface ContentMatch {
  /** Registered format name. */
  format: string;
  /** Why, for messages (e.g. `starts with "PAR1"`). */
  reason: string;
}

/** What a look at a file's start found. */
export interface ContentLook {
  /** Set when the content decides the format. */
  match?: ContentMatch;
  /** Compression looked through. */
  compression: Compression;
  /** The content bytes looked at (decompressed), at most `SNIFF_BYTES`. */
  head: Uint8Array;
  /** Size of the file on disk. */
  size: number;
  /** What the content looked like when it decided nothing (for the error message). */
  note?: string;
  /** Member names when the file is a zip. */
  zipMembers?: string[];
}

/** Formats sniffed by content, in the order they are tried, with what gives them away (for hints). */
export const CONTENT_SIGNATURES: readonly { format: string; signature: string }[] = [
  { format: "parquet", signature: 'starts with "PAR1"' },
  { format: "arrow", signature: 'Arrow IPC: starts with "ARROW1" (file) or 0xFFFFFFFF (stream)' },
  { format: "dbn", signature: 'starts with "DBN" and a version byte (also zstd-compressed)' },
  { format: "lobster", signature: "a zip with *_message_*.csv, or rows of 6 numbers starting with seconds after midnight (34200.0123,...)" },
  { format: "binance-raw", signature: "lines of `<local ns> {json}` (also gzip/zstd)" },
  { format: "hftbacktest", signature: 'a numpy array: starts with "\\x93NUMPY" (.npy), or a zip of .npy members (.npz)' },
  { format: "tardis", signature: "header exchange,symbol,timestamp,local_timestamp,..." },
  { format: "binance-csv", signature: "header symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu" },
  { format: "csv", signature: "a header with a time column (exchTs, timestamp, ts_event, ...) and a price column (price, px)" },
];

/**
 * Which compressions each reader decodes itself; a compressed file of another format must be
 * decompressed first.
 */
const READS_COMPRESSED: Readonly<Record<string, readonly Compression[]>> = {
  csv: ["gzip", "zstd"],
  tardis: ["gzip", "zstd"],
  "binance-csv": ["gzip", "zstd"],
  "binance-raw": ["gzip", "zstd"],
  lobster: ["gzip", "zstd"],
  dbn: ["zstd"],
};

/** True when the reader of `format` decodes `compression` itself. */
export function readsCompression(format: string, compression: Compression): boolean {
  return compression === "none" || (READS_COMPRESSED[format]?.includes(compression) ?? false);
}

// ---------------------------------------------------------------------------------------------
// Reading the start of a file

interface OpenFile {
  fd: number;
  size: number;
}

function readAt(file: OpenFile, path: string, position: number, length: number): Uint8Array {
  const n = Math.max(0, Math.min(length, file.size - position));
  const buf = new Uint8Array(n);
  let got = 0;
  try {
    while (got < n) {
      const r = readSync(file.fd, buf, got, n - got, position + got);
      if (r === 0) break;
      got += r;
    }
  } catch (error) {
    throw filesystemError(error, path);
  }
  return got === n ? buf : buf.subarray(0, got);
}

/**
 * The first `limit` decompressed bytes of a gzip or zstd stream: input is pushed in pieces and the
 * decoder stopped once enough came out, so a large capture costs a few milliseconds. A stream
 * damaged at its start gives what came out before the damage (maybe nothing).
 */
function decompressedPrefix(file: OpenFile, path: string, compression: "gzip" | "zstd", limit: number): { bytes: Uint8Array; failure?: string } {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const take = (chunk: Uint8Array): void => {
    if (total >= limit) return;
    const part = chunk.length > limit - total ? chunk.subarray(0, limit - total) : chunk;
    // The decoders may reuse their output buffers.
    chunks.push(part.slice());
    total += part.length;
  };
  if (compression === "zstd") {
    // fzstd's stream allocates the frame's declared window up front (a whole single-segment
    // frame's content size): a header claiming gigabytes is not decoded for a look.
    const window = zstdWindowBytes(readAt(file, path, 0, 18));
    if (window > MAX_SNIFF_WINDOW) return { bytes: new Uint8Array(0), failure: `its first frame declares a ${window.toLocaleString("en-US")}-byte window, more than a look decodes` };
  }
  const gunzip = compression === "gzip" ? new Gunzip((chunk) => take(chunk)) : undefined;
  const zstd = compression === "zstd" ? new ZstdStream((chunk) => take(chunk)) : undefined;
  // Small gzip pieces bound what one push can inflate to (deflate expands at most ~1032:1).
  const step = compression === "gzip" ? 4 * 1024 : 16 * 1024;
  const end = Math.min(file.size, SNIFF_COMPRESSED_BYTES);
  let failure: string | undefined;
  try {
    for (let at = 0; at < end && total < limit; at += step) {
      const piece = readAt(file, path, at, Math.min(step, end - at));
      if (piece.length === 0) break;
      const last = at + piece.length >= file.size;
      if (gunzip) gunzip.push(piece, last);
      else zstd!.push(piece, last);
    }
  } catch (error) {
    if (error instanceof LabError) throw error;
    failure = error instanceof Error ? error.message : String(error);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return failure === undefined ? { bytes } : { bytes, failure };
}

/** Largest zstd window decoded to look at a file. */
const MAX_SNIFF_WINDOW = 256 * 1024 * 1024;

const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

function zipName(bytes: Uint8Array, at: number, length: number, flags: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + at, Math.max(0, Math.min(length, bytes.length - at))).toString(flags & 0x800 ? "utf8" : "latin1");
}

/**
 * Member names of a zip: from the central directory when the file has one (read from its end,
 * at most 1 MiB of it), else from the local headers within `head` (a zip cut short).
 */
function zipMembers(file: OpenFile, path: string, head: Uint8Array): string[] {
  const tailLength = Math.min(file.size, 22 + 65_535);
  const tail = readAt(file, path, file.size - tailLength, tailLength);
  for (let at = tail.length - 22; at >= 0; at--) {
    if (u32(tail, at) !== 0x06054b50 || at + 22 + u16(tail, at + 20) !== tail.length) continue;
    const count = u16(tail, at + 10);
    const cdSize = u32(tail, at + 12);
    const cdOffset = u32(tail, at + 16);
    if (cdOffset === 0xffffffff || cdSize > 1 << 20 || cdOffset + cdSize > file.size) break;
    const cd = readAt(file, path, cdOffset, cdSize);
    const names: string[] = [];
    let p = 0;
    for (let k = 0; k < count && p + 46 <= cd.length && u32(cd, p) === 0x02014b50; k++) {
      const nameLength = u16(cd, p + 28);
      names.push(zipName(cd, p + 46, nameLength, u16(cd, p + 8)));
      p += 46 + nameLength + u16(cd, p + 30) + u16(cd, p + 32);
    }
    if (names.length > 0) return names;
    break;
  }
  const names: string[] = [];
  let at = 0;
  // Members stored with a data descriptor have no size in their header: the walk stops there.
  while (at + 30 <= head.length && u32(head, at) === 0x04034b50) {
    const flags = u16(head, at + 6);
    names.push(zipName(head, at + 30, u16(head, at + 26), flags));
    if (flags & 8) break;
    at += 30 + u16(head, at + 26) + u16(head, at + 28) + u32(head, at + 18);
  }
  return names;
}

/**
 * Looks at the start of `path` (see the module comment). Filesystem faults are the coded errors
 * of `checkReadableFile` (FILE_NOT_FOUND naming where relative paths resolve from, ...).
 */
export function lookAtFile(path: string): ContentLook {
  checkReadableFile(path);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw filesystemError(error, path);
  }
  try {
    let size: number;
    try {
      size = fstatSync(fd).size;
    } catch (error) {
      throw filesystemError(error, path);
    }
    const file: OpenFile = { fd, size };
    const raw = readAt(file, path, 0, SNIFF_BYTES);
    const compression = compressionOf(raw);
    if (compression !== "none") {
      const { bytes, failure } = decompressedPrefix(file, path, compression, SNIFF_BYTES);
      const look: ContentLook = { compression, head: bytes, size };
      const match = sniffContent(bytes);
      if (match) look.match = match;
      else if (failure !== undefined && bytes.length === 0) look.note = `its ${compression} stream does not decode (${failure})`;
      else look.note = describeUnmatched(bytes);
      return look;
    }
    if (isZipStart(raw)) {
      const members = zipMembers(file, path, raw);
      const look: ContentLook = { compression, head: raw, size, zipMembers: members };
      if (members.some((n) => LOBSTER_MEMBER.test(n))) {
        look.match = { format: "lobster", reason: `a zip holding LOBSTER files (${members.filter((n) => LOBSTER_MEMBER.test(n)).join(", ")})` };
      } else if (members.length > 0 && members.every((n) => n.endsWith(".npy"))) {
        look.match = { format: "hftbacktest", reason: `a numpy .npz archive (${members.slice(0, 3).join(", ")})` };
      } else {
        look.note = `a zip archive holding ${members.length === 0 ? "no member that could be listed" : members.slice(0, 5).join(", ") + (members.length > 5 ? ", ..." : "")}; only LOBSTER zips are read as they are, so unzip it and read a member`;
      }
      return look;
    }
    const look: ContentLook = { compression, head: raw, size };
    const match = sniffContent(raw);
    if (match) look.match = match;
    else look.note = size === 0 ? "the file is empty (0 bytes)" : describeUnmatched(raw);
    return look;
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// Deciding from bytes

const LOBSTER_MEMBER = /_(message|orderbook)_\d+\.csv$/i;

function isZipStart(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && ((b[2] === 3 && b[3] === 4) || (b[2] === 5 && b[3] === 6));
}

function ascii(b: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < Math.min(to, b.length); i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** Up to `max` complete-or-final lines of text (CR stripped, BOM removed). */
function firstLines(head: Uint8Array, max: number): string[] {
  let start = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const lines: string[] = [];
  while (lines.length < max && start < head.length) {
    let end = head.indexOf(10, start);
    if (end < 0) end = head.length;
    lines.push(Buffer.from(head.buffer, head.byteOffset + start, end - start).toString("utf8").replace(/\r$/, ""));
    start = end + 1;
  }
  return lines;
}

function looksLikeText(head: Uint8Array): boolean {
  const n = Math.min(head.length, 4096);
  for (let i = 0; i < n; i++) {
    const c = head[i]!;
    if (c < 9 || (c > 13 && c < 32 && c !== 27)) return false;
  }
  return n > 0;
}

function splitHeader(line: string): string[] {
  const counts = [",", "\t", ";", "|"].map((d) => [d, line.split(d).length] as const);
  const delimiter = counts.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  return line.split(delimiter).map((f) => f.trim().replace(/^"(.*)"$/, "$1"));
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TIME_COLUMNS = ["exchts", "exch_ts", "timestamp", "ts_event", "ts"];
const PRICE_COLUMNS = ["price", "px"];
const BINANCE_CSV_COLUMNS = ["timestamp", "first_update_id", "last_update_id", "side", "update_type", "price", "qty"];

/** A LOBSTER message row: time (s after midnight), type 1-7, order id, size, price, direction ±1. */
function isLobsterMessage(line: string): boolean {
  const f = line.split(",");
  if (f.length !== 6 || !f.every((x) => NUMBER.test(x.trim()))) return false;
  const [time, type, , , , direction] = f.map(Number) as [number, number, number, number, number, number];
  return time >= 0 && time <= 86_400 && Number.isInteger(type) && type >= 1 && type <= 7 && (direction === 1 || direction === -1);
}

/** A LOBSTER orderbook row: 4 x levels integers (ask price, ask size, bid price, bid size per level). */
function isLobsterOrderbook(line: string): boolean {
  const f = line.split(",");
  return f.length >= 4 && f.length % 4 === 0 && f.every((x) => /^-?\d+$/.test(x.trim()));
}

/**
 * The format the content of `head` (decompressed bytes from the start of a file) shows, or
 * undefined. Zips are told apart by their member names in `lookAtFile`, not here.
 */
export function sniffContent(head: Uint8Array): ContentMatch | undefined {
  if (head.length >= 4 && ascii(head, 0, 4) === "PAR1") return { format: "parquet", reason: 'starts with "PAR1"' };
  if (head.length >= 6 && ascii(head, 0, 6) === "ARROW1") return { format: "arrow", reason: 'starts with "ARROW1" (Arrow IPC file)' };
  if (head.length >= 8 && u32(head, 0) === 0xffffffff) return { format: "arrow", reason: "starts with 0xFFFFFFFF (Arrow IPC stream)" };
  if (head.length >= 4 && ascii(head, 0, 3) === "DBN") return { format: "dbn", reason: `starts with "DBN" version ${head[3]}` };
  if (head.length >= 6 && head[0] === 0x93 && ascii(head, 1, 6) === "NUMPY") return { format: "hftbacktest", reason: 'starts with "\\x93NUMPY" (a numpy .npy array)' };
  if (!looksLikeText(head)) return undefined;
  const lines = firstLines(head, 3);
  const first = lines[0] ?? "";
  if (/^\d{10,20} [{[]/.test(first)) return { format: "binance-raw", reason: "lines of `<local ns> {json}` (Binance raw capture)" };
  const header = splitHeader(first);
  const lower = header.map((h) => h.toLowerCase());
  if (lower.length >= 5 && lower[0] === "exchange" && lower[1] === "symbol" && lower[2] === "timestamp" && lower[3] === "local_timestamp") {
    return { format: "tardis", reason: `Tardis header (${header.slice(0, 5).join(",")},...)` };
  }
  if (BINANCE_CSV_COLUMNS.every((c) => lower.includes(c))) return { format: "binance-csv", reason: `Binance depth CSV header (${header.join(",")})` };
  // A partial first line (the sniff window ends inside it) is still a row of a LOBSTER file.
  const rows = lines.length > 1 ? lines.slice(0, -1).filter((l) => l !== "") : lines;
  if (rows.length > 0 && rows.every(isLobsterMessage)) return { format: "lobster", reason: `LOBSTER message rows (${rows[0]})` };
  if (lower.some((h) => TIME_COLUMNS.includes(h)) && lower.some((h) => PRICE_COLUMNS.includes(h)) && !lower.some((h) => NUMBER.test(h))) {
    return { format: "csv", reason: `table header with time and price columns (${header.slice(0, 6).join(",")}${header.length > 6 ? ",..." : ""})` };
  }
  return undefined;
}

/** What unmatched content looks like, for the error message. */
function describeUnmatched(head: Uint8Array): string {
  if (head.length === 0) return "no content";
  if (!looksLikeText(head)) return "binary data of no known kind";
  const lines = firstLines(head, 3);
  const rows = lines.length > 1 ? lines.slice(0, -1).filter((l) => l !== "") : lines;
  if (rows.length > 0 && rows.every(isLobsterOrderbook)) {
    return "rows of 4 x levels integers without a header, like a LOBSTER orderbook file, which is read together with its message file (the LOBSTER zip, or readLobster({ messages, orderbook }))";
  }
  return "text without a header this lab knows";
}

/** The first bytes as text when they are printable, else as hex. */
export function showBytes(bytes: Uint8Array, max = SHOWN_BYTES): string {
  const part = bytes.subarray(0, max);
  const more = bytes.length > max ? "..." : "";
  if (part.length === 0) return "(none)";
  if (looksLikeText(part)) return JSON.stringify(Buffer.from(part).toString("utf8")) + more;
  return `hex ${Buffer.from(part).toString("hex").replace(/(..)(?!$)/g, "$1 ")}${more}`;
}

/**
 * UNKNOWN_FORMAT for a file neither its content nor its name tells apart: names what was looked
 * at (size, compression, first bytes) and what each known format starts with.
 */
export function unknownFormatError(path: string, look: ContentLook, formats: readonly string[]): LabError {
  const where = look.compression === "none" ? "first bytes" : `first bytes after ${look.compression} decompression`;
  const known = CONTENT_SIGNATURES.filter((s) => formats.includes(s.format)).map((s) => `${s.format} (${s.signature})`);
  const others = formats.filter((f) => !CONTENT_SIGNATURES.some((s) => s.format === f));
  return new LabError({
    code: "UNKNOWN_FORMAT",
    message: `cannot tell the format of ${path}: ${look.note ?? "its content matches no known format"}, and its name gives none; ${look.size.toLocaleString("en-US")} bytes, ${where}: ${showBytes(look.head)}`,
    hint: `pass the format ({ format: "..." } / --format ...); formats told by content: ${known.join("; ")}${others.length > 0 ? `; by name only: ${others.join(", ")}` : ""}`,
    context: { file: path, compression: look.compression, size: look.size, head: Buffer.from(look.head.subarray(0, SHOWN_BYTES)).toString("hex") },
  });
}

/** WRONG_FORMAT for a compressed file whose format's reader does not decompress. */
export function compressedFormatError(path: string, format: string, look: ContentLook): LabError {
  const tool = look.compression === "gzip" ? `gunzip -k ${path}` : `zstd -d ${path}`;
  return new LabError({
    code: "WRONG_FORMAT",
    message: `${path} is ${look.compression}-compressed ${format} (${look.match?.reason ?? "by content"}); the ${format} reader reads ${format === "dbn" ? "plain or zstd-compressed" : "uncompressed"} files`,
    hint: `decompress it first (${tool}) and read the result`,
    context: { file: path, format, compression: look.compression },
  });
}
