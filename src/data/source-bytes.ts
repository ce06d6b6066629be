/**
 * Reading a source file's bytes the same way in every reader: filesystem faults become LabErrors
 * that name the path, what it is and where relative paths start (a notebook's working directory
 * is the notebook's folder, not the project's), and compressed streams that end early keep what
 * was fully decoded before the cut when the caller asks for it.
 *
 * A capture a collector was killed in the middle of, or a download cut short, is the common case:
 * gzip and zstd are both stream formats, so every byte decoded before the damage is exactly what
 * the writer wrote. The caller drops the last partial line or record and reports a `truncated`
 * issue; nothing before the cut is lost.
 */
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { constants as zlibConstants, gunzipSync } from "node:zlib";
import { Decompress as ZstdStream } from "fzstd";
import { LabError } from "../core/index.js";

/** Largest zstd window a source may declare (zstd's own default limit for decoding is 128 MiB). */
const MAX_ZSTD_WINDOW = 256 * 1024 * 1024;

/** Where relative paths resolve from, for messages. */
function cwdNote(path: string): string {
  return path.startsWith("/") ? "" : ` (relative paths resolve from ${process.cwd()})`;
}

/** Throws the LabError that says what is wrong with `path`, or returns when it is a readable file. */
export function checkReadableFile(path: string, what = "file"): void {
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    throw filesystemError(error, path, what);
  }
  if (stat.isDirectory()) {
    throw new LabError({
      code: "IS_A_DIRECTORY",
      message: `${what} ${path} is a directory, not a file`,
      hint: "pass one file inside it (a catalog folder is read with lab.data.readCatalog or --data <folder>)",
      context: { file: path, resolved: resolve(path) },
    });
  }
}

/** Maps a Node filesystem error on `path` to a coded LabError (unknown errors pass through). */
export function filesystemError(error: unknown, path: string, what = "file"): LabError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const context = { file: path, resolved: resolve(path), errno: code ?? "unknown" };
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
      return new LabError({ code: "FILE_NOT_FOUND", message: `${what} not found: ${path}${cwdNote(path)}`, hint: "check the path and the current directory", context, cause: error });
    case "EISDIR":
      return new LabError({ code: "IS_A_DIRECTORY", message: `${what} ${path} is a directory, not a file`, hint: "pass one file inside it", context, cause: error });
    case "EACCES":
    case "EPERM":
      return new LabError({ code: "PERMISSION_DENIED", message: `no permission to read ${what} ${path}`, hint: "check the file's owner and mode (ls -l), or copy it somewhere readable", context, cause: error });
    default:
      return new LabError({ code: "READ_FAILED", message: `cannot read ${what} ${path}: ${(error as Error)?.message ?? String(error)}`, hint: "check that the file is readable and the disk is healthy", context, cause: error });
  }
}

/** The whole file as bytes, with filesystem faults as LabErrors. */
export function readSourceBytes(path: string, what = "file"): Buffer {
  checkReadableFile(path, what);
  try {
    return readFileSync(path);
  } catch (error) {
    throw filesystemError(error, path, what);
  }
}

export type Compression = "gzip" | "zstd" | "none";

/** Where a compressed stream ended early or became undecodable. */
export interface StreamCut {
  compression: Compression;
  /** Compressed bytes in the file. */
  compressedBytes: number;
  /** Decompressed bytes kept (everything decoded before the cut). */
  decodedBytes: number;
  /** What the decompressor said. */
  reason: string;
  /**
   * The stream decoded to its end but its checksum or length does not match: the damage is
   * somewhere inside and cannot be located (gzip keeps one CRC per member), so rows that still
   * parse are kept and the reader must say the content may be wrong.
   */
  checksumOnly: boolean;
}

export interface DecodedSource {
  bytes: Uint8Array;
  compression: Compression;
  /** Present when the stream was cut or damaged and `keepPrefix` was set. */
  cut?: StreamCut;
}

/**
 * The buffer size a zstd frame header makes the decoder allocate: the window (from the window
 * descriptor), or for a single-segment frame its content size. 0 for what is not a zstd frame.
 */
export function zstdWindowBytes(header: Uint8Array): number {
  if (header.length < 6 || ((header[0]! | (header[1]! << 8) | (header[2]! << 16) | (header[3]! << 24)) >>> 0) !== 0xfd2fb528) return 0;
  const flags = header[4]!;
  const singleSegment = (flags >> 5) & 1;
  const fcsFlag = flags >> 6;
  if (!singleSegment) {
    // 2 ** not 1 <<: a window of 2^31 bytes or more would overflow to a negative int32.
    const exponent = 2 ** (10 + (header[5]! >> 3));
    return exponent + (exponent / 8) * (header[5]! & 7);
  }
  const dictBytes = [0, 1, 2, 4][flags & 3]!;
  const at = 5 + dictBytes;
  const sizeBytes = [1, 2, 4, 8][fcsFlag]!;
  let size = 0;
  for (let i = sizeBytes - 1; i >= 0; i--) size = size * 256 + (header[at + i] ?? 0);
  return fcsFlag === 1 ? size + 256 : size;
}

