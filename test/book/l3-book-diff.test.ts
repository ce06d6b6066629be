/**
 * Differential test: L3Book against an obviously-correct reference (a Map of order objects and a
 * plain array of ids per price level) on millions of seeded random events, including unknown ids,
 * re-adds of live and dead ids, price changes, size changes both ways, over-fills, huge ids, far
 * prices that force the ladder window to grow, and clears. Plus the generator's L3 stream.
 */
import { describe, expect, it } from "vitest";
import { L3Book } from "../../src/book/index.js";
import { rng, type Rng } from "../../src/core/index.js";
import { EventFlag, EventKind, generateTicks, type TickBatch } from "../../src/data/index.js";

interface RefOrder {
  id: number;
  side: 1 | -1;
  price: number;
  qty: number;
  priority: number;
}

/** Price-time priority the slow, obvious way (generic FIFO rules). */
class ReferenceBook {
  orders = new Map<number, RefOrder>();
  levels = [new Map<number, number[]>(), new Map<number, number[]>()]; // [bids, asks]: price -> ids in queue order
  counter = 0;
  unknown = 0;
  negative = 0;
  duplicate = 0;

  private level(side: 1 | -1, price: number): number[] {
    const m = this.levels[side === 1 ? 0 : 1]!;
    let q = m.get(price);
    if (!q) {
      q = [];
      m.set(price, q);
    }
    return q;
  }
  private unlink(o: RefOrder): void {
    const m = this.levels[o.side === 1 ? 0 : 1]!;
    const q = m.get(o.price)!;
    q.splice(q.indexOf(o.id), 1);
    if (q.length === 0) m.delete(o.price);
  }
  private toBack(o: RefOrder): void {
    this.level(o.side, o.price).push(o.id);
    o.priority = ++this.counter;
  }
  add(id: number, side: 1 | -1, price: number, qty: number): void {
    const old = this.orders.get(id);
    if (old) {
      this.duplicate++;
      this.unlink(old);
    }
    const o: RefOrder = { id, side, price, qty, priority: 0 };
    this.orders.set(id, o);
    this.toBack(o);
  }
  take(id: number, qty: number): void {
    const o = this.orders.get(id);
    if (!o) return void this.unknown++;
    if (qty < o.qty) {
      o.qty -= qty;
      return;
    }
    if (qty > o.qty) this.negative++;
    this.delete(id);
  }
  delete(id: number): void {
    const o = this.orders.get(id);
    if (!o) return void this.unknown++;
    this.unlink(o);
    this.orders.delete(id);
  }
  modify(id: number, price: number, qty: number): void {
    const o = this.orders.get(id);
    if (!o) return void this.unknown++;
    if (qty <= 0) {
      if (qty < 0) this.negative++;
      this.delete(id);
      return;
    }
    if (price !== o.price || qty > o.qty) {
      this.unlink(o);
      o.price = price;
      o.qty = qty;
      this.toBack(o);
    } else {
      o.qty = qty;
    }
  }
  clear(): void {
    this.orders.clear();
    this.levels = [new Map(), new Map()];
  }
  sortedPrices(side: 1 | -1): number[] {
    return [...this.levels[side === 1 ? 0 : 1]!.keys()].sort((a, b) => (side === 1 ? b - a : a - b));
  }
  levelQty(side: 1 | -1, price: number): number {
    return (this.levels[side === 1 ? 0 : 1]!.get(price) ?? []).reduce((s, id) => s + this.orders.get(id)!.qty, 0);
  }
  apply(batch: TickBatch, i: number): void {
    if (batch.flags[i]! & EventFlag.NoBookEffect) return;
    const id = batch.orderId[i]!;
    switch (batch.kind[i]) {
      case EventKind.Add:
        return this.add(id, batch.side[i] as 1 | -1, batch.priceTicks[i]!, batch.qtyLots[i]!);
      case EventKind.Reduce:
      case EventKind.Execute:
        return this.take(id, batch.qtyLots[i]!);
      case EventKind.Delete:
        return this.delete(id);
      case EventKind.Modify:
        return this.modify(id, batch.priceTicks[i]!, batch.qtyLots[i]!);
      case EventKind.Clear:
        return this.clear();
    }
  }
}

