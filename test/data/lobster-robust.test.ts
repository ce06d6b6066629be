/**
 * The LOBSTER reader on damaged input: every good row kept, every bad one counted, the orderbook
 * kept aligned with the messages. Ground truth is the real GOOG 2012-06-21 level-5 download
 * (data/lobster), with defects injected into copies in a temp dir.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants as zlibConstants, gunzipSync, gzipSync, inflateRawSync } from "node:zlib";
import { unzipSync, zipSync } from "fflate";
import { afterAll, describe, expect, it } from "vitest";
import { lobsterL3Batch, verifyLobster } from "../../src/venues/book-aliases.js";
import { TICK_COLUMN_NAMES, readFile, readLobster, readReportOf, validate, type LobsterData, type LobsterOrderbook, type TickBatch } from "../../src/venues/data-aliases.js";
import { ROOT } from "../helpers/paths.js";
import { caught } from "../helpers/checks.js";

const ZIP5 = join(ROOT, "data", "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip");
const MSG = "GOOG_2012-06-21_34200000_57600000_message_5.csv";
const OB = "GOOG_2012-06-21_34200000_57600000_orderbook_5.csv";
const QUARANTINE_HINTS = ['{ onBadRows: "quarantine" }', "--on-bad-rows quarantine"];
/** Rows of the small copies (the first N rows of the real files). */
const N = 20_000;

