import { createHash } from "node:crypto";
import assert from "node:assert/strict";
import { describe, expect, it } from "vitest";
import { EventFlag, EventKind, TICK_COLUMN_NAMES, generateTicks, type TickBatch } from "../../src/data/index.js";

function hashBatch(batch: TickBatch): string {
  const h = createHash("sha256");
  for (const name of TICK_COLUMN_NAMES) {
    const col = batch[name];
    h.update(new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
  }
  return h.digest("hex");
}

function bestOf(levels: Map<number, number>, side: 1 | -1): number {
  let best = side > 0 ? -Infinity : Infinity;
  for (const [p, q] of levels) if (q > 0 && (side > 0 ? p > best : p < best)) best = p;
  return best;
}

describe("generateTicks determinism", () => {
  it.each(["l2", "l3"] as const)("%s: same seed gives the same bytes in every column, another seed does not", (mode) => {
    const a = generateTicks({ events: 50_000, seed: 7, mode });
    const b = generateTicks({ events: 50_000, seed: 7, mode });
    const c = generateTicks({ events: 50_000, seed: 8, mode });
    const shared = generateTicks({ events: 50_000, seed: 7, mode, shared: true });
    expect(a.length).toBe(50_000);
    expect(hashBatch(a)).toBe(hashBatch(b));
    expect(hashBatch(a)).toBe(hashBatch(shared));
    expect(hashBatch(a)).not.toBe(hashBatch(c));
    expect(shared.exchTs.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(a.exchTs.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it("rejects bad options with a hint", () => {
    expect(() => generateTicks({ events: 1, seed: 1, mode: "l2" })).toThrow(/events must be 0 or an integer/);
    expect(() => generateTicks({ events: 10, seed: 1, mode: "l4" as "l2" })).toThrow(/mode must be/);
    expect(() => generateTicks({ events: 10, seed: 1, mode: "l2", evnts: 3 } as never)).toThrow(expect.objectContaining({ code: "UNKNOWN_OPTION", hint: expect.stringMatching(/did you mean "events"/) }));
    expect(generateTicks({ events: 0, seed: 1, mode: "l2" }).length).toBe(0);
  });
});

describe("generateTicks timing", () => {
  it.each(["l2", "l3"] as const)("%s: exchange time non-decreasing, local after exchange and monotonic, groups share time and seq", (mode) => {
    const start = 1_700_000_000_123_456_789n;
    const b = generateTicks({ events: 100_000, seed: 3, mode, startNs: start });
    assert.strictEqual(b.exchTs[0], start);
    let groupStart = 0;
    for (let i = 1; i < b.length; i++) {
      assert.strictEqual(b.exchTs[i]! >= b.exchTs[i - 1]!, true);
      assert.strictEqual(b.localTs[i]! >= b.localTs[i - 1]!, true);
      assert.strictEqual(b.localTs[i]! > b.exchTs[i]!, true);
      if ((b.flags[i - 1]! & EventFlag.Last) === 0) {
        assert.strictEqual(b.exchTs[i], b.exchTs[groupStart]);
        assert.strictEqual(b.seq[i], b.seq[groupStart]);
      } else {
        groupStart = i;
        assert.strictEqual(b.seq[i], b.seq[i - 1]! + 1); // one message number per group, no gaps
        assert.strictEqual(b.exchTs[i]! > b.exchTs[i - 1]!, true);
      }
    }
    assert.strictEqual(b.flags[b.length - 1]! & EventFlag.Last, EventFlag.Last);
    assert.strictEqual(b.instruments[0]!.symbol, "SYN");
    assert.strictEqual(b.instruments[0]!.tickSize, "0.01");
  });

  it("arrivals are clustered (inter-arrival coefficient of variation above the Poisson value 1)", () => {
    const b = generateTicks({ events: 200_000, seed: 11, mode: "l2" });
    const gaps: number[] = [];
    for (let i = 1; i < b.length; i++) if (b.exchTs[i] !== b.exchTs[i - 1]) gaps.push(Number(b.exchTs[i]! - b.exchTs[i - 1]!));
    const mean = gaps.reduce((s, x) => s + x, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((s, x) => s + (x - mean) ** 2, 0) / gaps.length);
    assert.ok(sd / mean > 1.2);
  });
});

describe("generateTicks L2 book consistency", () => {
  it("snapshot first, trades hit the touch and are followed by the level they consumed, never crossed after a message", () => {
    const depth = 10;
    const b = generateTicks({ events: 200_000, seed: 5, mode: "l2", depth });
    const bids = new Map<number, number>();
    const asks = new Map<number, number>();
    for (let i = 0; i < 2 * depth; i++) assert.strictEqual(b.flags[i]! & EventFlag.Snapshot, EventFlag.Snapshot);
    assert.strictEqual(b.flags[2 * depth - 1]! & EventFlag.Last, EventFlag.Last);
    let trades = 0;
    let depletions = 0;
    let minMid = Infinity;
    let maxMid = -Infinity;
    for (let i = 0; i < b.length; i++) {
      if (i >= 2 * depth) assert.strictEqual(b.flags[i]! & EventFlag.Snapshot, 0);
      const kind = b.kind[i]!;
      const side = b.side[i]!;
      const price = b.priceTicks[i]!;
      const qty = b.qtyLots[i]!;
      assert.strictEqual(Number.isInteger(price), true);
      if (kind === EventKind.Trade) {
        trades++;
        const resting = side > 0 ? asks : bids;
        assert.strictEqual(price, bestOf(resting, side > 0 ? -1 : 1));
        const before = resting.get(price)!;
        assert.ok(qty > 0);
        assert.ok(qty <= before);
        assert.strictEqual(b.kind[i + 1], EventKind.LevelSet);
        assert.strictEqual(b.side[i + 1], -side);
        assert.strictEqual(b.priceTicks[i + 1], price);
        assert.strictEqual(b.qtyLots[i + 1], before - qty);
        if (before === qty) depletions++;
      } else {
        assert.strictEqual(kind, EventKind.LevelSet);
        assert.ok(qty >= 0);
        (side > 0 ? bids : asks).set(price, qty);
        if (qty === 0) (side > 0 ? bids : asks).delete(price);
      }
      if (b.flags[i]! & EventFlag.Last) {
        const bb = bestOf(bids, 1);
        const ba = bestOf(asks, -1);
        assert.ok(bb < ba);
        assert.strictEqual(bids.size, depth);
        assert.strictEqual(asks.size, depth);
        minMid = Math.min(minMid, (bb + ba) / 2);
        maxMid = Math.max(maxMid, (bb + ba) / 2);
      }
    }
    assert.ok(trades > 10_000);
    assert.ok(depletions > 100);
    assert.ok(maxMid - minMid > 5); // the mid drifts
  });
});

describe("generateTicks L3 order consistency", () => {
  it("every id is live when touched, executions take the best level in FIFO order, the book never stays crossed", () => {
    const b = generateTicks({ events: 200_000, seed: 9, mode: "l3" });
    interface Order { side: number; price: number; qty: number }
    const orders = new Map<number, Order>();
    const queues = [new Map<number, number[]>(), new Map<number, number[]>()]; // bid, ask: price -> ids FIFO
    const queueOf = (side: number, price: number): number[] => {
      const m = queues[side > 0 ? 0 : 1]!;
      let q = m.get(price);
      if (!q) m.set(price, (q = []));
      return q;
    };
    const dequeue = (id: number, o: Order): void => {
      const q = queueOf(o.side, o.price);
      q.splice(q.indexOf(id), 1);
      if (q.length === 0) queues[o.side > 0 ? 0 : 1]!.delete(o.price);
    };
    const best = (side: number): number => {
      const prices = [...queues[side > 0 ? 0 : 1]!.keys()];
      return side > 0 ? Math.max(...prices) : Math.min(...prices);
    };
    const seen = new Set<number>();
    let tradeQtyLeft = 0;
    let tradePrice = NaN;
    const counts = new Map<number, number>();
    for (let i = 0; i < b.length; i++) {
      const kind = b.kind[i]!;
      const side = b.side[i]!;
      const price = b.priceTicks[i]!;
      const qty = b.qtyLots[i]!;
      const id = b.orderId[i]!;
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
      if (kind !== EventKind.Execute) assert.strictEqual(tradeQtyLeft, 0);
      if (kind === EventKind.Add) {
        assert.strictEqual(seen.has(id), false);
        seen.add(id);
        assert.ok(qty > 0);
        if (orders.size > 0 && queues[side > 0 ? 1 : 0]!.size > 0) assert.strictEqual(side > 0 ? price < best(-1) : price > best(1), true);
        orders.set(id, { side, price, qty });
        queueOf(side, price).push(id);
      } else if (kind === EventKind.Trade) {
        tradeQtyLeft = qty;
        tradePrice = price;
        assert.ok(qty > 0);
        assert.strictEqual(price, best(-side));
      } else {
        const o = orders.get(id);
        assert.ok(o !== undefined, `row ${i}: unknown order id ${id}`);
        if (!o) continue;
        assert.strictEqual(side, o.side);
        if (kind === EventKind.Modify) {
          const keepsPriority = price === o.price && qty <= o.qty;
          if (!keepsPriority) {
            dequeue(id, o);
            o.price = price;
            queueOf(side, price).push(id);
          }
          o.qty = qty;
          continue;
        }
        assert.strictEqual(price, o.price);
        if (kind === EventKind.Execute) {
          assert.strictEqual(price, tradePrice);
          assert.strictEqual(queueOf(side, price)[0], id); // FIFO: the head of the best level is hit first
          assert.strictEqual(price, best(side));
          tradeQtyLeft -= qty;
          assert.ok(tradeQtyLeft >= 0);
        }
        if (kind === EventKind.Delete) assert.strictEqual(qty, o.qty);
        else {
          assert.strictEqual(kind === EventKind.Reduce || kind === EventKind.Execute, true);
          assert.ok(qty <= o.qty);
        }
        o.qty -= qty;
        if (kind === EventKind.Reduce) assert.ok(o.qty > 0);
        if (o.qty === 0) {
          dequeue(id, o);
          orders.delete(id);
        }
      }
      if (b.flags[i]! & EventFlag.Last) {
        assert.ok(best(1) < best(-1));
      }
    }
    for (const k of [EventKind.Add, EventKind.Reduce, EventKind.Delete, EventKind.Modify, EventKind.Execute, EventKind.Trade]) assert.ok(counts.get(k) ?? 0 > 1000);
  });
});