/** Full state comparison: every level in order, every order's queue place. */
function compareFull(book: L3Book, ref: ReferenceBook, at: number): void {
  expect(book.orderCount(), `orders at ${at}`).toBe(ref.orders.size);
  for (const side of [1, -1] as const) {
    const prices = ref.sortedPrices(side);
    expect(book.levelCount(side), `levels side ${side} at ${at}`).toBe(prices.length);
    for (let k = 0; k < prices.length; k++) {
      if (book.priceAt(side, k) !== prices[k] || book.qtyAtLevel(side, k) !== ref.levelQty(side, prices[k]!)) {
        throw new Error(`event ${at}: level ${k} side ${side}: book ${book.priceAt(side, k)} x ${book.qtyAtLevel(side, k)}, reference ${prices[k]} x ${ref.levelQty(side, prices[k]!)}`);
      }
    }
    expect(book.priceAt(side, prices.length)).toBeNaN();
    for (const price of prices) {
      const ids = ref.levels[side === 1 ? 0 : 1]!.get(price)!;
      let ahead = 0;
      ids.forEach((id, pos) => {
        const o = ref.orders.get(id)!;
        if (book.queuePosition(id) !== pos || book.queueAhead(id) !== ahead || book.orderPriority(id) !== o.priority || book.orderQty(id) !== o.qty) {
          throw new Error(`event ${at}: order ${id} at ${price}: book pos ${book.queuePosition(id)} ahead ${book.queueAhead(id)} prio ${book.orderPriority(id)}, reference ${pos} ${ahead} ${o.priority}`);
        }
        ahead += o.qty;
      });
    }
  }
}

function compareTop(book: L3Book, ref: ReferenceBook, at: number): void {
  const bids = ref.levels[0]!;
  const asks = ref.levels[1]!;
  let bb = NaN;
  for (const p of bids.keys()) if (!(p <= bb)) bb = p;
  let ba = NaN;
  for (const p of asks.keys()) if (!(p >= ba)) ba = p;
  if (!Object.is(book.bestBid(), bb) || !Object.is(book.bestAsk(), ba)) throw new Error(`event ${at}: top ${book.bestBid()}/${book.bestAsk()} vs reference ${bb}/${ba}`);
  if (bids.size > 0 && book.bestBidQty() !== ref.levelQty(1, bb)) throw new Error(`event ${at}: best bid qty ${book.bestBidQty()} vs ${ref.levelQty(1, bb)}`);
}

