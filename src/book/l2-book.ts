/**
 * L2 price-level book. Prices are integer ticks, sizes are lots, NaN means "none".
 *
 * Each side keeps a dense window of levels indexed by price (a Float64Array of sizes) around its
 * touch, plus a small sorted overflow for levels far from it (a REST snapshot can list a 200,000.00
 * ask next to a 61,800.00 touch: 14 million ticks apart). Written by hand rather than with a
 * sorted map because every event is then an array store plus, only when the best level empties,
 * a short scan: replay runs at tens of millions of events per second with no allocation.
 *
 * Both sides share one implementation over a "key" where larger is better: key = price for bids,
 * key = -price for asks. Invariant: when a side has levels, its best level is inside its window,
 * and every overflow level is worse than every window position.
 */
import { LabError } from "../core/index.js";
import { EventFlag, EventKind, type TickBatch } from "../data/index.js";

/** "None" (no level, no such order) as a module constant, not a literal NaN: see docs/architecture.md, "Hot paths". */
const ABSENT = NaN;

const DEFAULT_WINDOW = 1 << 15;

class SideLadder {
  private qty: Float64Array;
  private readonly size: number;
  private readonly headroom: number;
  /** Key of window index 0; NaN until the first level arrives. */
  private base = NaN;
  /**
   * Window index of the best level, -1 when the window is empty. Computed from Float64 keys, so it
   * is a double field from the first instance (NaN first, then -1): see docs/architecture.md,
   * "Hot paths", on field representations.
   */
  private bestIdx = NaN;
  /** Non-zero levels inside the window. */
  private count = 0;
  /** Overflow: keys ascending (all below `base`), with their sizes. */
  private overKeys = new Float64Array(16);
  private overQty = new Float64Array(16);
  private overCount = 0;

  constructor(windowSize: number) {
    this.size = windowSize;
    this.headroom = windowSize >> 2;
    this.qty = new Float64Array(windowSize);
    this.bestIdx = -1;
  }

  levels(): number {
    return this.count + this.overCount;
  }

  bestKey(): number {
    return this.bestIdx >= 0 ? this.base + this.bestIdx : ABSENT;
  }

  bestQty(): number {
    return this.bestIdx >= 0 ? this.qty[this.bestIdx]! : ABSENT;
  }

  qtyAtKey(key: number): number {
    const idx = key - this.base;
    if (idx >= 0 && idx < this.size) return this.qty[idx]!;
    const o = this.findOver(key);
    return o >= 0 ? this.overQty[o]! : 0;
  }

  set(key: number, q: number): void {
    if (!(q > 0)) q = 0;
    const idx = key - this.base;
    if (idx >= 0 && idx < this.size) {
      const old = this.qty[idx]!;
      this.qty[idx] = q;
      if (old === 0) {
        if (q === 0) return;
        this.count++;
        if (idx > this.bestIdx) this.bestIdx = idx;
      } else if (q === 0) {
        this.count--;
        if (idx === this.bestIdx) this.dropBest();
      }
      return;
    }
    if (q === 0) {
      if (idx < 0) this.removeOver(key);
      return; // nothing can rest above the window (see invariant)
    }
    if (idx >= this.size || this.count === 0 || Number.isNaN(idx)) {
      this.recenter(key, q);
      return;
    }
    this.insertOver(key, q);
  }

  /** Removes every level strictly better than `key`. */
  removeBetterThan(key: number): void {
    while (this.bestIdx >= 0 && this.base + this.bestIdx > key) this.set(this.base + this.bestIdx, 0);
  }

  clear(): void {
    if (this.count > 0) this.qty.fill(0);
    this.count = 0;
    this.bestIdx = -1;
    this.overCount = 0;
  }

  /** k-th best level's key (k = 0 is best), NaN when there are fewer levels. */
  keyAt(k: number): number {
    if (k < this.count) {
      let seen = 0;
      for (let i = this.bestIdx; i >= 0; i--) {
        if (this.qty[i]! > 0) {
          if (seen === k) return this.base + i;
          seen++;
        }
      }
      return ABSENT;
    }
    const o = this.overCount - 1 - (k - this.count);
    return o >= 0 ? this.overKeys[o]! : ABSENT;
  }

  qtyAtRank(k: number): number {
    if (k < this.count) {
      let seen = 0;
      for (let i = this.bestIdx; i >= 0; i--) {
        const q = this.qty[i]!;
        if (q > 0) {
          if (seen === k) return q;
          seen++;
        }
      }
      return ABSENT;
    }
    const o = this.overCount - 1 - (k - this.count);
    return o >= 0 ? this.overQty[o]! : ABSENT;
  }

  /** Fills keys/qtys with up to `n` best levels; returns how many were written. */
  top(n: number, keys: Float64Array, qtys: Float64Array): number {
    let w = 0;
    for (let i = this.bestIdx; i >= 0 && w < n; i--) {
      const q = this.qty[i]!;
      if (q > 0) {
        keys[w] = this.base + i;
        qtys[w++] = q;
      }
    }
    for (let o = this.overCount - 1; o >= 0 && w < n; o--) {
      keys[w] = this.overKeys[o]!;
      qtys[w++] = this.overQty[o]!;
    }
    return w;
  }

