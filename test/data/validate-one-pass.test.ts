/**
 * `validate` exists to report problems: one pass counts every issue class with its first rows,
 * and only a "reject" policy makes it fail, after the pass (it used to stop at the first
 * rejected row, and the CLI aborted on the reader's first bad row before validating at all).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { instrument, isLabError } from "../../src/core/index.js";
import { EventFlag, EventKind, TickBatchBuilder, validate } from "../../src/data/index.js";
import { CLI, ROOT } from "../helpers/paths.js";

const spec = instrument({ symbol: "T", venue: "V", tickSize: "1" });
const t = (us: number): bigint => 1_700_000_000_000_000_000n + BigInt(us) * 1000n;

/** Rows 2 and 5 have negative sizes, rows 3 and 6 zero prices, row 4 goes back in time. */
function planted() {
  const b = new TickBatchBuilder();
  const { Trade } = EventKind;
  b.push(t(0), t(0), Trade, 1, 100, 1, NaN, 0, 0, NaN); // 0
  b.push(t(1), t(1), Trade, 1, 100, 1, NaN, 0, 0, NaN); // 1
  b.push(t(2), t(2), Trade, 1, 100, -1, NaN, 0, 0, NaN); // 2 bad size
  b.push(t(3), t(3), Trade, 1, 0, 1, NaN, 0, 0, NaN); // 3 zero price
  b.push(t(1), t(4), Trade, 1, 100, 2, NaN, 0, 0, NaN); // 4 exchange time goes back
  b.push(t(5), t(5), Trade, 1, 100, -2, NaN, 0, 0, NaN); // 5 bad size
  b.push(t(6), t(6), Trade, 1, -5, 1, NaN, 0, 0, NaN); // 6 negative price
  return b.build([spec], "planted.csv");
}

describe("validate reports every class in one pass", () => {
  it("a reject policy fails after the pass, naming the first rejected row and every rejected class with its count", () => {
    let caught: unknown;
    try {
      validate(planted(), { policy: { "bad-size": "reject", "non-positive-price": "reject" } });
    } catch (error) {
      caught = error;
    }
    expect(isLabError(caught)).toBe(true);
    const error = caught as { code: string; message: string; context: Record<string, unknown> };
    expect(error.code).toBe("DATA_BAD_SIZE");
    expect(error.message).toBe("planted.csv: row 2, column qtyLots: negative size, or zero where it must be positive (-1); rejected: non-positive-price 2, bad-size 2");
    expect(error.context).toMatchObject({ file: "planted.csv", row: 2, column: "qtyLots", rejected: [{ class: "non-positive-price", count: 2 }, { class: "bad-size", count: 2 }] });
  });

  it('onReject: "report" returns the whole report, marked rejected, with every class counted', () => {
    const r = validate(planted(), { policy: { "bad-size": "reject" }, onReject: "report" });
    expect(r.rejected).toBe(true);
    expect(r.ok).toBe(false);
    const counts = Object.fromEntries(r.issues.map((i) => [i.class, [i.count, i.policy, i.samples.map((s) => s.row)]]));
    expect(counts).toEqual({
      "exch-ts-order": [1, "quarantine", [4]],
      "non-positive-price": [2, "quarantine", [3, 6]],
      "bad-size": [2, "reject", [2, 5]],
    });
  });

  it("quarantine and warn never fail: the report is complete and the clean rows are kept", () => {
    const r = validate(planted());
    expect(r.rejected).toBe(false);
    expect(r.clean.length).toBe(2);
    expect([...r.quarantine!.sourceRows]).toEqual([2, 3, 4, 5, 6]);
  });
});

describe("validate catches values that pass every comparison", () => {
  it("an infinite price or size (1e400), an off-grid price and an unknown kind are reported, an OffGrid-flagged price is not", () => {
    const b = new TickBatchBuilder();
    const { Trade } = EventKind;
    b.push(t(0), t(0), Trade, 1, 100, 1, NaN, 0, 0, NaN); // 0 fine
    b.push(t(1), t(1), Trade, 1, Infinity, 1, NaN, 0, 0, NaN); // 1 price 1e400
    b.push(t(2), t(2), Trade, 1, 100, Infinity, NaN, 0, 0, NaN); // 2 size 1e400
    b.push(t(3), t(3), Trade, 1, 100.5, 1, NaN, 0, 0, NaN); // 3 off the grid
    b.push(t(4), t(4), Trade, 1, 100.5, 1, NaN, EventFlag.OffGrid, 0, NaN); // 4 flagged midpoint: fine
    b.push(t(5), t(5), 99, 1, 100, 1, NaN, 0, 0, NaN); // 5 unknown kind
    const r = validate(b.build([spec], "values.parquet"), { onReject: "report" });
    const byClass = Object.fromEntries(r.issues.map((i) => [i.class, i.samples.map((x) => `${x.row} ${x.column} ${x.value}`)]));
    expect(byClass).toEqual({ "type-error": ["1 priceTicks Infinity", "2 qtyLots Infinity", "5 kind unknown kind 99"], "off-grid": ["3 priceTicks 100.5"] });
    expect(r.rejected).toBe(true);
  });
});

describe("strategy-lab validate", () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT, timeout: 120_000 });

  /** A Tardis trades CSV with one unparseable price, one negative size and one time going back. */
  function damagedTardis(): string {
    const dir = mkdtempSync(join(tmpdir(), "slab-validate-"));
    const lines = readFileSync(join(ROOT, "data", "tardis-csv-samples", "bitmex_trades_XBTUSD.csv"), "utf8").split("\n");
    const header = lines[0]!.split(",");
    const price = header.indexOf("price");
    const amount = header.indexOf("amount");
    const ts = header.indexOf("timestamp");
    const edit = (line: number, column: number, value: string): void => {
      const f = lines[line]!.split(",");
      f[column] = value;
      lines[line] = f.join(",");
    };
    edit(3, price, "12x34"); // data row 2
    edit(5, amount, "-10"); // data row 4
    edit(7, ts, lines[1]!.split(",")[ts]!); // data row 6: back to data row 0's time
    const path = join(dir, "bitmex_trades_XBTUSD.csv");
    writeFileSync(path, lines.join("\n"));
    return path;
  }

  it("reports the reader's bad rows and validate's own issues in one run; the reader's default reject makes it exit 1", () => {
    const path = damagedTardis();
    const r = cli("validate", path, "--format", "tardis", "--json");
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as { rejected: boolean; issues: { class: string; count: number; policy: string; samples: { row: number; line?: number; value?: string }[] }[] };
    expect(report.rejected).toBe(true);
    const byClass = Object.fromEntries(report.issues.map((i) => [i.class, i]));
    expect(byClass["type-error"]).toMatchObject({ count: 1, policy: "reject", samples: [{ row: 2, line: 4, value: "12x34" }] });
    expect(byClass["exch-ts-order"]).toMatchObject({ count: 1, policy: "quarantine" });
    expect(byClass["bad-size"]).toMatchObject({ count: 1, policy: "quarantine" });
  });

  it("with --on-bad-rows quarantine the same file is reported in full and exits 0", () => {
    const path = damagedTardis();
    const r = cli("validate", path, "--format", "tardis", "--on-bad-rows", "quarantine");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/type-error\s+1 /);
    expect(r.stdout).toMatch(/exch-ts-order\s+1 /);
    expect(r.stdout).toMatch(/bad-size\s+1 /);
    expect(r.stdout).toContain("errors found: 3 rows set aside");
  });
});
