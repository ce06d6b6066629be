/**
 * The Binance raw capture reader under damage: cut gzip and plain captures, CRC failures, bad
 * lines of every kind under both bad-row policies, and junk that must never hang or crash it.
 * Ground truth is the real capture (data/binance, SOURCE.md): a damaged copy must keep exactly the
 * rows the intact file has at the same lines.
 */
import { describe, expect, it, beforeAll } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { LabError } from "../../src/core/index.js";
import { readBinanceRaw, readFile, readReportOf, parseBinanceRaw, TICK_COLUMN_NAMES, type BinanceCapture, type TickBatch } from "../../src/venues/data-aliases.js";
import type { BinanceReadReport } from "../../src/venues/binance/raw.js";
import { binanceSyncedBatch } from "../../src/venues/book-aliases.js";
import { ROOT } from "../helpers/paths.js";

const dataDir = join(ROOT, "data", "binance");
const futuresFile = join(dataDir, "usdm_futures_btcusdt_20240808.gz");
const spotFile = join(dataDir, "spot_btcusdt_20240808.gz");
const QUARANTINE_HINT = /\{ onBadRows: "quarantine" \}.*--on-bad-rows quarantine/;

let tmp = "";
let spotGz: Buffer;
let spotText: Buffer;
let futuresLines: string[];
let spotFull: BinanceCapture;
let spotBatch: TickBatch;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "binance-raw-robust-"));
  spotGz = readFileSync(spotFile);
  spotText = gunzipSync(spotGz);
  futuresLines = gunzipSync(readFileSync(futuresFile)).toString("utf8").split("\n").slice(0, 60);
  spotFull = readBinanceRaw(spotFile);
  spotBatch = binanceSyncedBatch(spotFull);
});

let head: { gz: Buffer; intact: BinanceCapture } | undefined;
/** The first 8,000 lines of the spot capture, gzip, and what they read as. */
const spotHead = (): { gz: Buffer; intact: BinanceCapture } => {
  if (head) return head;
  let end = 0;
  for (let n = 0; n < 8_000; n++) end = spotText.indexOf(10, end) + 1;
  const text = spotText.subarray(0, end);
  return (head = { gz: gzipSync(text), intact: parseBinanceRaw(text.toString("utf8"), "spot-head.txt") });
};
let futuresCapture: BinanceCapture | undefined;
const futuresFull = (): BinanceCapture => (futuresCapture ??= readBinanceRaw(futuresFile));

function write(name: string, content: string | Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

function thrown(fn: () => unknown): LabError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LabError);
    return error as LabError;
  }
  throw new Error("expected a LabError");
}

async function rejected(promise: Promise<unknown>): Promise<LabError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LabError);
    return error as LabError;
  }
  throw new Error("expected a LabError");
}

function newlines(bytes: Uint8Array, end = bytes.length): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 10) n++;
  return n;
}

/** The capture's message table equals the first `capture.messages` messages of `full`. */
function expectPrefixOf(capture: BinanceCapture, full: BinanceCapture): void {
  const m = capture.messages;
  const cols = ["kind", "line", "localTs", "exchTs", "firstId", "lastId", "prevId", "levelStart", "levelEnd"] as const;
  for (const c of cols) expect(Array.from(capture[c] as ArrayLike<number | bigint>), c).toEqual(Array.from((full[c] as ArrayLike<number | bigint> & { subarray(a: number, b: number): ArrayLike<number | bigint> }).subarray(0, m)));
  const levels = m === 0 ? 0 : capture.levelEnd[m - 1]!;
  expect(capture.levelSide.length).toBe(levels);
  expect(Array.from(capture.levelSide)).toEqual(Array.from(full.levelSide.subarray(0, levels)));
  expect(Array.from(capture.levelPrice)).toEqual(Array.from(full.levelPrice.subarray(0, levels)));
  expect(Array.from(capture.levelQty)).toEqual(Array.from(full.levelQty.subarray(0, levels)));
}

