import { describe, expect, it } from "vitest";
import { L3Book } from "../../src/book/index.js";
import { instrument } from "../../src/core/index.js";
import { EventFlag, EventKind, TickBatchBuilder } from "../../src/data/index.js";

describe("L3Book FIFO queues (hand-worked cases)", () => {
  it("tracks queue position, queue ahead and best levels", () => {
    const book = new L3Book();
    book.add(1, 1, 100, 5);
    book.add(2, 1, 100, 3);
    book.add(3, 1, 99, 7);
    book.add(4, -1, 102, 2);
    book.add(5, -1, 101, 4);
    expect(book.bestBid()).toBe(100);
    expect(book.bestBidQty()).toBe(8);
    expect(book.bestAsk()).toBe(101);
    expect(book.bestAskQty()).toBe(4);
    expect(book.queuePosition(2)).toBe(1);
    expect(book.queueAhead(2)).toBe(5);
    expect(book.levelCount(1)).toBe(2);
    expect([book.priceAt(1, 0), book.priceAt(1, 1), book.priceAt(1, 2)]).toEqual([100, 99, NaN]);
    expect([book.qtyAtLevel(-1, 0), book.qtyAtLevel(-1, 1)]).toEqual([4, 2]);
    // Order 1 partially cancelled: order 2 still behind 2 lots.
    book.reduce(1, 3);
    expect(book.queueAhead(2)).toBe(2);
    // Size decrease keeps priority, increase loses it.
    book.modify(1, 100, 1);
    expect(book.queuePosition(1)).toBe(0);
    book.modify(1, 100, 6);
    expect(book.queuePosition(1)).toBe(1);
    expect(book.queueAhead(2)).toBe(0);
    expect(book.bestBidQty()).toBe(9);
    // Executing the whole best ask removes the level; best moves to 102.
    book.execute(5, 4);
    expect(book.bestAsk()).toBe(102);
    expect(book.hasOrder(5)).toBe(false);
    // Price change: back of the new level.
    book.modify(2, 99, 3);
    expect(book.queuePosition(2)).toBe(1);
    expect(book.queueAhead(2)).toBe(7);
    expect(book.bestBid()).toBe(100);
    book.delete(1);
    expect(book.bestBid()).toBe(99);
    expect(book.orderCount()).toBe(3);
    expect(book.stats.unknownIdEvents).toBe(0);
  });

  it("counts unknown ids and over-fills instead of throwing", () => {
    const book = new L3Book();
    book.add(7, -1, 50, 2);
    book.execute(7, 5);
    expect(book.stats.negativeQtyEvents).toBe(1);
    expect(book.hasOrder(7)).toBe(false);
    book.reduce(99, 1);
    book.delete(98);
    expect(book.stats.unknownIdEvents).toBe(2);
    expect(book.stats.firstUnknownId).toBe(99);
    expect(() => new L3Book({ onUnknownId: "throw" }).delete(1)).toThrow(/order id 1 is not in the book/);
  });

  it("applies batch rows and checks crossing after Last rows", () => {
    const b = new TickBatchBuilder();
    b.push(1n, 1n, EventKind.Add, 1, 100, 1, 1, 0);
    b.push(2n, 2n, EventKind.Add, -1, 100, 1, 2, EventFlag.Last);
    b.push(3n, 3n, EventKind.Trade, 1, 100, 1, 2, 0);
    b.push(4n, 4n, EventKind.Delete, -1, 100, NaN, 2, EventFlag.Last);
    const batch = b.build([instrument({ symbol: "X", venue: "T", tickSize: "1" })]);
    const book = new L3Book();
    book.applyRange(batch);
    expect(book.stats.crossedAfterLast).toBe(1);
    expect(book.stats.firstCrossedRow).toBe(1);
    expect(book.stats.lastRowsChecked).toBe(2);
    expect(book.bestAsk()).toBeNaN();
  });
});
