/**
 * A CSV file made ready for DuckDB (internal), shared by the CSV readers (normalized/mapped CSV
 * and the venues' CSV exports): everything about the file that is not a row-level value is settled here,
 * before any row is read.
 *
 * - Filesystem faults, a directory, an empty file: coded errors (source-bytes.ts).
 * - Another format under a .csv name (Parquet, Arrow, binary bytes): WRONG_FORMAT / BAD_FILE.
 * - gzip/zstd content (by its magic bytes, whatever the name): decoded here, because DuckDB reads a
 *   cut or damaged .gz without a word. A stream that ends early is CORRUPT_GZIP/CORRUPT_ZSTD under
 *   "reject"; under "quarantine" every complete line decoded before the cut is kept.
 * - A file cut inside its last line: TRUNCATED under "reject"; under "quarantine" the complete
 *   lines are read and one `truncated` issue is reported. A last line without a line end counts as
 *   cut when it has fewer fields than the header (or an unclosed quote), or always for venue
 *   exports (`strictEnd`), which end every line.
 * - The header is parsed here and the dialect fixed (RFC 4180 quotes, the delimiter given or the
 *   most frequent of , tab ; | in the header), so DuckDB never guesses from a sample: a damaged row
 *   cannot change how the rest of the file is split. A UTF-8 BOM and CRLF line ends read as usual.
 * - Rows DuckDB cannot split into the header's fields are skipped by the parser and listed in a
 *   rejects table (`readRejects`): they are counted as bad rows by line, never dropped unreported.
 */
