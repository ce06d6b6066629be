/**
 * The format registry: one name -> one reader, so the CLI (`strategy-lab ingest --format X`),
 * `readFile()` and notebooks reach every reader the same way. The table formats (Parquet, CSV,
 * Arrow) register here; each venue registers its own formats from its folder (src/venues/), with
 * one line per reader and, when its content gives it away, a detector (`registerDetector`):
 *
 *   registerFormat("myvenue", { description: "My venue's CSV", read: (path, o) => readMyVenue(path, o) });
 *
 * Common options (`FormatReadOptions`) are what the CLI can pass; a reader uses what applies
 * and ignores the rest. `instrument` is built from --symbol/--venue/--tick-size/--lot-size.
 */
import { existsSync } from "node:fs";
import { LabError, closestName, isLabError, type InstrumentSpec, type ProgressSink, type TimeUnit } from "../core/index.js";
import { clockOffsetsFor, shiftLocalTimes, type ClockOffsetOption } from "./clock-offset.js";
import { attachReadReport, readReportOf } from "./quality.js";
import { compressedFormatError, lookAtFile, readsCompression, unknownFormatError } from "./detect.js";
import { checkReadableFile, type Compression } from "./source-bytes.js";
import type { BadRowPolicy } from "./staging.js";
import { formatFromPath, readTable, type ColumnMapping } from "./table-io.js";
import type { TickBatch } from "./tick-batch.js";

export interface FormatReadOptions {
  instrument?: InstrumentSpec;
  columns?: ColumnMapping;
  timeUnit?: TimeUnit;
  onBadRows?: BadRowPolicy;
  shared?: boolean;
  progress?: ProgressSink;
  /** Formats whose messages carry two exchange times (an event time and a transaction time): which one is exchTs. @default "event" */
  exchangeTime?: "event" | "transaction";
  /**
   * Read the file as that engine's own converter makes events of it (`compatRead`, for formats
   * where the two differ; the others read as usual): the engine's name, as the backtest options'
   * `compat` names it. @default none
   */
  compat?: string;
}

export interface FormatReader {
  /** One line for `--help` and error hints. */
  description: string;
  /** File name endings this format usually has (for guessing when --format is omitted). */
  extensions?: readonly string[];
  read(path: string, options: FormatReadOptions): Promise<TickBatch>;
  /** The file as `options.compat`'s converter makes events of it, the clock offset applied (absent: read as usual). */
  compatRead?(path: string, options: FormatReadOptions & { clockOffsetNs?: ClockOffsetOption }): Promise<TickBatch>;
}

const registry = new Map<string, FormatReader>();

/** Adds (or replaces) a reader under `name`. */
export function registerFormat(name: string, reader: FormatReader): void {
  registry.set(name, reader);
}

export function formatNames(): string[] {
  return [...registry.keys()];
}

export function getFormat(name: string): FormatReader {
  const reader = registry.get(name);
  if (!reader) {
    const guess = closestName(name, formatNames());
    throw new LabError({ code: "UNKNOWN_FORMAT", message: `unknown format "${name}"`, hint: `${guess ? `did you mean "${guess}"? ` : ""}known formats: ${formatNames().join(", ")}`, context: { format: name } });
  }
  return reader;
}

/** The format the file name alone suggests (registered endings first, then table formats). */
export function formatFromName(path: string): string | undefined {
  const lower = path.toLowerCase();
  for (const [name, reader] of registry) if (reader.extensions?.some((e) => lower.endsWith(e))) return name;
  return formatFromPath(path);
}

export interface FormatDetection {
  format: string;
  /** What decided: the file's content, or its name when the content decided nothing. */
  by: "content" | "name";
  /** Why, for messages (e.g. `starts with "PAR1"`). */
  reason: string;
  /** Compression looked through. */
  compression: Compression;
}

