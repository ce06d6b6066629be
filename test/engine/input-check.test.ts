/**
 * The backtest's input check (`check` option): for each bundled format family, a real sample (or,
 * for Parquet, generated data written to a file) with one defect of each class the format can
 * carry injected in a temp copy, read with `onBadRows: "quarantine"`, then backtested. Ground truth
 * is where the defect was put: the row it lands on in the batch (rows the reader set aside shift
 * later rows up; an inserted duplicate shifts them down), the column and the value written.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { unzipSync } from "fflate";
import { afterAll, describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { EventFlag, EventKind, TICK_COLUMN_NAMES, decodeSource, generateTicks, readFile, tickBatch, validate, writeParquet, type IssueClass, type TickBatch, type TickColumns } from "../../src/venues/data-aliases.js";
import { backtest, normalizeBacktestOptions, type BacktestOptions, type BacktestResult } from "../../src/engine/index.js";
import { InputChecker, checkInput, type InputCheckReport } from "../../src/engine/input-check.js";
import { strategies } from "../../src/strategy/index.js";
import { ROOT } from "../helpers/paths.js";
import { caught } from "../helpers/checks.js";

const tmp = mkdtempSync(join(tmpdir(), "input-check-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let cases = 0;
function fileIn(name: string, bytes: string | Uint8Array): string {
  const dir = join(tmp, `case-${++cases}`);
  mkdirSync(dir);
  writeFileSync(join(dir, name), bytes);
  return join(dir, name);
}

const run = (batch: TickBatch | readonly TickBatch[], options: BacktestOptions = {}): BacktestResult => backtest(batch, strategies.imbalance({ threshold: 0.3 }), options);

type Row = [row: number, column: string, value: string | undefined];
/** The check's findings as plain data: per class, the count and the first rows. */
function found(report: InputCheckReport | undefined): Record<string, { count: number; rows: Row[] }> {
  const out: Record<string, { count: number; rows: Row[] }> = {};
  for (const x of report?.issues ?? []) out[x.class] = { count: x.count, rows: x.samples.map((s) => [s.row, s.column, s.value]) };
  return out;
}
/** The readers' issues as plain data. */
function readerFound(report: InputCheckReport | undefined): Record<string, { count: number; policy: string; rows: { row: number; column: string; value?: string; line?: number }[] }> {
  const out: Record<string, { count: number; policy: string; rows: { row: number; column: string; value?: string; line?: number }[] }> = {};
  for (const x of report?.readIssues ?? []) out[x.class] = { count: x.count, policy: x.policy, rows: x.samples.map((s) => ({ row: s.row, column: s.column, ...(s.value !== undefined ? { value: s.value } : {}), ...(s.line !== undefined ? { line: s.line } : {}) })) };
  return out;
}

/** Every check and reader class the run reported, with its count. */
const countsOf = (r: BacktestResult): Partial<Record<IssueClass, number>> => r.inputCheck?.counts ?? {};

function copyColumns(b: TickBatch): TickColumns {
  const cols = {} as Record<string, unknown>;
  for (const name of TICK_COLUMN_NAMES) cols[name] = b[name].slice();
  return cols as unknown as TickColumns;
}

// ---------------------------------------------------------------------------------------------

describe("input check options", () => {
  it("defaults to warn, takes strict and off, and says what is wrong with anything else", () => {
    expect(normalizeBacktestOptions().check).toBe("warn");
    expect(normalizeBacktestOptions({ check: "strict" }).check).toBe("strict");
    expect(normalizeBacktestOptions({ check: "off" }).check).toBe("off");
    const e = caught(() => normalizeBacktestOptions({ check: "loud" as never }));
    expect(e.code).toBe("BAD_OPTION");
    expect(e.message).toBe('backtest option check: must be "warn", "strict" or "off", got loud');
  });
});

