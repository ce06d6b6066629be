import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instrument, parseTime } from "../../src/core/index.js";
import { TICK_COLUMN_NAMES, cacheCatalogColumns, catalogChunks, generateTicks, readCatalog, writeCatalog, type TickBatch } from "../../src/data/index.js";
import { backtest } from "../../src/engine/index.js";
import { backtest as labBacktest } from "../../src/runs/index.js";
import { strategies } from "../../src/strategy/index.js";
import { caughtAsync } from "../helpers/checks.js";
import { CLI, filesUnder } from "../helpers/paths.js";

// The column cache (src/data/column-cache.ts) must give exactly the rows the Parquet files give,
// for whole days and ranges that cut them, and must never be used once its Parquet file changed.

/** Every row of a catalog read chunk by chunk, column by column, as plain arrays. */
async function chunkedRows(dir: string, options: Parameters<typeof catalogChunks>[1]): Promise<{ cached: boolean; rows: Record<string, unknown[]> }> {
  const source = await catalogChunks(dir, options);
  const rows: Record<string, unknown[]> = Object.fromEntries(TICK_COLUMN_NAMES.map((n) => [n, []]));
  for (let chunk = await source.next(); chunk; chunk = await source.next()) {
    for (const name of TICK_COLUMN_NAMES) {
      const column = chunk[name] as ArrayLike<number | bigint>;
      const into = rows[name]!;
      for (let i = 0; i < column.length; i++) into.push(column[i]);
    }
    source.release(chunk);
  }
  await source.close();
  return { cached: source.cached, rows };
}

function plain(batch: TickBatch): Record<string, unknown[]> {
  return Object.fromEntries(TICK_COLUMN_NAMES.map((n) => [n, Array.from(batch[n] as ArrayLike<number | bigint>)]));
}

function parquetFiles(dir: string): string[] {
  return filesUnder(dir, (name) => name.endsWith(".parquet"));
}

