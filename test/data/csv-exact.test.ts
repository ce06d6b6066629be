// Exactness of the CSV price/size -> ticks/lots conversion: the float DuckDB parses decides a row
// only where that is provable; long decimals, underflowing exponents and step counts >= 10^15 are
// converted from their text. Ground truth: hand calculation, and an independent BigInt parse of
// the text written by writeCsv.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { LabError } from "../../src/core/errors.js";
import { generateTicks, readTable, writeCsv, TICK_COLUMN_NAMES } from "../../src/data/index.js";
import { readReportOf as readReport } from "../../src/data/quality.js";
import { convertDecided, decimalTextSteps, UNDECIDED_PRICE } from "../../src/data/csv-source.js";
import { TEST_OUTPUT } from "../helpers/paths.js";

const dir = join(TEST_OUTPUT, "csv-exact");
mkdirSync(dir, { recursive: true });

const CENT = { units: 1, scale: 2 };

describe("decimalTextSteps (integer arithmetic on the text)", () => {
  it("converts on-grid decimals exactly and refuses everything else", () => {
    expect(decimalTextSteps("61800.20", CENT)).toBe(6180020);
    expect(decimalTextSteps("585.3300", { units: 1, scale: 4 })).toBe(5853300);
    expect(decimalTextSteps("61800.2000000000000000000", CENT)).toBe(6180020);
    // The float of this text is 61800.2 exactly; the text is not on the grid.
    expect(decimalTextSteps("61800.2000000000000000001", CENT)).toBeUndefined();
    expect(decimalTextSteps("61800.205", CENT)).toBeUndefined();
    expect(decimalTextSteps("-12.34", CENT)).toBe(-1234);
    expect(Object.is(decimalTextSteps("-0", CENT), -0)).toBe(true);
    expect(decimalTextSteps(" +1_000.50 ", CENT)).toBe(100050);
    expect(decimalTextSteps("6.18002e4", CENT)).toBe(6180020);
    expect(decimalTextSteps("1E2", CENT)).toBe(10000);
    expect(decimalTextSteps("1e-400", CENT)).toBeUndefined();
    expect(decimalTextSteps("0e-400", CENT)).toBe(0);
    expect(decimalTextSteps("1e999999999", CENT)).toBeUndefined();
    expect(decimalTextSteps("abc", CENT)).toBeUndefined();
    expect(decimalTextSteps(".", CENT)).toBeUndefined();
    // tick 0.05
    expect(decimalTextSteps("1.05", { units: 5, scale: 2 })).toBe(21);
    expect(decimalTextSteps("1.07", { units: 5, scale: 2 })).toBeUndefined();
  });

  it("stops at 2^53 steps, where a float64 column can no longer hold every count", () => {
    const one = { units: 1, scale: 0 };
    expect(decimalTextSteps("9007199254740991", one)).toBe(2 ** 53 - 1);
    expect(decimalTextSteps("9007199254740992", one)).toBeUndefined();
    expect(decimalTextSteps("9007199254740993", one)).toBeUndefined();
    expect(decimalTextSteps("90071992547409.91", CENT)).toBe(2 ** 53 - 1);
    expect(decimalTextSteps("-90071992547409.91", CENT)).toBe(-(2 ** 53 - 1));
    expect(decimalTextSteps("90071992547409.92", CENT)).toBeUndefined();
  });
});

describe("convertDecided (the float fast path)", () => {
  it("decides short values, leaves flagged rows and step counts >= 10^15 to the text", () => {
    const values = Float64Array.from([61800.2, 61800.205, 61800.2, 90071992547409.91, NaN, -12.34]);
    const undecided = Uint8Array.from([0, 0, UNDECIDED_PRICE, 0, 0, 0]);
    const bad = new Uint32Array(6);
    const pending: number[] = [];
    const off = convertDecided(values, new Uint16Array(6), [CENT], bad, 64, 0, undecided, UNDECIDED_PRICE, pending);
    expect(off).toBe(1);
    expect(Array.from(bad)).toEqual([0, 64, 0, 0, 0, 0]);
    expect(pending).toEqual([2, 3]);
    expect(values[0]).toBe(6180020);
    expect(values[1]).toBe(61800.205);
    expect(values[2]).toBe(61800.2);
    expect(Number.isNaN(values[4])).toBe(true);
    expect(values[5]).toBe(-1234);
  });
});

const spec = instrument({ symbol: "X", venue: "V", tickSize: "0.01", lotSize: "0.001" });
const HEADER = "exchTs,kind,side,price,qty,symbol";

