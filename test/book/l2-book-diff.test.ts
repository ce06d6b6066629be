/**
 * Differential test: L2Book against an obviously-correct reference (a Map of price -> size per side
 * plus a sorted price array) after EVERY event, on more than 2 million seeded events: the
 * generator's L2 stream and adversarial streams (prices millions of ticks away that force the
 * dense window to re-centre or spill into the overflow, empty sides, deletes of absent levels,
 * snapshots, clears of one or both sides, BBO rows that remove better levels, rows the book must
 * ignore: trades, L3 rows, NoBookEffect rows).
 *
 * Rules the reference encodes (src/data/tick-batch.ts, src/book/l2-book.ts):
 * - LevelSet: size = new total; size <= 0 or NaN deletes; side 0 ignored.
 * - Clear: side 1 / -1 clears that side, 0 both.
 * - Bbo: NaN price ignored; otherwise removes every level strictly better than the price on that
 *   side, then sets the level (size 0 deletes it).
 * - A LevelSet flagged Snapshot clears both sides first unless the previous book row (LevelSet,
 *   Clear, Bbo) was a Snapshot row without the Last flag. Trades and L3 rows neither change the
 *   book nor end a snapshot; NoBookEffect rows are skipped entirely.
 */
import { describe, expect, it } from "vitest";
import { L2Book } from "../../src/book/index.js";
import { rng, type Rng } from "../../src/core/index.js";
import { EventFlag, EventKind, TickBatchBuilder, generateTicks, type TickBatch } from "../../src/data/index.js";

class RefSide {
  readonly qty = new Map<number, number>();
  /** Prices sorted best first. */
  sorted: number[] = [];
  constructor(readonly side: 1 | -1) {}

  private better(a: number, b: number): boolean {
    return this.side === 1 ? a > b : a < b;
  }

  /** First index whose price is not better than `price` (binary search over the sorted array). */
  private position(price: number): number {
    let lo = 0, hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.better(this.sorted[mid]!, price)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  set(price: number, q: number): void {
    const had = this.qty.has(price);
    if (!(q > 0)) {
      if (had) {
        this.qty.delete(price);
        this.sorted.splice(this.position(price), 1);
      }
      return;
    }
    this.qty.set(price, q);
    if (!had) this.sorted.splice(this.position(price), 0, price);
  }

  clear(): void {
    this.qty.clear();
    this.sorted = [];
  }

  removeBetterThan(price: number): void {
    while (this.sorted.length > 0 && this.better(this.sorted[0]!, price)) this.set(this.sorted[0]!, 0);
  }
}

class ReferenceBook {
  readonly bids = new RefSide(1);
  readonly asks = new RefSide(-1);
  private inSnapshot = false;

  sideOf(side: 1 | -1): RefSide {
    return side === 1 ? this.bids : this.asks;
  }

