/**
 * Databento MBO replay acceptance checks on real CME ES data. Ground truth: the counts, crossing
 * window and final top of book stated in data/databento/SOURCE.md (found by an independent replay),
 * plus hand-built batches for the F_LAST publication rule.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DatabentoMboBook, L3Book, checkMboBook } from "../../src/venues/book-aliases.js";
import { instrument, parseIso } from "../../src/core/index.js";
import { EventFlag, EventKind, TickBatchBuilder, readDbn, tickBatch, type TickBatch } from "../../src/venues/data-aliases.js";

const DIR = fileURLToPath(new URL("../../data/databento/", import.meta.url));
const ES = instrument({ symbol: "ES", venue: "GLBX", tickSize: "0.25", multiplier: 50 });
const esh4 = readDbn(`${DIR}esh4-glbx-mdp3-20231225.mbo.dbn.zst`, { instrument: ES });
const esm4 = readDbn(`${DIR}esm4-orderbooks_mbo_2024-05-08T00-00-00_2024-05-08T00-00-02.dbn.zst`, { definitions: `${DIR}esm4-orderbooks_definition.dbn.zst` });

describe("ESH4 MBO (2023-12-25, snapshot + pre-open + reopen)", () => {
  const r = checkMboBook(esh4);

  it("never goes negative, no unknown ids on C/M, final top 4810.00 x22 / 4810.25 x28", () => {
    expect(r.negativeQtyEvents).toBe(0);
    expect(r.nonPositiveLevels).toBe(0);
    expect(r.unknownIdEvents).toBe(0);
    expect(r.modifyAsAddEvents).toBe(0);
    expect(r.lastPoints).toBe(47_022);
    expect([r.bestBid, r.bestBidQty, r.bestAsk, r.bestAskQty]).toEqual([4810 / 0.25, 22, 4810.25 / 0.25, 28]);
    expect(r.ok).toBe(true);
  });

  it("is crossed only in the pre-open 22:39-22:59:59.9997 UTC: 891 of 47,022 F_LAST points", () => {
    expect(r.crossedPoints).toBe(891);
    expect(r.crossedRuns.length).toBe(1);
    const run = r.crossedRuns[0]!;
    expect(run.firstTs).toBeGreaterThanOrEqual(parseIso("2023-12-25T22:39:00Z"));
    expect(run.lastTs).toBeLessThan(parseIso("2023-12-25T23:00:00Z"));
    expect(run.lastTs).toBeGreaterThanOrEqual(parseIso("2023-12-25T22:59:59.9997Z"));
  });

  it("fills name known orders except 7 auction fills on ids never added (all reported)", () => {
    expect(r.fillsOnUnknownOrders).toBe(7);
    expect(r.fillsOnKnownOrders).toBe(6_371 - 7);
    // The 7 are side-N fills at the 23:00:00 open.
    const row = r.firstUnknownFillRow;
    expect(esh4.side[row]).toBe(0);
    expect(esh4.exchTs[row]! >= parseIso("2023-12-25T23:00:00Z") && esh4.exchTs[row]! < parseIso("2023-12-25T23:00:01Z")).toBe(true);
    expect(r.notes.some((n) => n.startsWith("7 fills name orders not in the book"))).toBe(true);
  });

  it("every trade print lies within [best bid, best ask] of the last consistent book, or beyond the touch in the aggressor's direction", () => {
    // Tolerance 0 ticks: on CME a print happens at a resting order's price, so a buy can only print
    // at or above the best ask and a sell at or below the best bid of the book before the event;
    // prints further out are sweeps through several levels, in the aggressor's direction only.
    expect(r.trades).toBe(2_973);
    expect(r.tradesChecked).toBe(2_973);
    expect(r.tradesInconsistent).toBe(0);
    expect(r.tradesInsideTouch + r.tradesThroughTouch).toBe(2_973);
    expect(r.tradesThroughTouch).toBeLessThan(150);
    expect(r.maxTradeDistanceTicks).toBeLessThanOrEqual(4);
  });

  it("treating fills as reductions (ignoring NoBookEffect) breaks the replay: cancels on removed ids", () => {
    const flags = esh4.flags.slice();
    for (let i = 0; i < flags.length; i++) flags[i] = flags[i]! & ~EventFlag.NoBookEffect;
    const naive: TickBatch = tickBatch({ ...esh4, flags }, esh4.instruments);
    const book = new L3Book({ venueRules: "databento" });
    for (let i = 0; i < naive.length; i++) book.apply(naive, i);
    expect(book.stats.unknownIdEvents).toBeGreaterThan(1_000);
  });
});

describe("ESM4 MBO (clear + 13,600-order snapshot + 2 s live)", () => {
  it("starts from R, is never crossed at F_LAST, all fills and trades consistent", () => {
    const r = checkMboBook(esm4);
    expect(r.clears).toBe(1);
    expect(r.snapshotRows).toBe(13_601);
    expect(r.crossedPoints).toBe(0);
    expect(r.unknownIdEvents).toBe(0);
    expect(r.negativeQtyEvents).toBe(0);
    expect(r.fillsOnKnownOrders).toBe(5);
    expect(r.trades).toBe(5);
    expect(r.tradesInconsistent).toBe(0);
    expect(r.ok).toBe(true);
    // 13,600 snapshot orders + 78 adds - orders cancelled out by C (full cancels) = final count.
    const book = new DatabentoMboBook();
    for (let i = 0; i < esm4.length; i++) book.apply(esm4, i);
    expect(book.book.orderCount()).toBe(r.orders);
    expect(r.orders).toBeGreaterThan(13_500);
    expect(r.orders).toBeLessThanOrEqual(13_678);
  });
});

describe("F_LAST publication", () => {
  it("queries return the book published at the last F_LAST, not a half-applied event", () => {
    const b = new TickBatchBuilder();
    b.push(1n, 1n, EventKind.Add, 1, 100, 5, 1, EventFlag.Last);
    b.push(1n, 1n, EventKind.Add, -1, 101, 5, 2, EventFlag.Last);
    // One event in three records: the bid moves up only after the last one.
    b.push(2n, 2n, EventKind.Add, 1, 100, 3, 3, 0);
    b.push(2n, 2n, EventKind.Reduce, 1, 100, 5, 1, 0);
    b.push(2n, 2n, EventKind.Add, 1, 102, 1, 4, EventFlag.Last);
    const batch = b.build([ES]);
    const book = new DatabentoMboBook();
    for (let i = 0; i < 2; i++) book.apply(batch, i);
    expect([book.bestBid(), book.bestBidQty()]).toEqual([100, 5]);
    book.apply(batch, 2);
    book.apply(batch, 3);
    expect(book.inGroup).toBe(true);
    expect([book.bestBid(), book.bestBidQty()]).toEqual([100, 5]);
    expect(book.book.bestBidQty()).toBe(3);
    book.apply(batch, 4);
    expect([book.bestBid(), book.bestBidQty(), book.bestAsk()]).toEqual([102, 1, 101]);
    expect(book.published().row).toBe(4);
    expect(book.inGroup).toBe(false);
  });
});
