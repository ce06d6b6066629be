/**
 * Run fingerprints: a hash of everything that decides which trials run and what they return (the
 * data, the evaluator, the space, the search, objective, constraints, walk-forward windows, the
 * seed) and of nothing else (not the worker count, not the store). Resume refuses a store whose run
 * has another fingerprint, so a resumed sweep cannot silently mix two configurations.
 */
import { createHash } from "node:crypto";
import { TICK_COLUMN_NAMES, type TickBatch } from "../data/index.js";

/**
 * Fingerprint of market data: length, instruments, and 4,096 evenly spaced rows of every column
 * (hashing all of a 7M-row batch would take longer than a short sweep; a different file or a
 * different slice changes the sampled rows or the length).
 */
export function dataFingerprint(data: TickBatch): string {
  const h = createHash("sha256");
  h.update(`${data.length}|${data.instruments.map((i) => JSON.stringify(i.toJSON())).join(",")}|`);
  const n = data.length;
  const samples = Math.min(n, 4096);
  for (const name of TICK_COLUMN_NAMES) {
    const col = data[name] as ArrayLike<number | bigint>;
    const parts: string[] = [];
    for (let s = 0; s < samples; s++) {
      const i = samples === n ? s : Math.floor((s * (n - 1)) / (samples - 1));
      parts.push(String(col[i]));
    }
    h.update(`${name}:${parts.join(",")}|`);
  }
  return h.digest("hex").slice(0, 32);
}

/** Stable JSON: object keys sorted, functions by their source, bigints as strings, NaN kept. */
export function stableJson(value: unknown): string {
  const walk = (v: unknown): unknown => {
    if (typeof v === "function") return `fn:${v.toString()}`;
    if (typeof v === "bigint") return `${v.toString()}n`;
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    if (Array.isArray(v)) return v.map(walk);
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = walk((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(walk(value));
}

export function hashText(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}
