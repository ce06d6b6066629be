/**
 * The pieces of a streamed query (src/data/duck.ts, streamColumnChunks): the first `firstRows`
 * rows, then each piece at most 1.5 times the one before (one DuckDB vector of slack), up to
 * `chunkRows`; every row once, in order. Doubling outran the catalog's reader, which does ~1.7x
 * the rows per second of the engine, so a streamed run waited for its pieces in the ramp.
 */
import { describe, expect, it } from "vitest";
import { streamColumnChunks, streamingConnection } from "../../src/data/duck.js";

describe("pieces of a streamed query", () => {
  it("grow by 1.5 from firstRows up to chunkRows, every row once and in order", async () => {
    const connection = await streamingConnection(1);
    try {
      const lengths: number[] = [];
      let next = 0;
      for await (const piece of streamColumnChunks(connection, "SELECT i::BIGINT AS i FROM range(400000) t(i)", [{ name: "i", type: "BIGINT" }], 100_000, 0, undefined, 4_096)) {
        const column = piece.columns.i as BigInt64Array;
        expect(column.length).toBe(piece.length);
        for (let r = 0; r < piece.length; r++) if (column[r] !== BigInt(next + r)) throw new Error(`row ${next + r} reads ${column[r]}`);
        next += piece.length;
        lengths.push(piece.length);
      }
      expect(next).toBe(400_000);
      expect(lengths[0]).toBe(4_096);
      const ramp = lengths.findIndex((n) => n > 100_000 - 2_048);
      expect(ramp).toBeGreaterThan(4);
      for (let i = 1; i < ramp; i++) {
        expect(lengths[i]!, `piece ${i}: ${lengths.join(", ")}`).toBeGreaterThan(lengths[i - 1]!);
        expect(lengths[i]!, `piece ${i}: ${lengths.join(", ")}`).toBeLessThanOrEqual(Math.ceil(1.5 * lengths[i - 1]!) + 2_048);
      }
      expect(lengths.slice(0, -1).every((n) => n <= 100_000)).toBe(true);
    } finally {
      connection.closeSync();
    }
  });
});
