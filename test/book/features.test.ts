/**
 * Book features against hand calculations written out below (L2Book fast path and an L3Book
 * holding the same levels as several orders), the feature series against per-point recomputation
 * on generated data, time sampling, and crossed/locked detection on hand-made streams.
 */
import { describe, expect, it } from "vitest";
import { BookState, L2Book, L3Book, bookFeatures, bookState, cumulativeDepth, depth, detectCrossedLocked, featureSeries, imbalance, microprice, mid, spread, weightedMid } from "../../src/book/index.js";
import { EventFlag, EventKind, TickBatchBuilder, generateTicks } from "../../src/data/index.js";

function handL2(): L2Book {
  // bids 100 x 5, 99 x 7, 98 x 10; asks 102 x 3, 103 x 4, 105 x 20
  const book = new L2Book();
  book.setLevel(1, 100, 5);
  book.setLevel(1, 99, 7);
  book.setLevel(1, 98, 10);
  book.setLevel(-1, 102, 3);
  book.setLevel(-1, 103, 4);
  book.setLevel(-1, 105, 20);
  return book;
}

function handL3(): L3Book {
  const l3 = new L3Book();
  let id = 1;
  for (const [side, price, qty] of [[1, 100, 2], [1, 100, 3], [1, 99, 7], [1, 98, 4], [1, 98, 6], [-1, 102, 3], [-1, 103, 1], [-1, 103, 3], [-1, 105, 20]] as const) l3.add(id++, side, price, qty);
  return l3;
}

describe("book features (hand calculations)", () => {
  for (const [name, make] of [["L2Book", handL2], ["L3Book", handL3]] as const) {
    it(`on ${name}`, () => {
      const book = make();
      expect(depth(book, 1, 2)).toBe(12); // 5 + 7
      expect(depth(book, -1, 2)).toBe(7); // 3 + 4
      expect(depth(book, 1, 10)).toBe(22); // only 3 levels: 5 + 7 + 10
      expect(imbalance(book, 1)).toBe(0.25); // (5 - 3) / (5 + 3)
      expect(imbalance(book, 2)).toBeCloseTo(5 / 19, 15); // (12 - 7) / 19
      expect(microprice(book)).toBe(101.25); // (100*3 + 102*5) / 8 = 810 / 8
      expect(weightedMid(book, 1)).toBe(101.25); // one level: the microprice
      expect(weightedMid(book, 2)).toBeCloseTo(1924 / 19, 12); // (100*7 + 102*12) / 19
      expect(spread(book)).toBe(2);
      expect(mid(book)).toBe(101);
      const c = cumulativeDepth(book, 1, 5);
      expect([...c.prices]).toEqual([100, 99, 98]);
      expect([...c.qtys]).toEqual([5, 7, 10]);
      expect([...c.cumulative]).toEqual([5, 12, 22]);
      expect([...cumulativeDepth(book, -1, 2).cumulative]).toEqual([3, 7]);
      expect(bookState(book)).toBe(BookState.Normal);
      expect(bookFeatures(book, 2)).toMatchObject({ bestBid: 100, bestAsk: 102, bidDepth: 12, askDepth: 7, crossed: false, locked: false });
    });
  }

  it("are NaN (not 0) when a side is empty, and the state says why", () => {
    const book = new L2Book();
    expect(bookState(book)).toBe(BookState.Empty);
    book.setLevel(1, 100, 5);
    expect([microprice(book), weightedMid(book, 3), spread(book), mid(book)].every(Number.isNaN)).toBe(true);
    expect(imbalance(book, 3)).toBe(1);
    expect(imbalance(new L2Book(), 3)).toBeNaN();
    expect(depth(book, -1, 5)).toBe(0);
    expect(bookState(book)).toBe(BookState.OneSided);
    book.setLevel(-1, 100, 1);
    expect(bookState(book)).toBe(BookState.Locked);
    book.setLevel(-1, 99, 1);
    expect([bookState(book), spread(book)]).toEqual([BookState.Crossed, -1]);
  });
});

