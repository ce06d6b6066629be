/**
 * Pieces of a run manifest that need nothing above core: where the package runs (version, git
 * commit, host, Node.js), checksums of data files, and the equity series thinned for charts.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DataFingerprint, EquitySeries, RunManifest } from "./run-types.js";

/** The folder holding the package's package.json (src/store or dist/store sit two levels below it). */
export function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

let environment: Pick<RunManifest, "version" | "commit" | "host" | "node"> | undefined;

/**
 * Package version, git commit of the package folder (when it is a checkout and git runs; a
 * missing git is not an error), host and Node.js version. Computed once per process: the commit
 * does not change under a running kernel in a way a run could attribute anyway.
 */
export function environmentInfo(): Pick<RunManifest, "version" | "commit" | "host" | "node"> {
  if (environment) return { ...environment };
  const root = packageRoot();
  let version = "unknown";
  try {
    version = String((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: unknown }).version ?? "unknown");
  } catch {
    // A package without its package.json still records runs.
  }
  const info: Pick<RunManifest, "version" | "commit" | "host" | "node"> = { version, host: hostname(), node: process.version };
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }).trim();
    if (/^[0-9a-f]{40,64}$/.test(commit)) info.commit = commit;
  } catch {
    // No git, or not a checkout: the manifest simply has no commit.
  }
  environment = info;
  return { ...info };
}

const fileHashes = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

/**
 * Size and sha256 of a file, streamed in 4 MiB pieces. Cached by path, size and modification
 * time, so recording many runs over one file hashes it once.
 */
export function fileChecksum(path: string): { bytes: number; sha256: string } {
  const st = statSync(path);
  const cached = fileHashes.get(path);
  if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return { bytes: st.size, sha256: cached.sha256 };
  const h = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    let n: number;
    while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  const sha256 = h.digest("hex");
  fileHashes.set(path, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  return { bytes: st.size, sha256 };
}

/**
 * At most `max` points of an equity curve for charts: the range is cut into buckets and each keeps
 * its first, lowest, highest and last point (in time order), so drawdowns and spikes survive the
 * thinning; the first and last points are always kept.
 */
export function downsampleEquity(timeMs: ArrayLike<number>, equity: ArrayLike<number>, max = 2000): EquitySeries {
  const n = Math.min(timeMs.length, equity.length);
  if (n <= max) return { timeMs: Array.from({ length: n }, (_, i) => timeMs[i]!), equity: Array.from({ length: n }, (_, i) => equity[i]!) };
  const buckets = Math.max(1, Math.floor(max / 4));
  const keep: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.floor(((b + 1) * n) / buckets);
    if (to <= from) continue;
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      const v = equity[i]!;
      if (v < equity[lo]! || Number.isNaN(equity[lo]!)) lo = i;
      if (v > equity[hi]! || Number.isNaN(equity[hi]!)) hi = i;
    }
    for (const i of [...new Set([from, lo, hi, to - 1])].sort((a, b) => a - b)) keep.push(i);
  }
  return { timeMs: keep.map((i) => timeMs[i]!), equity: keep.map((i) => equity[i]!) };
}

/** What `dataFingerprintOf` reads of a batch: its length, instruments and typed-array columns. */
export interface BatchLike {
  readonly length: number;
  readonly exchTs: BigInt64Array;
  readonly instruments: readonly { readonly symbol: string }[];
}

const batchHashes = new WeakMap<object, string>();

/**
 * sha256 over every column of a batch (name and raw bytes of its rows, columns in name order).
 * Cached per batch object: batches are not changed after they are made, and a notebook loop of
 * backtests over one batch then hashes it once.
 */
export function batchChecksum(batch: BatchLike): string {
  const cached = batchHashes.get(batch);
  if (cached !== undefined) return cached;
  const h = createHash("sha256");
  h.update(`rows:${batch.length}|`);
  const record = batch as unknown as Record<string, unknown>;
  for (const name of Object.keys(record).sort()) {
    const col = record[name];
    if (!ArrayBuffer.isView(col) || col instanceof DataView) continue;
    const typed = col as unknown as { BYTES_PER_ELEMENT: number; length: number; buffer: ArrayBufferLike; byteOffset: number };
    const count = Math.min(typed.length, batch.length);
    h.update(`${name}:`);
    h.update(new Uint8Array(typed.buffer, typed.byteOffset, count * typed.BYTES_PER_ELEMENT));
  }
  const sum = h.digest("hex");
  batchHashes.set(batch, sum);
  return sum;
}

function isoOfNs(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

/**
 * The data part of a manifest: each source file with its size and sha256 when the data came from
 * files (and the files still exist), otherwise a checksum of the batch's columns; rows, symbols and
 * the first and last exchange time in either case.
 */
export function dataFingerprintOf(batches: BatchLike | readonly BatchLike[], files: readonly string[] = []): DataFingerprint {
  const list = (Array.isArray(batches) ? batches : [batches]) as readonly BatchLike[];
  const out: DataFingerprint = {};
  const existing = files.filter((f) => {
    try {
      return statSync(f).isFile();
    } catch {
      return false;
    }
  });
  if (existing.length > 0 && existing.length === files.length) out.files = existing.map((path) => ({ path, ...fileChecksum(path) }));
  else {
    const h = createHash("sha256");
    for (const b of list) h.update(batchChecksum(b));
    out.batch = list.length === 1 ? batchChecksum(list[0]!) : h.digest("hex");
  }
  out.rows = list.reduce((a, b) => a + b.length, 0);
  out.symbols = [...new Set(list.flatMap((b) => b.instruments.map((i) => i.symbol)))];
  let start: bigint | undefined;
  let end: bigint | undefined;
  for (const b of list) {
    if (b.length === 0) continue;
    const first = b.exchTs[0]!;
    const last = b.exchTs[b.length - 1]!;
    if (start === undefined || first < start) start = first;
    if (end === undefined || last > end) end = last;
  }
  if (start !== undefined) out.start = isoOfNs(start);
  if (end !== undefined) out.end = isoOfNs(end);
  return out;
}
