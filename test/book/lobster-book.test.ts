/**
 * LOBSTER as an L2 stream, checked against LOBSTER's own orderbook files (data/lobster, GOOG
 * 2012-06-21): replaying the stream with a plain L2Book must give every orderbook row on ALL L
 * levels after each message, with no correction on levels 1..L-1 (they come from the messages
 * alone; only level-L sizes entering from beyond the window are copied). SOURCE.md: 112,673
 * messages at L = 5, 147,916 at L = 10; message 1 is an execution of 4 shares at 579.40 on the
 * bid and orderbook row 1 shows 579.40 x 496, so the book before it holds 500 there.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BookTimeline, L2Book, lobsterL2Batch, lobsterStartBook, verifyLobster } from "../../src/venues/book-aliases.js";
import { rng } from "../../src/core/index.js";
import { EventFlag, EventKind, readLobster } from "../../src/venues/data-aliases.js";
import { TEST_OUTPUT } from "../helpers/paths.js";

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
      const got = new Float64Array(level);
      const gotQty = new Float64Array(level);
      for (let i = 0; i < b.length; i++) {
        book.apply(b, i);
        if (b.flags[i]! & EventFlag.Snapshot || !(b.flags[i]! & EventFlag.Last)) continue;
        expect(i + 1).toBe(r.messageEnd[row]);
        for (const [side, px, sz] of [[1, ob.bidPrice, ob.bidSize], [-1, ob.askPrice, ob.askSize]] as const) {
          got.fill(NaN);
          gotQty.fill(NaN);
          book.levels(side, level, got, gotQty);
          for (let k = 0; k < level; k++) {
            const p = px[row * level + k]!;
            if (got[k] !== p || gotQty[k] !== sz[row * level + k]) {
              throw new Error(`message ${row + 1}: side ${side} level ${k + 1}: book ${got[k]} x ${gotQty[k]}, orderbook ${p} x ${sz[row * level + k]}`);
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
    });
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
  });

  it("halts (type 7) and empty levels (LOBSTER's dummy prices) on a hand-written two-level file", () => {
    // ReadMe: a halt is type 7 with price -1, quoting resumes with price 0, trading with price 1;
    // the orderbook repeats the previous row; empty levels are ask 9999999999 / bid -9999999999, size 0.
    const dir = join(TEST_OUTPUT, "lobster-halt");
    mkdirSync(dir, { recursive: true });
    const messages = join(dir, "TEST_2012-06-21_34200000_57600000_message_2.csv");
    const orderbook = join(dir, "TEST_2012-06-21_34200000_57600000_orderbook_2.csv");
    const E = "9999999999,0,-9999999999,0";
    writeFileSync(messages, ["34200.1,1,1,100,1000000,1", "34200.2,1,2,50,1001000,-1", "34200.3,7,0,0,-1,-1", "34200.4,7,0,0,0,-1", "34200.5,7,0,0,1,-1", "34200.6,3,1,100,1000000,1", ""].join("\n"));
    writeFileSync(orderbook, [`9999999999,0,1000000,100,${E}`, `1001000,50,1000000,100,${E}`, `1001000,50,1000000,100,${E}`, `1001000,50,1000000,100,${E}`, `1001000,50,1000000,100,${E}`, `1001000,50,-9999999999,0,${E}`, ""].join("\n"));
    const data = readLobster({ messages, orderbook });
    expect(data.counts.halt).toBe(3);
    const halts = [2, 3, 4].map((i) => [data.batch.kind[i], data.batch.aux[i], data.batch.qtyLots[i]]);
    expect(halts).toEqual([[EventKind.Halt, -1, NaN], [EventKind.Halt, 0, NaN], [EventKind.Halt, 1, NaN]]);
    expect([...data.orderbook!.bidPrice.subarray(10, 12)]).toEqual([NaN, NaN]); // row 6: no bids at all
    expect(verifyLobster(data, { levels: 2 })).toMatchObject({ rows: 5, mismatches: 0 });
    const r = lobsterL2Batch(data);
    const b = r.batch;
    expect(Array.from(b.kind).filter((k) => k === EventKind.Halt).length).toBe(3);
    const book = new L2Book();
    const seen: number[][] = [];
    for (let i = 0; i < b.length; i++) {
      book.apply(b, i);
      if (b.flags[i]! & EventFlag.Last && !(b.flags[i]! & EventFlag.Snapshot)) seen.push([book.bestBid(), book.bestBidQty(), book.bestAsk(), book.bestAskQty()]);
    }
    expect(seen).toEqual([[10000, 100, NaN, NaN], [10000, 100, 10010, 50], [10000, 100, 10010, 50], [10000, 100, 10010, 50], [10000, 100, 10010, 50], [NaN, NaN, 10010, 50]]);
    expect(r.corrections).toBe(0);
  });
});
