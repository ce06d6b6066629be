import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { EventKind, TickBatchBuilder, toArrow, toDataFrame } from "../../src/data/index.js";

describe("toDataFrame", () => {
  it("loads danfo.js only when called, and gives exact decimal prices and ns text", async () => {
    const require = createRequire(import.meta.url);
    const loaded = () => Object.keys(require.cache).some((k) => k.includes("danfojs-node"));
    expect(loaded()).toBe(false); // importing the data layer did not load danfo.js / tensorflow
    const b = new TickBatchBuilder();
    b.push(1_700_000_000_123_456_789n, 1_700_000_000_123_456_999n, EventKind.Trade, 1, 6180020, 15);
    b.push(1_700_000_000_223_456_789n, 1_700_000_000_223_456_999n, EventKind.LevelSet, -1, 6180030, 0);
    const batch = b.build([instrument({ symbol: "BTCUSDT", venue: "X", tickSize: "0.01", lotSize: "0.001" })]);
    const df = (await toDataFrame(batch)) as { shape: number[]; columns: string[]; column(n: string): { values: unknown[] } };
    expect(loaded()).toBe(true);
    expect(df.shape).toEqual([2, 11]);
    expect(df.column("price").values).toEqual([61800.2, 61800.3]);
    expect(df.column("qty").values).toEqual([0.015, 0]);
    expect(df.column("exchTs").values).toEqual(["1700000000123456789", "1700000000223456789"]);
    expect(df.column("kind").values).toEqual(["Trade", "LevelSet"]);
    const fromTable = (await toDataFrame(toArrow(batch), { limit: 1 })) as { shape: number[] };
    expect(fromTable.shape).toEqual([1, 11]);
  });
});
