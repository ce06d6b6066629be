/**
 * Telling a file's format from its content, so `readFile(path)` and `strategy-lab ingest|validate
 * <path>` (no --format) read a capture whatever it is called: a `.gz` may hold `<ns> {json}`
 * lines, a `.csv` may be any venue's export, a download may have lost its extension.
 *
 * Only the start of the file is read (at most `SNIFF_BYTES` of content; a gzip or zstd stream is
 * decompressed just far enough to give that many bytes, from at most `SNIFF_COMPRESSED_BYTES` of
 * input), plus the central directory at the end of a zip. What decides, in order:
 * - compression (gzip, zstd) is looked through;
 * - magic bytes: Parquet (`PAR1`), Arrow IPC file (`ARROW1`) or stream (0xFFFFFFFF continuation),
 *   then the registered detectors' own magic (`FormatDetector.magic`); a zip (`PK\3\4`) is told by
 *   its member names (`FormatDetector.zip`);
 * - text: the registered detectors' tests of the first lines (`FormatDetector.text`), then a
 *   table header with a time and a price column (normalized CSV, as `writeCsv` writes it).
 * Formats other than the table formats register their detectors (`registerDetector`) where they
 * register their readers, so this module knows no venue. The file name is only a fallback for
 * content that decides nothing (an empty or damaged start).
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

/** The start of a text file, as the detectors' `text` tests see it. */
export interface TextStart {
  /** Up to 3 first lines (CR stripped, BOM removed); the last may be cut by the sniff window. */
  readonly lines: readonly string[];
  /** The first line split at its most frequent delimiter, quotes removed. */
  readonly header: readonly string[];
  /** `header` in lower case. */
  readonly lower: readonly string[];
  /** The complete non-empty lines (a partial last line dropped), or the one line there is. */
  readonly rows: readonly string[];
}

/**
 * How a registered format is told by its content. Each test returns the reason (for messages,
 * e.g. `starts with "PAR1"`) when the content is this format. Detectors are tried in ascending
 * `order` (magic bytes of every detector before any text test) and listed in hints in that order.
 */
export interface FormatDetector {
  /** Registered format name. */
  format: string;
  /** What gives the format away, for hints. */
  signature: string;
  /** Place among the detectors (the table formats: parquet 10, arrow 20, csv 90). */
  order: number;
  /** Compressions (gzip, zstd) the format's reader decodes itself; others are decompressed first. */
  readsCompressed?: readonly Compression[];
  /** Binary start (decompressed bytes). */
  magic?(head: Uint8Array): string | undefined;
  /** Text start. */
  text?(start: TextStart): string | undefined;
  /** A zip, by its member names. */
  zip?(members: readonly string[]): string | undefined;
  /** The format's name in "only X zips are read as they are" (for a zip no detector takes). */
  zipLabel?: string;
  /** For text no detector took: what it looks like when it belongs to this format (e.g. a file read together with another). */
  describeUnmatched?(start: TextStart): string | undefined;
}

const detectors: FormatDetector[] = [];

/** Adds (or replaces) the content detector of `detector.format`. */
export function registerDetector(detector: FormatDetector): void {
  const at = detectors.findIndex((d) => d.format === detector.format);
  if (at >= 0) detectors.splice(at, 1);
  detectors.push(detector);
  detectors.sort((a, b) => a.order - b.order);
}

/** Formats sniffed by content, in order, with what gives them away (for hints). */
export function contentSignatures(): { format: string; signature: string }[] {
  return detectors.map((d) => ({ format: d.format, signature: d.signature }));
}

function compressionsReadBy(format: string): readonly Compression[] {
  return detectors.find((d) => d.format === format)?.readsCompressed ?? [];
}