describe("input check on generated data (every class the pass finds)", () => {
  const base = generateTicks({ events: 6000, seed: 5, mode: "l2" });
  const rowOf = (kind: number, from: number): number => {
    for (let i = from; i < base.length; i++) if (base.kind[i] === kind) return i;
    throw new Error("no such row");
  };
  const cols = copyColumns(base);
  const r = {
    nanPrice: rowOf(EventKind.LevelSet, 1000),
    negPrice: rowOf(EventKind.LevelSet, 1100),
    offGrid: rowOf(EventKind.LevelSet, 1200),
    infPrice: rowOf(EventKind.LevelSet, 1300),
    negSize: rowOf(EventKind.LevelSet, 1400),
    zeroTrade: rowOf(EventKind.Trade, 1500),
    nanSize: rowOf(EventKind.LevelSet, 1600),
    kind: rowOf(EventKind.LevelSet, 1700),
    dup: rowOf(EventKind.LevelSet, 1800),
    exchBack: rowOf(EventKind.LevelSet, 2000),
    localBack: rowOf(EventKind.LevelSet, 2100),
  };
  cols.priceTicks[r.nanPrice] = NaN;
  cols.priceTicks[r.negPrice] = -5;
  cols.priceTicks[r.offGrid] = 10_000.5;
  cols.priceTicks[r.infPrice] = Infinity;
  cols.qtyLots[r.negSize] = -7;
  cols.qtyLots[r.zeroTrade] = 0;
  cols.qtyLots[r.nanSize] = NaN;
  cols.kind[r.kind] = 99;
  for (const name of TICK_COLUMN_NAMES) (cols[name] as unknown as unknown[])[r.dup + 1] = (cols[name] as unknown as unknown[])[r.dup];
  cols.exchTs[r.exchBack] = cols.exchTs[r.exchBack]! - 10_000_000_000n;
  cols.localTs[r.localBack] = cols.localTs[r.localBack]! - 10_000_000_000n;
  const damaged = tickBatch(cols, base.instruments, "generated (damaged)");

  it("counts each class with its first rows, runs, and says so in one line of the summary", () => {
    const result = run(damaged);
    const check = result.inputCheck!;
    expect(check.mode).toBe("warn");
    expect(check.rowsChecked).toBe(6000);
    expect(found(check)).toEqual({
      "type-error": { count: 2, rows: [[r.infPrice, "priceTicks", "Infinity"], [r.kind, "kind", "unknown kind 99"]] },
      "off-grid": { count: 1, rows: [[r.offGrid, "priceTicks", "10000.5"]] },
      "missing-value": { count: 2, rows: [[r.nanPrice, "priceTicks", undefined], [r.nanSize, "qtyLots", undefined]] },
      "exch-ts-order": { count: 1, rows: [[r.exchBack, "exchTs", String(damaged.exchTs[r.exchBack])]] },
      "local-ts-order": { count: 1, rows: [[r.localBack, "localTs", String(damaged.localTs[r.localBack])]] },
      duplicate: { count: 1, rows: [[r.dup + 1, "exchTs", `same as row ${r.dup}`]] },
      "non-positive-price": { count: 1, rows: [[r.negPrice, "priceTicks", "-5"]] },
      "bad-size": { count: 2, rows: [[r.negSize, "qtyLots", "-7"], [r.zeroTrade, "qtyLots", "0"]] },
    });
    expect(check.total).toBe(11);
    expect(check.readIssues).toEqual([]);
    const line = `input: 11 issues in 6,000 rows: 2 type-error (rows ${r.infPrice}, ${r.kind}), 1 off-grid (row ${r.offGrid}), 2 missing-value (rows ${r.nanPrice}, ${r.nanSize}), 1 exch-ts-order (row ${r.exchBack}), 1 local-ts-order (row ${r.localBack}), 1 duplicate (row ${r.dup + 1}), 1 non-positive-price (row ${r.negPrice}), 2 bad-size (rows ${r.negSize}, ${r.zeroTrade}); lab.data.validate(batch) for the full report`;
    expect(result.inputLine()).toBe(line);
    expect(String(result).split("\n")).toContain(`  ${line}`);
    expect(result.toJSON().inputCheck?.counts).toEqual(check.counts);
  });

  it("finds what validate() finds for the same classes, at the same rows", () => {
    const report = validate(damaged, { onReject: "report", maxSamples: 5 });
    const check = run(damaged).inputCheck!;
    for (const x of check.issues) {
      const v = report.issues.find((y) => y.class === x.class)!;
      expect([x.class, v.count, v.samples.map((s) => s.row)]).toEqual([x.class, x.count, x.samples.map((s) => s.row)]);
    }
  });

  it("strict refuses with the first bad row's class, row, column and value, and every class's count", () => {
    const e = caught(() => run(damaged, { check: "strict" }));
    expect(e.code).toBe("DATA_MISSING_VALUE");
    expect(e.message).toBe(`generated (damaged): row ${r.nanPrice}, column priceTicks: required value missing; the input check found type-error 2, off-grid 1, missing-value 2, exch-ts-order 1, local-ts-order 1, duplicate 1, non-positive-price 1, bad-size 2 in 6,000 rows`);
    expect(e.hint).toContain("lab.data.validate(batch)");
    expect(e.hint).toContain('{ check: "warn" }');
    expect(e.context).toMatchObject({ file: "generated (damaged)", row: r.nanPrice, column: "priceTicks", class: "missing-value" });
  });

  it("strict runs when only warnings are found (duplicates, receive time), and reports them", () => {
    const cols2 = copyColumns(base);
    for (const name of TICK_COLUMN_NAMES) (cols2[name] as unknown as unknown[])[r.dup + 1] = (cols2[name] as unknown as unknown[])[r.dup];
    cols2.localTs[r.localBack] = cols2.localTs[r.localBack]! - 10_000_000_000n;
    const result = run(tickBatch(cols2, base.instruments, "warnings only"), { check: "strict" });
    expect(result.inputCheck!.mode).toBe("strict");
    expect(countsOf(result)).toEqual({ "local-ts-order": 1, duplicate: 1 });
  });

  it("off makes no pass and attaches nothing", () => {
    const result = run(damaged, { check: "off" });
    expect(result.inputCheck).toBeUndefined();
    expect(result.inputLine()).toBeUndefined();
    expect(String(result)).not.toContain("input:");
    expect("inputCheck" in result.toJSON()).toBe(false);
  });

  it("never crashes the loop on rows it cannot apply (NaN or infinite prices on levels, unknown kinds)", () => {
    const result = run(damaged, { check: "off" });
    expect(result.summary.events).toBe(6000);
  });

  it("a clean batch has zero issues, and the pass changes no fill, order or equity figure", () => {
    const data = generateTicks({ events: 40_000, seed: 9, mode: "l2" });
    const options: BacktestOptions = { latencyNs: 30_000, seed: 2 };
    const warn = run(data, options);
    const off = run(data, { ...options, check: "off" });
    expect(warn.inputCheck).toEqual({ mode: "warn", rowsChecked: 40_000, counts: {}, total: 0, issues: [], readIssues: [] });
    expect(warn.inputLine()).toBeUndefined();
    expect(off.fills.ts.length).toBeGreaterThan(50);
    const { inputCheck: _a, ...a } = warn.toJSON();
    const { inputCheck: _b, ...b } = off.toJSON();
    const { eventsPerSecond: _c, ...sa } = a.summary;
    const { eventsPerSecond: _d, ...sb } = b.summary;
    expect({ ...a, summary: sa }).toEqual({ ...b, summary: sb });
    expect(Array.from(warn.equity.equity)).toEqual(Array.from(off.equity.equity));
    expect(Array.from(warn.fills.price)).toEqual(Array.from(off.fills.price));
  });

  it("finds a 1 ns step back anywhere in a batch that spans a year", () => {
    const c = copyColumns(base);
    const YEAR = 365n * 86_400_000_000_000n;
    for (let i = 3000; i < base.length; i++) {
      c.exchTs[i] = c.exchTs[i]! + YEAR;
      c.localTs[i] = c.localTs[i]! + YEAR;
    }
    let row = -1;
    for (let i = 5000; i < base.length; i++) if (base.kind[i] === EventKind.LevelSet && base.kind[i - 1] === EventKind.LevelSet && base.exchTs[i - 1]! < base.exchTs[i]!) { row = i; break; }
    c.exchTs[row] = c.exchTs[row - 1]! - 1n;
    const result = run(tickBatch(c, base.instruments, "a year"), { equityIntervalNs: 86_400_000_000_000 });
    expect(found(result.inputCheck)).toEqual({ "exch-ts-order": { count: 1, rows: [[row, "exchTs", String(c.exchTs[row])]] } });
  });

  it("chunk by chunk alongside the run or in one pass before it, the findings are the same", () => {
    const fresh = (): TickBatch => tickBatch(copyColumns(damaged), base.instruments, "generated (damaged)");
    const once = checkInput([fresh()], "warn");
    expect(once.total).toBe(11);
    // chunk sizes from a seeded generator, so chunk ends fall inside runs of equal exchange times
    let state = 7;
    const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    for (let trial = 0; trial < 20; trial++) {
      const checker = new InputChecker([fresh()], "warn");
      for (let rows = 0; rows < 6000; ) {
        const step = 1 + (next() % (trial < 10 ? 7 : 900));
        checker.advance(step);
        rows += step;
      }
      expect(checker.finish()).toEqual(once);
    }
    // through the backtest: "warn" checks alongside the loop, "strict" before it
    const warn = run(fresh()).inputCheck!;
    expect({ ...warn, mode: "strict" }).toEqual({ ...once, mode: "strict" });
  });

  it("duplicates: the rows a row-by-row reading of the rule finds, in runs of equal times of every length, whole or chunk by chunk", () => {
    // Seeded batches built to stress the pass's filter (one bit per price and size in a run of
    // equal exchange times): few distinct prices and sizes, so unrelated rows share bits; copies
    // from 1 to 12 rows back (8 is the rule's reach), some with one other column changed (not
    // duplicates), NaN prices and sizes (NaN = NaN), runs from 1 to 40 rows. The reference is the
    // rule read literally, row by row, and validate()'s count.
    let state = 11;
    const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    const pick = <T,>(xs: readonly T[]): T => xs[next() % xs.length]!;
    const sameValue = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b));
    for (const instruments of [1, 2]) {
      for (let trial = 0; trial < 3; trial++) {
        const n = 20_000;
        const shape = generateTicks({ events: n, seed: 40 + trial, mode: "l2" });
        const cols = copyColumns(shape);
        const insts = instruments === 1 ? shape.instruments : [...shape.instruments, instrument({ symbol: "OTHER", venue: "SIM", tickSize: "0.01" })];
        let t = 1_700_000_000_000_000_000n;
        let runStart = 0;
        let runLength = 1;
        for (let i = 0; i < n; i++) {
          if (i - runStart >= runLength) {
            runStart = i;
            runLength = 1 + (next() % 3 === 0 ? next() % 40 : next() % 6);
            t += BigInt(1 + (next() % 1000));
          }
          cols.exchTs[i] = t;
          const back = 1 + (next() % 12);
          if (i - back >= runStart && next() % 3 === 0) {
            for (const name of TICK_COLUMN_NAMES) (cols[name] as unknown as unknown[])[i] = (cols[name] as unknown as unknown[])[i - back];
            if (next() % 4 === 0) {
              const change = next() % 4;
              if (change === 0) cols.side[i] = -cols.side[i]! || 1;
              else if (change === 1) cols.orderId[i] = cols.orderId[i]! + 1;
              else if (change === 2) cols.localTs[i] = cols.localTs[i]! + 1n;
              else cols.flags[i] = cols.flags[i]! ^ EventFlag.Last;
            }
          } else {
            cols.kind[i] = pick([EventKind.LevelSet, EventKind.Trade]);
            cols.side[i] = pick([1, -1]);
            cols.priceTicks[i] = pick([10_000, 10_001, 10_002, 10_031, NaN]);
            cols.qtyLots[i] = pick([1, 2, 3, 64, NaN]);
            cols.localTs[i] = t + 5_000n;
            cols.orderId[i] = NaN;
            cols.seq[i] = NaN;
            cols.aux[i] = NaN;
            cols.flags[i] = 0;
            cols.instrument[i] = next() % instruments;
          }
        }
        const batch = (): TickBatch => tickBatch(copyColumns({ ...cols, length: n } as unknown as TickBatch), insts, "duplicates");
        const expected: Row[] = [];
        let count = 0;
        for (let i = 0; i < n; i++) {
          for (let j = i - 1; j >= 0 && j >= i - 8 && cols.exchTs[j] === cols.exchTs[i]; j--) {
            if (TICK_COLUMN_NAMES.every((name) => sameValue(Number(cols[name][j]), Number(cols[name][i])))) {
              if (expected.length < 5) expected.push([i, "exchTs", `same as row ${j}`]);
              count++;
              break;
            }
          }
        }
        expect(count).toBeGreaterThan(1000);
        expect(found(checkInput([batch()], "warn")).duplicate).toEqual({ count, rows: expected });
        expect(validate(batch(), { onReject: "report" }).issues.find((x) => x.class === "duplicate")?.count).toBe(count);
        const checker = new InputChecker([batch()], "warn");
        for (let rows = 0; rows < n; ) {
          const step = 1 + (next() % 50);
          checker.advance(step);
          rows += step;
        }
        expect(found(checker.finish()).duplicate).toEqual({ count, rows: expected });
      }
    }
  });

  it("values: every kind with every kind of price and size is classed as validate() classes it", () => {
    const prices = [10_000, 0, -3, NaN, Infinity, -Infinity, 10_000.5, 1e300];
    const sizes = [2, 0, -0, -1, NaN, Infinity, -Infinity, 0.5];
    const kinds = [...Object.values(EventKind), 0, 99];
    const n = kinds.length * prices.length * sizes.length * 2;
    const cols = copyColumns(generateTicks({ events: n, seed: 3, mode: "l2" }));
    let i = 0;
    for (const kind of kinds) for (const price of prices) for (const size of sizes) for (const flags of [0, EventFlag.OffGrid]) {
      cols.kind[i] = kind;
      cols.priceTicks[i] = price;
      cols.qtyLots[i] = size;
      cols.flags[i] = flags;
      cols.side[i] = 1;
      cols.exchTs[i] = 1_700_000_000_000_000_000n + BigInt(i) * 1000n;
      cols.localTs[i] = cols.exchTs[i]! + 10n;
      i++;
    }
    const batch = (): TickBatch => tickBatch(copyColumns({ ...cols, length: n } as unknown as TickBatch), base.instruments, "values");
    const report = validate(batch(), { onReject: "report", maxSamples: 5 });
    const check = checkInput([batch()], "warn");
    const classes: IssueClass[] = ["type-error", "off-grid", "missing-value", "non-positive-price", "bad-size"];
    const byValidate = Object.fromEntries(classes.map((c) => [c, report.issues.find((x) => x.class === c)?.count ?? 0]));
    const byCheck = Object.fromEntries(classes.map((c) => [c, check.counts[c] ?? 0]));
    expect(byCheck).toEqual(byValidate);
    for (const c of classes) expect(byCheck[c]).toBeGreaterThan(0);
  });

  it("a batch checked once is not scanned again, and each run gets its own copy of the findings", () => {
    const batch = tickBatch(copyColumns(damaged), base.instruments, "checked twice");
    const first = run(batch).inputCheck!;
    first.issues[0]!.samples[0]!.row = -1;
    first.issues[0]!.count = -1;
    const second = run(batch).inputCheck!;
    expect(second).toEqual(checkInput([tickBatch(copyColumns(damaged), base.instruments, "checked twice")], "warn"));
    // strict on the same batch refuses from the kept findings
    expect(caught(() => run(batch, { check: "strict" })).code).toBe("DATA_MISSING_VALUE");
  });

  it("checks every batch of a multi-batch input and names the input of each finding", () => {
    const other = generateTicks({ events: 3000, seed: 6, mode: "l2", instrument: instrument({ symbol: "OTHER", venue: "SIM", tickSize: "0.01" }) });
    const oc = copyColumns(other);
    oc.qtyLots[2500] = -1;
    const result = run([base, tickBatch(oc, other.instruments, "other")]);
    expect(result.inputCheck!.rowsChecked).toBe(9000);
    expect(result.inputCheck!.issues.map((x) => [x.input, x.file, x.class, x.count, x.samples[0]!.row])).toEqual([[1, "other", "bad-size", 1, 2500]]);
    expect(result.inputLine()).toBe("input: 1 issue in 9,000 rows: 1 bad-size (input 1 row 2500); lab.data.validate(batch) for the full report");
  });
});