import { copyFile, open, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { LabError } from "../core/index.js";
import { duckConnection, sqlString, streamColumns } from "./duck.js";
import { truncatedIssue, type QualityIssue } from "./quality.js";
import { checkReadableFile, compressionOf, decodeSource, filesystemError, readSourceBytes } from "./source-bytes.js";
import type { BadRowPolicy, CsvLayout, RejectedLines } from "./staging.js";

export interface CsvSourceOptions {
  onBadRows: BadRowPolicy;
  /** Field delimiter. @default the most frequent of , tab ; | in the header */
  delimiter?: string;
  /** Files of this kind end every line with a line end (venue exports): a last line without one is cut. */
  strictEnd?: boolean;
  /** What the file should be, for messages ("CSV", "a venue's CSV"). */
  what: string;
}

export interface CsvSource {
  /** The user's path (named in messages). */
  file: string;
  /** The file DuckDB reads: `file`, or a temporary copy of its complete lines / decoded bytes. */
  path: string;
  /** Header names (unique; an empty name becomes column<i>). */
  columns: string[];
  delimiter: string;
  /** Present when the file was cut and its complete lines kept (quarantine). */
  truncated?: QualityIssue;
  /** read_csv(...) over `path`; rows the parser cannot split are skipped, and listed in `rejectsTable` when given. */
  scan(rejectsTable?: string): string;
  /** Blank lines of `path` (one pass over it; only called when a line must be named). */
  layout(): Promise<CsvLayout & { records: number }>;
  /** Removes the temporary copy, if any. */
  release(): Promise<void>;
}

const HEAD_BYTES = 1 << 16;
const MAX_HEADER_BYTES = 1 << 24;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Bytes of the (plain or decoded) content, read on demand. */
interface Content {
  size: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

function memoryContent(bytes: Uint8Array): Content {
  return { size: bytes.length, read: async (start, end) => bytes.subarray(start, Math.min(end, bytes.length)) };
}

async function fileContent(path: string, size: number): Promise<Content & { close(): Promise<void> }> {
  const handle = await open(path, "r").catch((error: unknown) => {
    throw filesystemError(error, path);
  });
  return {
    size,
    read: async (start, end) => {
      const length = Math.max(0, Math.min(end, size) - start);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, start);
      return buffer.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}

/** Fields of one CSV line (RFC 4180 quoting); `open` when a quoted value does not close. */
export function splitCsvLine(text: string, delimiter: string): { fields: string[]; open: boolean } {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (text.startsWith(delimiter, i)) {
      fields.push(field);
      field = "";
      i += delimiter.length - 1;
    } else field += c;
  }
  fields.push(field);
  return { fields, open: quoted };
}

function detectDelimiter(header: string): string {
  let best = ",";
  let bestCount = 0;
  for (const candidate of [",", "\t", ";", "|"]) {
    const count = splitCsvLine(header, candidate).fields.length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

function lineText(bytes: Uint8Array, file: string, where: string): string {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === CR) end--;
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(start, end));
  } catch (error) {
    throw new LabError({ code: "BAD_FILE", message: `${file}: the ${where} is not UTF-8 text`, hint: "save the file as UTF-8 (most tools offer it when exporting CSV)", context: { file, row: 0, line: 1, column: "*" }, cause: error });
  }
}

/** Refuses bytes that are plainly not CSV text: another table format, or binary data. */
function checkText(head: Uint8Array, file: string, what: string): void {
  const ascii = (n: number): string => String.fromCharCode(...head.subarray(0, n));
  const other = ascii(4) === "PAR1" ? "a Parquet file" : ascii(6) === "ARROW1" ? "an Arrow IPC file" : head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff ? "an Arrow IPC stream" : undefined;
  if (other) {
    throw new LabError({ code: "WRONG_FORMAT", message: `${file} is ${other}, not ${what}`, hint: `read it with its own format (e.g. { format: "${other.includes("Parquet") ? "parquet" : "arrow"}" } / --format ${other.includes("Parquet") ? "parquet" : "arrow"})`, context: { file, row: 0, column: "*" } });
  }
  const nul = head.indexOf(0);
  if (nul >= 0) {
    const utf16 = (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff);
    throw new LabError({
      code: "BAD_FILE",
      message: `${file} is not ${what}: ${utf16 ? "UTF-16 text" : `binary data (a zero byte at offset ${nul})`}`,
      hint: utf16 ? "save the file as UTF-8 (most tools offer it when exporting CSV)" : "check that the path names the text file you meant (a compressed file must be gzip or zstd)",
      context: { file, row: 0, column: "*", byteOffset: nul },
    });
  }
}

/** Offset of the last line end in [0, size), or -1; reads backwards in chunks. */
async function lastLineEnd(content: Content): Promise<number> {
  for (let end = content.size; end > 0; end -= HEAD_BYTES) {
    const start = Math.max(0, end - HEAD_BYTES);
    const chunk = await content.read(start, end);
    const at = chunk.lastIndexOf(LF);
    if (at >= 0) return start + at;
  }
  return -1;
}

/** Line ends in [0, end) and the blank lines after the header (physical 1-based numbers). */
async function scanLines(content: Content, end: number): Promise<{ lineEnds: number; blank: number[]; records: number }> {
  const blank: number[] = [];
  let lineEnds = 0;
  let records = 0;
  let lineStart = 0;
  const step = 1 << 22;
  for (let base = 0; base < end; base += step) {
    const chunk = Buffer.from(await content.read(base, Math.min(end, base + step)));
    let at = chunk.indexOf(LF);
    let from = 0;
    while (at >= 0) {
      lineEnds++;
      const absolute = base + at;
      let length = absolute - lineStart;
      if (length > 0 && (at > 0 ? chunk[at - 1] : (await content.read(absolute - 1, absolute))[0]) === CR) length--;
      if (lineEnds >= 2) {
        if (length === 0) blank.push(lineEnds);
        else records++;
      }
      lineStart = absolute + 1;
      from = at + 1;
      at = chunk.indexOf(LF, from);
    }
  }
  // A last line without a line end is a record too.
  if (lineStart < end && lineEnds >= 1) records++;
  return { lineEnds, blank, records };
}

let tempCounter = 0;

function tempPath(file: string): string {
  return join(tmpdir(), `strategy-lab-${process.pid}-${++tempCounter}-${basename(file).replace(/[^\w.-]/g, "_").slice(0, 60)}.csv`);
}

/**
 * Opens a CSV file for the readers: checks the path, decodes compression, fixes the header and
 * dialect, and deals with a cut at the end (see the module comment). Call `release()` when done.
 */
export async function openCsvSource(file: string, options: CsvSourceOptions): Promise<CsvSource> {
  checkReadableFile(file);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    throw filesystemError(error, file);
  }
  if (size === 0) throw emptyFile(file, options.what);
  const disk = await fileContent(file, size);
  let content: Content = disk;
  let memory: Uint8Array | undefined;
  let cutNote: string | undefined;
  let temp: string | undefined;
  try {
    const head = await disk.read(0, Math.min(size, HEAD_BYTES));
    const compression = compressionOf(head);
    if (compression !== "none") {
      const decoded = decodeSource(readSourceBytes(file), file, { keepPrefix: options.onBadRows === "quarantine", keepPrefixOption: '{ onBadRows: "quarantine" } (--on-bad-rows quarantine)' });
      memory = decoded.bytes;
      content = memoryContent(memory);
      if (decoded.cut) {
        cutNote = decoded.cut.checksumOnly
          ? `the ${compression} stream decoded to its end but its checksum does not match (${decoded.cut.reason}): rows that still parse are kept and may be damaged`
          : `the ${compression} stream ends early or is damaged after ${decoded.cut.decodedBytes.toLocaleString("en-US")} decoded bytes (${decoded.cut.reason})`;
      }
      if (content.size === 0 && !decoded.cut) throw emptyFile(file, options.what);
    }
    const first = await content.read(0, Math.min(content.size, HEAD_BYTES));
    checkText(first, file, options.what);

    // Header line (up to its line end; a header longer than the first chunk is read further).
    let headerEnd = first.indexOf(LF);
    let headerBytes = headerEnd >= 0 ? first.subarray(0, headerEnd) : first;
    if (headerEnd < 0 && content.size > first.length) {
      const more = await content.read(0, Math.min(content.size, MAX_HEADER_BYTES));
      headerEnd = more.indexOf(LF);
      if (headerEnd < 0 && content.size > more.length) {
        throw new LabError({ code: "BAD_FILE", message: `${file}: no line end in the first ${MAX_HEADER_BYTES.toLocaleString("en-US")} bytes; this is not a line-based CSV`, hint: "check that the path names a CSV file", context: { file, row: 0, line: 1, column: "*" } });
      }
      headerBytes = headerEnd >= 0 ? more.subarray(0, headerEnd) : more;
    }
    if (headerEnd < 0 && (options.strictEnd || cutNote !== undefined)) {
      throw new LabError({ code: "TRUNCATED", message: `${file} ends inside its header line (${content.size.toLocaleString("en-US")} bytes, no line end)${cutNote ? `; ${cutNote}` : ""}`, hint: "the file holds no complete line; re-download or re-export it", context: { file, row: 0, line: 1, column: "(file)", byteOffset: content.size } });
    }
    const headerText = lineText(headerBytes, file, "header line");
    const delimiter = options.delimiter ?? detectDelimiter(headerText);
    const split = splitCsvLine(headerText, delimiter);
    const seen = new Map<string, number>();
    const columns = split.fields.map((raw, i) => {
      const base = raw.trim() === "" ? `column${i}` : raw;
      const k = seen.get(base) ?? 0;
      seen.set(base, k + 1);
      return k === 0 ? base : `${base}_${k}`;
    });

    // The end of the file: a cut inside the last line, or a stream that ended early.
    let kept = content.size;
    let cutLine: { start: number; fields: number } | undefined;
    const last = content.size > 0 ? (await content.read(content.size - 1, content.size))[0] : LF;
    if (headerEnd >= 0 && last !== LF && last !== CR) {
      const lastEnd = await lastLineEnd(content);
      const tail = await content.read(lastEnd + 1, content.size);
      let fields = 0;
      let open = true;
      try {
        const parts = splitCsvLine(new TextDecoder("utf-8", { fatal: false }).decode(tail), delimiter);
        fields = parts.fields.length;
        open = parts.open;
      } catch {
        open = true;
      }
      if (options.strictEnd || open || fields < columns.length || cutNote !== undefined) {
        cutLine = { start: lastEnd + 1, fields };
        kept = lastEnd + 1;
      }
    }
    if (cutLine || cutNote !== undefined) {
      const scan = await scanLines(content, kept);
      const recordsKept = scan.records;
      const detail = [cutLine ? `line ${scan.lineEnds + 1} is cut off after ${(content.size - cutLine.start).toLocaleString("en-US")} bytes (${cutLine.fields} of ${columns.length} fields)` : undefined, cutNote].filter((x) => x !== undefined).join("; ");
      if (options.onBadRows === "reject") {
        throw new LabError({
          code: "TRUNCATED",
          message: `${file} is cut off: ${detail}`,
          hint: `re-download or re-export the file, or pass { onBadRows: "quarantine" } (--on-bad-rows quarantine) to keep the ${recordsKept.toLocaleString("en-US")} complete lines before the cut`,
          context: { file, row: scan.lineEnds - 1, line: scan.lineEnds + 1, column: "(file)", byteOffset: kept, rowsKept: recordsKept },
        });
      }
      const issue = truncatedIssue(file, recordsKept, kept, detail);
      issue.samples[0]!.line = scan.lineEnds + 1;
      temp = tempPath(file);
      if (memory) await writeFile(temp, memory.subarray(0, kept));
      else {
        await copyFile(file, temp);
        await truncate(temp, kept);
      }
      return makeSource(file, temp, columns, delimiter, issue);
    }
    if (memory) {
      temp = tempPath(file);
      await writeFile(temp, memory);
    }
    return makeSource(file, temp ?? file, columns, delimiter, undefined);
  } catch (error) {
    if (temp) await rm(temp, { force: true });
    throw error;
  } finally {
    await disk.close();
  }
}