function expectBatchPrefix(batch: TickBatch, full: TickBatch): void {
  expect(batch.length).toBeGreaterThan(0);
  expect(batch.length).toBeLessThanOrEqual(full.length);
  for (const name of TICK_COLUMN_NAMES) {
    const a = batch[name] as ArrayLike<number | bigint>;
    const b = (full[name] as unknown as { subarray(s: number, e: number): ArrayLike<number | bigint> }).subarray(0, batch.length);
    let diff = -1;
    for (let i = 0; i < batch.length; i++) {
      if (!Object.is(a[i], b[i])) {
        diff = i;
        break;
      }
    }
    expect(diff, `${name} differs from the intact batch at row ${diff}`).toBe(-1);
  }
}

describe("Binance raw reader: bundled samples", () => {
  it.each([
    ["futures", futuresFile, 93_954],
    ["spot", spotFile, 41_249],
  ] as const)("%s reads clean under the default reject policy, and the synced batch carries the read report", async (_m, file, lines) => {
    // In shared memory (what the optimizer's workers read): the copy keeps the report.
    const batch = await readFile(file, { format: "binance-raw", shared: true });
    expect(batch.exchTs.buffer).toBeInstanceOf(SharedArrayBuffer);
    const report = readReportOf(batch) as BinanceReadReport | undefined;
    expect(report).toBeDefined();
    expect(report!.format).toBe("binance-raw");
    expect(report!.file).toBe(file);
    expect(report!.issues).toEqual([]);
    expect(report!.rowsRead).toBe(lines);
    expect(report!.nonData).toEqual({ lines: 0, byType: {}, firstLine: null });
  });
});