function edgeFile(): string {
  const rows: [string, string][] = [
    ["61800.20", "1.000"], // 0: plain
    ["61800.2000000000000000001", "1"], // 1: long, off-grid though its float is 61800.2
    ["61800.2000000000000000000", "2"], // 2: long, on the grid
    ["-12.34", "0.001"], // 3: negative price (validate() reports it; the reader keeps it)
    ["6.18002e4", "3"], // 4: exponent form
    ["100.00", "1e-400"], // 5: a size that underflows a float to 0 but is not 0
    ["100.00", "0"], // 6: zero size
    ["90071992547409.91", "1"], // 7: 2^53 - 1 ticks: decided from the text
    ["90071992547409.93", "1"], // 8: beyond 2^53 ticks
    ['"585.33"', '"0.500"'], // 9: quoted numbers
    ["0.0100000000000000000000000000001", "1"], // 10: long, off-grid
    ["99.99", "1.0000000000000000001"], // 11: size long and off the lot grid
  ];
  return [HEADER, ...rows.map(([p, q], i) => `${1_700_000_000_000_000_000 + i},Trade,1,${p},${q},X`)].join("\n") + "\n";
}

describe("CSV reads convert decimals exactly", () => {
  it("hand-made edge cases: exact ticks kept, off-grid texts reported with row, column and raw text", async () => {
    const file = join(dir, "edges.csv");
    writeFileSync(file, edgeFile());
    const batch = await readTable(file, { instrument: spec, onBadRows: "quarantine" });
    expect(Array.from(batch.priceTicks)).toEqual([6180020, 6180020, -1234, 6180020, 10000, 2 ** 53 - 1, 58533]);
    expect(Array.from(batch.qtyLots)).toEqual([1000, 2000, 1, 3000, 0, 1000, 500]);
    const report = readReport(batch)!;
    const offGrid = report.issues.find((i) => i.class === "off-grid")!;
    expect(offGrid.count).toBe(5);
    const samples = offGrid.samples.map((s) => [s.row, s.column, s.value]);
    expect(samples).toEqual([
      [1, "price", "61800.2000000000000000001"],
      [5, "qty", "1e-400"],
      [8, "price", "90071992547409.93"],
      [10, "price", "0.0100000000000000000000000000001"],
      [11, "qty", "1.0000000000000000001"],
    ]);
  });

  it("under reject, the first long off-grid decimal is OFF_GRID naming row, line, column and its text", async () => {
    const file = join(dir, "edges-reject.csv");
    writeFileSync(file, edgeFile());
    const error = await readTable(file, { instrument: spec }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LabError);
    expect((error as LabError).code).toBe("OFF_GRID");
    expect((error as LabError).message).toContain('row 1 (line 3), column "price"');
    expect((error as LabError).message).toContain('("61800.2000000000000000001")');
  });

  it("more than 20,000 long decimals (every row decided from its text) read exactly", async () => {
    const file = join(dir, "long.csv");
    const fine = instrument({ symbol: "X", venue: "V", tickSize: "0.000000000001", lotSize: "1" });
    const n = 25_000;
    const lines = [HEADER];
    for (let i = 0; i < n; i++) {
      // 1.000000000001 .. : 14+ characters, 16 with the longer ones; every 1000th is off the grid.
      const frac = String(i).padStart(12, "0");
      lines.push(`${1_700_000_000_000_000_000 + i},Trade,1,1${i % 1000 === 999 ? "0" : ""}.${frac}${i % 1000 === 999 ? "5" : ""},1,X`);
    }
    writeFileSync(file, lines.join("\n") + "\n");
    const batch = await readTable(file, { instrument: fine, onBadRows: "quarantine" });
    expect(batch.length).toBe(n - 25);
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (i % 1000 === 999) continue;
      expect(batch.priceTicks[k++]).toBe(1_000_000_000_000 + i);
    }
    expect(readReport(batch)!.issues.find((x) => x.class === "off-grid")!.count).toBe(25);
  });

  it("a 200k-row file written by writeCsv reads back to the batch it came from and to a BigInt parse of its text", async () => {
    const ticks = instrument({ symbol: "ETH", venue: "V", tickSize: "0.0001", lotSize: "0.001" });
    const source = generateTicks({ events: 200_000, seed: 7, mode: "l2", instrument: ticks, startPriceTicks: 5_853_300 });
    const file = join(dir, "gen200k.csv");
    await writeCsv(source, file);
    const batch = await readTable(file, { instrument: ticks });
    expect(batch.length).toBe(source.length);
    for (const name of TICK_COLUMN_NAMES) {
      const a = source[name] as ArrayLike<number | bigint>;
      const b = batch[name] as ArrayLike<number | bigint>;
      let diff = 0;
      for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) diff++;
      expect([name, diff]).toEqual([name, 0]);
    }
    // Independent ground truth: scaled integer of the price text, with BigInt.
    const text = readFileSync(file, "utf8").split("\n");
    const priceAt = text[0]!.split(",").indexOf("price");
    let checked = 0;
    for (let i = 1; i < text.length && checked < 200_000; i++) {
      if (text[i] === "") continue;
      const cell = text[i]!.split(",")[priceAt]!;
      if (cell === "") {
        checked++;
        continue;
      }
      const [int, frac = ""] = cell.split(".");
      const expected = Number(BigInt(int! + frac.padEnd(4, "0")));
      if (batch.priceTicks[checked] !== expected) throw new Error(`row ${checked}: ${cell} -> ${batch.priceTicks[checked]}, expected ${expected}`);
      checked++;
    }
    expect(checked).toBe(200_000);
  });
});