/** Adversarial stream, applied to both books directly (method calls). */
function runAdversarial(seed: number, events: number, options: { farPrices: boolean; hugeIds: boolean }): { book: L3Book; ref: ReferenceBook } {
  const r: Rng = rng(seed);
  const book = new L3Book({ initialOrders: 16 });
  const ref = new ReferenceBook();
  const live: number[] = [];
  const dead: number[] = [];
  let nextId = 1;
  let mid = 100_000;
  const pickLive = () => {
    while (live.length > 0) {
      const j = r.int(live.length);
      const id = live[j]!;
      if (ref.orders.has(id)) return id;
      live[j] = live[live.length - 1]!;
      live.pop();
    }
    return -1;
  };
  const newId = () => (options.hugeIds && r.float() < 0.3 ? Number.MAX_SAFE_INTEGER - r.int(1 << 30) * 4096 : nextId++);
  const price = () => {
    if (options.farPrices && r.float() < 0.0005) return mid + (r.float() < 0.5 ? -1 : 1) * (50_000 + r.int(200_000));
    return mid - 40 + r.int(80);
  };
  for (let e = 0; e < events; e++) {
    if (e % 5000 === 0) mid += r.int(2001) - 1000; // drifts far enough to re-centre the ladders
    const u = r.float();
    if (u < 0.3 || live.length < 50) {
      let id = newId();
      if (r.float() < 0.03) id = pickLive() > 0 ? pickLive() : id; // re-add a live id
      else if (r.float() < 0.03 && dead.length > 0) id = dead[r.int(dead.length)]!; // re-add a dead id
      const side = r.float() < 0.5 ? 1 : -1;
      const q = 1 + r.int(20);
      const p = price();
      book.add(id, side, p, q);
      ref.add(id, side, p, q);
      live.push(id);
    } else if (u < 0.45) {
      const id = r.float() < 0.1 ? 1e15 + r.int(1000) : pickLive();
      const q = 1 + r.int(8);
      book.reduce(id, q);
      ref.take(id, q);
    } else if (u < 0.6) {
      const id = r.float() < 0.1 ? (dead.length > 0 ? dead[r.int(dead.length)]! : -5) : pickLive();
      book.delete(id);
      ref.delete(id);
      if (dead.length < 10_000) dead.push(id);
    } else if (u < 0.8) {
      const id = r.float() < 0.05 ? 7e14 + r.int(1000) : pickLive();
      const o = ref.orders.get(id);
      const v = r.float();
      const p = o === undefined ? price() : v < 0.3 ? price() : o.price;
      const q = o === undefined ? 1 + r.int(10) : v < 0.5 ? o.qty + 1 + r.int(5) : v < 0.8 ? Math.max(0, o.qty - 1 - r.int(3)) : v < 0.95 ? o.qty : -1;
      book.modify(id, p, q);
      ref.modify(id, p, q);
    } else if (u < 0.99995) {
      const id = r.float() < 0.05 ? 3e14 + r.int(1000) : pickLive();
      const o = ref.orders.get(id);
      const q = o === undefined ? 1 : r.float() < 0.1 ? o.qty + 3 : 1 + r.int(o.qty);
      book.execute(id, q);
      ref.take(id, q);
    } else {
      book.clear();
      ref.clear();
      live.length = 0;
    }
    compareTop(book, ref, e);
    if (e % 25_000 === 0) compareFull(book, ref, e);
  }
  compareFull(book, ref, events);
  return { book, ref };
}

describe("L3Book vs reference book", () => {
  it("1.2M adversarial events: unknown ids, re-adds, price and size changes, over-fills, huge ids, far prices", () => {
    const { book, ref } = runAdversarial(20240601, 1_200_000, { farPrices: true, hugeIds: true });
    expect(book.stats.unknownIdEvents).toBe(ref.unknown);
    expect(book.stats.negativeQtyEvents).toBe(ref.negative);
    expect(book.stats.duplicateAddEvents).toBe(ref.duplicate);
    expect(ref.unknown).toBeGreaterThan(10_000);
    expect(ref.negative).toBeGreaterThan(1_000);
    expect(ref.duplicate).toBeGreaterThan(1_000);
  });

  it("0.8M events with another seed, dense prices", () => {
    const { book, ref } = runAdversarial(7, 800_000, { farPrices: false, hugeIds: false });
    expect(book.stats.unknownIdEvents).toBe(ref.unknown);
  });

  it("the generator's 1M-row L3 stream through apply()", () => {
    const batch = generateTicks({ events: 1_000_000, seed: 11, mode: "l3" });
    const book = new L3Book();
    const ref = new ReferenceBook();
    for (let i = 0; i < batch.length; i++) {
      book.apply(batch, i);
      ref.apply(batch, i);
      compareTop(book, ref, i);
      if (i % 50_000 === 0) compareFull(book, ref, i);
    }
    compareFull(book, ref, batch.length);
    // The generator only names live ids and never over-fills.
    expect(book.stats.unknownIdEvents).toBe(0);
    expect(book.stats.negativeQtyEvents).toBe(0);
    expect(book.stats.events).toBe(1_000_000);
  });
});
