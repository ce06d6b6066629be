/**
 * Property-based corruption suite (fast-check, seeded): for every bundled format, k defects of one
 * class at random rows of a real sample must be counted exactly: under "reject" a coded error
 * names the first damaged row; under "quarantine" (and for classes the reader keeps as data,
 * through `validate`) the report counts exactly k more of the class than the intact file has, and
 * the rows kept are the intact rows minus the rows set aside. A backtest on what was read reports
 * the same counts under its default input check. A subset runs through the CLI and must agree
 * with the API. Reproduce a failure with the seed and path fast-check prints.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { decompress as zstdDecompress } from "fzstd";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instrument, isLabError, type InstrumentSpecInit } from "../../src/core/index.js";
import { generateTicks, readFile, readReportOf, validate, writeTable, type TickBatch } from "../../src/venues/data-aliases.js";
import "../../src/venues/index.js";
import { backtest, strategies } from "../../src/index.js";
import { CLI, ROOT } from "../helpers/paths.js";

const SEED = 20261207;

/** Defect classes and the issue classes that count them. */
type Defect = "bad-number" | "empty-price" | "negative-size" | "time-back" | "duplicate" | "bad-action";
const COUNTED_AS: Record<Defect, readonly string[]> = {
  "bad-number": ["type-error"],
  "empty-price": ["missing-value"],
  "negative-size": ["bad-size"],
  "time-back": ["exch-ts-order"],
  duplicate: ["duplicate"],
  "bad-action": ["type-error"],
};
/** Defects the reader itself refuses under "reject" (the others are data that validate reports). */
const READER_REJECTS: Record<Defect, boolean> = { "bad-number": true, "empty-price": true, "negative-size": false, "time-back": false, duplicate: false, "bad-action": true };

interface Family {
  name: string;
  format: string;
  fileName: string;
  instrument?: InstrumentSpecInit;
  intact: Uint8Array;
  /** Damageable data rows (indexes into the family's own row list). */
  rows: number;
  defects: readonly Defect[];
  /** Bytes with `defect` at each of `rows` (ascending, distinct). */
  damage(defect: Defect, rows: readonly number[], token: string): Uint8Array;
  /** The error context that names damaged row r (under reject). */
  location(r: number): Record<string, number>;
  /** Negative sizes are refused by this reader (Binance), not kept as data. */
  readerRejectsNegativeSize?: boolean;
  /** One TickBatch row per damaged row, so rows kept = intact − k under quarantine. */
  oneRowPerLine: boolean;
}

const text = (b: Uint8Array): string => Buffer.from(b).toString("utf8");
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "utf8"));

/** A header CSV family: rows are data lines (line = row + 2). */
function csvFamily(name: string, format: string, fileName: string, intact: Uint8Array, columns: { price: string; size: string; time: string }, skipRows: number, oneRowPerLine: boolean, inst?: InstrumentSpecInit): Family {
  const lines = text(intact).replace(/\n$/, "").split("\n");
  const header = lines[0]!.split(",");
  const col = (n: string): number => header.indexOf(n);
  const data = lines.slice(1);
  const pick = (r: number): number => skipRows + r;
  return {
    name,
    format,
    fileName,
    intact,
    rows: data.length - skipRows,
    defects: ["bad-number", "empty-price", "negative-size", "time-back", "duplicate"],
    oneRowPerLine,
    ...(inst ? { instrument: inst } : {}),
    location: (r) => ({ line: pick(r) + 2 }),
    damage(defect, rows, token) {
      const out = data.map((l) => l.split(","));
      const first = out[0]![col(columns.time)]!;
      for (const r of rows) {
        const f = out[pick(r)]!;
        if (defect === "bad-number") f[col(columns.price)] = token;
        if (defect === "empty-price") f[col(columns.price)] = "";
        if (defect === "negative-size") f[col(columns.size)] = "-7";
        if (defect === "time-back") f[col(columns.time)] = String(BigInt(first) - 1000n);
      }
      let body = out.map((f) => f.join(","));
      if (defect === "duplicate") {
        const set = new Set(rows.map(pick));
        body = body.flatMap((l, i) => (set.has(i) ? [l, l] : [l]));
      }
      return bytes([lines[0]!, ...body].join("\n") + "\n");
    },
  };
}

