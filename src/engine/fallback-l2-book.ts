/**
 * A minimal price-level book the engine uses only when the book layer provides no `L2Book`
 * (the engine prefers the book layer's). Per side, sizes live in a tick-indexed window that
 * re-centres and doubles when a price falls outside it; the best price is tracked and, when the
 * best level empties, the next one is found by scanning the window. Rows: LevelSet (size at a
 * price; 0 deletes), Bbo (sets the touch; better levels on that side are removed), Clear (side,
 * or both when side is 0); other kinds do not change price levels.
 */
import { EventKind, type TickBatch } from "../data/index.js";
import type { SimBook } from "./book-types.js";

class Ladder {
  base = 0;
  qty = new Float64Array(0);
  best = NaN;
  count = 0;
  constructor(readonly side: 1 | -1) {}

  at(price: number): number {
    const i = price - this.base;
    return i >= 0 && i < this.qty.length ? this.qty[i]! : 0;
  }

  private fit(price: number): void {
    if (this.qty.length === 0) {
      this.qty = new Float64Array(4096);
      this.base = price - 2048;
      return;
    }
    let lo = this.base;
    let hi = this.base + this.qty.length;
    let size = this.qty.length;
    while (price < lo || price >= hi) {
      size *= 2;
      const mid = Math.floor((Math.min(lo, price) + Math.max(hi, price + 1)) / 2);
      lo = mid - size / 2;
      hi = lo + size;
    }
    const next = new Float64Array(size);
    next.set(this.qty, this.base - lo);
    this.qty = next;
    this.base = lo;
  }

  set(price: number, qty: number): void {
    if (!(qty > 0)) qty = 0;
    let i = price - this.base;
    if (i < 0 || i >= this.qty.length) {
      if (qty === 0) return;
      this.fit(price);
      i = price - this.base;
    }
    const before = this.qty[i]!;
    this.qty[i] = qty;
    if (before === 0 && qty > 0) {
      this.count++;
      if (this.best !== this.best || (this.side === 1 ? price > this.best : price < this.best)) this.best = price;
    } else if (before > 0 && qty === 0) {
      this.count--;
      if (price === this.best) this.best = this.count === 0 ? NaN : this.scanFrom(i);
    }
  }

  private scanFrom(i: number): number {
    const q = this.qty;
    if (this.side === 1) {
      for (let j = i - 1; j >= 0; j--) if (q[j]! > 0) return this.base + j;
    } else {
      for (let j = i + 1; j < q.length; j++) if (q[j]! > 0) return this.base + j;
    }
    return NaN;
  }

  /** Removes levels better than `price`. */
  removeBetter(price: number): void {
    while (this.count > 0 && (this.side === 1 ? this.best > price : this.best < price)) this.set(this.best, 0);
  }

  clear(): void {
    this.qty.fill(0);
    this.best = NaN;
    this.count = 0;
  }

  priceAt(k: number): number {
    if (k < 0 || k >= this.count) return NaN;
    let i = this.best - this.base;
    for (let found = 0; ; ) {
      if (this.qty[i]! > 0) {
        if (found === k) return this.base + i;
        found++;
      }
      i += this.side === 1 ? -1 : 1;
    }
  }
}

export class FallbackL2Book implements SimBook {
  private readonly bids = new Ladder(1);
  private readonly asks = new Ladder(-1);

  apply(batch: TickBatch, i: number): void {
    const kind = batch.kind[i]!;
    if (kind === EventKind.LevelSet) {
      (batch.side[i] === 1 ? this.bids : this.asks).set(batch.priceTicks[i]!, batch.qtyLots[i]!);
    } else if (kind === EventKind.Bbo) {
      const ladder = batch.side[i] === 1 ? this.bids : this.asks;
      const p = batch.priceTicks[i]!;
      if (p === p) {
        ladder.removeBetter(p);
        ladder.set(p, batch.qtyLots[i]!);
      }
    } else if (kind === EventKind.Clear) {
      const side = batch.side[i]!;
      if (side !== -1) this.bids.clear();
      if (side !== 1) this.asks.clear();
    }
  }
  bestBid(): number {
    return this.bids.best;
  }
  bestAsk(): number {
    return this.asks.best;
  }
  bestBidQty(): number {
    return this.bids.count === 0 ? NaN : this.bids.at(this.bids.best);
  }
  bestAskQty(): number {
    return this.asks.count === 0 ? NaN : this.asks.at(this.asks.best);
  }
  qtyAt(side: 1 | -1, priceTicks: number): number {
    return (side === 1 ? this.bids : this.asks).at(priceTicks);
  }
  levelCount(side: 1 | -1): number {
    return (side === 1 ? this.bids : this.asks).count;
  }
  priceAt(side: 1 | -1, k: number): number {
    return (side === 1 ? this.bids : this.asks).priceAt(k);
  }
  qtyAtLevel(side: 1 | -1, k: number): number {
    const p = this.priceAt(side, k);
    return p === p ? this.qtyAt(side, p) : NaN;
  }
}