/**
 * The format of the file at `path`, told by its content (src/data/detect.ts: compression looked
 * through, then magic bytes, zip members, or the first lines), by its name only when the content
 * decides nothing (an empty or damaged start). `readFile` and the CLI without --format use this.
 *
 * Throws FILE_NOT_FOUND / IS_A_DIRECTORY / PERMISSION_DENIED for the path; UNKNOWN_FORMAT naming
 * what was looked at (size, compression, first bytes) when neither content nor name decides;
 * EMPTY_FILE for an empty file whose name says nothing; WRONG_FORMAT for a compressed file whose
 * reader does not decompress (e.g. a gzipped Parquet file).
 */
export function detectFormat(path: string): FormatDetection {
  const look = lookAtFile(path);
  if (look.match) {
    const { format, reason } = look.match;
    if (!registry.has(format)) {
      throw new LabError({ code: "UNKNOWN_FORMAT", message: `${path} looks like ${format} (${reason}), but no reader for ${format} is registered here`, hint: `import the whole package (strategy-lab), which registers every format, or pass one of: ${formatNames().join(", ")}`, context: { file: path, format } });
    }
    if (!readsCompression(format, look.compression)) throw compressedFormatError(path, format, look);
    return { format, by: "content", reason, compression: look.compression };
  }
  const byName = formatFromName(path);
  if (byName) return { format: byName, by: "name", reason: `the file name (${look.note ?? "content undecided"})`, compression: look.compression };
  if (look.size === 0) {
    throw new LabError({ code: "EMPTY_FILE", message: `${path} is empty (0 bytes): no format to read`, hint: "check the path, or re-download or re-export the file", context: { file: path, row: 0, column: "*" } });
  }
  throw unknownFormatError(path, look, formatNames());
}

/**
 * The format of `path`: by content for a file that exists (see `detectFormat`, whose errors it
 * throws), by name for a path that does not exist yet.
 */
export function guessFormat(path: string): string | undefined {
  if (!existsSync(path)) return formatFromName(path);
  return detectFormat(path).format;
}

/** Reads a file with the named format, or the one its content shows (`detectFormat`). */
export async function readFile(path: string, options: FormatReadOptions & { format?: string; clockOffsetNs?: ClockOffsetOption } = {}): Promise<TickBatch> {
  const { format, clockOffsetNs, ...rest } = options;
  // A directory, a missing file or one we may not read is said as such before any format guess.
  checkReadableFile(path);
  const name = format ?? detectFormat(path).format;
  const reader = getFormat(name);
  try {
    if (rest.compat !== undefined && reader.compatRead) return await reader.compatRead(path, { ...rest, ...(clockOffsetNs === undefined ? {} : { clockOffsetNs }) });
    const batch = await reader.read(path, rest);
    if (clockOffsetNs === undefined) return batch;
    // The collector's clock offset (src/data/clock-offset.ts), added to every receive time.
    const shifted = shiftLocalTimes(batch, clockOffsetsFor(batch, clockOffsetNs));
    const report = readReportOf(batch);
    if (report && shifted !== batch) attachReadReport(shifted, report);
    return shifted;
  } catch (error) {
    // Layers below a reader (a book rebuilt from the rows, a conversion) do not know the file:
    // every error that leaves here names it.
    if (isLabError(error) && error.context.file === undefined) {
      throw new LabError({ code: error.code, message: `${path}: ${error.message}`, hint: error.hint, context: { ...error.context, file: path, format: name }, cause: error });
    }
    throw error;
  }
}

const tableReader = (format: "parquet" | "csv" | "arrow", description: string, extensions: string[]): FormatReader => ({
  description,
  extensions,
  read: (path, o) => readTable(path, { format, ...o }),
});

registerFormat("parquet", tableReader("parquet", "Parquet: normalized TickBatch files, or any table with --columns mapping", [".parquet", ".pq"]));
registerFormat("csv", tableReader("csv", "CSV with a header: normalized columns, or any table with --columns mapping", [".csv"]));
registerFormat("arrow", tableReader("arrow", "Arrow IPC file (.arrow/.feather)", [".arrow", ".feather", ".ipc"]));
