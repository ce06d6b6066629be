/**
 * LOBSTER as an L2 stream, checked against LOBSTER's own orderbook files (data/lobster, GOOG
 * 2012-06-21): replaying the stream with a plain L2Book must give every orderbook row on ALL L
 * levels after each message, with no correction on levels 1..L-1 (they come from the messages
 * alone; only level-L sizes entering from beyond the window are copied). SOURCE.md: 112,673
 * messages at L = 5, 147,916 at L = 10; message 1 is an execution of 4 shares at 579.40 on the
 * bid and orderbook row 1 shows 579.40 x 496, so the book before it holds 500 there.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BookTimeline, L2Book, lobsterL2Batch, lobsterStartBook } from "../../src/book/index.js";
import { rng } from "../../src/core/index.js";
import { EventFlag, EventKind, readLobster } from "../../src/data/index.js";

const zip = (level: number) => fileURLToPath(new URL(`../../data/lobster/LOBSTER_SampleFile_GOOG_2012-06-21_${level}.zip`, import.meta.url));

const cache = new Map<number, ReturnType<typeof readLobster>>();
const read = (level: number) => {
  if (!cache.has(level)) cache.set(level, readLobster({ messages: zip(level) }));
  return cache.get(level)!;
};

describe("LOBSTER as an L2 stream", () => {
  it("starts from orderbook row 1 with message 1 undone", () => {
    const data = read(5);
    const start = lobsterStartBook(data);
    expect([start.bestBid(), start.bestBidQty(), start.bestAsk(), start.bestAskQty()]).toEqual([57940, 500, 58023, 100]);
    expect([start.levelCount(1), start.levelCount(-1)]).toEqual([5, 5]);
  });

  for (const [level, messages] of [[5, 112_673], [10, 147_916]] as const) {
    it(`replayed by an L2Book, equals every orderbook row on all ${level} levels (L = ${level})`, () => {
      const data = read(level);
      const ob = data.orderbook!;
      const r = lobsterL2Batch(data);
      expect(r.messageEnd.length).toBe(messages);
      expect(r.corrections).toBe(0);
      expect(r.seeded).toBeGreaterThan(1000);
      const b = r.batch;
      const book = new L2Book();
      let row = 0;
      let groups = 0;
      let cells = 0;
      for (let i = 0; i < b.length; i++) {
        book.apply(b, i);
        if (b.flags[i]! & EventFlag.Snapshot || !(b.flags[i]! & EventFlag.Last)) continue;
        expect(i + 1).toBe(r.messageEnd[row]);
        for (const [side, px, sz] of [[1, ob.bidPrice, ob.bidSize], [-1, ob.askPrice, ob.askSize]] as const) {
          for (let k = 0; k < level; k++) {
            const p = px[row * level + k]!;
            if (book.priceAt(side, k) !== p || book.qtyAtLevel(side, k) !== sz[row * level + k]) {
              throw new Error(`message ${row + 1}: side ${side} level ${k + 1}: book ${book.priceAt(side, k)} x ${book.qtyAtLevel(side, k)}, orderbook ${p} x ${sz[row * level + k]}`);
            }
            cells++;
          }
        }
        row++;
        groups++;
      }
      expect(groups).toBe(messages);
      expect(cells).toBe(messages * 2 * level);
      // Trades: one per visible (type 4) and hidden (type 5) execution, aggressor opposite the resting side.
      let trades = 0, hidden = 0;
      for (let i = 0; i < b.length; i++) {
        if (b.kind[i] !== EventKind.Trade) continue;
        trades++;
        if (b.flags[i]! & EventFlag.Hidden) hidden++;
      }
      expect([trades - hidden, hidden]).toEqual([data.counts.execute, data.counts.hiddenExecute]);
    }, 60_000);
  }

  it("BookTimeline over the stream answers the book after any message", () => {
    const data = read(10);
    const ob = data.orderbook!;
    const r = lobsterL2Batch(data);
    const timeline = new BookTimeline(r.batch, { every: 2048 });
    const g = rng(17);
    for (let q = 0; q < 200; q++) {
      const msg = g.int(data.batch.length);
      const book = timeline.afterRows(r.messageEnd[msg]!);
      for (let k = 0; k < 10; k++) {
        expect(book.priceAt(1, k)).toBe(ob.bidPrice[msg * 10 + k]);
        expect(book.qtyAtLevel(-1, k)).toBe(ob.askSize[msg * 10 + k]);
      }
    }
  }, 60_000);
});
