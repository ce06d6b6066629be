/**
 * The strategy's books as `ctx.book()` hands them out: the book as received (after feed latency),
 * read through the book layer's features (src/book/features.ts) so a feature has one formula
 * whether a notebook computes it over a batch or a strategy reads it live.
 */
import type { InstrumentSpec } from "../../core/index.js";
import { depth, imbalanceOf, microprice, mid, spread } from "../../book/index.js";
import type { SimBook } from "../book-types.js";
import type { BookView } from "../strategy-types.js";

export class LocalBookView implements BookView {
  constructor(
    readonly instrument: number,
    readonly spec: InstrumentSpec,
    private readonly book: SimBook,
  ) {}
  bestBid(): number {
    return this.book.bestBid();
  }
  bestAsk(): number {
    return this.book.bestAsk();
  }
  bestBidQty(): number {
    return this.book.bestBidQty();
  }
  bestAskQty(): number {
    return this.book.bestAskQty();
  }
  mid(): number {
    return mid(this.book);
  }
  spread(): number {
    return spread(this.book);
  }
  qtyAt(side: 1 | -1, priceTicks: number): number {
    return this.book.qtyAt(side, priceTicks);
  }
  levelCount(side: 1 | -1): number {
    return this.book.levelCount(side);
  }
  priceAt(side: 1 | -1, k: number): number {
    return this.book.priceAt(side, k);
  }
  qtyAtLevel(side: 1 | -1, k: number): number {
    return this.book.qtyAtLevel(side, k);
  }
  imbalance(levels = 1): number {
    if (levels <= 1) {
      // The touch's sizes directly (an empty side as 0), also for levels < 1, which `depth` would
      // count as no level at all.
      let b = this.book.bestBidQty();
      let a = this.book.bestAskQty();
      if (b !== b) b = 0;
      if (a !== a) a = 0;
      return imbalanceOf(b, a);
    }
    return imbalanceOf(depth(this.book, 1, levels), depth(this.book, -1, levels));
  }
  microprice(): number {
    return microprice(this.book);
  }
}