function emptyFile(file: string, what: string): LabError {
  return new LabError({ code: "EMPTY_FILE", message: `${file} is empty (0 bytes); expected ${what} with a header line`, hint: "check the path, or re-download or re-export the file", context: { file, row: 0, column: "*" } });
}

function makeSource(file: string, path: string, columns: string[], delimiter: string, truncated: QualityIssue | undefined): CsvSource {
  const columnsSql = `{${columns.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(", ")}}`;
  let layout: Promise<CsvLayout & { records: number }> | undefined;
  const source: CsvSource = {
    file,
    path,
    columns,
    delimiter,
    scan: (rejectsTable) =>
      `read_csv(${sqlString(path)}, header=true, auto_detect=false, delim=${sqlString(delimiter)}, quote='"', escape='"', compression='none', columns=${columnsSql}, ignore_errors=true${rejectsTable ? `, store_rejects=true, rejects_table=${sqlString(rejectsTable)}, rejects_scan=${sqlString(`${rejectsTable}_scan`)}` : ""})`,
    layout: () =>
      (layout ??= (async () => {
        const size = (await stat(path)).size;
        const content = await fileContent(path, size);
        try {
          const scan = await scanLines(content, size);
          return { blankLines: Float64Array.from(scan.blank), records: scan.records };
        } finally {
          await content.close();
        }
      })()),
    release: async () => {
      if (path !== file) await rm(path, { force: true });
    },
  };
  if (truncated) source.truncated = truncated;
  return source;
}

