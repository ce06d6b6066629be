import type { LabErrorCode } from "./error-codes.js";

/**
 * Every failure a researcher can cause (bad data, bad options, a missing file) is a `LabError`:
 * a stable `code` to branch on, a `message` saying what happened and where, a `hint` saying how
 * to fix it, and a `context` with the values involved (file, row, column, ...).
 */
export interface LabErrorContext {
  file?: string;
  row?: number;
  column?: string;
  [key: string]: unknown;
}

export interface LabErrorInit {
  /** A code of the catalogue (src/core/error-codes.ts, docs/errors.md). */
  code: LabErrorCode;
  message: string;
  hint?: string;
  context?: LabErrorContext;
  cause?: unknown;
}

export class LabError extends Error {
  readonly code: LabErrorCode;
  readonly hint: string;
  readonly context: LabErrorContext;

  constructor(init: LabErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "LabError";
    this.code = init.code;
    this.hint = init.hint ?? "";
    this.context = init.context ?? {};
  }

  /** One line for a terminal: `error CODE: message (hint: ...)`. */
  toLine(): string {
    return `error ${this.code}: ${this.message}${this.hint ? ` (hint: ${this.hint})` : ""}`;
  }

  toJSON(): { code: LabErrorCode; message: string; hint: string; context: LabErrorContext } {
    return { code: this.code, message: this.message, hint: this.hint, context: this.context };
  }
}

/**
 * True for a `LabError`, also one made by another copy of the package (matched by name and a
 * string code, which may then be a code this copy's catalogue does not list).
 */
export function isLabError(value: unknown): value is LabError {
  return value instanceof LabError || (typeof value === "object" && value !== null && (value as { name?: unknown }).name === "LabError" && typeof (value as { code?: unknown }).code === "string");
}

/** Runs `fn`; a LabError is returned as a value instead of thrown (for `tryX` variants). */
export function attempt<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: LabError } {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (isLabError(error)) return { ok: false, error };
    throw error;
  }
}

/** Levenshtein distance, for "did you mean" hints on unknown names. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previousDiagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previousDiagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      previousDiagonal = saved;
    }
  }
  return row[b.length]!;
}

/** The closest known name to `name`, if one is close enough to be a plausible typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Rejects option keys that are not in `known`, with a "did you mean" hint, so a typo in an
 * options object never silently falls back to a default.
 */
export function checkOptionKeys(options: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const guess = closestName(key, known);
    throw new LabError({
      code: "UNKNOWN_OPTION",
      message: `unknown option "${key}" for ${where}`,
      hint: guess ? `did you mean "${guess}"? Known options: ${known.join(", ")}` : `known options: ${known.join(", ")}`,
      context: { option: key },
    });
  }
}
