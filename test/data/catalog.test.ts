import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, truncateSync, statSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { instrument, parseIso } from "../../src/core/index.js";
import { TICK_COLUMN_NAMES, generateTicks, listPartitions, mergeBatches, readCatalog, sliceBatch, writeCatalog, type TickBatch } from "../../src/data/index.js";
import { TEST_OUTPUT } from "../helpers/paths.js";

const base = join(TEST_OUTPUT, "catalog");

function fresh(name: string): string {
  const dir = join(base, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

function hashBatch(batch: TickBatch, skip: readonly string[] = []): string {
  const h = createHash("sha256");
  for (const name of TICK_COLUMN_NAMES) {
    if (skip.includes(name)) continue;
    const col = batch[name];
    h.update(new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
  }
  return h.digest("hex");
}

// Two symbols; the stream starts 5 minutes before midnight UTC so it spans two date partitions.
const start = parseIso("2024-03-04T23:55:00Z");
const a = generateTicks({ events: 60_000, seed: 1, mode: "l2", startNs: start, ratePerSecond: 20, instrument: instrument({ symbol: "AAA", venue: "SIM", tickSize: "0.01" }) });
const b = generateTicks({ events: 40_000, seed: 2, mode: "l3", startNs: start, ratePerSecond: 20, instrument: instrument({ symbol: "BBB", venue: "SIM", tickSize: "0.05", lotSize: "10" }) });

describe("catalog", () => {
  it("keeps batch order within a partition, also when appended out of time order", async () => {
    const root = fresh("order");
    // Written later half first: the read must still give the rows in time order.
    const half = 30_000;
    await writeCatalog(root, sliceBatch(a, half));
    await writeCatalog(root, sliceBatch(a, 0, half));
    const back = await readCatalog(root);
    expect(back.length).toBe(a.length);
    expect(hashBatch(back)).toBe(hashBatch(a));
  });

  it("partitions by venue/symbol/date and reads back each symbol exactly", async () => {
    const root = fresh("roundtrip");
    const merged = mergeBatches([a, b], "localTs");
    await writeCatalog(root, merged);
    const parts = await listPartitions(root);
    expect(parts.map((p) => p.path)).toEqual(["venue=SIM/symbol=AAA/date=2024-03-04", "venue=SIM/symbol=AAA/date=2024-03-05", "venue=SIM/symbol=BBB/date=2024-03-04", "venue=SIM/symbol=BBB/date=2024-03-05"]);
    expect(JSON.parse(readFileSync(join(root, "venue=SIM/symbol=BBB/instrument.json"), "utf8"))).toMatchObject({ tickSize: "0.05", lotSize: "10" });
    const onlyA = await readCatalog(root, { symbols: ["AAA"] });
    expect(onlyA.length).toBe(60_000);
    expect(hashBatch(onlyA)).toBe(hashBatch(a));
    const onlyB = await readCatalog(root, { symbols: ["BBB"] });
    expect(hashBatch(onlyB, ["instrument"])).toBe(hashBatch(b, ["instrument"]));
    expect(onlyB.instruments[0]!.tickSize).toBe("0.05");
    const both = await readCatalog(root);
    expect(both.length).toBe(100_000);
    for (let i = 1; i < both.length; i++) if (both.localTs[i]! < both.localTs[i - 1]!) throw new Error(`not merged by localTs at ${i}`);
  });

  it("reads an exact ns range (pushed down to the files), only from the matching partitions", async () => {
    const root = fresh("range");
    await writeCatalog(root, a);
    const from = parseIso("2024-03-05T00:00:00Z");
    const to = from + 30_000_000_000n;
    const got = await readCatalog(root, { symbols: ["AAA"], start: from, end: to });
    let expected = 0;
    let firstIndex = -1;
    for (let i = 0; i < a.length; i++) if (a.exchTs[i]! >= from && a.exchTs[i]! < to) { expected++; if (firstIndex < 0) firstIndex = i; }
    expect(expected).toBeGreaterThan(100);
    expect(got.length).toBe(expected);
    expect(hashBatch(got)).toBe(hashBatch(sliceBatch(a, firstIndex, firstIndex + expected)));
    expect((await readCatalog(root, { symbols: ["ZZZ"] })).length).toBe(0);
  });

  it("a failure before commit leaves no partition and no temporary folder", async () => {
    const root = fresh("atomic");
    await expect(writeCatalog(root, a, { beforeCommit: () => { throw new Error("disk full (injected)"); } })).rejects.toThrow("injected");
    expect(await listPartitions(root)).toEqual([]);
    expect(readdirSync(root).filter((f) => f.startsWith(".tmp"))).toEqual([]);
    // a later write succeeds and a second write appends into the same partitions (one file each:
    // a partition changes by one atomic rename, see docs/data.md "Catalog commit")
    await writeCatalog(root, a);
    await writeCatalog(root, a);
    const parts = await listPartitions(root);
    expect(parts.map((p) => p.files.length)).toEqual([1, 1]);
    expect((await readCatalog(root)).length).toBe(120_000);
    await writeCatalog(root, a, { mode: "replace" });
    expect((await readCatalog(root)).length).toBe(60_000);
  });

  it("refuses a different tick size for a stored symbol", async () => {
    const root = fresh("mismatch");
    await writeCatalog(root, a);
    const other = generateTicks({ events: 100, seed: 3, mode: "l2", instrument: instrument({ symbol: "AAA", venue: "SIM", tickSize: "0.5" }) });
    await expect(writeCatalog(root, other)).rejects.toMatchObject({ code: "INSTRUMENT_MISMATCH" });
  });

  it("a truncated file is named (file, row, column) and, on request, skipped without losing the others", async () => {
    const root = fresh("truncated");
    await writeCatalog(root, a);
    const parts = await listPartitions(root);
    const victim = join(root, parts[1]!.path, parts[1]!.files[0]!);
    truncateSync(victim, Math.floor(statSync(victim).size / 2));
    await expect(readCatalog(root)).rejects.toMatchObject({ code: "BAD_PARQUET", context: { file: victim, row: 0, column: "*" } });
    const rest = await readCatalog(root, { onBadFile: "skip" });
    let day1 = 0;
    const midnight = parseIso("2024-03-05T00:00:00Z");
    for (let i = 0; i < a.length; i++) if (a.exchTs[i]! < midnight) day1++;
    expect(rest.length).toBe(day1);
    expect(existsSync(victim)).toBe(true);
  });
});