let rejectsCounter = 0;

/** A fresh name for a rejects table. */
export function rejectsTableName(): string {
  return `lab_rejects_${process.pid}_${++rejectsCounter}`;
}

const ERROR_TEXT: Record<string, string> = {
  "UNQUOTED VALUE": "a quoted value never closes",
  "INVALID ENCODING": "not UTF-8 text",
  "INVALID UNICODE": "not UTF-8 text",
  "LINE SIZE OVER MAXIMUM": "the line is longer than 2 MB",
};

/**
 * The lines the parser skipped in the scan that filled `table` (undefined when none). `outputRows`
 * is how many rows that scan produced: when rows plus rejected lines fall short of the file's
 * records, the difference was swallowed by a quoted value that never closed, and is counted too.
 */
export async function readRejects(connection: Awaited<ReturnType<typeof duckConnection>>, table: string, source: CsvSource, outputRows: number): Promise<RejectedLines | undefined> {
  let count: number;
  try {
    const reader = await connection.runAndReadAll(`SELECT count(DISTINCT line)::DOUBLE AS n FROM ${table}`);
    count = Number(reader.getRowObjectsJS()[0]?.["n"] ?? 0);
  } catch {
    return undefined;
  }
  if (count === 0) return undefined;
  const lines = (await streamColumns(connection, `SELECT DISTINCT line::DOUBLE AS line FROM ${table} ORDER BY 1`, [{ name: "line", type: "DOUBLE" }], { expectedRows: count })).columns["line"] as Float64Array;
  const reader = await connection.runAndReadAll(
    `SELECT line::DOUBLE AS line, min(column_name) AS c, min(error_type) AS t, min(TRY_CAST(regexp_extract(error_message, 'Found: (\\d+)', 1) AS INTEGER)) AS lo, max(TRY_CAST(regexp_extract(error_message, 'Found: (\\d+)', 1) AS INTEGER)) AS hi, min(error_message) AS m FROM ${table} GROUP BY line ORDER BY line LIMIT 5`,
  );
  const samples = reader.getRowObjectsJS().map((r) => {
    const type = String(r["t"] ?? "");
    const found = type === "MISSING COLUMNS" ? r["lo"] : r["hi"];
    const what = type === "MISSING COLUMNS" || type === "TOO MANY COLUMNS" ? `${String(found)} field${Number(found) === 1 ? "" : "s"}, the header has ${source.columns.length}` : ERROR_TEXT[type] ?? String(r["m"] ?? type).split("\n")[0]!.toLowerCase();
    return { line: Number(r["line"]), column: r["c"] === null || r["c"] === undefined ? "(line)" : String(r["c"]), what };
  });
  const out: RejectedLines = { lines, samples };
  const { records } = await source.layout();
  const swallowed = records - outputRows - lines.length;
  if (swallowed > 0) out.swallowed = swallowed;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Exact decimal -> ticks/lots for CSV text
//
// DuckDB parses a price into the float64 nearest to its text (correctly rounded) far faster than
// into any exact type, so the readers convert from that float and prove the result: a decimal of
// at most 15 significant digits round-trips through float64 (DBL_DIG), so two such decimals never
// share a float. When both the text and the grid value t·step have ≤ 15 significant digits, the
// float equals fl(t·step) exactly when the text *is* t·step. A text longer than 15 bytes (it may
// hold more digits) or an exponent that underflows to 0 is not decided by its float; only those
// rows (usually none) have their text read and converted with integer arithmetic.

/** `undecided` bits: the price / size text of the row must be converted from its text. */
export const UNDECIDED_PRICE = 1;
export const UNDECIDED_QTY = 2;

/**
 * SQL that is true where the float64 `value` parsed from `text` cannot decide the grid test:
 * more than 15 bytes of text, or a zero that may come from an exponent too small for a float.
 * `strlen` (bytes) costs nothing per row; the `contains` tests run only on zero values.
 */
export function undecidedTextSql(text: string, value: string): string {
  return `(strlen(${text}) > 15 OR (${value} = 0 AND (contains(${text}, 'e') OR contains(${text}, 'E'))))`;
}

/** A grid step (tick or lot) as an integer count of 10^-scale units. */
export interface ExactStep {
  units: number;
  scale: number;
}

/** Below this, t·units and the text both have ≤ 15 significant digits: the float test is exact. */
const FLOAT_DECIDES = 1e15;
const MAX_EXACT = 2 ** 53;

/**
 * Converts a float64 column of decimals to grid steps in place, where the float decides (see
 * above): on-grid values become their step count, off-grid rows get `offGridBit`. Rows flagged
 * `undecidedBit` in `undecided`, and rows whose step count is too large for the float test, are
 * left for `decimalTextSteps` and their indexes appended to `pending`. Rows with NaN (no value) or
 * any `skipMask` bit are skipped. Returns the number of off-grid rows.
 */
export function convertDecided(values: Float64Array, instrument: Uint16Array, steps: readonly ExactStep[], bad: Uint32Array, offGridBit: number, skipMask: number, undecided: Uint8Array, undecidedBit: number, pending: number[]): number {
  const units = steps.map((s) => s.units);
  const pows = steps.map((s) => 10 ** s.scale);
  // 10^scale is an exact float up to 10^22; beyond it (or for huge units) only text decides.
  const floatOk = steps.map((s) => s.scale <= 22 && s.units < FLOAT_DECIDES);
  const one = steps.length === 1;
  let offGrid = 0;
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v !== v || (bad[i]! & skipMask) !== 0) continue;
    const k = one ? 0 : instrument[i]!;
    if (k >= steps.length) continue;
    if ((undecided[i]! & undecidedBit) !== 0 || !floatOk[k]) {
      pending.push(i);
      continue;
    }
    const u = units[k]!;
    const pow = pows[k]!;
    const t = Math.round((v * pow) / u);
    const scaled = t * u;
    const size = Math.abs(scaled);
    if (size < FLOAT_DECIDES) {
      if (scaled / pow === v) values[i] = t;
      else {
        bad[i] = bad[i]! | offGridBit;
        offGrid++;
      }
    } else if (size < MAX_EXACT) pending.push(i);
    else {
      bad[i] = bad[i]! | offGridBit;
      offGrid++;
    }
  }
  return offGrid;
}

