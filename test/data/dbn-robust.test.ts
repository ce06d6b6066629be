/**
 * The DBN reader on damaged input: files cut mid-download (zstd and plain, at several offsets),
 * flipped bytes (seeded), headers that claim impossible lengths and counts, records with values a
 * record of its kind cannot have, and paths that are not files. Ground truth is the intact
 * sample's own batch and the byte layout of the file (Databento's specification).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Decompress } from "fzstd";
import { afterAll, describe, expect, it } from "vitest";
import { instrument, isLabError, type LabError } from "../../src/core/index.js";
import { TICK_COLUMN_NAMES, decodeDbn, readDbn, readDbnBytes, readDbnFile, readFile, readReportOf, type QualityIssue, type TickBatch } from "../../src/venues/data-aliases.js";
import { CLI, ROOT } from "../helpers/paths.js";
import { caught as catchError } from "../helpers/checks.js";

const DIR = join(ROOT, "data", "databento");
const ESH4 = join(DIR, "esh4-glbx-mdp3-20231225.mbo.dbn.zst");
const ESM4 = join(DIR, "esm4-orderbooks_mbo_2024-05-08T00-00-00_2024-05-08T00-00-02.dbn.zst");
const ESU4_TRADES = join(DIR, "esu4-futures_trades_2024-07-01T23-58_2024-07-02T00-02.dbn.zst");
const MBO_DBN = join(DIR, "test_data.mbo.dbn");
const ES = instrument({ symbol: "ES", venue: "GLBX", tickSize: "0.25", multiplier: 50 });
const TMP = mkdtempSync(join(tmpdir(), "dbn-robust-"));
const UNDEF_PRICE = 0x7fffffffffffffffn;
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

async function catchAsync(fn: () => Promise<unknown>): Promise<LabError> {
  try {
    await fn();
  } catch (error) {
    if (isLabError(error)) return error as LabError;
    throw error;
  }
  throw new Error("expected a LabError");
}

/** What a zstd decoder yields from a (possibly cut) stream: every block completed before the end. */
function zstdPrefix(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  try {
    new Decompress((chunk) => parts.push(chunk.slice())).push(bytes, true);
  } catch {
    // the cut: what was emitted before it is the prefix
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A valid zstd stream of raw (stored) blocks of the given sizes: block boundaries where we want them. */
function zstdRaw(data: Uint8Array, blockSizes: readonly number[]): Uint8Array {
  const parts: number[] = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3]; // no checksum/FCS/dict; window 128 KiB
  let at = 0;
  blockSizes.forEach((size, i) => {
    const last = i === blockSizes.length - 1 ? 1 : 0;
    const h = (size << 3) | last; // type 0 = raw
    parts.push(h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, ...data.subarray(at, at + size));
    at += size;
  });
  if (at !== data.length) throw new Error("block sizes must cover the data");
  return Uint8Array.from(parts);
}

/** Prelude + metadata length of a plain DBN stream. */
const headerLength = (plain: Uint8Array) => 8 + new DataView(plain.buffer, plain.byteOffset).getUint32(4, true);

function expectPrefixRows(part: TickBatch, full: TickBatch, rows: number): void {
  expect(part.length).toBe(rows);
  for (const name of TICK_COLUMN_NAMES) {
    const a = part[name] as ArrayLike<number | bigint>;
    const b = (full[name] as { subarray(s: number, e: number): ArrayLike<number | bigint> }).subarray(0, rows);
    // Column by column: a mismatch names the column instead of dumping 68k rows.
    expect({ name, values: Array.from(a) }).toEqual({ name, values: Array.from(b) });
  }
  expect(part.instruments.map((s) => s.symbol)).toEqual(full.instruments.map((s) => s.symbol));
}

function onlyIssue(batch: TickBatch): QualityIssue {
  const report = readReportOf(batch);
  expect(report).toBeDefined();
  expect(report!.format).toBe("dbn");
  expect(report!.issues).toHaveLength(1);
  return report!.issues[0]!;
}

// ---------------------------------------------------------------------------------------------

describe("a file cut mid-download keeps every record decoded before the cut", () => {
  const fullEsh4 = readDbn(ESH4, { instrument: ES });
  const esh4 = readFileSync(ESH4);

  it.each([250_000, 500_123, 997_000])("ESH4 .dbn.zst cut inside the zstd frame at compressed byte %i", async (cut) => {
    const path = join(TMP, `esh4-cut-${cut}.dbn.zst`);
    writeFileSync(path, esh4.subarray(0, cut));
    // Ground truth from the format: the zstd decoder's prefix, 56-byte MBO records after the header.
    const decoded = zstdPrefix(esh4.subarray(0, cut));
    const header = headerLength(decoded);
    const kept = Math.floor((decoded.length - header) / 56);
    const offset = header + kept * 56;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(68_792);

    // Default (reject): the error as before, now naming the option that keeps the prefix.
    const err = catchError(() => readDbn(path, { instrument: ES }));
    expect(err.code).toBe("DBN_TRUNCATED");
    expect(err.message).toContain(`${kept} records decoded before it`);
    expect(err.hint).toContain('{ onBadRows: "quarantine" }');
    expect(err.hint).toContain("--on-bad-rows quarantine");
    expect(err.context.recordIndex).toBe(kept);
    expect(err.context.byteOffset).toBe(offset);

    // Quarantine: the records before the cut, identical to the intact file's first rows.
    const batch = readDbn(path, { instrument: ES, onBadRows: "quarantine" });
    expectPrefixRows(batch, fullEsh4, kept); // ESH4 has no action N: one row per record
    const issue = onlyIssue(batch);
    expect(issue.class).toBe("truncated");
    expect(issue.count).toBe(1);
    expect(issue.file).toBe(path);
    expect(issue.samples[0]).toMatchObject({ row: kept, byteOffset: offset });
    expect(issue.message).toContain(`byte ${offset.toLocaleString("en-US")}`);
    expect(issue.message).toContain(`${kept.toLocaleString("en-US")} complete records`);
    expect(readReportOf(batch)!.rowsRead).toBe(kept);

    // Same through the format registry.
    const viaRegistry = await readFile(path, { format: "dbn", instrument: ES, onBadRows: "quarantine" });
    expect(viaRegistry.length).toBe(kept);
    expect(onlyIssue(viaRegistry).samples[0]).toMatchObject({ row: kept, byteOffset: offset });
    expect((await catchAsync(() => readFile(path, { format: "dbn", instrument: ES }))).code).toBe("DBN_TRUNCATED");
  });

  it("a .dbn.zst cut inside the metadata header is an error under both policies", async () => {
    const path = join(TMP, "esh4-cut-header.dbn.zst");
    writeFileSync(path, esh4.subarray(0, 60));
    for (const onBadRows of ["reject", "quarantine"] as const) {
      const err = catchError(() => readDbn(path, { instrument: ES, onBadRows }));
      expect(err.code).toBe("DBN_TRUNCATED");
      expect(err.message).toContain("inside the DBN header");
      expect(err.hint).not.toContain("quarantine");
    }
    expect((await catchAsync(() => readFile(path, { format: "dbn", instrument: ES, onBadRows: "quarantine" }))).code).toBe("DBN_TRUNCATED");
  });

  describe("plain .dbn", () => {
    const plain = zstdPrefix(readFileSync(ESM4));
    const header = headerLength(plain);
    const fullEsm4 = readDbnBytes(plain, { instrument: ES, source: "esm4.dbn" });
    expect(fullEsm4.length).toBe(13_796);

    it.each([1, 5_000, 13_795])("cut inside record %i keeps the records before it", (record) => {
      const cutAt = header + record * 56 + 23;
      const path = join(TMP, `esm4-cut-${record}.dbn`);
      writeFileSync(path, plain.subarray(0, cutAt));
      const err = catchError(() => readDbn(path, { instrument: ES }));
      expect(err.code).toBe("DBN_TRUNCATED");
      expect(err.message).toContain(`record ${record} at byte ${header + record * 56} needs 56 bytes, only 23 remain`);
      expect(err.hint).toContain('{ onBadRows: "quarantine" }');
      const batch = readDbn(path, { instrument: ES, onBadRows: "quarantine" });
      expectPrefixRows(batch, fullEsm4, record); // one row per record (R -> Clear, no N)
      const issue = onlyIssue(batch);
      expect([issue.class, issue.count]).toEqual(["truncated", 1]);
      expect(issue.samples[0]).toMatchObject({ row: record, byteOffset: header + record * 56 });
    });

    it("cut exactly at a record boundary: a valid shorter file (DBN v2/v3 carry no record count)", () => {
      const path = join(TMP, "esm4-boundary.dbn");
      writeFileSync(path, plain.subarray(0, header + 4_000 * 56));
      const batch = readDbn(path, { instrument: ES });
      expectPrefixRows(batch, fullEsm4, 4_000);
      expect(readReportOf(batch)!.issues).toEqual([]);
    });

    it("a .dbn cut inside the metadata header is an error under both policies", () => {
      const path = join(TMP, "esm4-header.dbn");
      writeFileSync(path, plain.subarray(0, header - 10));
      for (const onBadRows of ["reject", "quarantine"] as const) {
        const err = catchError(() => readDbn(path, { instrument: ES, onBadRows }));
        expect(err.code).toBe("DBN_TRUNCATED");
        expect(err.message).toContain("inside the DBN header");
      }
    });

    it("zstd cut where the decoded bytes end exactly at a record boundary", () => {
      // Raw blocks: header, then 100 records per block. Cutting 10 bytes into block 41 leaves
      // the header and 40 * 100 records decoded, ending exactly between two records.
      const sizes = [header];
      for (let r = 0; r < 13_796; r += 100) sizes.push(Math.min(100, 13_796 - r) * 56);
      const z = zstdRaw(plain, sizes);
      let blockStart = 6 + 3 + header;
      for (let b = 1; b <= 40; b++) blockStart += 3 + sizes[b]!;
      const path = join(TMP, "esm4-raw-cut.dbn.zst");
      writeFileSync(path, z.subarray(0, blockStart + 10));
      const whole = join(TMP, "esm4-raw-whole.dbn.zst");
      writeFileSync(whole, z);
      expectPrefixRows(readDbn(whole, { instrument: ES }), fullEsm4, 13_796);
      const err = catchError(() => readDbn(path, { instrument: ES }));
      expect(err.code).toBe("DBN_TRUNCATED");
      const batch = readDbn(path, { instrument: ES, onBadRows: "quarantine" });
      expectPrefixRows(batch, fullEsm4, 4_000);
      expect(onlyIssue(batch).samples[0]).toMatchObject({ row: 4_000, byteOffset: header + 4_000 * 56 });
    });
  });

  it("strategy-lab validate: a cut file fails by default and passes with --on-bad-rows quarantine", () => {
    const path = join(TMP, "esu4-trades-cut.dbn.zst");
    const bytes = readFileSync(ESU4_TRADES);
    writeFileSync(path, bytes.subarray(0, bytes.length - 700));
    const run = (...extra: string[]) => spawnSync(process.execPath, [CLI, "validate", path, "--tick-size", "0.25", "--symbol", "ES", "--json", ...extra], { encoding: "utf8" });
    const rejected = run();
    expect(rejected.status).toBe(1);
    const kept = run("--on-bad-rows", "quarantine");
    expect(kept.status).toBe(0);
    const report = JSON.parse(kept.stdout) as { issues: { class: string; count: number }[]; summary: { rows: number } };
    expect(report.issues.find((i) => i.class === "truncated")?.count).toBe(1);
    const decoded = zstdPrefix(bytes.subarray(0, bytes.length - 700));
    expect(report.summary.rows).toBe(Math.floor((decoded.length - headerLength(decoded)) / 48));
  });
});

// ---------------------------------------------------------------------------------------------

/** Small seeded PRNG (mulberry32): the same cases on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("values read from the file never size an allocation or a loop", () => {
  const files = ["test_data.mbo.dbn", "test_data.mbp-10.dbn", "test_data.mbo.v3.dbn.zst", "test_data.definition.v3.dbn.zst", "esu4-futures_trades_2024-07-01T23-58_2024-07-02T00-02.dbn.zst"].map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(DIR, name))) }));

  it("200 seeded random byte flips: each case decodes or ends in a LabError, within a small memory bound", () => {
    const rnd = mulberry32(20240508);
    const outcomes = new Map<string, number>();
    for (let c = 0; c < 200; c++) {
      const { name, bytes: original } = files[c % files.length]!;
      const bytes = original.slice();
      const flips = 1 + Math.floor(rnd() * 4);
      // Half the flips land in the first 64 bytes: the zstd frame header and the DBN prelude.
      for (let f = 0; f < flips; f++) bytes[Math.floor(rnd() * (rnd() < 0.5 ? Math.min(64, bytes.length) : bytes.length))] = Math.floor(rnd() * 256);
      const policy = c % 2 === 0 ? "reject" : "quarantine";
      const before = process.memoryUsage().arrayBuffers;
      let outcome: string;
      try {
        const batch = readDbnBytes(bytes, { instrument: ES, onBadRows: policy, source: name });
        outcome = "decoded";
        expect(batch.length).toBeLessThanOrEqual(3 * batch.dbn.counts.records + 20);
      } catch (error) {
        if (!isLabError(error)) throw new Error(`case ${c} (${name}, ${policy}): ${(error as Error).stack}`);
        outcome = (error as LabError).code;
      }
      const grown = process.memoryUsage().arrayBuffers - before;
      if (grown > 4_000_000 + 256 * bytes.length) throw new Error(`case ${c} (${name}): ${grown} bytes of array buffers for a ${bytes.length}-byte file`);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(200);
    expect(outcomes.get("decoded")).toBeGreaterThan(20);
  });

  const mbo = files[0]!.bytes;
  const edit = (f: (dv: DataView, b: Uint8Array) => void, from = mbo): Uint8Array => {
    const b = from.slice();
    f(new DataView(b.buffer), b);
    return b;
  };

  it("a header claiming a huge metadata length fails at once (plain and zstd)", () => {
    const huge = edit((dv) => dv.setUint32(4, 0xfffffff0, true));
    const err = catchError(() => decodeDbn(huge, { source: "huge.dbn" }));
    expect(err.code).toBe("DBN_BAD_HEADER");
    expect(err.message).toContain("metadata length 4294967280");
    expect(err.context.byteOffset).toBe(4);
    const z = zstdRaw(huge, [200, huge.length - 200]);
    expect(catchError(() => decodeDbn(z, { source: "huge.dbn.zst" })).code).toBe("DBN_BAD_HEADER");
  });

  it("metadata shorter than its fixed fields, a zero symbol length and huge counts are DBN_BAD_HEADER naming the byte", () => {
    for (const length of [100, 103, 110]) {
      const err = catchError(() => decodeDbn(edit((dv) => dv.setUint32(4, length, true)), { source: "short.dbn" }));
      expect([err.code, length]).toEqual(["DBN_BAD_HEADER", length]);
      expect(typeof err.context.byteOffset).toBe("number");
    }
    // v2 metadata: symbol_cstr_len at 45, schema_definition_length at 100, symbols count at 104.
    const zeroLen = catchError(() => decodeDbn(edit((dv) => { dv.setUint16(8 + 45, 0, true); dv.setUint32(8 + 104, 3_000_000, true); }), { source: "zero.dbn" }));
    expect(zeroLen.code).toBe("DBN_BAD_HEADER");
    expect(zeroLen.message).toContain("symbol length 0");
    expect(zeroLen.context.byteOffset).toBe(8 + 45);
    const manySymbols = catchError(() => decodeDbn(edit((dv) => dv.setUint32(8 + 104, 0xffffffff, true)), { source: "count.dbn" }));
    expect(manySymbols.code).toBe("DBN_BAD_HEADER");
    expect(manySymbols.message).toContain("4294967295 symbols");
    expect(manySymbols.context.byteOffset).toBe(8 + 104);
    const bigSchema = catchError(() => decodeDbn(edit((dv) => dv.setUint32(8 + 100, 0x7fffffff, true)), { source: "schema.dbn" }));
    expect(bigSchema.code).toBe("DBN_BAD_HEADER");
    expect(bigSchema.context.byteOffset).toBe(8 + 100);
    // The one mapping's interval count: after symbols (1 x 71), partial, not_found, mapping count, raw symbol.
    const intervalsAt = 8 + 104 + 4 + 71 + 4 + 4 + 4 + 71;
    const intervals = catchError(() => decodeDbn(edit((dv) => dv.setUint32(intervalsAt, 0xfffffff, true)), { source: "intervals.dbn" }));
    expect(intervals.code).toBe("DBN_BAD_HEADER");
    expect(intervals.context.byteOffset).toBe(intervalsAt);
  });

  it("zstd frame headers claiming gigabytes decode with memory bounded by the data", () => {
    // test_data.mbo.v3.dbn.zst: one frame, window descriptor at byte 5. 2^30 bytes claimed.
    const v3 = files[2]!.bytes;
    const want = decodeDbn(v3);
    const bigWindow = edit((_, b) => {
      b[5] = 20 << 3;
    }, v3);
    let before = process.memoryUsage().arrayBuffers;
    const got = decodeDbn(bigWindow);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8_000_000);
    expect(got.mbo).toEqual(want.mbo);
    // ESM4: the record frame (at byte 88) is single-segment, its 4-byte content size (= window) at 93.
    const esm4 = new Uint8Array(readFileSync(ESM4));
    expect(new DataView(esm4.buffer).getUint32(93, true)).toBe(772_576);
    const bigFcs = edit((dv) => dv.setUint32(93, 0x7ff00000, true), esm4);
    before = process.memoryUsage().arrayBuffers;
    let outcome: string;
    try {
      outcome = `${decodeDbn(bigFcs).counts.records}`;
    } catch (error) {
      if (!isLabError(error)) throw error;
      outcome = (error as LabError).code;
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(40_000_000);
    expect(outcome).toBe("13796");
  });
});

// ---------------------------------------------------------------------------------------------

describe("records with values their kind cannot have", () => {
  const mbo = new Uint8Array(readFileSync(MBO_DBN));
  const r0 = mbo.length - 2 * 56;
  const r1 = mbo.length - 56;
  const edit = (f: (dv: DataView, b: Uint8Array) => void, from = mbo): Uint8Array => {
    const b = from.slice();
    f(new DataView(b.buffer), b);
    return b;
  };
  const good = readDbnBytes(mbo, { instrument: ES });

  it("an undefined price on a cancel: MISSING_VALUE naming record and byte; quarantine keeps the other record", () => {
    const bytes = edit((dv) => dv.setBigInt64(r1 + 24, UNDEF_PRICE, true));
    const err = catchError(() => readDbnBytes(bytes, { instrument: ES, source: "px.dbn" }));
    expect(err.code).toBe("MISSING_VALUE");
    expect(err.message).toContain(`px.dbn: record 1 at byte ${r1} (mbo), field "price"`);
    expect(err.context).toMatchObject({ file: "px.dbn", record: 1, byteOffset: r1, column: "price", value: "9223372036854775807" });
    expect(err.hint).toContain('{ onBadRows: "quarantine" }');
    const batch = readDbnBytes(bytes, { instrument: ES, source: "px.dbn", onBadRows: "quarantine" });
    expectPrefixRows(batch, good, 1);
    const issue = onlyIssue(batch);
    expect([issue.class, issue.count, issue.policy]).toEqual(["missing-value", 1, "quarantine"]);
    expect(issue.samples).toEqual([{ row: 1, column: "price", value: "9223372036854775807", byteOffset: r1 }]);
    expect(batch.dbn.counts.records).toBe(2);
  });

  it("a size that is negative as a signed 32-bit number: BAD_VALUE (bad-size)", () => {
    const bytes = edit((dv) => dv.setInt32(r0 + 32, -10, true));
    const err = catchError(() => readDbnBytes(bytes, { instrument: ES, source: "sz.dbn" }));
    expect(err.code).toBe("BAD_VALUE");
    expect(err.context).toMatchObject({ record: 0, byteOffset: r0, column: "size", value: "4294967286" });
    const batch = readDbnBytes(bytes, { instrument: ES, source: "sz.dbn", onBadRows: "quarantine" });
    expect(batch.length).toBe(1);
    expect(batch.exchTs[0]).toBe(good.exchTs[1]);
    expect(onlyIssue(batch)).toMatchObject({ class: "bad-size", count: 1, samples: [{ row: 0, column: "size", value: "4294967286", byteOffset: r0 }] });
  });

  it("an unknown rtype: BAD_VALUE; quarantine skips it (its length frames it) and counts it", () => {
    const bytes = edit((_, b) => {
      b[r0 + 1] = 0x99;
    });
    const err = catchError(() => readDbnBytes(bytes, { instrument: ES, source: "rt.dbn" }));
    expect(err.code).toBe("BAD_VALUE");
    expect(err.context).toMatchObject({ record: 0, byteOffset: r0, column: "rtype", value: "0x99" });
    const batch = readDbnBytes(bytes, { instrument: ES, source: "rt.dbn", onBadRows: "quarantine" });
    expect(batch.length).toBe(1);
    expect(batch.orderId[0]).toBe(good.orderId[1]);
    expect(onlyIssue(batch)).toMatchObject({ class: "type-error", count: 1, samples: [{ row: 0, column: "rtype", value: "0x99", byteOffset: r0 }] });
    expect(batch.dbn.counts.byRType["rtype-0x99"]).toBe(1);
  });

  it("an unknown MBO action or side: BAD_VALUE", () => {
    const action = catchError(() => readDbnBytes(edit((_, b) => void (b[r1 + 38] = 0x51)), { instrument: ES }));
    expect(action.context).toMatchObject({ record: 1, column: "action", value: "Q" });
    expect(action.code).toBe("BAD_VALUE");
    const side = catchError(() => readDbnBytes(edit((_, b) => void (b[r1 + 39] = 0x00)), { instrument: ES }));
    expect(side.context).toMatchObject({ record: 1, column: "side", value: "0x0" });
  });

  it("timestamps a flipped high byte moves by years: rejected or left out, never replayed", () => {
    // ts_recv outside the query range the file was selected by (2020-12-28T13:00Z .. 2020-12-29).
    const recv = edit((_, b) => void (b[r1 + 47] = 0x19));
    const e1 = catchError(() => readDbnBytes(recv, { instrument: ES, source: "recv.dbn" }));
    expect(e1.code).toBe("BAD_VALUE");
    expect(e1.context).toMatchObject({ record: 1, byteOffset: r1, column: "ts_recv", value: "1825333182114495152" });
    expect(e1.message).toContain("outside the file's query range 2020-12-28T13:00:00.000000000Z .. 2020-12-29T00:00:00.000000000Z");
    const kept = readDbnBytes(recv, { instrument: ES, source: "recv.dbn", onBadRows: "quarantine" });
    expectPrefixRows(kept, good, 1);
    expect(onlyIssue(kept)).toMatchObject({ class: "local-ts-order", count: 1, samples: [{ row: 1, column: "ts_recv", byteOffset: r1 }] });
    // ts_event years after ts_recv, or (outside a snapshot) years before it.
    const later = catchError(() => readDbnBytes(edit((_, b) => void (b[r1 + 15] = 0x19)), { instrument: ES }));
    expect(later.context).toMatchObject({ record: 1, column: "ts_event", value: "1825333182114215473" });
    const earlier = readDbnBytes(edit((_, b) => void (b[r0 + 15] = 0x10)), { instrument: ES, onBadRows: "quarantine" });
    expect(onlyIssue(earlier)).toMatchObject({ class: "exch-ts-order", samples: [{ row: 0, column: "ts_event" }] });
    expect(earlier.length).toBe(1);
    // The same record marked as part of a snapshot (orders may rest for days) is kept.
    const snapshot = readDbnBytes(edit((_, b) => {
      b[r0 + 15] = 0x16; // ~ 2.3 years earlier
      b[r0 + 36] = b[r0 + 36]! | 32;
    }), { instrument: ES });
    expect(snapshot.length).toBe(2);
    // A backtest on such a file stops at the read instead of replaying a grid of years.
    const path = join(TMP, "ts-flipped.dbn");
    writeFileSync(path, edit((_, b) => void (b[r1 + 15] = 0x19)));
    const run = spawnSync(process.execPath, [CLI, "backtest", "--strategy", "bidAskBounce", "--data", path, "--tick-size", "0.25", "--symbol", "ES"], { encoding: "utf8", timeout: 60_000 });
    expect(run.status).toBe(2); // a LabError, not a crash
    expect(run.stderr).toContain('error BAD_VALUE: ' + path + ': record 1 at byte 409 (mbo), field "ts_event"');
  });

  it("DBN conventions stay as they are: a clear with no price, statistics records counted, not decoded", () => {
    // ESM4 starts with an R (clear) whose price is undefined: read under the default policy.
    const esm4 = readDbn(ESM4, { instrument: ES });
    expect(esm4.length).toBe(13_796);
    expect(readReportOf(esm4)!.issues).toEqual([]);
    // A statistics record (rtype 0x18, 80 bytes) between the two MBO records.
    const stat = new Uint8Array(80);
    stat[0] = 80 / 4;
    stat[1] = 0x18;
    const withStat = new Uint8Array(mbo.length + 80);
    withStat.set(mbo.subarray(0, r1));
    withStat.set(stat, r1);
    withStat.set(mbo.subarray(r1), r1 + 80);
    const b = readDbnBytes(withStat, { instrument: ES });
    expect(b.length).toBe(2);
    expect(b.dbn.counts.byRType).toEqual({ mbo: 2, statistics: 1 });
    expect(b.dbn.counts.skipped).toBe(1);
  });

  it("real ESM4 with two damaged records: quarantine keeps every other row, exactly", () => {
    const plain = zstdPrefix(readFileSync(ESM4));
    const header = headerLength(plain);
    const full = readDbnBytes(plain, { instrument: ES, source: "esm4.dbn" });
    const bytes = edit((dv, b) => {
      dv.setBigInt64(header + 5_000 * 56 + 24, UNDEF_PRICE, true);
      b[header + 7_000 * 56 + 1] = 0x42;
    }, plain);
    const err = catchError(() => readDbnBytes(bytes, { instrument: ES, source: "esm4.dbn" }));
    expect(err.context).toMatchObject({ record: 5_000, byteOffset: header + 5_000 * 56, column: "price" });
    const batch = readDbnBytes(bytes, { instrument: ES, source: "esm4.dbn", onBadRows: "quarantine" });
    expect(batch.length).toBe(13_794);
    for (const name of TICK_COLUMN_NAMES) {
      const want = Array.from(full[name] as ArrayLike<number | bigint>).filter((_, i) => i !== 5_000 && i !== 7_000);
      expect({ name, values: Array.from(batch[name] as ArrayLike<number | bigint>) }).toEqual({ name, values: want });
    }
    const issues = readReportOf(batch)!.issues;
    expect(issues.map((i) => [i.class, i.count, i.samples[0]!.row, i.samples[0]!.column])).toEqual([
      ["type-error", 1, 7_000, "rtype"],
      ["missing-value", 1, 5_000, "price"],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------

describe("paths that are not readable files", () => {
  it("a directory is IS_A_DIRECTORY, a missing file FILE_NOT_FOUND naming the working directory", async () => {
    const dir = join(TMP, "a-folder.dbn");
    mkdirSync(dir, { recursive: true });
    expect(catchError(() => readDbnFile(dir)).code).toBe("IS_A_DIRECTORY");
    expect(catchError(() => readDbn(dir, { instrument: ES })).code).toBe("IS_A_DIRECTORY");
    expect((await catchAsync(() => readFile(dir, { format: "dbn", instrument: ES }))).code).toBe("IS_A_DIRECTORY");
    const missing = relative(process.cwd(), join(TMP, "nope.dbn.zst"));
    const err = catchError(() => readDbn(missing, { instrument: ES }));
    expect(err.code).toBe("FILE_NOT_FOUND");
    expect(err.message).toContain(process.cwd());
  });
});