describe("Binance raw reader: a capture cut in the middle", () => {
  it("rejects a cut gzip by default, naming the option that keeps the prefix", async () => {
    const file = write("spot-cut.gz", spotGz.subarray(0, Math.floor(spotGz.length / 2)));
    const e = thrown(() => readBinanceRaw(file));
    expect(e.code).toBe("CORRUPT_GZIP");
    expect(e.message).toContain("spot-cut.gz");
    expect(e.hint).toMatch(QUARANTINE_HINT);
    const viaFormat = await rejected(readFile(file, { format: "binance-raw" }));
    expect(viaFormat.code).toBe("CORRUPT_GZIP");
  });

  it.each([0.07, 0.5, 0.93])("quarantine keeps every complete line before a cut at %s of the gzip, exactly as the intact file has it", async (fraction) => {
    const cutAt = Math.floor(spotGz.length * fraction);
    const file = write(`spot-cut-${fraction}.gz`, spotGz.subarray(0, cutAt));
    const capture = readBinanceRaw(file, { onBadRows: "quarantine" });
    const issues = capture.readReport.issues;
    expect(issues.map((x) => [x.class, x.count])).toEqual([["truncated", 1]]);
    const offset = issues[0]!.samples[0]!.byteOffset!;
    // The cut is at a line start of the intact text; every line before it is kept, the partial one is not.
    expect(offset).toBeGreaterThan(0);
    expect(spotText[offset - 1]).toBe(10);
    const complete = newlines(spotText, offset);
    expect(capture.messages).toBe(complete);
    expect(issues[0]!.samples[0]!.row).toBe(complete);
    expect(issues[0]!.message).toContain(`the ${complete.toLocaleString("en-US")} complete records before it are kept`);
    expect(complete / spotFull.messages).toBeGreaterThan(fraction - 0.1);
    expect(complete / spotFull.messages).toBeLessThan(fraction + 0.1);
    expect(capture.problems).toEqual([]);
    expectPrefixOf(capture, spotFull);
    // The synced batch (format reader, shared memory) is the intact batch's prefix, with the report.
    const batch = await readFile(file, { format: "binance-raw", onBadRows: "quarantine", shared: true });
    expectBatchPrefix(batch, spotBatch);
    expect(readReportOf(batch)!.issues.map((x) => x.class)).toEqual(["truncated"]);
  });

  it("futures cut after the snapshot: the message table and the synced book rows equal the intact file's", () => {
    const gz = readFileSync(futuresFile);
    const file = write("futures-cut.gz", gz.subarray(0, Math.floor(gz.length * 0.41)));
    const full = futuresFull();
    const capture = readBinanceRaw(file, { onBadRows: "quarantine" });
    expect(capture.messages).toBeGreaterThan(30_000);
    expect(capture.messages).toBeLessThan(full.messages);
    expectPrefixOf(capture, full);
    expectBatchPrefix(binanceSyncedBatch(capture), binanceSyncedBatch(full));
  });

  it("a gzip whose checksum fails is never read as intact: rejected, or kept with a report", () => {
    // The first 8,000 lines of the real spot capture, gzip again, with a damaged CRC32 trailer:
    // every byte decodes, the check fails.
    const { gz, intact } = spotHead();
    const damaged = Buffer.from(gz);
    damaged[damaged.length - 6]! ^= 0xff;
    const file = write("spot-crc.gz", damaged);
    const e = thrown(() => readBinanceRaw(file));
    expect(e.code).toBe("CORRUPT_GZIP");
    expect(e.hint).toMatch(QUARANTINE_HINT);
    const capture = readBinanceRaw(file, { onBadRows: "quarantine" });
    expect(capture.messages).toBe(8_000);
    expectPrefixOf(capture, intact);
    const issues = capture.readReport.issues;
    expect(issues.map((x) => [x.class, x.count])).toEqual([["truncated", 1]]);
    expect(issues[0]!.message).toMatch(/checksum does not match \(incorrect data check\): the content may be damaged anywhere/);
  });

  it("damage inside the compressed data keeps the lines that decode and parse, and reports the rest", () => {
    const { gz, intact } = spotHead();
    const damaged = Buffer.from(gz);
    for (let i = 0; i < 64; i++) damaged[Math.floor(damaged.length / 2) + i] = 0xff;
    const file = write("spot-damaged.gz", damaged);
    expect(thrown(() => readBinanceRaw(file)).code).toBe("CORRUPT_GZIP");
    const capture = readBinanceRaw(file, { onBadRows: "quarantine" });
    const report = capture.readReport;
    expect(report.issues.find((x) => x.class === "truncated")?.count).toBe(1);
    const bad = report.issues.filter((x) => x.class !== "truncated").reduce((n, x) => n + x.count, 0);
    expect(bad).toBe(capture.problems.length);
    expect(capture.messages + bad).toBeLessThanOrEqual(8_000);
    // Every message before the damage is the intact file's (the lines after it, if zlib decoded
    // on, are either bad lines or kept under the issue that says the content may be damaged).
    const firstBad = capture.problems[0]?.line ?? Infinity;
    let before = 0;
    while (before < capture.messages && capture.line[before]! < firstBad) before++;
    if (firstBad !== Infinity) expect(before).toBe(firstBad - 1);
    expect(before).toBeGreaterThan(3_000);
    expect(before).toBeLessThan(8_000);
    const head = (c: BinanceCapture, n: number): BinanceCapture => {
      const levels = n === 0 ? 0 : c.levelEnd[n - 1]!;
      const out = { ...c, messages: n, levelSide: c.levelSide.subarray(0, levels), levelPrice: c.levelPrice.subarray(0, levels), levelQty: c.levelQty.subarray(0, levels) } as Record<string, unknown>;
      for (const col of ["kind", "line", "localTs", "exchTs", "firstId", "lastId", "prevId", "levelStart", "levelEnd"] as const) out[col] = (c[col] as unknown as { subarray(a: number, b: number): unknown }).subarray(0, n);
      return out as unknown as BinanceCapture;
    };
    expectPrefixOf(head(capture, before), intact);
  });

  it("a plain capture cut inside a line: TRUNCATED by default, the complete lines under quarantine", () => {
    const lines = futuresLines.slice(0, 40);
    const partial = futuresLines[40]!.slice(0, 120);
    const head = lines.join("\n") + "\n";
    const file = write("futures-cut.txt", head + partial);
    const e = thrown(() => readBinanceRaw(file));
    expect(e.code).toBe("TRUNCATED");
    expect(e.message).toContain("futures-cut.txt");
    expect(e.message).toContain("line 41");
    expect(e.message).toContain(`byte ${Buffer.byteLength(head).toLocaleString("en-US")}`);
    expect(e.hint).toMatch(QUARANTINE_HINT);
    const capture = readBinanceRaw(file, { onBadRows: "quarantine" });
    expect(capture.messages).toBe(40);
    expect(capture.readReport.issues.map((x) => [x.class, x.count, x.samples[0]!.byteOffset, x.samples[0]!.row])).toEqual([["truncated", 1, Buffer.byteLength(head), 40]]);
    expect(capture.problems).toEqual([]);
    expectPrefixOf(capture, futuresFull());
    // A last line that is complete but has no newline is not a cut.
    const whole = readBinanceRaw(write("futures-no-final-newline.txt", futuresLines.slice(0, 41).join("\n")));
    expect(whole.messages).toBe(41);
    expect(whole.readReport.issues).toEqual([]);
  });
});

