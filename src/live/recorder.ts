/**
 * The capture recorder: every line a feed receives (and every snapshot it fetches), appended in
 * the bundled capture's format, `<local receive ns> <raw JSON>` per line, gzip, one file per UTC
 * day of the receive time (`<dir>/<prefix>_<YYYYMMDD>.gz`), so `lab.data.readFile` and the
 * catalog read it like any capture.
 *
 * Guarantees: lines are buffered in memory and written every `flushIntervalMs` (and when the
 * buffer passes `flushBytes`, on a day change and on `close()`), each write one complete gzip
 * member appended to the day's file (a gzip file may hold many members; readers decode them all).
 * A crash loses at most the lines of the last flush interval, never what earlier flushes wrote.
 * A crash in the middle of a write can leave that last member cut: `readFile` refuses the file by
 * default (CORRUPT_GZIP) and, with `onBadRows: "quarantine"`, keeps every complete line before the
 * cut. Writes are synchronous and small (one member per interval), so they cannot pile up.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { LabError } from "../core/index.js";

export interface CaptureRecorderOptions {
  /** Directory of the capture files (created if missing). */
  dir: string;
  /** File name before `_<YYYYMMDD>.gz`. @default "capture" */
  prefix?: string;
  /** @default 1000 */
  flushIntervalMs?: number;
  /** Flush earlier once this many bytes are buffered. @default 4 MiB */
  flushBytes?: number;
}

export interface RecorderStats {
  lines: number;
  bytesWritten: number;
  flushes: number;
  files: string[];
  /** Lines dropped because they had no receive time prefix. */
  rejected: number;
  /** Flushes that failed (their lines are lost), and the last failure. */
  writeErrors: number;
  lastError?: string;
}

const DAY_NS = 86_400_000_000_000n;

export class CaptureRecorder {
  private readonly dir: string;
  private readonly prefix: string;
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private day = -1n;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly stat: RecorderStats = { lines: 0, bytesWritten: 0, flushes: 0, files: [], rejected: 0, writeErrors: 0 };

  constructor(private readonly options: CaptureRecorderOptions) {
    if (typeof options?.dir !== "string" || options.dir === "") {
      throw new LabError({ code: "BAD_OPTION", message: "the recorder needs a directory (dir)", hint: 'e.g. lab.live.recorder({ dir: "data/live" })', context: { option: "dir" } });
    }
    const interval = options.flushIntervalMs ?? 1000;
    if (!(Number.isFinite(interval) && interval > 0)) {
      throw new LabError({ code: "BAD_OPTION", message: `flushIntervalMs must be a positive number, got ${interval}`, hint: "e.g. 1000: a crash loses at most that many ms of lines", context: { option: "flushIntervalMs" } });
    }
    this.dir = options.dir;
    this.prefix = options.prefix ?? "capture";
    mkdirSync(this.dir, { recursive: true });
    this.timer = setInterval(() => this.flushQuietly(), interval);
    this.timer.unref();
  }

  /** The file a receive time falls in. */
  fileFor(ns: bigint): string {
    const date = new Date(Number(ns / 1_000_000n));
    const ymd = `${date.getUTCFullYear()}${String(date.getUTCMonth() + 1).padStart(2, "0")}${String(date.getUTCDate()).padStart(2, "0")}`;
    return join(this.dir, `${this.prefix}_${ymd}.gz`);
  }

  /** Appends one line `<ns> <json>` (no newline). */
  appendLine(line: string): void {
    if (this.closed) return;
    const space = line.indexOf(" ");
    const prefix = space > 0 ? line.slice(0, space) : "";
    if (!/^\d{1,19}$/.test(prefix)) {
      this.stat.rejected++;
      return;
    }
    const day = BigInt(prefix) / DAY_NS;
    if (day !== this.day) {
      this.flushQuietly();
      this.day = day;
    }
    this.buffer.push(line);
    this.bufferedBytes += line.length + 1;
    this.stat.lines++;
    if (this.bufferedBytes >= (this.options.flushBytes ?? 4 * 1024 * 1024)) this.flushQuietly();
  }

  /** Writes the buffered lines as one gzip member. */
  flush(): void {
    if (this.buffer.length === 0) return;
    const file = this.fileFor(this.day * DAY_NS);
    const member = gzipSync(Buffer.from(`${this.buffer.join("\n")}\n`, "utf8"));
    this.buffer = [];
    this.bufferedBytes = 0;
    appendFileSync(file, member);
    this.stat.bytesWritten += member.length;
    this.stat.flushes++;
    if (!this.stat.files.includes(file)) this.stat.files.push(file);
  }

  /** A write that fails (disk full, directory gone) is counted and kept, not thrown into the feed. */
  private flushQuietly(): void {
    try {
      this.flush();
    } catch (error) {
      this.stat.writeErrors++;
      this.stat.lastError = (error as Error).message;
    }
  }

  stats(): RecorderStats {
    return { ...this.stat, files: [...this.stat.files] };
  }

  /** Flushes and stops the timer. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    clearInterval(this.timer);
  }
}

export function recorder(options: CaptureRecorderOptions): CaptureRecorder {
  return new CaptureRecorder(options);
}