describe("column cache of a catalog", () => {
  let dir: string;
  const day1 = parseTime("2024-05-06T23:50:00Z");
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "column-cache-"));
    // across midnight (two partitions), L3 rows (order ids: no constant column but the instrument)
    await writeCatalog(dir, generateTicks({ events: 60_000, seed: 5, mode: "l3", startNs: day1, ratePerSecond: 60 }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is written once per file and read instead of the Parquet files, giving readCatalog's rows in chunks of any size", async () => {
    expect((await chunkedRows(dir, { chunkRows: 5_000 })).cached).toBe(false);
    const first = await cacheCatalogColumns(dir);
    expect(first).toEqual({ files: 2, built: 2, rows: 60_000 });
    expect(await cacheCatalogColumns(dir)).toEqual({ files: 2, built: 0, rows: 60_000 });
    const want = plain(await readCatalog(dir));
    for (const chunkRows of [1, 2_047, 5_000, 1_000_000]) {
      const got = await chunkedRows(dir, chunkRows === 1 ? { chunkRows, end: day1 + 30_000_000_000n } : { chunkRows });
      expect(got.cached, `chunks of ${chunkRows}`).toBe(true);
      if (chunkRows === 1) {
        const part = plain(await readCatalog(dir, { end: day1 + 30_000_000_000n }));
        expect(got.rows).toEqual(part);
      } else expect(got.rows, `chunks of ${chunkRows}`).toEqual(want);
    }
    // the Parquet path gives the same rows
    expect((await chunkedRows(dir, { chunkRows: 5_000, columnCache: "off" })).rows).toEqual(want);
  });

  it("the first rows of a range (a streamed sweep's trial) are read from the cache too", async () => {
    await cacheCatalogColumns(dir);
    const midnight = parseTime("2024-05-07T00:00:00Z");
    for (const [rows, range] of [[1, {}], [2_047, {}], [35_001, {}], [60_000, {}], [70_000, {}], [9_999, { start: midnight - 30_000_000_000n }]] as const) {
      const got = await chunkedRows(dir, { ...range, rows, chunkRows: 4_096 });
      expect(got.cached).toBe(true);
      const want = plain(await readCatalog(dir, range));
      const first = Object.fromEntries(Object.entries(want).map(([k, v]) => [k, v.slice(0, rows)]));
      expect(got.rows, `${rows} rows`).toEqual(first);
    }
  });

  it("ranges that cut a file, skip one or span both read the rows in the range only", async () => {
    await cacheCatalogColumns(dir);
    const midnight = parseTime("2024-05-07T00:00:00Z");
    // bounds on rows' own exchange times: the start row is in the range, the end row is not
    const whole = await readCatalog(dir);
    const tA = whole.exchTs[12_345]!;
    const tB = whole.exchTs[50_001]!;
    const ranges: [bigint | undefined, bigint | undefined][] = [
      [tA, tB],
      [tA, undefined],
      [undefined, tB],
      [day1 + 123_456_789_000n, midnight + 77_000_000_000n],
      [midnight, undefined],
      [undefined, midnight],
      [midnight + 1n, midnight + 2_000_000_000n],
      [day1 + 5_000_000_000n, day1 + 7_000_000_000n],
    ];
    for (const [start, end] of ranges) {
      const range = { ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) };
      const got = await chunkedRows(dir, { ...range, chunkRows: 3_000 });
      expect(got.cached).toBe(true);
      const want = plain(await readCatalog(dir, range));
      expect(got.rows, `${start}-${end}`).toEqual(want);
    }
  });

  it("is not used once its Parquet file is rewritten, nor when a column file is damaged; caching again brings it back", async () => {
    const copy = mkdtempSync(join(tmpdir(), "column-cache-stale-"));
    try {
      const start = parseTime("2024-05-08T10:00:00Z");
      await writeCatalog(copy, generateTicks({ events: 20_000, seed: 7, mode: "l2", startNs: start, ratePerSecond: 100 }));
      await cacheCatalogColumns(copy);
      expect((await chunkedRows(copy, { chunkRows: 4_000 })).cached).toBe(true);
      // more rows into the same day: the partition's file is replaced
      await writeCatalog(copy, generateTicks({ events: 5_000, seed: 8, mode: "l2", startNs: start + 3_600_000_000_000n, ratePerSecond: 100 }), { mode: "append" });
      const stale = await chunkedRows(copy, { chunkRows: 4_000 });
      expect(stale.cached).toBe(false);
      expect(stale.rows).toEqual(plain(await readCatalog(copy)));
      expect(stale.rows["exchTs"]!.length).toBe(25_000);
      expect(await cacheCatalogColumns(copy)).toEqual({ files: 1, built: 1, rows: 25_000 });
      const fresh = await chunkedRows(copy, { chunkRows: 4_000 });
      expect(fresh.cached).toBe(true);
      expect(fresh.rows).toEqual(stale.rows);
      // a column file cut short (a disk fault, a copy gone wrong) is not read
      const columnFiles = filesUnder(join(copy, "_columns"), (name) => name === "priceTicks.bin");
      expect(columnFiles.length).toBe(1);
      truncateSync(columnFiles[0]!, 800);
      const damaged = await chunkedRows(copy, { chunkRows: 4_000 });
      expect(damaged.cached).toBe(false);
      expect(damaged.rows).toEqual(stale.rows);
      // cut short after the read was planned (while the run is going on): a coded error naming the file
      await cacheCatalogColumns(copy);
      const planned = await catalogChunks(copy, { chunkRows: 4_000 });
      expect(planned.cached).toBe(true);
      truncateSync(columnFiles[0]!, 800);
      const error = await caughtAsync(() => planned.next());
      expect(error.code).toBe("CATALOG_READ_FAILED");
      expect(error.message).toContain("priceTicks.bin holds 800 bytes");
      await planned.close();
      // a meta.json that does not parse as this cache's is ignored too, never an uncoded error
      await cacheCatalogColumns(copy);
      const meta = join(columnFiles[0]!, "..", "meta.json");
      writeFileSync(meta, readFileSync(meta, "utf8").replace(/"minExchTs":"\d+"/, '"minExchTs":"soon"'));
      const edited = await chunkedRows(copy, { chunkRows: 4_000 });
      expect(edited.cached).toBe(false);
      expect(edited.rows).toEqual(stale.rows);
      // the catalog itself still lists its Parquet files only
      expect(parquetFiles(copy).every((f) => !f.includes("_columns"))).toBe(true);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("a read of two instruments goes to the Parquet files (their rows are merged by receive time)", async () => {
    const copy = mkdtempSync(join(tmpdir(), "column-cache-two-"));
    try {
      const start = parseTime("2024-05-08T10:00:00Z");
      await writeCatalog(copy, generateTicks({ events: 8_000, seed: 9, mode: "l2", startNs: start, ratePerSecond: 100 }));
      await writeCatalog(copy, generateTicks({ events: 6_000, seed: 10, mode: "l2", startNs: start, ratePerSecond: 80, instrument: instrument({ symbol: "BBB", venue: "SIM", tickSize: "0.01" }) }));
      expect((await cacheCatalogColumns(copy)).built).toBe(2);
      const both = await chunkedRows(copy, { chunkRows: 1_000 });
      expect(both.cached).toBe(false);
      expect(both.rows).toEqual(plain(await readCatalog(copy)));
      const one = await chunkedRows(copy, { symbols: ["BBB"], chunkRows: 1_000 });
      expect(one.cached).toBe(true);
      expect(one.rows).toEqual(plain(await readCatalog(copy, { symbols: ["BBB"] })));
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("a streamed backtest from the cache equals the in-memory backtest", async () => {
    await cacheCatalogColumns(dir);
    const maker = strategies.marketMaker({ maxPosition: 4 });
    const options = { latencyNs: 200_000, seed: 3 };
    const memory = backtest(await readCatalog(dir), maker, options);
    expect(memory.fills.ts.length).toBeGreaterThan(50);
    for (const chunkRows of [997, 100_000]) {
      const streamed = await labBacktest({ catalog: dir, chunkRows }, maker, options);
      expect(streamed.summary.events).toBe(memory.summary.events);
      expect(Array.from(streamed.fills.price)).toEqual(Array.from(memory.fills.price));
      expect(Array.from(streamed.fills.ts)).toEqual(Array.from(memory.fills.ts));
      expect(Array.from(streamed.equity.equity)).toEqual(Array.from(memory.equity.equity));
    }
  });

  it("a released chunk's memory holds a later chunk, and a chunk still held is never written over", async () => {
    await cacheCatalogColumns(dir);
    const want = plain(await readCatalog(dir));
    const source = await catalogChunks(dir, { chunkRows: 5_000 });
    expect(source.cached).toBe(true);
    const held: { chunk: TickBatch; at: number }[] = [];
    const released = new Set<ArrayBufferLike>();
    let reused = 0;
    let at = 0;
    let i = 0;
    for (let chunk = await source.next(); chunk; chunk = await source.next(), i++) {
      if (released.has(chunk.exchTs.buffer)) reused++;
      // every other chunk is kept to the end; the others go back as soon as they are read
      if (i % 2 === 0) held.push({ chunk, at });
      else {
        expect(Array.from(chunk.seq), `seq of the chunk at row ${at}`).toEqual(want["seq"]!.slice(at, at + chunk.length));
        for (const name of TICK_COLUMN_NAMES) released.add(chunk[name].buffer);
        source.release(chunk);
      }
      at += chunk.length;
    }
    await source.close();
    expect(at).toBe(60_000);
    expect(reused).toBeGreaterThanOrEqual(4);
    for (const { chunk, at } of held) {
      for (const name of TICK_COLUMN_NAMES) expect(Array.from(chunk[name] as ArrayLike<number | bigint>), `${name} of the chunk at row ${at}`).toEqual(want[name]!.slice(at, at + chunk.length));
    }
    // the next read starts in memory the last one gave back (no first-touch faults), never in a held chunk's
    const heldBuffers = new Set(held.flatMap(({ chunk }) => TICK_COLUMN_NAMES.map((name) => chunk[name].buffer)));
    const again = await catalogChunks(dir, { chunkRows: 5_000 });
    const first = (await again.next())!;
    await again.close();
    const buffers = TICK_COLUMN_NAMES.map((name) => first[name].buffer);
    expect(buffers.some((b) => released.has(b))).toBe(true);
    expect(buffers.some((b) => heldBuffers.has(b) && b !== first.instrument.buffer)).toBe(false);
    expect(Array.from(first.seq)).toEqual(want["seq"]!.slice(0, first.length));
  });

  it("strategy-lab cache-columns caches a range's files and says how many it wrote", async () => {
    const copy = mkdtempSync(join(tmpdir(), "column-cache-cli-"));
    try {
      await writeCatalog(copy, generateTicks({ events: 9_000, seed: 12, mode: "l2", startNs: parseTime("2024-05-08T23:59:00Z"), ratePerSecond: 100 }));
      const run = (): Record<string, unknown> => {
        const out = spawnSync(process.execPath, [CLI, "cache-columns", copy, "--start", "2024-05-09T00:00:00Z", "--json"], { encoding: "utf8" });
        expect(out.status, out.stderr).toBe(0);
        return JSON.parse(out.stdout) as Record<string, unknown>;
      };
      // the range starts on the second day: its file only
      expect(run()).toMatchObject({ files: 1, built: 1 });
      expect(run()).toMatchObject({ files: 1, built: 0 });
      expect((await chunkedRows(copy, { start: "2024-05-09T00:00:00Z", chunkRows: 2_000 })).cached).toBe(true);
      expect((await chunkedRows(copy, { chunkRows: 2_000 })).cached).toBe(false);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("a damaged Parquet file is a coded error naming it, and leaves no cache behind", async () => {
    const copy = mkdtempSync(join(tmpdir(), "column-cache-bad-"));
    try {
      await writeCatalog(copy, generateTicks({ events: 20_000, seed: 13, mode: "l2", startNs: parseTime("2024-05-08T10:00:00Z"), ratePerSecond: 100 }));
      const [file] = parquetFiles(copy);
      truncateSync(file!, Math.floor(statSync(file!).size / 2));
      const error = await cacheCatalogColumns(copy).then(() => undefined, (e: unknown) => e);
      expect(error).toMatchObject({ code: "CATALOG_READ_FAILED" });
      expect((error as Error).message).toContain(file!);
      expect(existsSync(join(copy, "_columns")) ? filesUnder(join(copy, "_columns"), (name) => name.endsWith(".bin")) : []).toEqual([]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("rejects an unknown columnCache value with a coded error", async () => {
    await expect(catalogChunks(dir, { columnCache: "always" as "use" })).rejects.toMatchObject({ code: "BAD_OPTION" });
  });
});