// ---------------------------------------------------------------------------------------------

describe("LOBSTER message CSV (real GOOG 2012-06-21 sample, first 1,500 rows)", () => {
  const MSG = "GOOG_2012-06-21_34200000_57600000_message_5.csv";
  const parts = unzipSync(readFileSync(join(ROOT, "data", "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip")), { filter: (f) => f.name === MSG });
  const lines = Buffer.from(parts[MSG]!).toString("latin1").split("\n").slice(0, 1500);
  /** 2012-06-21 00:00 in New York (UTC−4), in ns. */
  const MIDNIGHT = 1_340_251_200_000_000_000n;
  const nsOf = (t: string): bigint => {
    const [w, f = ""] = t.split(".");
    return MIDNIGHT + BigInt(w!) * 1_000_000_000n + BigInt(f.padEnd(9, "0"));
  };
  const write = (l: string[]) => fileIn(MSG, l.join("\n") + "\n");
  const cell = (l: string[], i: number, c: number): string => l[i]!.split(",")[c]!;
  const setCell = (l: string[], i: number, c: number, v: string): void => {
    const f = l[i]!.split(",");
    f[c] = v;
    l[i] = f.join(",");
  };
  // Columns: time, type, order id, size, price, direction. Defects by file row (0-based):
  // 100 price "NaN" and 200 a negative size (the reader sets both aside), 300 a negative price,
  // 400 written twice, 600 one second earlier than the rows around it.
  const damaged = [...lines];
  setCell(damaged, 100, 4, "NaN");
  const size200 = cell(lines, 200, 3);
  setCell(damaged, 200, 3, `-${size200}`);
  const price300 = cell(lines, 300, 4);
  setCell(damaged, 300, 4, `-${price300}`);
  const back = `${Number(cell(lines, 600, 0).split(".")[0]) - 1}.${cell(lines, 600, 0).split(".")[1]}`;
  setCell(damaged, 600, 0, back);
  damaged.splice(401, 0, damaged[400]!);

  it("a clean file has zero issues", async () => {
    const result = run(await readFile(write(lines), { format: "lobster" }));
    expect(result.inputCheck!.total).toBe(0);
  });

  it("counts the reader's set-aside rows and the check's findings, each at its row", async () => {
    const batch = await readFile(write(damaged), { format: "lobster", onBadRows: "quarantine" });
    const result = run(batch);
    expect(result.inputCheck!.rowsChecked).toBe(1499); // 1,501 file rows, 2 set aside
    // Batch rows: file rows 100 and 200 are gone, the duplicate adds one after file row 400.
    expect(found(result.inputCheck)).toEqual({
      "exch-ts-order": { count: 1, rows: [[599, "exchTs", String(nsOf(back))]] },
      "local-ts-order": { count: 1, rows: [[599, "localTs", String(nsOf(back))]] },
      duplicate: { count: 1, rows: [[399, "exchTs", "same as row 398"]] },
      "non-positive-price": { count: 1, rows: [[298, "priceTicks", String(-Number(price300) / 100)]] },
    });
    expect(readerFound(result.inputCheck)).toEqual({
      "type-error": { count: 1, policy: "quarantine", rows: [{ row: 100, column: "price", value: "NaN", line: 101 }] },
      "bad-size": { count: 1, policy: "quarantine", rows: [{ row: 200, column: "size", value: `-${size200}`, line: 201 }] },
    });
    expect(result.inputCheck!.counts).toEqual({ "type-error": 1, "exch-ts-order": 1, "local-ts-order": 1, duplicate: 1, "non-positive-price": 1, "bad-size": 1 });
    expect(result.inputLine()).toBe("input: 6 issues in 1,499 rows: 1 type-error (line 101 set aside by the reader), 1 exch-ts-order (row 599), 1 local-ts-order (row 599), 1 duplicate (row 399), 1 non-positive-price (row 298), 1 bad-size (line 201 set aside by the reader); lab.data.validate(batch) for the full report");
    expect(run(batch, { check: "off" }).inputCheck).toBeUndefined();
    const e = caught(() => run(batch, { check: "strict" }));
    expect(e.code).toBe("DATA_NON_POSITIVE_PRICE");
    expect(e.context).toMatchObject({ file: batch.source, row: 298, column: "priceTicks", value: String(-Number(price300) / 100) });
    expect(e.message).toMatch(/: row 298, column priceTicks: zero or negative price \(-\d+\); the input check found type-error 1, exch-ts-order 1, local-ts-order 1, duplicate 1, non-positive-price 1, bad-size 1 in 1,499 rows$/);
  });
});