  apply(batch: TickBatch, i: number): void {
    const flags = batch.flags[i]!;
    if (flags & EventFlag.NoBookEffect) return;
    const kind = batch.kind[i]!;
    const side = batch.side[i]!;
    const price = batch.priceTicks[i]!;
    const q = batch.qtyLots[i]!;
    if (kind === EventKind.LevelSet) {
      if (flags & EventFlag.Snapshot) {
        if (!this.inSnapshot) {
          this.bids.clear();
          this.asks.clear();
        }
        this.inSnapshot = (flags & EventFlag.Last) === 0;
      } else this.inSnapshot = false;
      if (side === 1 || side === -1) this.sideOf(side).set(price, q);
    } else if (kind === EventKind.Clear) {
      this.inSnapshot = false;
      if (side !== -1) this.bids.clear();
      if (side !== 1) this.asks.clear();
    } else if (kind === EventKind.Bbo) {
      this.inSnapshot = false;
      if (Number.isNaN(price) || (side !== 1 && side !== -1)) return;
      this.sideOf(side).removeBetterThan(price);
      this.sideOf(side).set(price, q);
    }
  }
}

const nanToNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** Compares the touch, counts and one random probe after every event; every level every `fullEvery` events. */
function replayAndCompare(batch: TickBatch, r: Rng, fullEvery: number): number {
  const book = new L2Book();
  const ref = new ReferenceBook();
  let checks = 0;
  const fail = (i: number, what: string, got: unknown, want: unknown): never => {
    throw new Error(`row ${i} (kind ${batch.kind[i]}, side ${batch.side[i]}, price ${batch.priceTicks[i]}, qty ${batch.qtyLots[i]}, flags ${batch.flags[i]}): ${what}: L2Book ${String(got)}, reference ${String(want)}`);
  };
  for (let i = 0; i < batch.length; i++) {
    book.apply(batch, i);
    ref.apply(batch, i);
    for (const side of [1, -1] as const) {
      const s = ref.sideOf(side);
      const bestPrice = s.sorted.length > 0 ? s.sorted[0]! : NaN;
      const bestQty = s.sorted.length > 0 ? s.qty.get(bestPrice)! : NaN;
      const gotPrice = side === 1 ? book.bestBid() : book.bestAsk();
      const gotQty = side === 1 ? book.bestBidQty() : book.bestAskQty();
      if (nanToNull(gotPrice) !== nanToNull(bestPrice)) fail(i, `best price side ${side}`, gotPrice, bestPrice);
      if (nanToNull(gotQty) !== nanToNull(bestQty)) fail(i, `best qty side ${side}`, gotQty, bestQty);
      if (book.levelCount(side) !== s.sorted.length) fail(i, `level count side ${side}`, book.levelCount(side), s.sorted.length);
      // One random probe: a size at a price near the touch, and a level by rank.
      const probe = (Number.isNaN(bestPrice) ? 0 : bestPrice) + r.int(41) - 20;
      if (book.qtyAt(side, probe) !== (s.qty.get(probe) ?? 0)) fail(i, `qtyAt(${side}, ${probe})`, book.qtyAt(side, probe), s.qty.get(probe) ?? 0);
      const k = r.int(Math.min(s.sorted.length + 2, 12));
      const wantK = k < s.sorted.length ? s.sorted[k]! : NaN;
      if (nanToNull(book.priceAt(side, k)) !== nanToNull(wantK)) fail(i, `priceAt(${side}, ${k})`, book.priceAt(side, k), wantK);
      const wantQk = k < s.sorted.length ? s.qty.get(wantK)! : NaN;
      if (nanToNull(book.qtyAtLevel(side, k)) !== nanToNull(wantQk)) fail(i, `qtyAtLevel(${side}, ${k})`, book.qtyAtLevel(side, k), wantQk);
      checks++;
    }
    const bb = ref.bids.sorted[0] ?? NaN;
    const ba = ref.asks.sorted[0] ?? NaN;
    if (book.isCrossed() !== bb > ba) fail(i, "isCrossed", book.isCrossed(), bb > ba);
    if (book.isLocked() !== (bb === ba)) fail(i, "isLocked", book.isLocked(), bb === ba);
    if (nanToNull(book.spread()) !== nanToNull(ba - bb)) fail(i, "spread", book.spread(), ba - bb);
    if (nanToNull(book.mid()) !== nanToNull((ba + bb) / 2)) fail(i, "mid", book.mid(), (ba + bb) / 2);
    if (i % fullEvery === 0) {
      for (const side of [1, -1] as const) {
        const s = ref.sideOf(side);
        const n = Math.min(s.sorted.length, 64);
        for (let k = 0; k < n; k++) {
          const p = s.sorted[k]!;
          if (book.priceAt(side, k) !== p) fail(i, `full: priceAt(${side}, ${k})`, book.priceAt(side, k), p);
          if (book.qtyAtLevel(side, k) !== s.qty.get(p)) fail(i, `full: qtyAtLevel(${side}, ${k})`, book.qtyAtLevel(side, k), s.qty.get(p));
          if (book.qtyAt(side, p) !== s.qty.get(p)) fail(i, `full: qtyAt(${side}, ${p})`, book.qtyAt(side, p), s.qty.get(p));
        }
      }
    }
  }
  return checks;
}

/**
 * Adversarial rows. Prices mostly cluster around a drifting centre (so the dense window is used),
 * with jumps of up to 10^8 ticks (window re-centre and overflow), deletes that often hit absent
 * levels, sides emptied by clears, snapshots of random length, BBO rows, and ignored rows.
 */
function adversarial(events: number, seed: number): TickBatch {
  const r = rng(seed);
  const b = new TickBatchBuilder(events);
  let centre = 50_000;
  let snapshotLeft = 0;
  const price = (): number => {
    const u = r.float();
    if (u < 0.9) return centre + r.int(61) - 30;
    if (u < 0.97) return centre + r.int(200_001) - 100_000;
    return centre + r.int(200_000_001) - 100_000_000;
  };
  const sideOf = (): 1 | -1 => (r.float() < 0.5 ? 1 : -1);
  while (b.length < events) {
    if (snapshotLeft > 0) {
      snapshotLeft--;
      const flags = EventFlag.Snapshot | (snapshotLeft === 0 ? EventFlag.Last : 0);
      b.push(0n, 0n, EventKind.LevelSet, sideOf(), price(), 1 + r.int(500), NaN, flags);
      continue;
    }
    const u = r.float();
    if (u < 0.001) centre += r.int(2_000_001) - 1_000_000; // regime jump
    else if (u < 0.02) centre += r.int(21) - 10;
    const v = r.float();
    if (v < 0.55) b.push(0n, 0n, EventKind.LevelSet, sideOf(), price(), 1 + r.int(1000));
    else if (v < 0.8) b.push(0n, 0n, EventKind.LevelSet, sideOf(), price(), r.float() < 0.9 ? 0 : r.float() < 0.5 ? NaN : -5);
    else if (v < 0.81) b.push(0n, 0n, EventKind.Clear, r.float() < 0.4 ? 0 : sideOf(), NaN, NaN);
    else if (v < 0.815) snapshotLeft = 1 + r.int(60);
    else if (v < 0.86) b.push(0n, 0n, EventKind.Bbo, sideOf(), r.float() < 0.05 ? NaN : price(), r.float() < 0.1 ? 0 : 1 + r.int(300));
    else if (v < 0.9) b.push(0n, 0n, EventKind.Trade, sideOf(), price(), 1 + r.int(50));
    else if (v < 0.95) b.push(0n, 0n, [EventKind.Add, EventKind.Reduce, EventKind.Delete, EventKind.Execute, EventKind.Modify][r.int(5)]!, sideOf(), price(), 1 + r.int(50), r.int(1000));
    else if (v < 0.97) b.push(0n, 0n, EventKind.LevelSet, sideOf(), price(), 1 + r.int(50), NaN, EventFlag.NoBookEffect);
    else if (v < 0.98) b.push(0n, 0n, EventKind.LevelSet, 0, price(), 7);
    else if (v < 0.985) b.push(0n, 0n, EventKind.Halt, 0, NaN, NaN);
    else {
      // A run of deletes walking down from the touch area: empties a side level by level.
      const side = sideOf();
      for (let k = 0; k < 61 && b.length < events; k++) b.push(0n, 0n, EventKind.LevelSet, side, centre + (side === 1 ? 30 - k : k - 30), 0);
    }
  }
  return b.build([]);
}

describe("L2Book differential test against a sorted-array reference", () => {
  it("agrees on 1,000,000 generated L2 events after every event", () => {
    const batch = generateTicks({ events: 1_000_000, seed: 7, mode: "l2" });
    expect(batch.length).toBe(1_000_000);
    const checks = replayAndCompare(batch, rng(1), 997);
    expect(checks).toBe(2_000_000);
  });

  it("agrees on 1,200,000 adversarial events after every event (far prices, empty sides, snapshots, clears, BBO)", () => {
    let total = 0;
    for (const seed of [11, 12, 13]) {
      const batch = adversarial(400_000, seed);
      // The stream really visits the cases it is meant to cover.
      let snapshots = 0, clears = 0, bbos = 0, far = 0;
      for (let i = 0; i < batch.length; i++) {
        if (batch.flags[i]! & EventFlag.Snapshot) snapshots++;
        if (batch.kind[i] === EventKind.Clear) clears++;
        if (batch.kind[i] === EventKind.Bbo) bbos++;
        if (Math.abs(batch.priceTicks[i]! - 50_000) > 1_000_000) far++;
      }
      expect(Math.min(snapshots, clears, bbos, far)).toBeGreaterThan(1_000);
      total += batch.length;
      replayAndCompare(batch, rng(seed + 100), 101);
    }
    expect(total).toBe(1_200_000);
  });

  it("a small window (16 ticks) exercises overflow and re-centring on every few events", () => {
    // Same reference, but the book's dense window is tiny, so nearly every far level lives in the overflow.
    const batch = adversarial(100_000, 99);
    const book = new L2Book({ windowTicks: 16 });
    const ref = new ReferenceBook();
    for (let i = 0; i < batch.length; i++) {
      book.apply(batch, i);
      ref.apply(batch, i);
      for (const side of [1, -1] as const) {
        const s = ref.sideOf(side);
        if (book.levelCount(side) !== s.sorted.length) throw new Error(`row ${i}: level count side ${side}: ${book.levelCount(side)} vs ${s.sorted.length}`);
        const n = Math.min(s.sorted.length, 8);
        for (let k = 0; k < n; k++) {
          const p = s.sorted[k]!;
          if (book.priceAt(side, k) !== p || book.qtyAtLevel(side, k) !== s.qty.get(p)) throw new Error(`row ${i}: side ${side} level ${k}: ${book.priceAt(side, k)} x ${book.qtyAtLevel(side, k)} vs ${p} x ${s.qty.get(p)}`);
        }
      }
    }
    expect(batch.length).toBe(100_000);
  });

  it("hand-worked example: BBO removes better levels, a snapshot replaces the book, clear(side)", () => {
    const b = new TickBatchBuilder();
    b.push(0n, 0n, EventKind.LevelSet, 1, 100, 5);
    b.push(0n, 0n, EventKind.LevelSet, 1, 99, 7);
    b.push(0n, 0n, EventKind.LevelSet, -1, 102, 3);
    b.push(0n, 0n, EventKind.Bbo, 1, 99, 4); // removes 100, 99 -> 4
    b.push(0n, 0n, EventKind.LevelSet, 1, 101, 2, NaN, EventFlag.Snapshot);
    b.push(0n, 0n, EventKind.LevelSet, -1, 103, 6, NaN, EventFlag.Snapshot | EventFlag.Last);
    const batch = b.build([]);
    const book = new L2Book();
    for (let i = 0; i < 4; i++) book.apply(batch, i);
    expect([book.bestBid(), book.bestBidQty(), book.levelCount(1), book.bestAsk(), book.spread()]).toEqual([99, 4, 1, 102, 3]);
    book.apply(batch, 4);
    book.apply(batch, 5);
    expect([book.bestBid(), book.bestBidQty(), book.bestAsk(), book.bestAskQty(), book.levelCount(1), book.levelCount(-1)]).toEqual([101, 2, 103, 6, 1, 1]);
    book.clear(-1);
    expect([book.bestBid(), book.bestAsk(), book.levelCount(-1)]).toEqual([101, NaN, 0]);
  });
});