const zipBytes = readFileSync(ZIP5);
const parts = unzipSync(zipBytes, { filter: (f) => f.name.endsWith(".csv") });
const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
const allMsgLines = latin1(parts[MSG]!).split("\n").slice(0, -1);
const allObLines = latin1(parts[OB]!).split("\n").slice(0, -1);
const msgLines = allMsgLines.slice(0, N);
const obLines = allObLines.slice(0, N);
const tmp = mkdtempSync(join(tmpdir(), "lobster-robust-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;

/** Writes a message (and orderbook) CSV pair under LOBSTER's names in a fresh folder. */
function writePair(messages: string | string[], orderbook: string | string[] = obLines): { messages: string; orderbook: string } {
  const dir = join(tmp, `case-${++dirs}`);
  mkdirSync(dir);
  const text = (x: string | string[]) => (typeof x === "string" ? x : x.join("\n") + "\n");
  writeFileSync(join(dir, MSG), text(messages));
  writeFileSync(join(dir, OB), text(orderbook));
  return { messages: join(dir, MSG), orderbook: join(dir, OB) };
}

function writeFileIn(name: string, bytes: Uint8Array | string): string {
  const dir = join(tmp, `case-${++dirs}`);
  mkdirSync(dir);
  writeFileSync(join(dir, name), bytes);
  return join(dir, name);
}

/** First difference between batch `got` and the rows `rows` of batch `want` (all rows when omitted). */
function firstDifference(want: TickBatch, got: TickBatch, rows?: readonly number[]): string | null {
  const n = rows ? rows.length : want.length;
  if (got.length !== n) return `length ${got.length}, expected ${n}`;
  for (const name of TICK_COLUMN_NAMES) {
    const a = want[name] as ArrayLike<number | bigint>;
    const b = got[name] as ArrayLike<number | bigint>;
    for (let i = 0; i < n; i++) {
      const x = a[rows ? rows[i]! : i]!;
      const y = b[i]!;
      if (!(x === y || (x !== x && y !== y))) return `${name}[${i}]: ${String(y)}, expected ${String(x)}`;
    }
  }
  return null;
}

function orderbookDifference(want: LobsterOrderbook, got: LobsterOrderbook, rows?: readonly number[]): string | null {
  const n = rows ? rows.length : want.rows;
  if (got.rows !== n || got.levels !== want.levels) return `rows ${got.rows} x ${got.levels}, expected ${n} x ${want.levels}`;
  const L = want.levels;
  for (const name of ["askPrice", "askSize", "bidPrice", "bidSize"] as const) {
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < L; k++) {
        const x = want[name][(rows ? rows[i]! : i) * L + k]!;
        const y = got[name][i * L + k]!;
        if (!(x === y || (x !== x && y !== y))) return `${name}[${i}, ${k}]: ${y}, expected ${x}`;
      }
    }
  }
  return null;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const fields = (line: string) => line.split(",");
const clean = readLobster(writePair(msgLines));
let cleanL3: ReturnType<typeof lobsterL3Batch> | undefined;
const cleanStream = () => (cleanL3 ??= lobsterL3Batch(clean));

describe("LOBSTER times with float noise beyond 9 decimals", () => {
  const fmt = (ns: bigint) => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, "0")}`;
  const nsOf = (t: string) => {
    const [w, f = ""] = t.split(".");
    return BigInt(w!) * 1_000_000_000n + BigInt(f.padEnd(9, "0"));
  };
  // Every 97th row gets noise that rounds back to its own time: below half (down), above half
  // (up, from 1 ns earlier) and exactly half (up: the tie rule is half-up).
  const noisy = [...msgLines];
  const changed: number[] = [];
  for (let i = 3; i < N; i += 97) {
    const f = fields(noisy[i]!);
    const ns = nsOf(f[0]!);
    const style = changed.length % 3;
    f[0] = style === 0 ? `${fmt(ns)}0000004` : style === 1 ? `${fmt(ns - 1n)}9999996` : `${fmt(ns - 1n)}5`;
    noisy[i] = f.join(",");
    changed.push(i);
  }
  const files = writePair(noisy);
  let cached: LobsterData | undefined;
  const read = () => (cached ??= readLobster(files));

  it("keeps every row, with exactly the times of the clean file, and reports each rounded time", () => {
    const data = read();
    expect(firstDifference(clean.batch, data.batch)).toBeNull();
    expect(orderbookDifference(clean.orderbook!, data.orderbook!)).toBeNull();
    const report = readReportOf(data.batch)!;
    expect(report.rowsRead).toBe(N);
    const issue = report.issues.find((x) => x.class === "time-rounded")!;
    expect(issue.count).toBe(changed.length);
    expect(issue.policy).toBe("warn");
    expect(issue.samples[0]).toMatchObject({ row: 3, column: "time", value: fields(noisy[3]!)[0] });
    expect(issue.samples[1]).toMatchObject({ row: 100, column: "time", value: fields(noisy[100]!)[0] });
    expect(report.issues.map((x) => x.class)).toEqual(["time-rounded"]);
    const quality = validate(data.batch);
    expect(quality.issues.find((x) => x.class === "time-rounded")?.count).toBe(changed.length);
  });

  it("replays into LOBSTER's book exactly as the clean file does", () => {
    const data = read();
    const want = verifyLobster(clean);
    const got = verifyLobster(data);
    expect(got).toEqual(want);
    expect([got.rows, got.mismatches]).toEqual([N - 1, 0]);
    expect(firstDifference(cleanStream().batch, lobsterL3Batch(data).batch)).toBeNull();
  });

  it("rounds half-up on the 10th decimal, carrying into the seconds, from the text alone", () => {
    const rows = ["34200.9999999995,1,1,100,5794000,1", "34201.0000000004999,1,2,100,5794000,1", "43002.632812672004,1,3,100,5794000,1", "43002.6328126725,1,4,100,5794000,1"];
    const d = readLobster({ messages: writeFileIn(MSG, rows.join("\n") + "\n"), orderbook: false });
    const midnight = clean.batch.exchTs[0]! - nsOf(fields(msgLines[0]!)[0]!);
    expect(Array.from(d.batch.exchTs, (t) => fmt(t - midnight))).toEqual(["34201.000000000", "34201.000000000", "43002.632812672", "43002.632812673"]);
    expect(readReportOf(d.batch)!.issues[0]).toMatchObject({ class: "time-rounded", count: 4 });
  });
});

describe("bad message rows", () => {
  // Row R0 is an Add (type 1), so an off-tick price is a grid error there, not a midpoint print.
  const R0 = msgLines.findIndex((l, i) => i >= 41 && fields(l)[1] === "1");
  type Case = { name: string; edit: (f: string[]) => void; code: string; cls: string; column: string; raw: string; representable: boolean };
  const cases: Case[] = [
    { name: "non-numeric order id", edit: (f) => (f[2] = "15x18974"), code: "BAD_VALUE", cls: "type-error", column: "order_id", raw: "15x18974", representable: true },
    { name: "non-numeric size", edit: (f) => (f[3] = "abc"), code: "BAD_VALUE", cls: "type-error", column: "size", raw: "abc", representable: true },
    { name: "fractional size", edit: (f) => (f[3] = "12.5"), code: "BAD_VALUE", cls: "off-grid", column: "size", raw: "12.5", representable: true },
    { name: "non-numeric price", edit: (f) => (f[4] = "57x9400"), code: "BAD_VALUE", cls: "type-error", column: "price", raw: "57x9400", representable: true },
    { name: "off-tick price", edit: (f) => (f[4] = String(Number(f[4]) + 50)), code: "OFF_TICK", cls: "off-grid", column: "price", raw: "", representable: true },
    { name: "unknown type", edit: (f) => (f[1] = "9"), code: "BAD_VALUE", cls: "type-error", column: "type", raw: "9", representable: false },
    { name: "unknown direction", edit: (f) => (f[5] = "0"), code: "BAD_VALUE", cls: "type-error", column: "direction", raw: "0", representable: true },
    { name: "empty size", edit: (f) => (f[3] = ""), code: "BAD_VALUE", cls: "missing-value", column: "size", raw: "", representable: true },
    { name: "5 fields", edit: (f) => void f.pop(), code: "BAD_ROW", cls: "missing-value", column: "direction", raw: "", representable: false },
    { name: "7 fields", edit: (f) => void f.push("77"), code: "BAD_ROW", cls: "type-error", column: "field 7", raw: "77", representable: false },
    { name: "unparseable time", edit: (f) => (f[0] = "34200.01x5"), code: "BAD_TIME", cls: "type-error", column: "time", raw: "34200.01x5", representable: false },
    { name: "empty time", edit: (f) => (f[0] = ""), code: "BAD_TIME", cls: "missing-value", column: "time", raw: "", representable: false },
  ];
  const damaged = (lines: string[], row: number, c: Case): string => {
    const f = fields(lines[row]!);
    c.edit(f);
    if (c.name === "off-tick price") c.raw = f[4]!;
    return f.join(",");
  };

  it.each(cases)("reject: $name names file, row, column and the raw cell, with the quarantine hint", (c) => {
    const lines = [...msgLines];
    lines[R0] = damaged(lines, R0, c);
    const files = writePair(lines);
    const error = caught(() => readLobster(files));
    expect(error.code).toBe(c.code);
    expect(error.context).toMatchObject({ file: files.messages, row: R0 + 1, column: c.column, value: c.raw });
    expect(error.message).toContain(`row ${R0 + 1}, column ${c.column}: "${c.raw}"`);
    expect(error.message).not.toContain(lines[R0]!);
    for (const h of QUARANTINE_HINTS) expect(error.hint).toContain(h);
  });

  it("quarantine: keeps every good row, reports each bad one, and drops the matching orderbook rows", () => {
    const lines = [...msgLines];
    const bad = cases.map((_, k) => R0 + 1000 * (k + 1));
    // The off-tick case needs a type 1-4 row.
    cases.forEach((c, k) => {
      while (c.name === "off-tick price" && !["1", "2", "3", "4"].includes(fields(lines[bad[k]!]!)[1]!)) bad[k]!++;
      lines[bad[k]!] = damaged(lines, bad[k]!, c);
    });
    const data = readLobster({ ...writePair(lines), onBadRows: "quarantine" });
    const kept = range(N).filter((i) => !bad.includes(i));
    expect(firstDifference(clean.batch, data.batch, kept)).toBeNull();
    expect(orderbookDifference(clean.orderbook!, data.orderbook!, kept)).toBeNull();
    const report = readReportOf(data.batch)!;
    expect(report.rowsRead).toBe(N);
    const byClass = Object.fromEntries(report.issues.map((x) => [x.class, x.count]));
    // Rows set aside are gone from both files, so a message after a removed Add takes from a level
    // the orderbook row before it (now the one before the removed row) never listed: the check of
    // the orderbook against the messages says so, twice here.
    expect(byClass).toEqual({ "type-error": 7, "off-grid": 2, "missing-value": 3, "book-mismatch": 2 });
    const samples = report.issues.filter((x) => x.class !== "book-mismatch").flatMap((x) => x.samples.map((s) => ({ cls: x.class, row: s.row, column: s.column, value: s.value })));
    // The first 5 rows of each class are the samples.
    const expected = cases.map((c, k) => ({ cls: c.cls, row: bad[k], column: c.column, value: c.raw }));
    expect(samples).toEqual(report.issues.filter((x) => x.class !== "book-mismatch").flatMap((x) => expected.filter((e) => e.cls === x.class).slice(0, 5)));
    for (const x of report.issues) expect(x.policy).toBe(x.class === "book-mismatch" ? "warn" : "quarantine");
    const q = report.quarantine!;
    const representable = bad.filter((_, k) => cases[k]!.representable);
    expect(Array.from(q.sourceRows)).toEqual(representable);
    expect(q.batch.length).toBe(representable.length);
    expect(q.reasons).toEqual(cases.filter((c) => c.representable).map((c) => c.cls));
    // The quarantined non-numeric order id keeps the rest of its row.
    expect([q.batch.orderId[0], q.batch.priceTicks[0], q.batch.exchTs[0]]).toEqual([NaN, clean.batch.priceTicks[bad[0]!], clean.batch.exchTs[bad[0]!]]);
    // validate() shows the reader's classes next to its own.
    const classes = validate(data.batch).issues.map((x) => x.class);
    expect(classes).toEqual(expect.arrayContaining(["type-error", "off-grid", "missing-value"]));
  });

  it("quarantine: removing a hidden execution (it leaves the visible book alone) keeps the replay exact", () => {
    const row = msgLines.findIndex((l, i) => i > 10_000 && fields(l)[1] === "5");
    const lines = [...msgLines];
    lines[row] = damaged(lines, row, cases.find((c) => c.name === "unknown direction")!);
    const data = readLobster({ ...writePair(lines), onBadRows: "quarantine" });
    expect(data.batch.length).toBe(N - 1);
    expect(data.orderbook!.rows).toBe(N - 1);
    expect(verifyLobster(data)).toMatchObject({ rows: N - 2, mismatches: 0 });
    const l3 = lobsterL3Batch(data);
    expect(l3.messageEnd.length).toBe(N - 1);
    expect(l3.unknownIdMessages).toBe(cleanStream().unknownIdMessages);
  });

  it("quarantine: removing an Add shows in the replay exactly once, at the next message, then realigns", () => {
    const ob = clean.orderbook!;
    const L = ob.levels;
    // An Add at the best bid joining an existing level, followed by a message on the ask side.
    let row = -1;
    for (let i = 5000; i < N - 1 && row < 0; i++) {
      const f = fields(msgLines[i]!);
      const g = fields(msgLines[i + 1]!);
      if (f[1] === "1" && f[5] === "1" && Number(f[4]) / 100 === ob.bidPrice[(i - 1) * L] && g[5] === "-1" && ["1", "2", "3", "4"].includes(g[1]!)) row = i;
    }
    expect(row).toBeGreaterThan(0);
    const lines = [...msgLines];
    lines[row] = damaged(lines, row, cases.find((c) => c.name === "non-numeric price")!);
    const data = readLobster({ ...writePair(lines), onBadRows: "quarantine" });
    expect(data.orderbook!.rows).toBe(N - 1);
    const added = Number(fields(msgLines[row]!)[3]);
    const price = ob.bidPrice[(row + 1) * L]!;
    const size = ob.bidSize[(row + 1) * L]!;
    // Batch row `row` is source row row+1: its reference bid still holds the removed Add's size.
    expect(verifyLobster(data)).toMatchObject({ rows: N - 2, mismatches: 1, firstMismatch: { row, side: "bid", level: 1, expected: { price, size }, actual: { price, size: size - added } } });
    expect(lobsterL3Batch(data).messageEnd.length).toBe(N - 1);
  });
});

describe("bad orderbook rows", () => {
  it("reject: BAD_ORDERBOOK naming row, column and cell; quarantine: the row and its message set aside", () => {
    const lines = [...obLines];
    const f = fields(lines[3000]!);
    f[4] = "12x";
    lines[3000] = f.join(",");
    const files = writePair(msgLines, lines);
    const error = caught(() => readLobster(files));
    expect(error.code).toBe("BAD_ORDERBOOK");
    expect(error.context).toMatchObject({ file: files.orderbook, row: 3001, column: "ask_price_2", value: "12x" });
    for (const h of QUARANTINE_HINTS) expect(error.hint).toContain(h);
    const data = readLobster({ ...files, onBadRows: "quarantine" });
    const kept = range(N).filter((i) => i !== 3000);
    expect(firstDifference(clean.batch, data.batch, kept)).toBeNull();
    expect(orderbookDifference(clean.orderbook!, data.orderbook!, kept)).toBeNull();
    const report = readReportOf(data.batch)!;
    expect(report.issues).toMatchObject([{ class: "type-error", count: 1, file: files.orderbook, samples: [{ row: 3000, column: "ask_price_2", value: "12x" }] }]);
    expect(Array.from(report.quarantine!.sourceRows)).toEqual([3000]);
    expect(firstDifference(clean.batch, report.quarantine!.batch, [3000])).toBeNull();
  });
});

describe("time order", () => {
  it("keeps a time that goes backwards; validate() reports exch-ts-order", () => {
    const lines = [...msgLines];
    const f = fields(lines[10]!);
    f[0] = "34199.5";
    lines[10] = f.join(",");
    const data = readLobster(writePair(lines));
    expect(data.batch.length).toBe(N);
    const issue = validate(data.batch, { onReject: "report" }).issues.find((x) => x.class === "exch-ts-order")!;
    expect(issue).toMatchObject({ count: 1, policy: "quarantine" });
    expect(issue.samples[0]!.row).toBe(10);
  });
});

describe("truncated and damaged files", () => {
  const full = readLobster({ messages: ZIP5 });
  const total = full.batch.length;
  // Where the message member's compressed data starts, from its local header.
  const localAt = zipBytes.indexOf(Buffer.from(`PK\x03\x04`, "latin1"), zipBytes.indexOf(Buffer.from(MSG)) - 30 - 10);
  const messageDataAt = localAt + 30 + zipBytes.readUInt16LE(localAt + 26) + zipBytes.readUInt16LE(localAt + 28);
  const messageDataEnd = messageDataAt + 1_207_834; // its compressed size (unzip -lv)

  it.each([1_200_000, 1_836_000, zipBytes.length - 100])("a zip cut at byte %i: CORRUPT_ZIP, or every complete row with quarantine", (cut) => {
    const file = writeFileIn("LOBSTER_SampleFile_GOOG_2012-06-21_5.zip", zipBytes.subarray(0, cut));
    const error = caught(() => readLobster({ messages: file }));
    expect(error.code).toBe("CORRUPT_ZIP");
    for (const h of QUARANTINE_HINTS) expect(error.hint).toContain(h);
    // Ground truth from another decoder: zlib, flushing what it can of the cut stream.
    const text = cut >= messageDataEnd ? latin1(parts[MSG]!) : inflateRawSync(zipBytes.subarray(messageDataAt, cut), { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString("latin1");
    const complete = text.slice(0, text.lastIndexOf("\n") + 1).split("\n").length - 1;
    const data = readLobster({ messages: file, onBadRows: "quarantine" });
    expect(complete).toBeLessThanOrEqual(total);
    expect(firstDifference(full.batch, data.batch, range(complete))).toBeNull();
    expect(orderbookDifference(full.orderbook!, data.orderbook!, range(complete))).toBeNull();
    const issues = readReportOf(data.batch)!.issues;
    expect(issues.map((x) => x.class)).toEqual(["truncated"]);
    expect(issues[0]!.samples[0]!.row).toBe(complete);
  });

  it("a zip cut before the message member is an error under every policy", () => {
    const file = writeFileIn("LOBSTER_SampleFile_GOOG_2012-06-21_5.zip", zipBytes.subarray(0, 300_000));
    expect(caught(() => readLobster({ messages: file, onBadRows: "quarantine" })).code).toBe("CORRUPT_ZIP");
    expect(caught(() => readLobster({ messages: file, onBadRows: "quarantine", orderbook: false })).code).toBe("CORRUPT_ZIP");
  });

  // A stored (uncompressed) member: changing one digit leaves it decodable; only the CRC tells.
  const smallZip = zipSync({ [MSG]: [new TextEncoder().encode(msgLines.join("\n") + "\n"), { level: 0 }], [OB]: new TextEncoder().encode(obLines.join("\n") + "\n") });

  it("a member whose CRC-32 does not match is never read as intact", () => {
    const row = 500;
    const at = Buffer.from(smallZip).indexOf(Buffer.from(msgLines[row]! + "\n"));
    const f = fields(msgLines[row]!);
    const sizeAt = at + f.slice(0, 3).join(",").length + 1;
    const bytes = smallZip.slice();
    bytes[sizeAt] = bytes[sizeAt] === 0x31 ? 0x32 : 0x31;
    const file = writeFileIn("GOOG_2012-06-21_34200000_57600000_5.zip", bytes);
    const error = caught(() => readLobster({ messages: file }));
    expect(error.code).toBe("CORRUPT_ZIP");
    expect(error.message).toContain("CRC-32");
    for (const h of QUARANTINE_HINTS) expect(error.hint).toContain(h);
    const data = readLobster({ messages: file, onBadRows: "quarantine" });
    expect(data.batch.length).toBe(N);
    expect(data.batch.qtyLots[row]).not.toBe(clean.batch.qtyLots[row]);
    const issues = readReportOf(data.batch)!.issues;
    expect(issues.map((x) => x.class)).toEqual(["truncated"]);
    expect(issues[0]!.message).toContain("CRC-32");
  });

  it("a deflated member damaged in the middle: CORRUPT_ZIP, or the rows before the damage", () => {
    const deflated = zipSync({ [MSG]: new TextEncoder().encode(msgLines.join("\n") + "\n"), [OB]: new TextEncoder().encode(obLines.join("\n") + "\n") });
    const at = Buffer.from(deflated).indexOf(Buffer.from(MSG)) + MSG.length + 40_000;
    const bytes = deflated.slice();
    bytes[at] = bytes[at]! ^ 0x5a;
    const file = writeFileIn("GOOG_2012-06-21_34200000_57600000_5.zip", bytes);
    expect(caught(() => readLobster({ messages: file })).code).toBe("CORRUPT_ZIP");
    const data = readLobster({ messages: file, onBadRows: "quarantine" });
    const issues = readReportOf(data.batch)!.issues;
    expect(issues.filter((x) => x.class === "truncated")).toHaveLength(1);
    expect(data.orderbook!.rows).toBe(data.batch.length);
    // The first 1,000 rows sit well before the damage and are exact.
    expect(firstDifference(clean.batch, { ...data.batch, length: 1000 } as TickBatch, range(1000))).toBeNull();
  });

  it("a message CSV cut inside a line: TRUNCATED, or the complete rows with the orderbook cut to match", () => {
    const text = msgLines.join("\n") + "\n";
    const cutAt = text.indexOf(msgLines[15_000]!) + 17;
    const files = writePair(text.slice(0, cutAt));
    const error = caught(() => readLobster(files));
    expect(error.code).toBe("TRUNCATED");
    expect(error.context).toMatchObject({ file: files.messages, row: 15_001 });
    for (const h of QUARANTINE_HINTS) expect(error.hint).toContain(h);
    const data = readLobster({ ...files, onBadRows: "quarantine" });
    expect(firstDifference(clean.batch, data.batch, range(15_000))).toBeNull();
    expect(orderbookDifference(clean.orderbook!, data.orderbook!, range(15_000))).toBeNull();
    const issues = readReportOf(data.batch)!.issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ class: "truncated", count: 1, file: files.messages });
    expect(issues[0]!.samples[0]).toMatchObject({ row: 15_000, byteOffset: text.indexOf(msgLines[15_000]!) });
  });

  it("an orderbook CSV cut inside a line: the messages are cut to the orderbook's complete rows", () => {
    const text = obLines.join("\n") + "\n";
    const files = writePair(msgLines, text.slice(0, text.indexOf(obLines[12_000]!) + 30));
    expect(caught(() => readLobster(files)).code).toBe("TRUNCATED");
    const data = readLobster({ ...files, onBadRows: "quarantine" });
    expect(firstDifference(clean.batch, data.batch, range(12_000))).toBeNull();
    expect(orderbookDifference(clean.orderbook!, data.orderbook!, range(12_000))).toBeNull();
    expect(readReportOf(data.batch)!.issues.map((x) => [x.class, x.samples[0]!.row])).toEqual([["truncated", 12_000]]);
  });

  it("a gzip message CSV cut short: CORRUPT_GZIP, or the complete rows before the cut", () => {
    const gz = gzipSync(Buffer.from(msgLines.join("\n") + "\n"));
    const dir = join(tmp, `case-${++dirs}`);
    mkdirSync(dir);
    const messages = join(dir, `${MSG}.gz`);
    writeFileSync(messages, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const orderbook = writePair(msgLines).orderbook;
    expect(caught(() => readLobster({ messages, orderbook, date: "2012-06-21" })).code).toBe("CORRUPT_GZIP");
    const text = gunzipSync(gz.subarray(0, Math.floor(gz.length * 0.6)), { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString("latin1");
    const complete = text.slice(0, text.lastIndexOf("\n") + 1).split("\n").length - 1;
    const data = readLobster({ messages, orderbook, date: "2012-06-21", onBadRows: "quarantine" });
    expect(complete).toBeGreaterThan(1000);
    expect(firstDifference(clean.batch, data.batch, range(complete))).toBeNull();
    expect(orderbookDifference(clean.orderbook!, data.orderbook!, range(complete))).toBeNull();
    expect(readReportOf(data.batch)!.issues.map((x) => [x.class, x.file, x.samples[0]!.row])).toEqual([["truncated", messages, complete]]);
  });

  it("a last line without a newline that is a whole row is kept, with no issue", () => {
    const data = readLobster(writePair(msgLines.join("\n"), obLines.join("\n")));
    expect(firstDifference(clean.batch, data.batch)).toBeNull();
    expect(readReportOf(data.batch)!.issues).toEqual([]);
  });
});

describe("paths and sizes", () => {
  it("a directory as the messages path says it is a directory", () => {
    expect(caught(() => readLobster({ messages: tmp })).code).toBe("IS_A_DIRECTORY");
    expect(caught(() => readLobster({ messages: writePair(msgLines).messages, orderbook: tmp })).code).toBe("IS_A_DIRECTORY");
  });

  it("a huge order id or price is a bad value, never an allocation", () => {
    const lines = [...msgLines];
    const f = fields(lines[7]!);
    f[2] = "9".repeat(30);
    lines[7] = f.join(",");
    const g = fields(lines[8]!);
    g[4] = "9".repeat(400);
    lines[8] = g.join(",");
    const error = caught(() => readLobster(writePair(lines)));
    expect(error.context).toMatchObject({ row: 8, column: "order_id" });
    const data = readLobster({ ...writePair(lines), onBadRows: "quarantine" });
    expect(data.batch.length).toBe(N - 2);
    expect(readReportOf(data.batch)!.issues).toMatchObject([{ class: "type-error", count: 2 }]);
    // An orderbook whose first row claims 100,000 levels.
    const wide = writePair(msgLines, ["1,".repeat(400_000) + "1", ...obLines.slice(1)]);
    expect(caught(() => readLobster(wide)).code).toBe("BAD_ORDERBOOK");
  });

  it("the format registry passes onBadRows through (lobster, lobster-l3)", async () => {
    const lines = [...msgLines];
    const row = msgLines.findIndex((l, i) => i > 10_000 && fields(l)[1] === "5");
    const f = fields(lines[row]!);
    f[5] = "0";
    lines[row] = f.join(",");
    const files = writePair(lines);
    await expect(readFile(files.messages, { format: "lobster" })).rejects.toMatchObject({ code: "BAD_VALUE" });
    const batch = await readFile(files.messages, { format: "lobster", onBadRows: "quarantine" });
    expect(batch.length).toBe(N - 1);
    expect(readReportOf(batch)!.issues[0]).toMatchObject({ class: "type-error", count: 1 });
    const zip = writeFileIn("GOOG_2012-06-21_34200000_57600000_5.zip", zipSync({ [MSG]: new TextEncoder().encode(lines.join("\n") + "\n"), [OB]: new TextEncoder().encode(obLines.join("\n") + "\n") }));
    const l3 = await readFile(zip, { format: "lobster-l3", onBadRows: "quarantine" });
    expect(readReportOf(l3)!.issues[0]).toMatchObject({ class: "type-error", count: 1 });
  });
});