export function compressionOf(bytes: Uint8Array): Compression {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return "gzip";
  if (bytes.length >= 4 && bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) return "zstd";
  return "none";
}

export interface DecodeOptions {
  /** Keep what was decoded before a cut or damage instead of throwing. @default false */
  keepPrefix?: boolean;
  /** Option that keeps the prefix, named in the error's hint. @default 'onBadRows: "quarantine"' */
  keepPrefixOption?: string;
}

/**
 * Decompresses gzip or zstd (plain bytes pass through). A stream that ends early or is damaged
 * throws `CORRUPT_GZIP` / `CORRUPT_ZSTD` by default; with `keepPrefix` it returns every byte
 * decoded before the damage and says where the cut was.
 */
export function decodeSource(bytes: Uint8Array, file: string, options: DecodeOptions = {}): DecodedSource {
  const compression = compressionOf(bytes);
  if (compression === "none") return { bytes, compression };
  if (compression === "zstd" && zstdWindowBytes(bytes) > MAX_ZSTD_WINDOW) {
    // The decoder allocates the window a frame header declares; one damaged byte can declare 2 GB.
    throw new LabError({ code: "CORRUPT_ZSTD", message: `${file}: the zstd header declares a ${Math.round(zstdWindowBytes(bytes) / 2 ** 20)} MiB window, more than any capture needs (the header is damaged)`, hint: "re-download or re-copy the file (zstd -t tells whether it is whole)", context: { file, compressedBytes: bytes.length } });
  }
  try {
    return { bytes: compression === "gzip" ? gunzipSync(bytes) : zstdAll(bytes), compression };
  } catch (error) {
    const reason = (error as Error).message;
    if (!options.keepPrefix) {
      const code = compression === "gzip" ? "CORRUPT_GZIP" : "CORRUPT_ZSTD";
      throw new LabError({
        code,
        message: `${file}: ${compression} data is corrupt or truncated (${reason})`,
        hint: `re-download or re-copy the file (${compression === "gzip" ? "gzip -t" : "zstd -t"} tells whether it is whole), or pass ${options.keepPrefixOption ?? '{ onBadRows: "quarantine" }'} to keep every record before the damage`,
        context: { file, compressedBytes: bytes.length },
      });
    }
    const prefix = compression === "gzip" ? gzipPrefix(bytes) : zstdPrefix(bytes);
    return { bytes: prefix, compression, cut: { compression, compressedBytes: bytes.length, decodedBytes: prefix.length, reason, checksumOnly: /check|checksum|length/i.test(reason) && !/end of|EOF/i.test(reason) } };
  }
}

function zstdAll(bytes: Uint8Array): Uint8Array {
  const { chunks, failure } = zstdChunks(bytes);
  if (failure) throw failure;
  return concatBytes(chunks);
}

/** Decodes zstd frame by frame in pieces, keeping every piece decoded before a failure. */
function zstdChunks(bytes: Uint8Array): { chunks: Uint8Array[]; failure?: Error } {
  const chunks: Uint8Array[] = [];
  const stream = new ZstdStream((chunk) => {
    chunks.push(chunk);
  });
  const step = 1 << 16;
  try {
    for (let at = 0; at < bytes.length; at += step) stream.push(bytes.subarray(at, Math.min(bytes.length, at + step)), at + step >= bytes.length);
  } catch (error) {
    return { chunks, failure: error instanceof Error ? error : new Error(String(error)) };
  }
  return { chunks };
}

function zstdPrefix(bytes: Uint8Array): Uint8Array {
  return concatBytes(zstdChunks(bytes).chunks);
}

/**
 * The longest gzip prefix that decodes. Z_SYNC_FLUSH makes zlib return what it has at the end of
 * the input instead of failing; damage inside the stream still fails, so the longest decodable
 * input prefix is found by bisection (on a damaged file only; O(n log n) is fine there).
 */
function gzipPrefix(bytes: Uint8Array): Uint8Array {
  const tryPrefix = (n: number): Uint8Array | undefined => {
    try {
      return gunzipSync(bytes.subarray(0, n), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      return undefined;
    }
  };
  const whole = tryPrefix(bytes.length);
  if (whole) return whole;
  // A damaged checksum or length trailer (the last 8 bytes of a member): the data before it
  // decodes whole, so try that before bisecting.
  const withoutTrailer = bytes.length > 18 ? tryPrefix(bytes.length - 8) : undefined;
  if (withoutTrailer) return withoutTrailer;
  let lo = 0;
  let hi = bytes.length;
  let best: Uint8Array = new Uint8Array(0);
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const out = tryPrefix(mid);
    if (out) {
      lo = mid;
      best = out;
    } else hi = mid;
  }
  return best;
}

/** The chunks as one array (the chunk itself when there is one). */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Length of `bytes` up to and including the last newline: a text file cut inside a line keeps its
 * complete lines; the partial last line (if any) starts at the returned offset.
 */
export function completeLinesLength(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i >= 0; i--) if (bytes[i] === 10) return i + 1;
  return 0;
}
