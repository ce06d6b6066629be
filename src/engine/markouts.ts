/**
 * Exact mids for fill markouts. A markout compares the mid at fill time + h with the mid at the
 * fill; equity is sampled only on a grid (1 s by default) and at fills, so a mid read from the
 * equity samples at +100 ms would usually be the fill's own mid and the markout would read 0.
 * The engine therefore samples the exchange-side mid of the fill's instrument at exactly
 * fill time + h for each horizon: the book as of every event stamped ≤ that time, the same rule
 * as the equity grid. Targets after the last event stay NaN (the run ended before them).
 *
 * Cost: one comparison per event while a target is pending (`nextT`), and one pass per horizon
 * over the fills; per-horizon cursors work because fills arrive in time order.
 */
import type { SimBook } from "./book-types.js";
import { grownColumn } from "./grow.js";
import type { FillRecorder } from "./portfolio.js";

export class MarkoutSampler {
  readonly horizonsNs: Float64Array;
  /** Mid in ticks of the fill's instrument at fill time + horizon h: `midTicks[fill * H + h]`. */
  midTicks: Float64Array;
  /** Earliest pending target time (Infinity when none). */
  nextT = Infinity;
  private readonly cursor: Int32Array;

  constructor(
    horizonsNs: readonly number[],
    private readonly fills: FillRecorder,
    private readonly books: readonly SimBook[],
  ) {
    this.horizonsNs = Float64Array.from(horizonsNs);
    this.cursor = new Int32Array(horizonsNs.length);
    this.midTicks = new Float64Array(256 * Math.max(1, horizonsNs.length)).fill(NaN);
  }

  /** Called after fill `j` was recorded. */
  onFill(j: number): void {
    const H = this.horizonsNs.length;
    if (H === 0) return;
    if ((j + 1) * H > this.midTicks.length) {
      const old = this.midTicks.length;
      this.midTicks = grownColumn(this.midTicks, old * 4);
      this.midTicks.fill(NaN, old);
    }
    const t = this.fills.t[j]! + this.horizonsNs[0]!;
    if (t < this.nextT) this.nextT = t;
  }

  /** Samples every target strictly before `t` (the books hold every event stamped < t). */
  sampleBefore(t: number): void {
    const H = this.horizonsNs.length;
    const fills = this.fills;
    let next = Infinity;
    for (let h = 0; h < H; h++) {
      const horizon = this.horizonsNs[h]!;
      let p = this.cursor[h]!;
      while (p < fills.length && fills.t[p]! + horizon < t) {
        const book = this.books[fills.instrument[p]!]!;
        this.midTicks[p * H + h] = (book.bestBid() + book.bestAsk()) / 2;
        p++;
      }
      this.cursor[h] = p;
      if (p < fills.length) {
        const target = fills.t[p]! + horizon;
        if (target < next) next = target;
      }
    }
    this.nextT = next;
  }

  /** At the end of the run: samples the targets at or before the last event. */
  finish(endT: number): void {
    this.sampleBefore(endT + 1);
  }
}