function lobsterFamily(): Family {
  const zip = unzipSync(readFileSync(join(ROOT, "data", "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip")));
  const name = Object.keys(zip).find((n) => n.includes("_message_"))!;
  const lines = text(zip[name]!).split("\n").slice(0, 2000);
  return {
    name: "lobster",
    format: "lobster",
    fileName: "GOOG_2012-06-21_34200000_57600000_message_5.csv",
    intact: bytes(lines.join("\n") + "\n"),
    rows: lines.length - 1,
    defects: ["bad-number", "empty-price", "negative-size", "time-back", "duplicate"],
    readerRejectsNegativeSize: true,
    oneRowPerLine: true,
    location: (r) => ({ row: r + 2 }),
    damage(defect, rows, token) {
      const out = lines.map((l) => l.split(","));
      for (const r of rows) {
        const f = out[r + 1]!;
        if (defect === "bad-number") f[4] = token;
        if (defect === "empty-price") f[4] = "";
        if (defect === "negative-size") f[3] = "-5";
        if (defect === "time-back") f[0] = "34000.5";
      }
      let body = out.map((f) => f.join(","));
      if (defect === "duplicate") {
        const set = new Set(rows.map((r) => r + 1));
        body = body.flatMap((l, i) => (set.has(i) ? [l, l] : [l]));
      }
      return bytes(body.join("\n") + "\n");
    },
  };
}

