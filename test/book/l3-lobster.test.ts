/**
 * L3Book in LOBSTER mode on the real GOOG 2012-06-21 message file: orders resting before 09:30
 * never get an add message, so their cancels/executions are unknown ids. They must be counted
 * and reported (first row, id), never thrown unless asked. Ground truth: the shared data set's
 * SOURCE.md (3,362 such events in message_10, found by an independent replay).
 * The message CSV is parsed minimally here so this test does not depend on the LOBSTER reader.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { L3Book } from "../../src/venues/book-aliases.js";
import { instrument, isLabError } from "../../src/core/index.js";
import { EventKind, TickBatchBuilder, type TickBatch } from "../../src/data/index.js";

const ZIP = fileURLToPath(new URL("../../../shared/data/real/lobster-goog-2012-06-21/LOBSTER_SampleFile_GOOG_2012-06-21_10.zip", import.meta.url));
const GOOG = instrument({ symbol: "GOOG", venue: "XNAS", tickSize: "0.01" });
const KIND: Record<string, number> = { "1": EventKind.Add, "2": EventKind.Reduce, "3": EventKind.Delete, "4": EventKind.Execute, "5": EventKind.Trade, "6": EventKind.Trade, "7": EventKind.Halt };

function unzipText(part: string): string {
  const files = unzipSync(new Uint8Array(readFileSync(ZIP)), { filter: (f) => f.name.includes(part) });
  return new TextDecoder().decode(Object.values(files)[0]!);
}

function loadMessages(): TickBatch {
  const text = unzipText("_message_");
  const b = new TickBatchBuilder(150_000);
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const [time, type, id, size, price, dir] = line.split(",");
    const [sec, frac = ""] = time!.split(".");
    const ns = BigInt(sec!) * 1_000_000_000n + BigInt(frac.padEnd(9, "0"));
    // price is dollars x 10000; one tick (0.01) = 100 units.
    b.push(ns, ns, KIND[type!]!, Number(dir), Number(price) / 100, Number(size), Number(id));
  }
  return b.build([GOOG], "GOOG message_10");
}

describe("L3Book on LOBSTER GOOG message_10", () => {
  const batch = loadMessages();

  it("counts the 3,362 events on orders entered before the file starts, and keeps going", () => {
    expect(batch.length).toBe(147_916);
    const book = new L3Book({ venueRules: "lobster" });
    const byKind: Record<number, number> = {};
    for (let i = 0; i < batch.length; i++) {
      const before = book.stats.unknownIdEvents;
      book.apply(batch, i);
      if (book.stats.unknownIdEvents > before) byKind[batch.kind[i]!] = (byKind[batch.kind[i]!] ?? 0) + 1;
    }
    // SOURCE.md: 3,362 deletes (type 3) and executions (type 4) of never-added ids; a byte scan
    // finds one more unknown-id event, a partial cancel (type 2), which the book also reports.
    expect(byKind[EventKind.Delete]! + byKind[EventKind.Execute]!).toBe(3_362);
    expect(byKind[EventKind.Reduce]).toBe(1);
    expect(book.stats.unknownIdEvents).toBe(3_363);
    // The first unknown row is the file's first message: an execution of a pre-open order.
    expect(book.stats.firstUnknownIdRow).toBe(0);
    expect(book.stats.firstUnknownId).toBe(15_818_974);
    expect(book.stats.negativeQtyEvents).toBe(0);
    expect(book.orderCount()).toBeGreaterThan(0);
  });

  it("throws a LabError naming the row and source only when asked to", () => {
    const book = new L3Book({ venueRules: "lobster", onUnknownId: "throw" });
    let error: unknown;
    try {
      book.applyRange(batch);
    } catch (e) {
      error = e;
    }
    expect(isLabError(error)).toBe(true);
    expect((error as Error).message).toBe("order id 15818974 is not in the book at row 0 of GOOG message_10");
  });

  it("with pre-open liquidity seeded as anonymous size, the L3 book equals LOBSTER's levels 1-9 until an unknown id names size the book never saw", () => {
    // Ground truth: LOBSTER's orderbook_10 (row i = book after message i). Orders resting before
    // 09:30 are seeded as anonymous size from row 0; when a price LOBSTER shows at level 10 holds
    // more than the book knows (older liquidity scrolling into view), the difference is added as
    // anonymous size at the front: the only information the files give about it. Levels 1-9 must
    // then match exactly, row by row, as long as every unknown-id cancel finds anonymous size. The
    // first that does not is a LOBSTER id that was never added (NASDAQ replaced an order without
    // changing price or size); from there order ids alone cannot say which order left.
    const rows = unzipText("_orderbook_").split("\n");
    const parse = (line: string) => line.split(",").map(Number);
    const book = new L3Book({ venueRules: "lobster" });
    const first = parse(rows[0]!);
    for (let l = 0; l < 10; l++) {
      book.addAnonymous(-1, first[4 * l]! / 100, first[4 * l + 1]!);
      book.addAnonymous(1, first[4 * l + 2]! / 100, first[4 * l + 3]!);
    }
    let compared = 0;
    let stop = -1;
    for (let i = 1; i < batch.length; i++) {
      book.apply(batch, i);
      if (book.stats.anonymousShortfallEvents > 0) {
        stop = i;
        break;
      }
      const ob = parse(rows[i]!);
      for (const [side, off] of [[-1, 0], [1, 2]] as const) {
        const edgePrice = ob[36 + off]! / 100;
        const missing = ob[37 + off]! - book.qtyAt(side, edgePrice);
        if (missing > 0) book.addAnonymous(side, edgePrice, missing);
        for (let l = 0; l < 9; l++) {
          if (book.priceAt(side, l) !== ob[4 * l + off]! / 100 || book.qtyAtLevel(side, l) !== ob[4 * l + off + 1]) {
            throw new Error(`message ${i}: side ${side} level ${l + 1}: book ${book.priceAt(side, l)} x ${book.qtyAtLevel(side, l)}, LOBSTER ${ob[4 * l + off]! / 100} x ${ob[4 * l + off + 1]}`);
          }
        }
      }
      compared++;
    }
    // Exact for the first 2,253 messages (09:30:00-09:36:28); message 2,254 deletes id 24855566,
    // which the file never adds.
    expect(compared).toBe(stop - 1);
    expect(compared).toBeGreaterThan(2_000);
    const stopId = batch.orderId[stop]!;
    for (let i = 0; i < batch.length; i++) if (batch.kind[i] === EventKind.Add && batch.orderId[i] === stopId) throw new Error(`id ${stopId} is added at ${i}`);
    expect(book.stats.anonymousTakeEvents).toBeGreaterThan(20); // pre-open orders cancelled or executed in the prefix
    expect(book.stats.negativeQtyEvents).toBe(0);
  });

  it("anonymous size queues ahead of known orders and absorbs unknown-id cancels", () => {
    const book = new L3Book({ venueRules: "lobster" });
    book.add(5, 1, 100, 7);
    book.addAnonymous(1, 100, 10);
    expect(book.queuePosition(5)).toBe(1);
    expect(book.queueAhead(5)).toBe(10);
    const b = new TickBatchBuilder();
    b.push(0n, 0n, EventKind.Delete, 1, 100, 4, 99);
    b.push(0n, 0n, EventKind.Execute, 1, 100, 9, 98);
    book.applyRange(b.build([GOOG]));
    expect([book.qtyAt(1, 100), book.anonymousQtyAt(1, 100), book.queueAhead(5)]).toEqual([7, 0, 0]);
    expect([book.stats.unknownIdEvents, book.stats.anonymousTakeEvents, book.stats.anonymousShortfallEvents]).toEqual([2, 2, 1]);
    // fifo rules count unknown ids but never touch anonymous size.
    const fifo = new L3Book();
    fifo.addAnonymous(-1, 200, 5);
    fifo.applyRange(b.build([GOOG]));
    expect(fifo.qtyAt(-1, 200)).toBe(5);
  });
});
