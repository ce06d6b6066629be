/**
 * The error catalogue (src/core/error-codes.ts) must list every code the lab throws, and only
 * those: a scan of `src/` finds every code-shaped literal used as a LabError code, and each must
 * be catalogued; each catalogued code must be thrown somewhere (or say why it is kept). The type
 * of `LabError.code` catches most new codes at compile time; the scan also covers codes built
 * through helpers and casts, and keeps the catalogue from rotting.
 */
import { readdirSync, readFileSync } from "node:fs";
import { constants } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_AREAS, ERROR_CODES, ERROR_CODE_NAMES, dataIssueCode, errorCatalogueMarkdown, isLabError, type ErrorCodeInfo } from "../../src/core/index.js";
import { ISSUE_CLASS_NAMES } from "../../src/data/quality.js";
import { EventKind, TickBatchBuilder, validate } from "../../src/data/index.js";
import { instrument } from "../../src/core/index.js";
import { ROOT } from "../helpers/paths.js";

// ------------------------------------------------------------------------------ the scanner

/** What an error code looks like: `BAD_OPTION`, `DBN_TRUNCATED`, `INTERNAL`. */
const CODE_SHAPE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^[A-Z]{4,}$/;

interface CodeUse {
  code: string;
  file: string;
  line: number;
}

/**
 * Blanks comments and regex literals, keeping newlines and string contents, so a code in a doc
 * comment is not taken for a throw. Tracks template literals (with nested `${}`), whose quotes and
 * slashes would otherwise look like strings or comments.
 */
function stripComments(src: string): string {
  const out = src.split("");
  const stack: { kind: "code" | "template"; depth: number }[] = [{ kind: "code", depth: 0 }];
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  let i = 0;
  while (i < src.length) {
    const top = stack[stack.length - 1]!;
    const c = src[i]!;
    if (top.kind === "template") {
      if (c === "\\") i += 2;
      else if (c === "`") {
        stack.pop();
        i++;
      } else if (c === "$" && src[i + 1] === "{") {
        stack.push({ kind: "code", depth: 0 });
        i += 2;
      } else i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "/") {
      const end = src.indexOf("\n", i);
      const stop = end < 0 ? src.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end < 0 ? src.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < src.length && src[i] !== c && src[i] !== "\n") i += src[i] === "\\" ? 2 : 1;
      i++;
    } else if (c === "`") {
      stack.push({ kind: "template", depth: 0 });
      i++;
    } else if (c === "{") {
      top.depth++;
      i++;
    } else if (c === "}") {
      if (top.depth === 0 && stack.length > 1) stack.pop();
      else top.depth--;
      i++;
    } else if (c === "/" && /(^|[=(,:;!&|?{}[\n]|\breturn)\s*$/.test(src.slice(Math.max(0, i - 20), i))) {
      // A regex literal: blanked too, its text is never a code.
      const from = ++i;
      let inClass = false;
      while (i < src.length && src[i] !== "\n") {
        const d = src[i]!;
        if (d === "\\") i += 2;
        else {
          if (d === "[") inClass = true;
          else if (d === "]") inClass = false;
          else if (d === "/" && !inClass) break;
          i++;
        }
      }
      blank(from, i);
      i++;
    } else i++;
  }
  return out.join("");
}

/** The expression starting at `from`, up to a top-level `,` or `;` or an unmatched closing bracket. */
function expressionAt(src: string, from: number): string {
  let depth = 0;
  let i = from;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"' || c === "'" || c === "`") {
      i++;
      while (i < src.length && src[i] !== c) i += src[i] === "\\" ? 2 : 1;
      i++;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      if (depth === 0) break;
      depth--;
    } else if ((c === "," || c === ";") && depth === 0) break;
    i++;
  }
  return src.slice(from, i);
}

/** Node's errno names (`EISDIR`, `ENOENT`): the `code` of a system error, never a LabError's. */
const ERRNO_NAMES = new Set(Object.keys(constants.errno));