  /** Sum of sizes over the `n` best levels. */
  depth(n: number): number {
    let total = 0;
    let w = 0;
    for (let i = this.bestIdx; i >= 0 && w < n; i--) {
      const q = this.qty[i]!;
      if (q > 0) {
        total += q;
        w++;
      }
    }
    for (let o = this.overCount - 1; o >= 0 && w < n; o--, w++) total += this.overQty[o]!;
    return total;
  }

  private dropBest(): void {
    if (this.count === 0) {
      this.bestIdx = -1;
      if (this.overCount > 0) this.recenter(NaN, 0);
      return;
    }
    let i = this.bestIdx - 1;
    while (this.qty[i] === 0) i--;
    this.bestIdx = i;
    // The touch drifted to the bottom of the window: re-centre before levels pile into the overflow.
    if (i < this.size >> 3 && this.overCount > 0) this.recenter(NaN, 0);
  }

  /** Re-places every level so the best one sits `headroom` below the window top. */
  private recenter(extraKey: number, extraQty: number): void {
    const total = this.count + this.overCount + 1;
    const keys = new Float64Array(total);
    const qtys = new Float64Array(total);
    let n = 0;
    for (let o = 0; o < this.overCount; o++) {
      keys[n] = this.overKeys[o]!;
      qtys[n++] = this.overQty[o]!;
    }
    if (this.count > 0) {
      for (let i = 0; i <= this.bestIdx; i++) {
        const q = this.qty[i]!;
        if (q > 0) {
          keys[n] = this.base + i;
          qtys[n++] = q;
        }
      }
      this.qty.fill(0);
    }
    if (extraQty > 0) {
      // Keep ascending order: the extra level is better than all window levels or below base.
      let at = n;
      while (at > 0 && keys[at - 1]! > extraKey) at--;
      keys.copyWithin(at + 1, at, n);
      qtys.copyWithin(at + 1, at, n);
      keys[at] = extraKey;
      qtys[at] = extraQty;
      n++;
    }
    this.count = 0;
    this.overCount = 0;
    this.bestIdx = -1;
    if (n === 0) return;
    const best = keys[n - 1]!;
    this.base = best - (this.size - 1 - this.headroom);
    for (let j = 0; j < n; j++) {
      const idx = keys[j]! - this.base;
      if (idx >= 0) {
        this.qty[idx] = qtys[j]!;
        this.count++;
        if (idx > this.bestIdx) this.bestIdx = idx;
      } else {
        this.appendOver(keys[j]!, qtys[j]!);
      }
    }
  }

  private findOver(key: number): number {
    let lo = 0, hi = this.overCount - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const k = this.overKeys[mid]!;
      if (k === key) return mid;
      if (k < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1 - lo;
  }

  private growOver(): void {
    const keys = new Float64Array(this.overKeys.length * 2);
    const qtys = new Float64Array(this.overKeys.length * 2);
    keys.set(this.overKeys);
    qtys.set(this.overQty);
    this.overKeys = keys;
    this.overQty = qtys;
  }

  private appendOver(key: number, q: number): void {
    if (this.overCount === this.overKeys.length) this.growOver();
    this.overKeys[this.overCount] = key;
    this.overQty[this.overCount++] = q;
  }

  private insertOver(key: number, q: number): void {
    const found = this.findOver(key);
    if (found >= 0) {
      this.overQty[found] = q;
      return;
    }
    const at = -1 - found;
    if (this.overCount === this.overKeys.length) this.growOver();
    this.overKeys.copyWithin(at + 1, at, this.overCount);
    this.overQty.copyWithin(at + 1, at, this.overCount);
    this.overKeys[at] = key;
    this.overQty[at] = q;
    this.overCount++;
  }

  private removeOver(key: number): void {
    const found = this.findOver(key);
    if (found < 0) return;
    this.overKeys.copyWithin(found, found + 1, this.overCount);
    this.overQty.copyWithin(found, found + 1, this.overCount);
    this.overCount--;
  }
}

export interface L2BookOptions {
  /** Dense window width in ticks per side (levels farther from the touch go to a sorted overflow). @default 32768 */
  windowTicks?: number;
}

export class L2Book {
  private readonly bids: SideLadder;
  private readonly asks: SideLadder;
  /** The previous book row was part of a snapshot (a new snapshot starts by clearing). */
  private inSnapshot = false;

  constructor(options: L2BookOptions = {}) {
    const w = options.windowTicks ?? DEFAULT_WINDOW;
    if (!Number.isInteger(w) || w < 16) {
      throw new LabError({ code: "BAD_OPTION", message: `windowTicks must be an integer >= 16, got ${w}`, hint: "leave it unset for the default (32768)" });
    }
    this.bids = new SideLadder(w);
    this.asks = new SideLadder(w);
  }

