/**
 * The strategy context's parts (src/engine/context/): the book views a strategy reads give the
 * book layer's feature values bit for bit (checked against the formulas written out below, on
 * L2 and L3 books replayed from generated data, at every row), the shared formulas on hand
 * values, the order state's open-order questions, that no constructor of the context takes
 * more than six parameters, and that the order updates a strategy receives stay off the heap.
 */
import { describe, expect, it } from "vitest";
import { L2Book, L3Book, imbalance, imbalanceOf, microprice, micropriceOf, mid, spread } from "../../src/book/index.js";
import { generateTicks } from "../../src/data/index.js";
import { instrument } from "../../src/core/index.js";
import type { SimBook } from "../../src/engine/book-types.js";
import { TimeBase } from "../../src/engine/clock.js";
import { Account } from "../../src/engine/context/account.js";
import { LocalBookView } from "../../src/engine/context/book-views.js";
import { LocalClock } from "../../src/engine/context/clock.js";
import { OrderState } from "../../src/engine/context/order-state.js";
import { LocalView } from "../../src/engine/local.js";
import { OrderTickets } from "../../src/engine/tickets.js";
import { runSliceScenario } from "../helpers/hot-path.js";

/** The imbalance as the strategy view computed it before it read the book layer: sizes summed level by level. */
function imbalanceByLevels(book: SimBook, levels: number): number {
  let b = 0;
  let a = 0;
  if (levels <= 1) {
    b = book.bestBidQty();
    a = book.bestAskQty();
    if (b !== b) b = 0;
    if (a !== a) a = 0;
  } else {
    for (let k = 0, n = Math.min(levels, book.levelCount(1)); k < n; k++) b += book.qtyAtLevel(1, k);
    for (let k = 0, n = Math.min(levels, book.levelCount(-1)); k < n; k++) a += book.qtyAtLevel(-1, k);
  }
  return b + a > 0 ? (b - a) / (b + a) : NaN;
}

const LEVELS = [0, 1, 2, 2.5, 3, 5, 20, Infinity, NaN];

describe("strategy context: book views", () => {
  for (const mode of ["l2", "l3"] as const) {
    it(`on ${mode.toUpperCase()} data, every row: imbalance, microprice, mid and spread equal the formulas bit for bit`, () => {
      const batch = generateTicks({ events: 6_000, seed: 11, mode });
      const book: SimBook = mode === "l2" ? new L2Book() : new L3Book();
      const view = new LocalBookView(0, instrument({ symbol: "X", venue: "TEST", tickSize: "0.01", lotSize: "1" }), book);
      let checked = 0;
      let defined = 0;
      for (let i = 0; i < batch.length; i++) {
        book.apply(batch, i);
        const bid = book.bestBid();
        const ask = book.bestAsk();
        const bq = book.bestBidQty();
        const aq = book.bestAskQty();
        for (const n of LEVELS) {
          const want = imbalanceByLevels(book, n);
          if (!Object.is(view.imbalance(n), want)) throw new Error(`row ${i}, levels ${n}: view ${view.imbalance(n)}, formula ${want}`);
          if (n > 1 && !Object.is(imbalance(book, n), want)) throw new Error(`row ${i}, levels ${n}: book layer ${imbalance(book, n)}, formula ${want}`);
          checked++;
        }
        const micro = (bid * aq + ask * bq) / (bq + aq);
        expect(Object.is(view.microprice(), micro) && Object.is(microprice(book), micro)).toBe(true);
        expect(Object.is(view.mid(), (bid + ask) / 2) && Object.is(mid(book), (bid + ask) / 2)).toBe(true);
        expect(Object.is(view.spread(), ask - bid) && Object.is(spread(book), ask - bid)).toBe(true);
        if (micro === micro) defined++;
      }
      expect(checked).toBe(batch.length * LEVELS.length);
      // The comparison saw real books, not only empty ones.
      expect(defined).toBeGreaterThan(batch.length / 2);
      expect(view.imbalance()).toBe(imbalanceByLevels(book, 1));
    });
  }

  it("the shared formulas on hand values", () => {
    expect(imbalanceOf(3, 1)).toBe(0.5);
    expect(imbalanceOf(0, 4)).toBe(-1);
    expect(imbalanceOf(0, 0)).toBeNaN();
    expect(micropriceOf(100, 102, 3, 1)).toBe(101.5); // (100·1 + 102·3) / 4
    expect(micropriceOf(100, 102, 5, 3)).toBe(101.25); // (100·3 + 102·5) / 8
  });
});

describe("strategy context: parts", () => {
  it("the order state answers the open-order questions from one set of columns", () => {
    const tickets = new OrderTickets();
    const clock = new LocalClock();
    const orders = new OrderState(2, tickets, new TimeBase(1_000n), clock);
    // Three orders: buy 2 on instrument 0, sell 3 on instrument 1, buy 4 on instrument 0.
    const sent: [number, number, number][] = [[0, 1, 2], [1, -1, 3], [0, 1, 4]];
    for (const [k, side, qty] of sent) {
      const o = tickets.add(k, side, 1, 0, 100, qty, 0);
      orders.begin(o, 100, qty);
      orders.opened(k, o, side, qty);
    }
    expect(orders.openTotal()).toBe(3);
    expect(orders.openIds(undefined)).toEqual([0, 2, 1]);
    expect([0, 1, 2, 3].map((j) => orders.openAt(j, -1))).toEqual([0, 2, 1, -1]);
    expect(orders.openAt(1, 0)).toBe(2);
    expect(orders.openBuy[0]).toBe(6);
    expect(orders.openSell[1]).toBe(3);
    // A partial fill, then the rest: the order leaves the open list and its size the open lots.
    clock.now = 5;
    orders.filled(0, 0, 1, 1, 5);
    expect(orders.orderUpdate(0, "fill", 0)).toMatchObject({ status: "PartiallyFilled", filledLots: 1, leavesLots: 1, ts: 1_005n, cancellable: true });
    orders.filled(0, 0, 1, 1, 7);
    expect(orders.openIds(0)).toEqual([2]);
    expect(orders.openBuy[0]).toBe(4);
    expect(orders.doneT[0]).toBe(7);
    // A cancel of an order with 3 lots left takes them off the sell side.
    orders.ended(1, 1, 5, 0, 9);
    expect(orders.openSell[1]).toBe(0);
    expect(orders.isOpen(1)).toBe(false);
    expect(orders.isOpen(2)).toBe(true);
    expect(orders.exists(3)).toBe(false);
  });

  it("no constructor of the context takes more than six parameters", () => {
    for (const ctor of [LocalView, OrderState, Account, LocalBookView, LocalClock]) expect(ctor.length, ctor.name).toBeLessThanOrEqual(6);
    expect(LocalView.length).toBe(5);
  });

  it("order updates stay off the heap: the slice scenario allocates what it did with the state inside LocalView", async () => {
    // Built dist/, deterministic V8 flags (bench/slice-scenario.mjs). 7.17 bytes per event when
    // OrderState.orderUpdate is inlined and its literal never reaches the heap; 21.99 when it grew
    // past V8's inlining limit and every update was allocated (docs/architecture.md, "Hot paths").
    const { bytesPerEvent, orders } = await runSliceScenario();
    expect(orders).toBeGreaterThan(1_000);
    expect(bytesPerEvent).toBeLessThan(10);
  }, 240_000);
});