/** Code-shaped string literals in an expression (`"X"`, `cond ? "X" : "Y"`, `"X" | "Y"`), with their offsets. */
function codeLiterals(expression: string): { code: string; at: number }[] {
  const found: { code: string; at: number }[] = [];
  for (const m of expression.matchAll(/(["'`])([A-Za-z0-9_-]+)\1/g)) if (CODE_SHAPE.test(m[2]!) && !ERRNO_NAMES.has(m[2]!)) found.push({ code: m[2]!, at: m.index! });
  return found;
}

/**
 * Functions, methods and arrow functions whose first parameter is a typed `code` (helpers such as
 * `lobsterError(code: LabErrorCode, ...)`, `fail = (code: ..., ...) =>`, `this.error(code, ...)`).
 * A `code: number` parameter (a process exit code) is not one.
 */
function codeHelpers(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/\b([A-Za-z_$][\w$]*)\s*(?:=\s*(?:async\s*)?)?\(\s*code\s*\??:\s*([^,)=]+)[,)]/g)) {
    if (["if", "while", "for", "switch", "return", "catch", "function"].includes(m[1]!)) continue;
    if (/^\s*number\b/.test(m[2]!)) continue;
    names.add(m[1]!);
  }
  return names;
}

/** Every code-shaped literal used as an error code in one source text. */
function scanSource(src: string, file: string, helpers: ReadonlySet<string>): CodeUse[] {
  const text = stripComments(src);
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const lineOf = (at: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const uses: CodeUse[] = [];
  const add = (from: number): void => {
    for (const { code, at } of codeLiterals(expressionAt(text, from))) uses.push({ code, file, line: lineOf(from + at) });
  };
  // `code: X` in an object literal or type, `code = X` in a declaration or assignment.
  for (const m of text.matchAll(/\bcode\s*(:|=(?![=>]))\s*/g)) add(m.index! + m[0].length);
  // The first argument of a call of a helper that takes a code first.
  for (const m of text.matchAll(/(?<![\w$])([A-Za-z_$][\w$]*)\s*\(\s*/g)) {
    if (helpers.has(m[1]!)) add(m.index! + m[0].length);
  }
  // The CLI's own `error CODE: ...` line for failures that are not LabErrors.
  for (const m of text.matchAll(/\berror ([A-Z][A-Z0-9_]+): /g)) if (CODE_SHAPE.test(m[1]!)) uses.push({ code: m[1]!, file, line: lineOf(m.index!) });
  return uses;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out.sort();
}

/** Every code thrown under `root/src`, with file:line. Helpers declared in one file count in all. */
function scanTree(root: string): CodeUse[] {
  const files = sourceFiles(join(root, "src")).map((path) => ({ path, text: readFileSync(path, "utf8") }));
  const helpers = new Set<string>();
  for (const f of files) for (const h of codeHelpers(stripComments(f.text))) helpers.add(h);
  return files.flatMap((f) => scanSource(f.text, relative(root, f.path), helpers));
}

// ------------------------------------------------------------------------------ the tests

const catalogue: Readonly<Record<string, ErrorCodeInfo>> = ERROR_CODES;
const uses = scanTree(ROOT);
/** validate() builds its codes from the issue class names, so no literal of them exists in src/. */
const dataCodes = ISSUE_CLASS_NAMES.map((cls) => dataIssueCode(cls) as string);

describe("the scanner", () => {
  it("finds codes in object literals, ternaries, declarations, helper calls and the CLI's own line; not in comments or other strings", () => {
    const helperFile = [
      "function lobsterError(code: LabErrorCode, message: string): LabError {",
      "  return new LabError({ code, message, hint: '' });",
      "}",
    ].join("\n");
    const src = [
      '/** Throws NOT_THROWN_DOC. `code: "IN_A_COMMENT"` */', // 1
      'throw new LabError({ code: "PLAIN_CODE", message: "see OTHER_TEXT" });', // 2
      "throw new LabError({", // 3
      '  code: eof ? "CUT_CODE" : "DAMAGE_CODE",', // 4
      "});", // 5
      'const code = gzip ? "GZ_CODE" : "ZS_CODE";', // 6
      'throw lobsterError("HELPER_CODE", `x ${"TEMPLATE_TEXT"}`); // lobsterError("COMMENTED_CODE")', // 7
      'const fail = (code: LabErrorCode, column: number): void => {};', // 8
      'fail(\n  "ARROW_CODE", 3);', // 9-10
      'this.error("METHOD_CODE", "m"); const r = /code: "REGEX_CODE"/;', // 11
      'child.on("close", (code: number) => exit(code));', // 12
      'const x = { label: "NOT_A_CODE", kind: "code" };', // 13
      "process.stderr.write(`error INTERNAL: ${message}`);", // 14
      'stop?: { code: "TYPE_A" | "TYPE_B"; at: number };', // 15
    ].join("\n");
    const helpers = new Set([...codeHelpers(helperFile), ...codeHelpers(stripComments(src)), "error"]);
    expect([...helpers].sort()).toEqual(["error", "fail", "lobsterError"]);
    const found = scanSource(src, "x.ts", helpers).map((u) => `${u.code}@${u.line}`);
    expect(found.sort()).toEqual(["ARROW_CODE@10", "CUT_CODE@4", "DAMAGE_CODE@4", "GZ_CODE@6", "HELPER_CODE@7", "INTERNAL@14", "METHOD_CODE@11", "PLAIN_CODE@2", "TYPE_A@15", "TYPE_B@15", "ZS_CODE@6"].sort());
  });

  it("finds the codes of src/ at their lines (spot checks against the source)", () => {
    const at = (code: string): string[] => uses.filter((u) => u.code === code).map((u) => u.file);
    // Each is thrown only in a way a plain `code: "X"` search misses.
    expect(at("CORRUPT_GZIP")).toContain("src/data/source-bytes.ts"); // const code = gzip ? ... : ...
    expect(at("NO_DATE")).toContain("src/venues/lobster/read.ts"); // lobsterError("NO_DATE", ...)
    expect(at("BAD_TIME")).toContain("src/venues/lobster/read.ts"); // fail("BAD_TIME", ...)
    expect(at("UNKNOWN_MESSAGE")).toContain("src/venues/binance/raw.ts"); // fault.line("UNKNOWN_MESSAGE", ...)
    expect(at("INTERNAL")).toContain("src/cli/util.ts"); // `error INTERNAL: ...`
    const lines = new Map<string, string[]>();
    for (const u of uses) {
      if (!lines.has(u.file)) lines.set(u.file, readFileSync(join(ROOT, u.file), "utf8").split("\n"));
      const line = lines.get(u.file)![u.line - 1]!;
      expect(new RegExp(`["'\`]${u.code}["'\`]|error ${u.code}: `).test(line), `${u.code} at ${u.file}:${u.line}: ${line}`).toBe(true);
    }
  });
});

describe("the error catalogue", () => {
  it("documents every code thrown in src/ (add the missing ones to src/core/error-codes.ts)", () => {
    const missing = uses.filter((u) => !(u.code in catalogue)).map((u) => `${u.code} (${u.file}:${u.line})`);
    expect(missing, `codes thrown but not in ERROR_CODES:\n${missing.join("\n")}`).toEqual([]);
  });

  it("lists only codes something throws, or says why one is kept", () => {
    const thrown = new Set([...uses.map((u) => u.code), ...dataCodes]);
    const unused = ERROR_CODE_NAMES.filter((code) => !thrown.has(code) && !catalogue[code]!.reserved);
    expect(unused, `catalogued codes nothing throws (remove them, or mark them reserved with a reason):\n${unused.join("\n")}`).toEqual([]);
    const staleReserved = ERROR_CODE_NAMES.filter((code) => thrown.has(code) && catalogue[code]!.reserved !== undefined);
    expect(staleReserved, "codes marked reserved that are thrown").toEqual([]);
  });

  it("gives every code an area, a meaning and a fix", () => {
    const areas = new Set(ERROR_AREAS.map((a) => a.area));
    for (const code of ERROR_CODE_NAMES) {
      const info = catalogue[code]!;
      expect(CODE_SHAPE.test(code), code).toBe(true);
      expect(areas.has(info.area), `${code}: area ${info.area}`).toBe(true);
      expect(info.meaning, code).toMatch(/^\S.{10,}[.)]$/s);
      expect(info.fix, code).toMatch(/^\S.{5,}[.)]$/s);
      if (info.reserved !== undefined) expect(info.reserved.length, code).toBeGreaterThan(10);
    }
  });

  it("has a DATA_* code for every issue class validate() can reject", () => {
    expect(dataCodes).toEqual([
      "DATA_MISSING_COLUMN",
      "DATA_TYPE_ERROR",
      "DATA_OFF_GRID",
      "DATA_MISSING_VALUE",
      "DATA_EXCH_TS_ORDER",
      "DATA_LOCAL_TS_ORDER",
      "DATA_LOCAL_BEFORE_EXCH",
      "DATA_DUPLICATE",
      "DATA_NON_POSITIVE_PRICE",
      "DATA_BAD_SIZE",
      "DATA_SEQUENCE_GAP",
      "DATA_SEQUENCE_ORDER",
      "DATA_CROSSED_BOOK",
      "DATA_LOCKED_BOOK",
      "DATA_HALT",
      "DATA_TRUNCATED",
      "DATA_BOOK_MISMATCH",
      "DATA_TIME_ROUNDED",
    ]);
    const missing = dataCodes.filter((code) => catalogue[code]?.area !== "data");
    expect(missing, "issue classes without a DATA_* entry (area data) in ERROR_CODES").toEqual([]);
  });

  it("validate() throws the catalogued code of the rejected class", () => {
    const spec = instrument({ symbol: "T", venue: "V", tickSize: "1" });
    const t = (us: number): bigint => 1_700_000_000_000_000_000n + BigInt(us) * 1000n;
    const b = new TickBatchBuilder();
    b.push(t(5), t(5), EventKind.Trade, 1, 100, 1, NaN, 0, 0, NaN);
    b.push(t(1), t(6), EventKind.Trade, 1, 100, 1, NaN, 0, 0, NaN); // exchange time goes back
    let caught: unknown;
    try {
      validate(b.build([spec], "back.csv"), { policy: { "exch-ts-order": "reject" } });
    } catch (error) {
      caught = error;
    }
    expect(isLabError(caught) && caught.code).toBe("DATA_EXCH_TS_ORDER");
    expect("DATA_EXCH_TS_ORDER" in catalogue).toBe(true);
  });

  it("docs/errors.md is what the catalogue renders (run `npm run docs:errors` after editing it)", () => {
    const onDisk = readFileSync(join(ROOT, "docs", "errors.md"), "utf8");
    expect(onDisk === errorCatalogueMarkdown(), "docs/errors.md is out of date: run `npm run docs:errors`").toBe(true);
  });

  it("renders one table per area with every code once", () => {
    const md = errorCatalogueMarkdown();
    const rows = [...md.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(rows.length).toBe(ERROR_CODE_NAMES.length);
    expect(new Set(rows).size).toBe(rows.length);
    expect(md).toContain("| `DBN_TRUNCATED` | A DBN file (plain or zstd) ends early, inside its header or inside a record. |");
    const headings = [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(ERROR_AREAS.map((a) => a.title));
  });
});
