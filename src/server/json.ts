import { encodeJson } from "../store/index.js";

/**
 * JSON as the API sends it: NaN and ±Infinity (kept by the store as numbers) become the strings
 * "NaN", "Infinity" and "-Infinity", because JSON has no such numbers and a plain
 * `JSON.stringify` would silently turn them into null. Bigints become decimal strings. The same
 * text as the store keeps (`encodeJson`).
 */
export function toJson(value: unknown): string {
  return encodeJson(value);
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
