import { describe, expect, it } from "vitest";
import { TickBatchBuilder, EventKind, EventFlag } from "../../src/data/index.js";
import { L3Book } from "../../src/book/index.js";
import { instrument } from "../../src/core/index.js";

describe("L3Book rows without an order id", () => {
  it("a hidden execution is ignored and a plain one counted as unknown, without hanging", () => {
    const b = new TickBatchBuilder();
    b.push(1n, 1n, EventKind.Add, 1, 100, 5, 7);
    b.push(2n, 2n, EventKind.Execute, 1, 100, 2, NaN, EventFlag.Hidden);
    b.push(3n, 3n, EventKind.Delete, 1, 100, 1, NaN);
    const batch = b.build([instrument({ symbol: "X", venue: "T", tickSize: "0.01" })]);
    const book = new L3Book();
    for (let i = 0; i < batch.length; i++) book.apply(batch, i);
    expect(book.bestBid()).toBe(100);
    expect(book.bestBidQty()).toBe(5);
    expect(book.stats.unknownIdEvents).toBe(1);
  });
});