describe("feature series and crossed/locked detection", () => {
  it("equals per-point recomputation on generated data (every 7th complete message)", () => {
    const batch = generateTicks({ events: 50_000, seed: 3, mode: "l2" });
    const series = featureSeries(batch, { levels: 3, every: 7 });
    const book = new L2Book();
    let point = 0;
    let n = 0;
    for (let i = 0; i < batch.length; i++) {
      book.apply(batch, i);
      if (!(batch.flags[i]! & EventFlag.Last)) continue;
      if (point++ % 7 !== 0) continue;
      const f = bookFeatures(book, 3);
      expect(series.row[n]).toBe(i);
      expect(series.timeNs[n]).toBe(batch.exchTs[i]);
      expect([series.bestBid[n], series.bestAsk[n], series.microprice[n], series.imbalance[n], series.bidDepth[n], series.askDepth[n], series.spread[n]]).toEqual([f.bestBid, f.bestAsk, f.microprice, f.imbalance, f.bidDepth, f.askDepth, f.spread]);
      expect(series.weightedMid[n]).toBeCloseTo(f.weightedMid, 9);
      n++;
    }
    expect(series.length).toBe(n);
    expect(n).toBeGreaterThan(1000);
    expect(series.crossedLocked.checked).toBe(point);
  });

  it("by time interval keeps the last state of each interval", () => {
    const b = new TickBatchBuilder();
    b.push(10n, 10n, EventKind.LevelSet, 1, 100, 1);
    b.push(15n, 15n, EventKind.LevelSet, -1, 101, 1);
    b.push(25n, 25n, EventKind.LevelSet, 1, 100, 3);
    b.push(29n, 29n, EventKind.LevelSet, 1, 100, 4);
    b.push(31n, 31n, EventKind.LevelSet, -1, 101, 2);
    const s = featureSeries(b.build([]), { intervalNs: 10n, levels: 1 });
    expect([...s.row]).toEqual([1, 3, 4]); // intervals [10,20), [20,30), [30,40)
    expect([...s.bestBidQty]).toEqual([1, 4, 4]);
    expect([...s.imbalance]).toEqual([0, 0.6, 1 / 3]); // (1-1)/2, (4-1)/5, (4-2)/6
  });

  it("counts crossed and locked states with first rows and episodes", () => {
    const b = new TickBatchBuilder();
    b.push(0n, 0n, EventKind.LevelSet, 1, 100, 1); // 0: one side only
    b.push(0n, 0n, EventKind.LevelSet, -1, 101, 1); // 1: normal
    b.push(0n, 0n, EventKind.LevelSet, 1, 101, 1); // 2: locked
    b.push(0n, 0n, EventKind.LevelSet, 1, 102, 1); // 3: crossed (bid 102 > ask 101)
    b.push(0n, 0n, EventKind.LevelSet, 1, 103, 1); // 4: crossed
    b.push(0n, 0n, EventKind.LevelSet, 1, 103, 0); // 5: crossed (102)
    b.push(0n, 0n, EventKind.LevelSet, 1, 102, 0); // 6: locked (101)
    b.push(0n, 0n, EventKind.LevelSet, 1, 101, 0); // 7: normal (100)
    b.push(0n, 0n, EventKind.LevelSet, -1, 99, 1); // 8: crossed
    expect(detectCrossedLocked(b.build([]))).toEqual({ checked: 9, crossed: 4, locked: 2, firstCrossedRow: 3, firstLockedRow: 2, crossedEpisodes: 2, lockedEpisodes: 2 });
  });

  it("checks only group ends when the batch has Last flags", () => {
    const b = new TickBatchBuilder();
    b.push(0n, 0n, EventKind.LevelSet, 1, 100, 1, NaN, EventFlag.Last);
    b.push(0n, 0n, EventKind.LevelSet, -1, 101, 1, NaN, EventFlag.Last);
    b.push(0n, 0n, EventKind.LevelSet, 1, 102, 1); // transient cross inside a group
    b.push(0n, 0n, EventKind.LevelSet, -1, 101, 0);
    b.push(0n, 0n, EventKind.LevelSet, -1, 103, 1, NaN, EventFlag.Last);
    const batch = b.build([]);
    expect(detectCrossedLocked(batch)).toMatchObject({ checked: 3, crossed: 0 });
    expect(detectCrossedLocked(batch, { groupEnds: false })).toMatchObject({ checked: 5, crossed: 1, firstCrossedRow: 2 });
  });

  it("generated L2 data is never crossed or locked at complete messages", () => {
    // The generator's L2 model never lets a level cross the opposite touch (src/data/generator.ts).
    const r = detectCrossedLocked(generateTicks({ events: 100_000, seed: 9, mode: "l2" }));
    expect([r.crossed, r.locked]).toEqual([0, 0]);
    expect(r.checked).toBeGreaterThan(30_000);
  });
});