  /**
   * Applies row `i`: LevelSet (qty = new total, 0 deletes), Clear (side 0 = both), Bbo (sets the
   * best level of that side and removes better ones). Rows flagged NoBookEffect, trades and L3
   * rows do not change an L2 book. The first Snapshot row after a non-snapshot row (or after a
   * snapshot's Last row) clears the book first.
   */
  apply(batch: TickBatch, i: number): void {
    const flags = batch.flags[i]!;
    if (flags & EventFlag.NoBookEffect) return;
    const kind = batch.kind[i]!;
    if (kind === EventKind.LevelSet) {
      if (flags & EventFlag.Snapshot) {
        if (!this.inSnapshot) this.clear(0);
        this.inSnapshot = (flags & EventFlag.Last) === 0;
      } else this.inSnapshot = false;
      const side = batch.side[i]!;
      const price = batch.priceTicks[i]!;
      if (Number.isNaN(price)) return; // a row without a price cannot name a level
      if (side === 1) this.bids.set(price, batch.qtyLots[i]!);
      else if (side === -1) this.asks.set(-price, batch.qtyLots[i]!);
    } else if (kind === EventKind.Clear) {
      this.inSnapshot = false;
      this.clear(batch.side[i] as 1 | -1 | 0);
    } else if (kind === EventKind.Bbo) {
      this.inSnapshot = false;
      const side = batch.side[i]!;
      const price = batch.priceTicks[i]!;
      if (Number.isNaN(price)) return;
      if (side === 1) {
        this.bids.removeBetterThan(price);
        this.bids.set(price, batch.qtyLots[i]!);
      } else if (side === -1) {
        this.asks.removeBetterThan(-price);
        this.asks.set(-price, batch.qtyLots[i]!);
      }
    }
  }

  /** Applies rows [start, end). */
  applyRange(batch: TickBatch, start = 0, end = batch.length): void {
    for (let i = start; i < end; i++) this.apply(batch, i);
  }

  setLevel(side: 1 | -1, priceTicks: number, qtyLots: number): void {
    if (Number.isNaN(priceTicks)) return;
    if (side === 1) this.bids.set(priceTicks, qtyLots);
    else this.asks.set(-priceTicks, qtyLots);
  }

  clear(side: 1 | -1 | 0 = 0): void {
    if (side !== -1) this.bids.clear();
    if (side !== 1) this.asks.clear();
  }

  bestBid(): number {
    return this.bids.bestKey();
  }

  bestAsk(): number {
    return -this.asks.bestKey();
  }

  bestBidQty(): number {
    return this.bids.bestQty();
  }

  bestAskQty(): number {
    return this.asks.bestQty();
  }

  qtyAt(side: 1 | -1, priceTicks: number): number {
    return side === 1 ? this.bids.qtyAtKey(priceTicks) : this.asks.qtyAtKey(-priceTicks);
  }

  levelCount(side: 1 | -1): number {
    return side === 1 ? this.bids.levels() : this.asks.levels();
  }

  /** Price of the k-th level from the top (k = 0 is best); NaN if absent. */
  priceAt(side: 1 | -1, k: number): number {
    return side === 1 ? this.bids.keyAt(k) : -this.asks.keyAt(k);
  }

  qtyAtLevel(side: 1 | -1, k: number): number {
    return side === 1 ? this.bids.qtyAtRank(k) : this.asks.qtyAtRank(k);
  }

  /** Writes up to `n` best levels of a side into the arrays; returns how many. */
  levels(side: 1 | -1, n: number, prices: Float64Array, qtys: Float64Array): number {
    if (side === 1) return this.bids.top(n, prices, qtys);
    const w = this.asks.top(n, prices, qtys);
    for (let k = 0; k < w; k++) prices[k] = -prices[k]!;
    return w;
  }

  /** Total size over the `n` best levels of a side. */
  depth(side: 1 | -1, n: number): number {
    return side === 1 ? this.bids.depth(n) : this.asks.depth(n);
  }

  /** (bid depth − ask depth) / (bid depth + ask depth) over `n` levels; NaN when both are empty. */
  imbalance(n = 1): number {
    const b = this.bids.depth(n);
    const a = this.asks.depth(n);
    return b + a > 0 ? (b - a) / (b + a) : ABSENT;
  }

  /** Mid in ticks (may be a half tick). */
  mid(): number {
    return (this.bestBid() + this.bestAsk()) / 2;
  }

  spread(): number {
    return this.bestAsk() - this.bestBid();
  }

  /** Size-weighted mid (Stoikov's microprice at one level): (bid·askQty + ask·bidQty)/(bidQty + askQty). */
  microprice(): number {
    const bq = this.bestBidQty();
    const aq = this.bestAskQty();
    return (this.bestBid() * aq + this.bestAsk() * bq) / (bq + aq);
  }

  isCrossed(): boolean {
    return this.bestBid() > this.bestAsk();
  }

  isLocked(): boolean {
    return this.bestBid() === this.bestAsk();
  }
}
