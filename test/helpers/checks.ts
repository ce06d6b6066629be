/** Small assertions shared by the reader and robustness tests. */
import { createHash } from "node:crypto";
import { isLabError, LabError } from "../../src/core/index.js";
import { TICK_COLUMN_NAMES, type TickBatch } from "../../src/data/index.js";

/** The LabError `fn` throws; any other outcome fails the test. */
export function caught(fn: () => unknown): LabError {
  try {
    fn();
  } catch (error) {
    if (isLabError(error)) return error;
    throw error;
  }
  throw new Error("expected a LabError");
}

/** The LabError the promise (or the function's promise) rejects with; any other outcome fails the test. */
export async function caughtAsync(p: Promise<unknown> | (() => Promise<unknown>)): Promise<LabError> {
  const error = await (typeof p === "function" ? p() : p).then(
    () => new Error("expected a LabError, got a value"),
    (e: unknown) => e,
  );
  if (isLabError(error)) return error;
  throw error;
}

/** The first column and row where two batches differ (NaN = NaN), or null when they are equal. */
export function batchDifference(a: TickBatch, b: TickBatch): string | null {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (const name of TICK_COLUMN_NAMES) {
    const x = a[name] as ArrayLike<number | bigint>;
    const y = b[name] as ArrayLike<number | bigint>;
    for (let i = 0; i < a.length; i++) {
      const u = x[i]!;
      const v = y[i]!;
      if (u !== v && !(typeof u === "number" && typeof v === "number" && u !== u && v !== v)) return `${name}[${i}]: ${u} vs ${v}`;
    }
  }
  return null;
}

/** A digest of rows [from, to) of every column. */
export function hashBatch(batch: TickBatch, from = 0, to = batch.length): string {
  const h = createHash("sha256");
  for (const name of TICK_COLUMN_NAMES) {
    const col = batch[name].subarray(from, to);
    h.update(new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
  }
  return h.digest("hex");
}
