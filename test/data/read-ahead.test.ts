import { mkdtempSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogChunks, generateTicks, readCatalog, writeCatalog } from "../../src/data/index.js";
import { isLabError, parseTime } from "../../src/core/index.js";
import { filesUnder } from "../helpers/paths.js";

// Streamed catalog reads run the query on a read-ahead thread (src/data/read-ahead.ts): the chunks
// must hold exactly readCatalog's rows, a damaged file must end in a coded error, and a reader
// closed early must not keep anything running.
describe("catalog chunks read ahead on a worker thread", () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "read-ahead-"));
    await writeCatalog(dir, generateTicks({ events: 40_000, seed: 5, mode: "l2", startNs: parseTime("2024-05-06T23:58:00Z"), ratePerSecond: 200 }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("chunks concatenate to readCatalog's rows; constant columns come from the files' footers; one instrument leaves room in front", async () => {
    const whole = await readCatalog(dir);
    const source = await catalogChunks(dir, { chunkRows: 3_000 });
    expect(source.frontRows).toBeGreaterThan(0);
    let at = 0;
    let chunks = 0;
    for (let chunk = await source.next(); chunk; chunk = await source.next()) {
      chunks++;
      expect(chunk.length).toBeLessThanOrEqual(3_000 + 2_048);
      for (const name of ["exchTs", "localTs", "kind", "side", "flags", "instrument", "priceTicks", "qtyLots", "orderId", "seq", "aux"] as const) {
        const got = Array.from(chunk[name] as ArrayLike<number | bigint>);
        const want = Array.from((whole[name] as unknown as { subarray(a: number, b: number): ArrayLike<number | bigint> }).subarray(at, at + chunk.length));
        expect(got, `${name} at row ${at}`).toEqual(want);
      }
      // room in front of the columns, owned by this chunk's buffers
      expect(chunk.exchTs.byteOffset).toBe(source.frontRows * 8);
      at += chunk.length;
    }
    expect(at).toBe(whole.length);
    expect(chunks).toBeGreaterThan(10);
    await source.close();
  });

  it("released chunks give their memory back to the reader, and the chunks read into it hold the right rows", async () => {
    const whole = await readCatalog(dir);
    const source = await catalogChunks(dir, { chunkRows: 3_000 });
    let at = 0;
    let released = 0;
    let previous: Awaited<ReturnType<typeof source.next>>;
    for (let chunk = await source.next(); chunk; chunk = await source.next()) {
      for (const name of ["exchTs", "localTs", "kind", "side", "priceTicks", "qtyLots", "seq"] as const) {
        const got = Array.from(chunk[name] as ArrayLike<number | bigint>);
        const want = Array.from((whole[name] as unknown as { subarray(a: number, b: number): ArrayLike<number | bigint> }).subarray(at, at + chunk.length));
        expect(got, `${name} at row ${at}`).toEqual(want);
      }
      at += chunk.length;
      if (previous) {
        const length = previous.length;
        source.release(previous);
        // moved back to the reading thread: this side's views of it are empty now
        if (previous.exchTs.length === 0) released++;
        // the columns the footers fix are this side's own arrays and stay
        expect(previous.orderId.length).toBe(length);
      }
      previous = chunk;
    }
    expect(at).toBe(whole.length);
    expect(released).toBeGreaterThan(10);
    await source.close();
  });

  it("a file damaged under the reader ends in a coded error, not a crash or a hang", async () => {
    const copy = mkdtempSync(join(tmpdir(), "read-ahead-bad-"));
    try {
      await writeCatalog(copy, generateTicks({ events: 30_000, seed: 6, mode: "l2" }));
      const source = await catalogChunks(copy, { chunkRows: 2_048 });
      const files = filesUnder(copy, (name) => name.endsWith(".parquet"));
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) truncateSync(f, Math.floor(statSync(f).size / 2));
      let error: unknown;
      try {
        while (await source.next());
      } catch (e) {
        error = e;
      }
      expect(isLabError(error), String(error)).toBe(true);
      expect((error as { code: string }).code).toBe("CATALOG_READ_FAILED");
      expect((error as Error).message).toContain(copy);
      await source.close();
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("the first chunk is small and the next ones grow up to chunkRows (the growth factor: piece-ramp.test.ts), the rows unchanged", async () => {
    const whole = await readCatalog(dir);
    const source = await catalogChunks(dir, { chunkRows: 30_000 });
    const lengths: number[] = [];
    let at = 0;
    for (let chunk = await source.next(); chunk; chunk = await source.next()) {
      expect(Array.from(chunk.exchTs), `exchTs at row ${at}`).toEqual(Array.from(whole.exchTs.subarray(at, at + chunk.length)));
      lengths.push(chunk.length);
      at += chunk.length;
    }
    expect(at).toBe(whole.length);
    // whole DuckDB vectors (up to 2,048 rows; shorter at a file's end): 16,384 rows first (8
    // vectors), then at most 24,576 (1.5 times), then up to 30,000
    expect(lengths[0]).toBe(16_384);
    expect(lengths[1]).toBeGreaterThan(16_384);
    expect(lengths[1]).toBeLessThanOrEqual(24_576);
    expect(lengths.slice(1, -1).every((n) => n > 16_384 && n <= 30_000)).toBe(true);
    await source.close();
  });

  it("a reader closed after one chunk returns nothing more", async () => {
    const source = await catalogChunks(dir, { chunkRows: 2_048 });
    expect((await source.next())?.length).toBeGreaterThan(0);
    await source.close();
    expect(await source.next()).toBeUndefined();
  });
});