function binanceFamily(): Family {
  const lines = text(gunzipSync(readFileSync(join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz")))).split("\n").slice(0, 1200);
  const trades = lines.map((l, i) => (i > 60 && l.includes('"e":"trade"') ? i : -1)).filter((i) => i >= 0);
  return {
    name: "binance-raw",
    format: "binance-raw",
    fileName: "usdm_futures_btcusdt_20240808.gz",
    intact: new Uint8Array(gzipSync(lines.join("\n") + "\n")),
    rows: trades.length,
    defects: ["bad-number", "empty-price", "negative-size"],
    readerRejectsNegativeSize: true,
    oneRowPerLine: true,
    location: (r) => ({ line: trades[r]! + 1 }),
    damage(defect, rows, token) {
      const out = [...lines];
      for (const r of rows) {
        const i = trades[r]!;
        if (defect === "bad-number") out[i] = out[i]!.replace(/"p":"[^"]*"/, `"p":"${token}"`);
        if (defect === "empty-price") out[i] = out[i]!.replace(/"p":"[^"]*"/, '"p":""');
        if (defect === "negative-size") out[i] = out[i]!.replace(/"q":"([^"]*)"/, '"q":"-0.005"');
      }
      return new Uint8Array(gzipSync(out.join("\n") + "\n"));
    },
  };
}

/** A plain DBN copy of the ES MBO sample: 56-byte MBO records after the metadata. */
function dbnFamily(): Family {
  const plain = zstdDecompress(readFileSync(join(ROOT, "data", "databento", "esm4-orderbooks_mbo_2024-05-08T00-00-00_2024-05-08T00-00-02.dbn.zst")));
  const start = 8 + new DataView(plain.buffer, plain.byteOffset).getUint32(4, true);
  const records = (plain.length - start) / 56;
  return {
    name: "dbn",
    format: "dbn",
    fileName: "esm4_mbo.dbn",
    instrument: { symbol: "ESM4", venue: "GLBX", tickSize: "0.25" },
    intact: plain,
    rows: Math.min(records, 4000) - 10,
    defects: ["bad-action"],
    oneRowPerLine: false,
    location: (r) => ({ record: r + 10 }),
    damage(_defect, rows) {
      const out = new Uint8Array(plain);
      for (const r of rows) out[start + (r + 10) * 56 + 38] = "X".charCodeAt(0); // action
      return out;
    },
  };
}

async function parquetFamily(dir: string): Promise<Family> {
  const base = generateTicks({ events: 3000, seed: 17, mode: "l2" });
  const path = join(dir, "base.parquet");
  await writeTable(base, path);
  const copy = (): TickBatch => generateTicks({ events: 3000, seed: 17, mode: "l2" });
  return {
    name: "parquet",
    format: "parquet",
    fileName: "ticks.parquet",
    intact: readFileSync(path),
    rows: 2900,
    defects: ["negative-size", "time-back"],
    oneRowPerLine: true,
    location: (r) => ({ row: r + 50 }),
    damage(defect, rows) {
      const b = copy();
      for (const r of rows) {
        if (defect === "negative-size") (b.qtyLots as Float64Array)[r + 50] = -3;
        if (defect === "time-back") (b.exchTs as BigInt64Array)[r + 50] = b.exchTs[0]! - 1000n;
      }
      const out = join(dir, `damaged-${Math.random().toString(36).slice(2)}.parquet`);
      // writeTable is async; the property awaits `pending` before reading.
      pending = writeTable(b, out).then(() => readFileSync(out));
      return new Uint8Array(0);
    },
  };
}
let pending: Promise<Uint8Array> | undefined;

interface Observed {
  error?: { code: string; context: Record<string, unknown>; line: string };
  rows?: number;
  counts?: Record<string, number>;
  /** What a backtest's default input check counted on the same batch. */
  checked?: Record<string, number>;
}

async function observe(path: string, family: Family, policy: "reject" | "quarantine"): Promise<Observed> {
  try {
    const batch = await readFile(path, { format: family.format, onBadRows: policy, ...(family.instrument ? { instrument: instrument(family.instrument) } : {}) });
    const report = validate(batch, { onReject: "report" });
    const counts: Record<string, number> = {};
    for (const i of report.issues) counts[i.class] = (counts[i.class] ?? 0) + i.count;
    // A read report that validate did not merge (none today) would still count.
    for (const i of readReportOf(batch)?.issues ?? []) counts[i.class] = Math.max(counts[i.class] ?? 0, i.count);
    const run = backtest(batch, strategies.imbalance({ threshold: 0.3 }), { latencyNs: 50_000 });
    return { rows: batch.length, counts, checked: { ...(run.inputCheck?.counts ?? {}) } };
  } catch (error) {
    if (!isLabError(error)) throw error;
    return { error: { code: error.code, context: error.context, line: error.toLine() } };
  }
}

describe("corruption properties (fast-check, seeded)", () => {
  let dir: string;
  let families: Family[];
  const baseline = new Map<string, Observed>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "slab-prop-"));
    const tardis = readFileSync(join(ROOT, "data", "tardis-csv-samples", "bitmex_trades_XBTUSD.csv"));
    const depth = readFileSync(join(ROOT, "data", "binance-futures-depth-csv-samples", "btcusdt-depth-update.csv"));
    const normalized = generateTicks({ events: 1500, seed: 23, mode: "l2" });
    await writeTable(normalized, join(dir, "normalized.csv"));
    families = [
      lobsterFamily(),
      binanceFamily(),
      dbnFamily(),
      await parquetFamily(dir),
      csvFamily("tardis-trades", "tardis", "bitmex_trades_XBTUSD.csv", tardis, { price: "price", size: "amount", time: "timestamp" }, 0, true),
      csvFamily("binance-csv", "binance-csv", "btcusdt-depth-update.csv", depth, { price: "price", size: "qty", time: "timestamp" }, 0, true),
      csvFamily("normalized-csv", "csv", "normalized.csv", readFileSync(join(dir, "normalized.csv")), { price: "price", size: "qty", time: "exchTs" }, 40, true),
    ];
    for (const f of families) {
      const path = join(dir, `intact-${f.name}`, f.fileName);
      mkdirSync(join(dir, `intact-${f.name}`), { recursive: true });
      writeFileSync(path, f.intact);
      for (const policy of ["reject", "quarantine"] as const) baseline.set(`${f.name}/${policy}`, await observe(path, f, policy));
    }
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("every intact sample reads", () => {
    for (const [key, o] of baseline) expect(o.error, key).toBeUndefined();
  });

  it("k defects of one class are counted exactly, under both policies, through the API", async () => {
    let n = 0;
    // Families are picked by name so a counterexample prints short.
    const arbitrary = fc.constantFrom(...families.map((f) => f.name)).chain((name) => {
      const family = families.find((f) => f.name === name)!;
      return fc.record({
        family: fc.constant(name),
        defect: fc.constantFrom(...family.defects),
        rows: fc.uniqueArray(fc.integer({ min: 0, max: family.rows - 1 }), { minLength: 1, maxLength: 3 }).map((r) => [...r].sort((a, b) => a - b)),
        token: fc.constantFrom("12ab", "NaN", "1e400", "inf", "--5", "0x1F", "1,5"),
      });
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ family: name, defect, rows, token }) => {
        const family = families.find((f) => f.name === name)!;
        // A duplicate right after a duplicated row would count twice as one; keep rows apart.
        if (defect === "duplicate" && rows.some((r, i) => i > 0 && r - rows[i - 1]! < 2)) return;
        let damaged = family.damage(defect, rows, token);
        if (pending) {
          damaged = await pending;
          pending = undefined;
        }
        const caseDir = join(dir, `case-${n++}`);
        mkdirSync(caseDir);
        const path = join(caseDir, family.fileName);
        writeFileSync(path, damaged);
        const k = rows.length;
        const classes = COUNTED_AS[defect];
        const readerRejects = READER_REJECTS[defect] || (defect === "negative-size" && family.readerRejectsNegativeSize === true);
        const rejected = await observe(path, family, "reject");
        const kept = await observe(path, family, "quarantine");
        const base = baseline.get(`${family.name}/quarantine`)!;
        const sum = (o: Observed): number => classes.reduce((s, c) => s + (o.counts?.[c] ?? 0), 0);
        const checkedSum = (o: Observed): number => classes.reduce((s, c) => s + (o.checked?.[c] ?? 0), 0);
        // A backtest on what was read says so under its default check, with the same count.
        const backtestReports = (o: Observed, b: Observed): void => {
          expect(checkedSum(o) - checkedSum(b), `${family.name} ${defect} ${rows}: backtest input check ${JSON.stringify(o.checked)} vs intact ${JSON.stringify(b.checked)}`).toBe(k);
        };
        if (readerRejects) {
          expect(rejected.error, `${family.name} ${defect} ${rows} under reject`).toBeDefined();
          expect(rejected.error!.code).not.toBe("INTERNAL");
          expect(rejected.error!.context, rejected.error!.line).toMatchObject(family.location(rows[0]!));
          expect(kept.error, `${family.name} ${defect} under quarantine: ${kept.error?.line}`).toBeUndefined();
          expect(sum(kept) - sum(base), `${family.name} ${defect} ${rows}: ${JSON.stringify(kept.counts)}`).toBe(k);
          if (family.oneRowPerLine) expect(kept.rows).toBe(base.rows! - k);
          backtestReports(kept, base);
        } else {
          for (const o of [rejected, kept]) {
            expect(o.error, `${family.name} ${defect}: ${o.error?.line}`).toBeUndefined();
            expect(sum(o) - sum(base), `${family.name} ${defect} ${rows}: ${JSON.stringify(o.counts)} vs ${JSON.stringify(base.counts)}`).toBe(k);
            expect(o.rows).toBe(base.rows! + (defect === "duplicate" ? k : 0));
          }
          backtestReports(kept, base);
        }
      }),
      { seed: SEED, numRuns: 140, endOnFailure: true },
    );
  }, 600_000);

  it("the CLI reports the same counts as the API (validate --json --on-bad-rows quarantine)", async () => {
    let n = 0;
    const arbitrary = fc.record({
      family: fc.constantFrom(...families.filter((f) => f.name !== "parquet").map((f) => f.name)),
      rows: fc.uniqueArray(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 2 }).map((r) => [...r].sort((a, b) => a - b)),
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ family: name, rows }) => {
        const family = families.find((f) => f.name === name)!;
        const defect = family.defects[0]!;
        const safeRows = rows.filter((r) => r < family.rows);
        if (safeRows.length === 0) return;
        const path = join(dir, `cli-${n++}`, family.fileName);
        mkdirSync(join(dir, `cli-${n - 1}`));
        writeFileSync(path, family.damage(defect, safeRows, "12ab"));
        const api = await observe(path, family, "quarantine");
        const args = [CLI, "validate", path, "--format", family.format, "--on-bad-rows", "quarantine", "--json", "--quiet"];
        if (family.instrument) args.push("--symbol", family.instrument.symbol, "--venue", family.instrument.venue ?? "X", "--tick-size", String(family.instrument.tickSize));
        const r = spawnSync(process.execPath, args, { encoding: "utf8", cwd: ROOT });
        expect(r.status, r.stderr).toBe(0);
        const report = JSON.parse(r.stdout) as { cleanRows: number; issues: { class: string; count: number }[] };
        const counts: Record<string, number> = {};
        for (const i of report.issues) counts[i.class] = (counts[i.class] ?? 0) + i.count;
        for (const c of COUNTED_AS[defect]) expect(counts[c], `${family.name} ${c}`).toBe(api.counts?.[c]);
        // The default (reject) refuses the same file with one coded line naming the first damaged row.
        const strict = spawnSync(process.execPath, args.filter((a) => a !== "--on-bad-rows" && a !== "quarantine"), { encoding: "utf8", cwd: ROOT });
        expect(strict.status).toBe(1);
      }),
      { seed: SEED, numRuns: 8, endOnFailure: true },
    );
  }, 600_000);
});
