/** Helpers shared by store back ends: run ids, JSON that keeps NaN and ±Infinity, byte packing. */
import { randomBytes } from "node:crypto";
import { LabError } from "../core/index.js";
import type { BeginRunOptions, RunInfo } from "./types.js";

/** A readable, sortable run id: `run-20240102-143000-1a2b`. */
export function newRunId(now = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  // 32 random bits: a notebook loop can record hundreds of runs within one second.
  return `run-${stamp}-${randomBytes(4).toString("hex")}`;
}

let lastCreatedMs = 0;

/** Creation time as ISO text, strictly increasing within the process, so runs sort in the order they were made. */
export function nextCreatedAt(now = Date.now()): string {
  lastCreatedMs = Math.max(now, lastCreatedMs + 1);
  return new Date(lastCreatedMs).toISOString();
}

/** JSON with non-finite numbers kept as the strings "NaN", "Infinity", "-Infinity" (and bigints as decimal strings). */
export function encodeJson(value: unknown): string {
  // The replacer is called for every value and costs more than the rest of the serialization;
  // a value with nothing to replace (the usual case) is serialized without it, to the same text.
  return plainJson(value, 0) ? JSON.stringify(value) : JSON.stringify(value, replaceSpecial);
}

function replaceSpecial(_key: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? String(v) : typeof v === "bigint" ? v.toString() : v;
}

/** Deeper values (or a cycle) take the replacer path, which serializes them or throws as it would. */
const MAX_PLAIN_DEPTH = 64;

/**
 * True when `JSON.stringify(value)` without the replacer gives the same text: no non-finite
 * number, no bigint, and no object whose `toJSON` or typed-array contents the scan cannot see.
 */
function plainJson(value: unknown, depth: number): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "object" || value === null) return typeof value !== "bigint";
  if (depth > MAX_PLAIN_DEPTH || ArrayBuffer.isView(value) || typeof (value as { toJSON?: unknown }).toJSON === "function") return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!plainJson(value[i], depth + 1)) return false;
    return true;
  }
  const record = value as Record<string, unknown>;
  for (const k in record) if (!plainJson(record[k], depth + 1)) return false;
  return true;
}

/** Metrics back from `encodeJson`: the three special strings become numbers again. */
export function decodeMetrics(text: string): Record<string, number> {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = typeof v === "number" ? v : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : NaN;
  return out;
}

/** Float64 values as little-endian bytes (exact round trip). */
export function packFloat64(values: Float64Array): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i]!, true);
  return out;
}

export function unpackFloat64(bytes: Uint8Array): Float64Array {
  const out = new Float64Array(Math.floor(bytes.length / 8));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** Picks the run to resume, or says to start a new one; checks the fingerprint. */
export function chooseRun(runs: readonly RunInfo[], options: BeginRunOptions, location: string): RunInfo | undefined {
  if (options.runId !== undefined) {
    const found = runs.find((r) => r.runId === options.runId);
    if (found === undefined) return undefined;
    if (!options.resume) {
      throw new LabError({ code: "RUN_EXISTS", message: `run "${options.runId}" already exists in ${location}`, hint: "pass resume: true (--resume) to continue it, or choose another run id", context: { file: location } });
    }
    if (found.fingerprint !== options.fingerprint) {
      throw new LabError({ code: "RESUME_MISMATCH", message: `run "${options.runId}" in ${location} was started with a different configuration (data, space, method, objective, constraints, walk-forward or seed)`, hint: "resume with exactly the same settings, or start a new run (no resume / another run id)", context: { file: location } });
    }
    return found;
  }
  if (!options.resume) return undefined;
  const same = runs.filter((r) => r.fingerprint === options.fingerprint).sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  return same.find((r) => r.status === "running") ?? same[0];
}
