import { mkdirSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { generateTicks, readParquet, readReportOf, readTable, validate, writeParquet } from "../../src/data/index.js";
import { TEST_OUTPUT } from "../helpers/paths.js";

const dir = join(TEST_OUTPUT, "data-errors");
mkdirSync(dir, { recursive: true });
const spec = instrument({ symbol: "X", venue: "V", tickSize: "0.01", lotSize: "1" });

function csv(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

const header = "ts,px,qty,side";

describe("error handling: every failure names file, row and column and keeps the good rows", () => {
  it("a truncated Parquet file", async () => {
    const file = join(dir, "truncated.parquet");
    await writeParquet(generateTicks({ events: 5000, seed: 1, mode: "l2" }), file);
    truncateSync(file, Math.floor(statSync(file).size * 0.6));
    const error = await readParquet(file).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "LabError", code: "BAD_PARQUET", context: { file, row: 0, column: "*" } });
    expect((error as Error).message).toContain("truncated or corrupt");
  });

  it("a CSV with a missing column", async () => {
    const file = csv("missing-column.csv", ["ts,price,side", "1,100.00,buy"]);
    await expect(readTable(file, { columns: { exchTs: "ts", price: "price", qty: "qty" }, instrument: spec, timeUnit: "s" })).rejects.toMatchObject({
      code: "MISSING_COLUMN",
      context: { file, row: 0, line: 1, column: "qty" },
    });
  });

  it("a non-numeric price: rejected by default, quarantined on request with every good row kept", async () => {
    const file = csv("bad-price.csv", [header, "1,100.00,5,buy", "2,100.01,5,buy", "3,abc,5,sell", "4,100.02,1,sell"]);
    const options = { columns: { exchTs: "ts", price: "px", qty: "qty", side: "side" }, instrument: spec, timeUnit: "s" as const };
    await expect(readTable(file, options)).rejects.toMatchObject({ code: "BAD_VALUE", context: { file, row: 2, line: 4, column: "px", value: "abc", goodRows: 3, badRows: 1 } });
    const batch = await readTable(file, { ...options, onBadRows: "quarantine" });
    expect([...batch.priceTicks]).toEqual([10000, 10001, 10002]);
    const read = readReportOf(batch)!;
    expect(read.quarantine!.batch.length).toBe(1);
    expect([...read.quarantine!.sourceRows]).toEqual([2]);
    expect(read.issues[0]).toMatchObject({ class: "type-error", count: 1, samples: [{ row: 2, line: 4, column: "px", value: "abc" }] });
    // validate() carries the reader's findings
    expect(validate(batch).issues.find((i) => i.class === "type-error")?.count).toBe(1);
  });

  it("an out-of-order timestamp: validation rejects it by row, or quarantines it and keeps the rest", async () => {
    const file = csv("out-of-order.csv", [header, "1,100.00,5,buy", "2,100.01,5,buy", "5,100.02,5,buy", "3,100.03,5,sell", "6,100.04,5,sell"]);
    const batch = await readTable(file, { columns: { exchTs: "ts", price: "px" }, instrument: spec, timeUnit: "s" });
    expect(() => validate(batch, { policy: { "exch-ts-order": "reject" } })).toThrow(expect.objectContaining({ code: "DATA_EXCH_TS_ORDER", context: expect.objectContaining({ file, row: 3, column: "exchTs" }) }));
    const report = validate(batch);
    expect(report.clean.length).toBe(4);
    expect([...report.clean.priceTicks]).toEqual([10000, 10001, 10002, 10004]);
    expect([...report.quarantine!.sourceRows]).toEqual([3]);
  });

  it("a negative size: rejected by row and column, or quarantined", async () => {
    const file = csv("negative-size.csv", [header, "1,100.00,5,buy", "2,100.01,-2,buy", "3,100.02,5,sell"]);
    const batch = await readTable(file, { columns: { exchTs: "ts", price: "px" }, instrument: spec, timeUnit: "s" });
    expect(() => validate(batch, { policy: { "bad-size": "reject" } })).toThrow(expect.objectContaining({ code: "DATA_BAD_SIZE", context: expect.objectContaining({ file, row: 1, column: "qtyLots", value: "-2" }) }));
    const report = validate(batch);
    expect(report.clean.length).toBe(2);
    expect(report.quarantine!.batch.qtyLots[0]).toBe(-2);
  });
});