interface Defect {
  name: string;
  /** Which of the first 60 futures lines to edit (1-based), found by kind. */
  kind: "diff" | "ticker" | "trade" | "any";
  edit: (line: string) => string;
  code: string;
  cls: string;
  column: string;
  /** Raw text quoted for the field ("" when the field is absent), from the original line. */
  value: string | ((original: string) => string);
}

/** The first 60 characters, as the reader quotes a line that is not JSON. */
const d60 = (text: string): string => (text.length > 60 ? `${text.slice(0, 60)}…` : text);

const DEFECTS: Defect[] = [
  { name: "invalid JSON", kind: "trade", edit: (l) => l.replace('"e":"trade"', '"e":"trade",,'), code: "BAD_JSON", cls: "type-error", column: "(json)", value: (l) => d60(l.slice(l.indexOf(" ") + 1).replace('"e":"trade"', '"e":"trade",,')) },
  { name: "JSON that is not an object", kind: "any", edit: (l) => `${l.slice(0, l.indexOf(" "))} null`, code: "BAD_JSON", cls: "type-error", column: "(json)", value: "null" },
  { name: "non-numeric receive time", kind: "ticker", edit: (l) => `17231612x5${l.slice(l.indexOf(" "))}`, code: "BAD_LINE", cls: "type-error", column: "localTs", value: "17231612x5" },
  { name: "receive time beyond int64", kind: "ticker", edit: (l) => `9999999999999999999${l.slice(l.indexOf(" "))}`, code: "BAD_LINE", cls: "type-error", column: "localTs", value: "9999999999999999999" },
  { name: "missing receive time", kind: "ticker", edit: (l) => l.slice(l.indexOf(" ") + 1), code: "BAD_LINE", cls: "missing-value", column: "localTs", value: "" },
  { name: "non-numeric event time", kind: "trade", edit: (l) => l.replace(/"E":\d+/, '"E":"soon"'), code: "BAD_VALUE", cls: "type-error", column: "E", value: "soon" },
  { name: "event time 1e400", kind: "trade", edit: (l) => l.replace(/"E":\d+/, '"E":1e400'), code: "BAD_VALUE", cls: "type-error", column: "E", value: "Infinity" },
  { name: "missing event time", kind: "trade", edit: (l) => l.replace(/"E":\d+,/, ""), code: "MISSING_VALUE", cls: "missing-value", column: "E", value: "" },
  { name: "unknown message type", kind: "trade", edit: (l) => l.replace('"e":"trade"', '"e":"tradeX"'), code: "UNKNOWN_MESSAGE", cls: "type-error", column: "e", value: "tradeX" },
  { name: "price 1e400", kind: "trade", edit: (l) => l.replace(/"p":"[0-9.]+"/, '"p":"1e400"'), code: "BAD_VALUE", cls: "type-error", column: "p", value: "1e400" },
  { name: "price NaN", kind: "trade", edit: (l) => l.replace(/"p":"[0-9.]+"/, '"p":"NaN"'), code: "BAD_VALUE", cls: "type-error", column: "p", value: "NaN" },
  { name: "absurd price", kind: "trade", edit: (l) => l.replace(/"p":"[0-9.]+"/, '"p":"1e300"'), code: "BAD_VALUE", cls: "type-error", column: "p", value: "1e300" },
  { name: "negative price", kind: "trade", edit: (l) => l.replace(/"p":"([0-9.]+)"/, '"p":"-$1"'), code: "NON_POSITIVE_PRICE", cls: "non-positive-price", column: "p", value: (l) => `-${/"p":"([0-9.]+)"/.exec(l)![1]}` },
  { name: "negative size", kind: "trade", edit: (l) => l.replace(/"q":"([0-9.]+)"/, '"q":"-$1"'), code: "BAD_SIZE", cls: "bad-size", column: "q", value: (l) => `-${/"q":"([0-9.]+)"/.exec(l)![1]}` },
  { name: "size not a number", kind: "ticker", edit: (l) => l.replace(/"B":"[0-9.]+"/, '"B":"lots"'), code: "BAD_VALUE", cls: "type-error", column: "B", value: "lots" },
  { name: "off-grid price", kind: "trade", edit: (l) => l.replace(/"p":"[0-9.]+"/, '"p":"61800.25"'), code: "OFF_GRID", cls: "off-grid", column: "p", value: "61800.25" },
  { name: "depth message without arrays", kind: "diff", edit: (l) => l.replace(/"b":\[/, '"bb":['), code: "BAD_DEPTH", cls: "missing-value", column: "b", value: "" },
  { name: "level that is not a pair", kind: "diff", edit: (l) => l.replace(/"a":\[\[/, '"a":[7,['), code: "BAD_DEPTH", cls: "type-error", column: "a", value: "7" },
  { name: "update id not an integer", kind: "diff", edit: (l) => l.replace(/"u":\d+/, '"u":"x"'), code: "BAD_VALUE", cls: "type-error", column: "u", value: "x" },
];

function lineOf(kind: Defect["kind"]): number {
  const marker = { diff: '"depthUpdate"', ticker: '"bookTicker"', trade: '"e":"trade"', any: "" }[kind];
  // Not line 1: the error must name a line that is not the first by accident.
  for (let i = 3; i < futuresLines.length; i++) if (futuresLines[i]!.includes(marker)) return i + 1;
  throw new Error(kind);
}

describe("Binance raw reader: bad lines under each policy", () => {
  it.each(DEFECTS.map((d) => [d.name, d] as const))("%s", async (_name, d) => {
    const line = lineOf(d.kind);
    const value = typeof d.value === "function" ? d.value(futuresLines[line - 1]!) : d.value;
    const lines = [...futuresLines];
    lines[line - 1] = d.edit(lines[line - 1]!);
    expect(lines[line - 1]).not.toBe(futuresLines[line - 1]);
    const file = write(`defect-${d.name.replace(/\W+/g, "-")}.txt`, lines.join("\n") + "\n");

    const e = thrown(() => readBinanceRaw(file));
    expect(e.code).toBe(d.code);
    expect(e.message).toContain(`${file}: line ${line}, column "${d.column}"`);
    if (value !== "") expect(e.message).toContain(JSON.stringify(value));
    expect(e.message.length).toBeLessThan(600);
    expect(e.hint).toMatch(QUARANTINE_HINT);
    expect(e.context).toMatchObject({ file, line, column: d.column });
    // The format reader (readFile / CLI) rejects the same way.
    expect((await rejected(readFile(file, { format: "binance-raw" }))).code).toBe(d.code);

    const capture = readBinanceRaw(file, { onBadRows: "quarantine" });
    expect(capture.messages).toBe(59);
    expect(Array.from(capture.line)).toEqual([...Array(60).keys()].map((i) => i + 1).filter((l) => l !== line));
    expect(capture.problems.map((p) => [p.line, p.code, p.column])).toEqual([[line, d.code, d.column]]);
    expect(capture.counts.skipped).toBe(1);
    const batch = await readFile(file, { format: "binance-raw", onBadRows: "quarantine" });
    const report = readReportOf(batch)!;
    expect(report.rowsRead).toBe(60);
    expect(report.issues.map((x) => [x.class, x.count, x.policy])).toEqual([[d.cls, 1, "quarantine"]]);
    expect(report.issues[0]!.samples).toEqual([{ row: line - 1, line, column: d.column, ...(value !== "" ? { value } : {}) }]);
  });

  it("quarantine keeps every good line and counts every bad one exactly, by class", async () => {
    const lines = [...futuresLines];
    const edits: [number, (l: string) => string][] = [
      [4, (l) => l.slice(0, 30)],
      [9, (l) => `x${l}`],
      [13, (l) => l.replace(/"p":"[0-9.]+"/, '"p":"1e400"').replace(/"b":"[0-9.]+"/, '"b":"1e400"')],
      [21, (l) => l.replace(/"(p|b)":"([0-9.]+)"/, '"$1":"-$2"')],
      [31, (l) => l.replace(/"(q|B)":"[0-9.]+"/, '"$1":"-1"')],
      [44, (l) => l.replace(/"(p|b)":"([0-9.]+)"/, '"$1":"61800.25"')],
    ];
    for (const [n, f] of edits) lines[n - 1] = f(lines[n - 1]!);
    const file = write("many-defects.txt", lines.join("\n") + "\n");
    const capture = readBinanceRaw(file, { onBadRows: "quarantine" });
    const badLines = edits.map(([n]) => n);
    expect(Array.from(capture.line)).toEqual([...Array(60).keys()].map((i) => i + 1).filter((l) => !badLines.includes(l)));
    expect(capture.problems.map((p) => p.line)).toEqual(badLines);
    const batch = await readFile(file, { format: "binance-raw", onBadRows: "quarantine" });
    const report = readReportOf(batch)!;
    const counts = Object.fromEntries(report.issues.map((x) => [x.class, x.count]));
    expect(counts).toEqual({ "type-error": 3, "off-grid": 1, "non-positive-price": 1, "bad-size": 1 });
    expect(report.issues.find((x) => x.class === "type-error")!.samples.map((s) => s.line)).toEqual([4, 9, 13]);
    // Rows of the good lines are the intact file's rows.
    const intact = parseBinanceRaw(futuresLines.join("\n"), "intact.txt");
    const keep = [...Array(60).keys()].filter((i) => !badLines.includes(i + 1));
    expect(Array.from(capture.localTs)).toEqual(keep.map((i) => intact.localTs[i]!));
    expect(Array.from(capture.lastId)).toEqual(keep.map((i) => intact.lastId[i]!));
  });

  it("subscription replies are known non-data lines: counted as info, never bad rows", async () => {
    const lines = [`1723161255000000000 {"result":null,"id":1}`, ...futuresLines.slice(0, 10), `1723161255400000000 {"result":null,"id":2}`, ...futuresLines.slice(10)];
    const file = write("with-acks.txt", lines.join("\n") + "\n");
    const capture = readBinanceRaw(file);
    expect(capture.messages).toBe(60);
    expect(capture.problems).toEqual([]);
    expect(capture.readReport.nonData).toEqual({ lines: 2, byType: { "subscription reply": 2 }, firstLine: 1 });
    const batch = await readFile(file, { format: "binance-raw" });
    const report = readReportOf(batch) as BinanceReadReport;
    expect(report.issues).toEqual([]);
    expect(report.nonData.lines).toBe(2);
    expect(report.rowsRead).toBe(62);
  });
});

describe("Binance raw reader: junk never hangs or crashes it", () => {
  it("a zero-length file, a directory, a file of binary junk", () => {
    const empty = write("empty.gz", new Uint8Array(0));
    const e = thrown(() => readBinanceRaw(empty));
    expect(e.code).toBe("NO_MESSAGES");
    expect(e.message).toContain("empty.gz");
    mkdirSync(join(tmp, "a-directory.gz"), { recursive: true });
    expect(thrown(() => readBinanceRaw(join(tmp, "a-directory.gz"))).code).toBe("IS_A_DIRECTORY");
    let seed = 7;
    const junk = new Uint8Array(300_000).map(() => ((seed = (seed * 1_103_515_245 + 12_345) >>> 0) >>> 24));
    const junkFile = write("junk.bin", junk);
    const reject = thrown(() => readBinanceRaw(junkFile));
    expect(reject.code).toBe("BAD_LINE");
    expect(reject.message).toContain("line 1,");
    expect(reject.message.length).toBeLessThan(600);
    const quarantined = thrown(() => readBinanceRaw(junkFile, { onBadRows: "quarantine" }));
    expect(quarantined.code).toBe("NO_MESSAGES");
    // Every non-blank line of the junk is a counted bad line (blank lines carry nothing).
    const nonBlank = Buffer.from(junk).toString("utf8").split("\n").filter((l) => l.trim() !== "").length;
    expect(nonBlank).toBeGreaterThan(500);
    expect(quarantined.message).toContain(`: no Binance messages could be read (${nonBlank} bad lines, first: `);
    // Junk that starts like a gzip stream.
    const fakeGz = write("fake.gz", Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.from(junk.subarray(0, 5000))]));
    expect(thrown(() => readBinanceRaw(fakeGz)).code).toBe("CORRUPT_GZIP");
    expect(thrown(() => readBinanceRaw(fakeGz, { onBadRows: "quarantine" })).code).toBe("NO_MESSAGES");
  });

  it("a 10 MB line and a deeply nested one are bad lines; the lines around them are kept", () => {
    const huge = `1723161255030314667 {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"t":1,"p":"${"9".repeat(10_000_000)}","q":"0.001","m":true}}`;
    const nested = `1723161255030314667 ${"[".repeat(2_000_000)}`;
    const file = write("huge-line.txt", [...futuresLines.slice(0, 5), huge, nested, ...futuresLines.slice(5)].join("\n") + "\n");
    const e = thrown(() => readBinanceRaw(file));
    expect(e.code).toBe("BAD_VALUE");
    expect(e.message).toContain('line 6, column "p"');
    expect(e.message.length).toBeLessThan(600);
    const capture = readBinanceRaw(file, { onBadRows: "quarantine" });
    expect(capture.messages).toBe(60);
    expect(capture.problems.map((p) => [p.line, p.code])).toEqual([[6, "BAD_VALUE"], [7, "BAD_JSON"]]);
    expect(capture.problems.every((p) => p.message.length < 600)).toBe(true);
    expect(capture.readReport.issues.map((x) => [x.class, x.count])).toEqual([["type-error", 2]]);
    expect(capture.readReport.issues[0]!.samples.every((s) => (s.value ?? "").length <= 80)).toBe(true);
  });

  it("a capture with only a snapshot becomes the snapshot's level rows", async () => {
    const snapshot = futuresLines[54]!;
    expect(snapshot).toContain('"lastUpdateId"');
    const file = write("only-snapshot.txt", snapshot + "\n");
    const capture = readBinanceRaw(file);
    expect(capture.messages).toBe(1);
    expect(capture.counts.snapshots).toBe(1);
    const batch = await readFile(file, { format: "binance-raw" });
    expect(batch.length).toBe(2000);
    expect(readReportOf(batch)!.issues).toEqual([]);
  });
});