const DECIMAL_TEXT = /^\s*([+-]?)(\d[\d_]*)?(?:\.(\d[\d_]*)?)?(?:[eE]([+-]?\d{1,9}))?\s*$/;

/**
 * The exact number of grid steps in a decimal text (sign, digits, '.', exponent, surrounding
 * blanks and digit separators '_' as DuckDB reads numbers), or undefined when the text is not
 * a whole number of steps or the count does not fit a float64 exactly (|t·units| ≥ 2^53).
 * Integer arithmetic only; exponents are bounded before any power of ten is built, so a value
 * in the file never sizes an allocation.
 */
export function decimalTextSteps(text: string, step: ExactStep): number | undefined {
  const match = DECIMAL_TEXT.exec(text);
  if (!match || (match[2] === undefined && match[3] === undefined)) return undefined;
  const intDigits = (match[2] ?? "").replace(/_/g, "");
  const fracDigits = (match[3] ?? "").replace(/_/g, "");
  const negative = match[1] === "-";
  const digits = (intDigits + fracDigits).replace(/^0+/, "");
  if (digits === "") return negative ? -0 : 0;
  const mantissa = BigInt(digits);
  // value · 10^scale = mantissa · 10^shift
  const shift = Number(match[4] ?? "0") - fracDigits.length + step.scale;
  let scaled: bigint;
  if (shift >= 0) {
    // mantissa ≥ 1, so 10^shift ≥ 2^53 is already out of range.
    if (shift > 16) return undefined;
    scaled = mantissa * 10n ** BigInt(shift);
  } else {
    // mantissa < 10^digits: a larger divisor leaves a fraction.
    if (-shift > digits.length) return undefined;
    const divisor = 10n ** BigInt(-shift);
    if (mantissa % divisor !== 0n) return undefined;
    scaled = mantissa / divisor;
  }
  if (scaled >= BigInt(MAX_EXACT)) return undefined;
  const units = BigInt(step.units);
  if (units === 0n || scaled % units !== 0n) return undefined;
  const t = Number(scaled / units);
  return negative ? -t : t;
}