// ---------------------------------------------------------------------------------------------

describe("Tardis CSV (real binance-futures book_snapshot_25 sample)", () => {
  const lines = readFileSync(join(ROOT, "data", "tardis-csv-samples", "binance-futures_book_snapshot_25_BTCUSDT.csv"), "utf8").split("\n");
  const write = (l: string[]) => fileIn("binance-futures_book_snapshot_25_BTCUSDT.csv", l.join("\n"));
  // Columns: exchange, symbol, timestamp, local_timestamp, asks[0].price, asks[0].amount,
  // bids[0].price (6), bids[0].amount (7), asks[1].*, bids[1].price (10), bids[1].amount (11), ...
  // Each CSV line is a Clear row, then 25 bids and 25 asks (51 rows): bids[0] is row 51·k + 1.
  const f = (i: number) => lines[i]!.split(",");
  const set = (l: string[], i: number, edit: (x: string[]) => void): void => {
    const x = l[i]!.split(",");
    edit(x);
    l[i] = x.join(",");
  };
  const damaged = [...lines];
  set(damaged, 3, (x) => (x[6] = "NaN")); // data row 2: set aside by the reader
  set(damaged, 5, (x) => (x[6] = `-${x[6]}`)); // data row 4: batch row 4·51 + 1 − 1
  set(damaged, 6, (x) => (x[7] = `-${x[7]}`)); // data row 5
  set(damaged, 7, (x) => ((x[10] = x[6]!), (x[11] = x[7]!))); // bids[1] repeats bids[0]
  set(damaged, 9, (x) => (x[2] = String(Number(x[2]) - 200_000))); // 200 ms before the line above
  const ticks = (decimal: string) => String(Math.round(Number(decimal) * 100));
  const lots = (decimal: string) => String(Math.round(Number(decimal) * 1000));

  it("a clean file has zero issues", async () => {
    expect(run(await readFile(write(lines), { format: "tardis" })).inputCheck!.total).toBe(0);
  });

  it("counts the reader's set-aside level and the check's findings, each at its row", async () => {
    const batch = await readFile(write(damaged), { format: "tardis", onBadRows: "quarantine" });
    const result = run(batch);
    const newTs = String(BigInt(Number(f(9)[2]) - 200_000) * 1000n);
    expect(found(result.inputCheck)).toEqual({
      // The whole snapshot line goes back: its Clear row and 50 levels (row 8·51 − 1 on).
      "exch-ts-order": { count: 51, rows: [407, 408, 409, 410, 411].map((row) => [row, "exchTs", newTs] as Row) },
      duplicate: { count: 1, rows: [[6 * 51 + 2 - 1, "exchTs", `same as row ${6 * 51 + 1 - 1}`]] },
      "non-positive-price": { count: 1, rows: [[4 * 51, "priceTicks", `-${ticks(f(5)[6]!)}`]] },
      "bad-size": { count: 1, rows: [[5 * 51, "qtyLots", `-${lots(f(6)[7]!)}`]] },
    });
    expect(readerFound(result.inputCheck)).toEqual({ "type-error": { count: 1, policy: "quarantine", rows: [{ row: 2, column: "bids[0].price", value: "NaN", line: 4 }] } });
    const e = caught(() => run(batch, { check: "strict" }));
    expect(e.code).toBe("DATA_NON_POSITIVE_PRICE");
    expect(e.context).toMatchObject({ row: 204, column: "priceTicks", value: `-${ticks(f(5)[6]!)}` });
    expect(run(batch, { check: "off" }).inputCheck).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

describe("normalized Parquet written from generated data", () => {
  const base = generateTicks({ events: 3000, seed: 7, mode: "l2" });
  const levelAt = (from: number): number => {
    for (let i = from; i < base.length; i++) if (base.kind[i] === EventKind.LevelSet) return i;
    throw new Error("no level row");
  };
  const cols = copyColumns(base);
  const nan = levelAt(500);
  const neg = levelAt(600);
  const frac = levelAt(700);
  const negSize = levelAt(800);
  const dup = levelAt(900);
  const backRow = levelAt(1000);
  cols.qtyLots[300] = Infinity; // the reader sets this row aside (type-error)
  cols.kind[1100] = 99; // and this one
  cols.priceTicks[nan] = NaN;
  cols.priceTicks[neg] = -cols.priceTicks[neg]!;
  cols.priceTicks[frac] = cols.priceTicks[frac]! + 0.5;
  cols.qtyLots[negSize] = -3;
  for (const name of TICK_COLUMN_NAMES) (cols[name] as unknown as unknown[])[dup + 1] = (cols[name] as unknown as unknown[])[dup];
  cols.exchTs[backRow] = cols.exchTs[backRow]! - 1_000_000_000n;

  it("a clean file has zero issues", async () => {
    const path = join(tmp, "clean.parquet");
    await writeParquet(base, path);
    expect(run(await readFile(path)).inputCheck!.total).toBe(0);
  });

  it("counts the reader's set-aside rows and the check's findings, each at its row", async () => {
    const path = join(tmp, "damaged.parquet");
    await writeParquet(tickBatch(cols, base.instruments, "x"), path);
    const batch = await readFile(path, { onBadRows: "quarantine" });
    const result = run(batch);
    // Row 300 is gone: every defect after it is one row up.
    expect(found(result.inputCheck)).toEqual({
      "off-grid": { count: 1, rows: [[frac - 1, "priceTicks", String(cols.priceTicks[frac])]] },
      "missing-value": { count: 1, rows: [[nan - 1, "priceTicks", undefined]] },
      "exch-ts-order": { count: 1, rows: [[backRow - 1, "exchTs", String(cols.exchTs[backRow])]] },
      duplicate: { count: 1, rows: [[dup, "exchTs", `same as row ${dup - 1}`]] },
      "non-positive-price": { count: 1, rows: [[neg - 1, "priceTicks", String(cols.priceTicks[neg])]] },
      "bad-size": { count: 1, rows: [[negSize - 1, "qtyLots", "-3"]] },
    });
    expect(readerFound(result.inputCheck)).toEqual({
      "type-error": {
        count: 2,
        policy: "quarantine",
        rows: [
          { row: 300, column: "qtyLots", value: "Infinity" },
          { row: 1100, column: "kind", value: "99" },
        ],
      },
    });
    expect(result.inputCheck!.total).toBe(8);
    const e = caught(() => run(batch, { check: "strict" }));
    expect(e.code).toBe("DATA_MISSING_VALUE");
    expect(e.context).toMatchObject({ file: batch.source, row: nan - 1, column: "priceTicks" });
    expect(run(batch, { check: "off" }).inputCheck).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

describe("Binance raw capture (real USD-M futures capture, first 3,000 lines)", () => {
  const lines = gunzipSync(readFileSync(join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz"))).toString("utf8").split("\n").slice(0, 3000);
  const write = (l: string[]) => fileIn("capture.txt", l.join("\n") + "\n");
  const typeAt = (l: string[], i: number) => /"e":"(\w+)"/.exec(l[i]!)?.[1];
  const next = (l: string[], from: number, type: string): number => {
    for (let i = from; i < l.length; i++) if (typeAt(l, i) === type) return i;
    throw new Error(`no ${type} line`);
  };
  const field = (line: string, name: string): string => new RegExp(`"${name}":"?([^",}]+)`).exec(line)![1]!;
  const damaged = [...lines];
  const negPrice = next(lines, 1000, "trade");
  damaged[negPrice] = damaged[negPrice]!.replace('"p":"', '"p":"-');
  const negSize = next(lines, 1500, "bookTicker");
  damaged[negSize] = damaged[negSize]!.replace('"B":"', '"B":"-');
  const backLine = next(lines, 1800, "trade");
  const backE = Number(field(lines[backLine]!, "E")) - 5000;
  damaged[backLine] = damaged[backLine]!.replace(/"E":\d+/, `"E":${backE}`);
  const localLine = next(lines, 2200, "trade");
  const localNs = BigInt(lines[localLine]!.split(" ")[0]!) - 1_000_000_000n;
  damaged[localLine] = damaged[localLine]!.replace(/^\d+/, String(localNs));
  const dupLine = next(lines, 1200, "trade");
  const tickerLine = next(lines, 2600, "bookTicker");
  // Last, so the edits above are at the lines computed (the later one first); the lines after an
  // inserted copy move down one.
  damaged.splice(tickerLine + 1, 0, damaged[tickerLine]!);
  damaged.splice(dupLine + 1, 0, damaged[dupLine]!);

  it("a clean capture has zero issues (its depth, bookTicker and trade times cross, feed by feed they do not)", async () => {
    expect(run(await readFile(write(lines), { format: "binance-raw" })).inputCheck!.total).toBe(0);
  });

  it("counts the reader's skipped lines and the check's findings, each at the row of its trade", async () => {
    const batch = await readFile(write(damaged), { format: "binance-raw", onBadRows: "quarantine" });
    const result = run(batch);
    const check = result.inputCheck!;
    const tradeRow = (id: string, nth = 0): number => {
      let seen = 0;
      for (let i = 0; i < batch.length; i++) if (batch.kind[i] === EventKind.Trade && batch.seq[i] === Number(id) && seen++ === nth) return i;
      throw new Error(`no trade ${id}`);
    };
    const dupRow = tradeRow(field(lines[dupLine]!, "t"), 1);
    // A bookTicker line is a bid and an ask row: its copy repeats each two rows back.
    const u = Number(field(lines[tickerLine]!, "u"));
    const ticker: number[] = [];
    for (let i = 0; i < batch.length; i++) if (batch.kind[i] === EventKind.Bbo && batch.seq[i] === u) ticker.push(i);
    expect(ticker.map((i) => batch.side[i])).toEqual([1, -1, 1, -1]);
    const backRow = tradeRow(field(lines[backLine]!, "t"));
    const localRow = tradeRow(field(lines[localLine]!, "t"));
    expect(found(check)).toEqual({
      "exch-ts-order": { count: 1, rows: [[backRow, "exchTs", String(BigInt(backE) * 1_000_000n)]] },
      "local-ts-order": { count: 1, rows: [[localRow, "localTs", String(localNs)]] },
      duplicate: {
        count: 3,
        rows: [
          [dupRow, "exchTs", `same as row ${tradeRow(field(lines[dupLine]!, "t"))}`],
          [ticker[2]!, "exchTs", `same as row ${ticker[0]}`],
          [ticker[3]!, "exchTs", `same as row ${ticker[1]}`],
        ],
      },
    });
    expect(dupRow).toBe(tradeRow(field(lines[dupLine]!, "t")) + 1);
    expect(readerFound(check)).toEqual({
      "non-positive-price": { count: 1, policy: "quarantine", rows: [{ row: negPrice, column: "p", value: `-${field(lines[negPrice]!, "p")}`, line: negPrice + 1 }] },
      "bad-size": { count: 1, policy: "quarantine", rows: [{ row: negSize + 1, column: "B", value: `-${field(lines[negSize]!, "B")}`, line: negSize + 2 }] },
    });
    // Strict: duplicates and receive-time order are warnings; the first refused row is the trade
    // whose exchange time goes back (the check's rows come before the reader's skipped lines).
    const e = caught(() => run(batch, { check: "strict" }));
    expect(e.code).toBe("DATA_EXCH_TS_ORDER");
    expect(e.context).toMatchObject({ row: backRow, column: "exchTs" });
    expect(run(batch, { check: "off" }).inputCheck).toBeUndefined();
  });

  it("strict names the reader's first skipped line when the rows kept are clean", async () => {
    const only = [...lines];
    only[negPrice] = damaged[negPrice]!;
    const batch = await readFile(write(only), { format: "binance-raw", onBadRows: "quarantine" });
    const e = caught(() => run(batch, { check: "strict" }));
    expect(e.code).toBe("DATA_NON_POSITIVE_PRICE");
    expect(e.message).toBe(`${batch.source}: line ${negPrice + 1} set aside by the reader, column p: zero or negative price (-${field(lines[negPrice]!, "p")}); the input check found non-positive-price 1 in ${batch.length.toLocaleString("en-US")} rows`);
    expect(e.context).toMatchObject({ row: negPrice, column: "p", source: "reader" });
  });
});

// ---------------------------------------------------------------------------------------------

describe("DBN (real ESU4 trades, 120 records)", () => {
  const source = join(ROOT, "data", "databento", "esu4-futures_trades_2024-07-01T23-58_2024-07-02T00-02.dbn.zst");
  const raw = decodeSource(readFileSync(source), source).bytes;
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const first = 8 + view(raw).getUint32(4, true);
  const recs: number[] = [];
  for (let p = first; p < raw.length; p += raw[p]! * 4) recs.push(p);
  const spec = instrument({ symbol: "ESU4", venue: "GLBX", tickSize: "0.25" });
  // Trade record (48 bytes): header (ts_event at 8), price i64 at 16, size u32 at 24, action 28,
  // side 29, ts_recv at 32.
  const bytes = Uint8Array.from(raw);
  const d = view(bytes);
  const at = (r: number, off: number) => recs[r]! + off;
  bytes[at(30, 29)] = "X".charCodeAt(0); // no such side: the reader leaves the record out
  const price50 = d.getBigInt64(at(50, 16), true);
  d.setBigInt64(at(50, 16), -price50, true);
  d.setUint32(at(60, 24), 0, true);
  const ts80 = d.getBigUint64(at(80, 8), true) - 1_000_000n;
  d.setBigUint64(at(80, 8), ts80, true);
  const recv90 = d.getBigUint64(at(90, 32), true) - 500_000_000n;
  d.setBigUint64(at(90, 32), recv90, true);
  const len = bytes[recs[70]!]! * 4;
  const damaged = new Uint8Array(bytes.length + len);
  damaged.set(bytes.subarray(0, recs[70]! + len));
  damaged.set(bytes.subarray(recs[70]!, recs[70]! + len), recs[70]! + len);
  damaged.set(bytes.subarray(recs[70]! + len), recs[70]! + 2 * len);

  it("a clean file has zero issues", async () => {
    expect(run(await readFile(fileIn("clean.dbn", raw), { format: "dbn", instrument: spec })).inputCheck!.total).toBe(0);
  });

  it("counts the record the reader left out and the check's findings, each at its row", async () => {
    const batch = await readFile(fileIn("damaged.dbn", damaged), { format: "dbn", instrument: spec, onBadRows: "quarantine" });
    const result = run(batch);
    // Record 30 is gone (rows after it are one up), the copy of record 70 is one more row.
    expect(found(result.inputCheck)).toEqual({
      "exch-ts-order": { count: 1, rows: [[80, "exchTs", String(ts80)]] },
      "local-ts-order": { count: 1, rows: [[90, "localTs", String(recv90)]] },
      duplicate: { count: 1, rows: [[70, "exchTs", "same as row 69"]] },
      "non-positive-price": { count: 1, rows: [[49, "priceTicks", String(-Number(price50) / 250_000_000)]] },
      "bad-size": { count: 1, rows: [[59, "qtyLots", "0"]] },
    });
    expect(readerFound(result.inputCheck)).toEqual({ "type-error": { count: 1, policy: "quarantine", rows: [{ row: 30, column: "side", value: "X" }] } });
    expect(result.inputLine()).toBe("input: 6 issues in 120 rows: 1 type-error (file row 30 set aside by the reader), 1 exch-ts-order (row 80), 1 local-ts-order (row 90), 1 duplicate (row 70), 1 non-positive-price (row 49), 1 bad-size (row 59); lab.data.validate(batch) for the full report");
    const e = caught(() => run(batch, { check: "strict" }));
    expect(e.code).toBe("DATA_NON_POSITIVE_PRICE");
    expect(e.context).toMatchObject({ row: 49, column: "priceTicks", value: String(-Number(price50) / 250_000_000) });
    expect(run(batch, { check: "off" }).inputCheck).toBeUndefined();
  });
});

// The reader's `truncated` issue reaches the run too: a capture cut inside its last line.
describe("a file the reader kept the prefix of", () => {
  it("says so in the run's input line, and strict refuses it", async () => {
    const lines = gunzipSync(readFileSync(join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz"))).toString("utf8").split("\n").slice(0, 2000);
    const text = lines.join("\n");
    const cut = text.slice(0, text.length - 40);
    const batch = await readFile(fileIn("cut.txt", cut), { format: "binance-raw", onBadRows: "quarantine" });
    const result = run(batch);
    expect(result.inputCheck!.counts).toEqual({ truncated: 1 });
    expect(result.inputLine()).toMatch(/^input: 1 issue in [\d,]+ rows: 1 truncated \(file cut at byte \d+\); /);
    const e = caught(() => run(batch, { check: "strict" }));
    expect(e.code).toBe("DATA_TRUNCATED");
    expect(e.context).toMatchObject({ class: "truncated", source: "reader" });
  });
});

// Flags the pass honours: a fractional tick count is fine on a row flagged OffGrid.
describe("OffGrid rows", () => {
  it("a fractional tick count on a row flagged OffGrid is not an issue", () => {
    const base = generateTicks({ events: 2000, seed: 3, mode: "l2" });
    const cols = copyColumns(base);
    let row = -1;
    for (let i = 1000; i < base.length; i++) if (base.kind[i] === EventKind.Trade) { row = i; break; }
    cols.priceTicks[row] = cols.priceTicks[row]! + 0.5;
    cols.flags[row] = cols.flags[row]! | EventFlag.OffGrid;
    expect(run(tickBatch(cols, base.instruments, "g")).inputCheck!.total).toBe(0);
    cols.flags[row] = cols.flags[row]! & ~EventFlag.OffGrid;
    expect(run(tickBatch(cols, base.instruments, "g")).inputCheck!.counts).toEqual({ "off-grid": 1 });
  });
});
