/**
 * BookTimeline and the replay helpers against a plain forward replay (BookCursor / a fresh
 * L2Book) at random rows and times, snapshot handling at checkpoints, and L3 rows folded into
 * price levels (hand-worked: 5 + 3 - 1 - 2 = 5 at 100; hidden executions leave it alone).
 */
import { describe, expect, it } from "vitest";
import { BookCursor, BookTimeline, L2Book, replayBook } from "../../src/book/index.js";
import { rng } from "../../src/core/index.js";
import { EventFlag, EventKind, TickBatchBuilder, generateTicks } from "../../src/data/index.js";

describe("replay and BookTimeline", () => {
  const batch = generateTicks({ events: 200_000, seed: 21, mode: "l2" });

  function levelsOf(book: L2Book): number[][] {
    const out: number[][] = [];
    for (const side of [1, -1] as const) for (let k = 0; k < book.levelCount(side); k++) out.push([side, book.priceAt(side, k), book.qtyAtLevel(side, k)]);
    return out;
  }

  it("answers the book after any row exactly as a forward replay does (random order queries)", () => {
    const timeline = new BookTimeline(batch, { every: 1000 });
    expect(timeline.checkpoints).toBeGreaterThan(190);
    const r = rng(5);
    const queries = Array.from({ length: 300 }, () => r.int(batch.length + 1));
    queries.push(0, batch.length, 1000, 999, 1001);
    const expected = new Map<number, number[][]>();
    const cursor = new BookCursor(batch);
    for (const q of [...queries].sort((a, b) => a - b)) {
      cursor.advanceTo(q);
      expected.set(q, levelsOf(cursor.book));
    }
    for (const q of queries) expect(levelsOf(timeline.afterRows(q))).toEqual(expected.get(q));
  });

  it("at(t) applies every row with time <= t", () => {
    const timeline = new BookTimeline(batch, { every: 512 });
    const r = rng(8);
    const t0 = batch.exchTs[0]!;
    const t1 = batch.exchTs[batch.length - 1]!;
    for (let q = 0; q < 50; q++) {
      const t = t0 + BigInt(Math.floor(r.float() * Number(t1 - t0)));
      let rows = 0;
      while (rows < batch.length && batch.exchTs[rows]! <= t) rows++;
      expect(timeline.rowsAt(t)).toBe(rows);
      const fresh = replayBook(batch, { end: rows }).book;
      expect(levelsOf(timeline.at(t))).toEqual(levelsOf(fresh));
    }
    expect(timeline.rowsAt(t0 - 1n)).toBe(0);
    expect(timeline.snapshotAt(t0 - 1n).bids.prices.length).toBe(0);
  });

  it("never checkpoints inside a snapshot", () => {
    // Snapshot of 3 rows at rows 2..4 with checkpoints every row: restoring after row 3 must not
    // make the next snapshot row clear the book again.
    const b = new TickBatchBuilder();
    b.push(0n, 0n, EventKind.LevelSet, 1, 90, 1);
    b.push(1n, 1n, EventKind.LevelSet, -1, 95, 1);
    b.push(2n, 2n, EventKind.LevelSet, 1, 100, 1, NaN, EventFlag.Snapshot);
    b.push(2n, 2n, EventKind.LevelSet, 1, 99, 2, NaN, EventFlag.Snapshot);
    b.push(2n, 2n, EventKind.LevelSet, -1, 101, 3, NaN, EventFlag.Snapshot | EventFlag.Last);
    const snap = b.build([]);
    const timeline = new BookTimeline(snap, { every: 1 });
    expect(levelsOf(timeline.afterRows(5))).toEqual([[1, 100, 1], [1, 99, 2], [-1, 101, 3]]);
    expect(levelsOf(timeline.afterRows(4))).toEqual([[1, 100, 1], [1, 99, 2]]);
  });

  it("folds L3 rows into levels in mode levels and counts Modify as unfoldable", () => {
    const b = new TickBatchBuilder();
    b.push(0n, 0n, EventKind.Add, 1, 100, 5, 1);
    b.push(0n, 0n, EventKind.Add, 1, 100, 3, 2);
    b.push(0n, 0n, EventKind.Reduce, 1, 100, 1, 1);
    b.push(0n, 0n, EventKind.Execute, 1, 100, 2, 2);
    b.push(0n, 0n, EventKind.Execute, 1, 100, 50, NaN, EventFlag.Hidden);
    b.push(0n, 0n, EventKind.Add, -1, 103, 4, 3);
    b.push(0n, 0n, EventKind.Modify, -1, 104, 4, 3);
    b.push(0n, 0n, EventKind.Trade, 1, 103, 1);
    b.push(0n, 0n, EventKind.Delete, -1, 103, 4, 3);
    const r = replayBook(b.build([]));
    expect(levelsOf(r.book)).toEqual([[1, 100, 5]]);
    expect([r.unfoldableRows, r.firstUnfoldableRow]).toEqual([1, 6]);
  });
});