/** True when the reader of `format` decodes `compression` itself. */
export function readsCompression(format: string, compression: Compression): boolean {
  return compression === "none" || compressionsReadBy(format).includes(compression);
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
      for (const d of detectors) {
        const reason = d.zip?.(members);
        if (reason !== undefined) {
          look.match = { format: d.format, reason };
          break;
        }
      }
      if (!look.match) {
        const labels = detectors.flatMap((d) => (d.zipLabel ? [d.zipLabel] : []));
        look.note = `a zip archive holding ${members.length === 0 ? "no member that could be listed" : members.slice(0, 5).join(", ") + (members.length > 5 ? ", ..." : "")}; ${labels.length > 0 ? `only ${labels.join(" and ")} zips are read as they are` : "no zip is read as it is"}, so unzip it and read a member`;
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

const TIME_COLUMNS = ["exchts", "exch_ts", "timestamp", "ts_event", "ts"];
const PRICE_COLUMNS = ["price", "px"];
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function textStart(head: Uint8Array): TextStart {
  const lines = firstLines(head, 3);
  const header = splitHeader(lines[0] ?? "");
  // A partial last line (the sniff window ends inside it) is left out of the rows.
  const rows = lines.length > 1 ? lines.slice(0, -1).filter((l) => l !== "") : lines;
  return { lines, header, lower: header.map((h) => h.toLowerCase()), rows };
}

/**
 * The format the content of `head` (decompressed bytes from the start of a file) shows, or
 * undefined. Zips are told apart by their member names in `lookAtFile`, not here.
 */
export function sniffContent(head: Uint8Array): ContentMatch | undefined {
  for (const d of detectors) {
    const reason = d.magic?.(head);
    if (reason !== undefined) return { format: d.format, reason };
  }
  if (!looksLikeText(head)) return undefined;
  const start = textStart(head);
  for (const d of detectors) {
    const reason = d.text?.(start);
    if (reason !== undefined) return { format: d.format, reason };
  }
  return undefined;
}

registerDetector({
  format: "parquet",
  signature: 'starts with "PAR1"',
  order: 10,
  magic: (head) => (head.length >= 4 && ascii(head, 0, 4) === "PAR1" ? 'starts with "PAR1"' : undefined),
});
registerDetector({
  format: "arrow",
  signature: 'Arrow IPC: starts with "ARROW1" (file) or 0xFFFFFFFF (stream)',
  order: 20,
  magic: (head) => {
    if (head.length >= 6 && ascii(head, 0, 6) === "ARROW1") return 'starts with "ARROW1" (Arrow IPC file)';
    if (head.length >= 8 && u32(head, 0) === 0xffffffff) return "starts with 0xFFFFFFFF (Arrow IPC stream)";
    return undefined;
  },
});
registerDetector({
  format: "csv",
  signature: "a header with a time column (exchTs, timestamp, ts_event, ...) and a price column (price, px)",
  order: 90,
  readsCompressed: ["gzip", "zstd"],
  text: ({ header, lower }) => {
    if (lower.some((h) => TIME_COLUMNS.includes(h)) && lower.some((h) => PRICE_COLUMNS.includes(h)) && !lower.some((h) => NUMBER.test(h))) {
      return `table header with time and price columns (${header.slice(0, 6).join(",")}${header.length > 6 ? ",..." : ""})`;
    }
    return undefined;
  },
});

/** What unmatched content looks like, for the error message. */
function describeUnmatched(head: Uint8Array): string {
  if (head.length === 0) return "no content";
  if (!looksLikeText(head)) return "binary data of no known kind";
  const start = textStart(head);
  for (const d of detectors) {
    const note = d.describeUnmatched?.(start);
    if (note !== undefined) return note;
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
  const signatures = contentSignatures();
  const known = signatures.filter((s) => formats.includes(s.format)).map((s) => `${s.format} (${s.signature})`);
  const others = formats.filter((f) => !signatures.some((s) => s.format === f));
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
  const reads = compressionsReadBy(format);
  return new LabError({
    code: "WRONG_FORMAT",
    message: `${path} is ${look.compression}-compressed ${format} (${look.match?.reason ?? "by content"}); the ${format} reader reads ${reads.length > 0 ? `plain or ${reads.join("- or ")}-compressed` : "uncompressed"} files`,
    hint: `decompress it first (${tool}) and read the result`,
    context: { file: path, format, compression: look.compression },
  });
}
