/**
 * JSON as the API sends it: NaN and ±Infinity (kept by the store as numbers) become the strings
 * "NaN", "Infinity" and "-Infinity", because JSON has no such numbers and a plain
 * `JSON.stringify` would silently turn them into null. Bigints become decimal strings.
 */
export function toJson(value: unknown): string {
  // The replacer is called for every value and costs more than the rest of the serialization;
  // a value with nothing to replace (the usual case) is serialized without it, to the same text.
  return plain(value, 0) ? JSON.stringify(value) : JSON.stringify(value, replace);
}

function replace(_key: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? String(v) : typeof v === "bigint" ? v.toString() : v;
}

/** Deeper values (or a cycle) take the replacer path, which serializes them or throws as it would. */
const MAX_DEPTH = 64;

/**
 * True when `JSON.stringify(value)` without the replacer gives the same text: no non-finite
 * number, no bigint, and no object whose `toJSON` or typed-array contents the scan cannot see.
 */
function plain(value: unknown, depth: number): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "object" || value === null) return typeof value !== "bigint";
  if (depth > MAX_DEPTH || ArrayBuffer.isView(value) || typeof (value as { toJSON?: unknown }).toJSON === "function") return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!plain(value[i], depth + 1)) return false;
    return true;
  }
  const record = value as Record<string, unknown>;
  for (const k in record) if (!plain(record[k], depth + 1)) return false;
  return true;
}

/** A JSON number field as the API sends it. */
export type WireNumber = number | "NaN" | "Infinity" | "-Infinity";

/** The inverse of `toJson` for one number (clients that read metrics back). */
export function fromWireNumber(value: WireNumber | null | undefined): number {
  if (typeof value === "number") return value;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  return NaN;
}
