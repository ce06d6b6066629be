/**
 * Fill models ("partial", the default, and "no-partial", hftbacktest's NoPartialFillExchange) on
 * hand-built feeds; every expected fill is worked out in the comments.
 */
import { describe, expect, it } from "vitest";
import { backtest, fills, OrderReason, OrderStatus, queue, type QueueState } from "../../src/engine/index.js";
import { Feed, scripted, testSpec, toUs } from "./scenarios/helpers.js";

const fillsOf = (run: ReturnType<typeof backtest>): [number, number][] => Array.from(run.fills.ts, (t, j) => [toUs(t), run.fills.qty[j]!]);

describe("a trade at the order's price", () => {
  // Our buy 2 @100 arrives at 10 behind 10 lots (the queue test's feed).
  //   20: sell 4 @100, level 10 → 6: front 6 · 25: level 16 (growth behind) · 30: level 8 (8 cancelled)
  //   riskAverse: front stays 6; 40 sell 5 → 1; 50 sell 1 → 0; 60 sell 1 → −1; 70 sell 1 → −2
  //     partial:    ⌊1⌋ = 1 lot at 60, the last lot at 70
  //     no-partial: round(−1) < 0 at 60 → both lots at 60 (round(0) at 50 is not below zero)
  //   prob n = 3: at 30 p = 10³/(10³+6³), front = 6 − (1−p)·8 = 4.5789; 40 sell 5 → −0.421 (the level
  //   update 8 → 3 is fully explained by the trade: front unchanged); 50 sell 1 → −1.421
  //     partial:    no whole lot at 40 (⌊0.42⌋ = 0), 1 lot at 50, 1 at 60
  //     no-partial: round(−0.42) = −0, not below zero at 40; round(−1.42) = −1 at 50 → 2 lots at 50
  const feed = (): Feed =>
    new Feed()
      .levels(0, [[100, 10]], [[101, 10]])
      .trade(20, -1, 100, 4)
      .level(20, 1, 100, 6)
      .level(25, 1, 100, 16)
      .level(30, 1, 100, 8)
      .trade(40, -1, 100, 5)
      .level(40, 1, 100, 3)
      .trade(50, -1, 100, 1)
      .level(50, 1, 100, 2)
      .trade(60, -1, 100, 1)
      .level(60, 1, 100, 1)
      .trade(70, -1, 100, 1)
      .level(70, 1, 100, 0)
      .level(100, 1, 99, 5);
  const run = (options: Parameters<typeof backtest>[2]) => {
    const { strategy } = scripted([[10, (ctx) => ctx.limit(1, 100, 2)]]);
    return backtest(feed().build(testSpec()), strategy, options);
  };

  it("partial (the default) fills the overshoot, no-partial the whole order once round(front) < 0", () => {
    expect(fillsOf(run({ queue: "riskAverse" }))).toEqual([
      [60, 1],
      [70, 1],
    ]);
    expect(fillsOf(run({ queue: "riskAverse", fills: "partial" }))).toEqual(fillsOf(run({ queue: "riskAverse" })));
    expect(fillsOf(run({ queue: "riskAverse", fills: "no-partial" }))).toEqual([[60, 2]]);
    expect(fillsOf(run({ queue: queue.prob({ n: 3 }), fills: "partial" }))).toEqual([
      [50, 1],
      [60, 1],
    ]);
    expect(fillsOf(run({ queue: queue.prob({ n: 3 }), fills: "no-partial" }))).toEqual([[50, 2]]);
  });

  it("partial shares one trade among our orders at the price; no-partial gives each the whole trade", () => {
    // Two buys of 2 @100 behind 1 lot (riskAverse: front 1 each). A sell of 3 @100: both fronts → −2.
    //   partial:    first order min(2 reached, 3 unclaimed, 2 leaves) = 2; second min(2, 1, 2) = 1
    //   no-partial: round(−2) < 0 for both → 2 and 2
    const f = () => new Feed().levels(0, [[100, 1]], [[101, 10]]).trade(20, -1, 100, 3).level(20, 1, 100, 0).level(40, 1, 99, 5);
    const go = (model: "partial" | "no-partial") => {
      const { strategy } = scripted([
        [10, (ctx) => ctx.limit(1, 100, 2)],
        [10, (ctx) => ctx.limit(1, 100, 2)],
      ]);
      return backtest(f().build(testSpec()), strategy, { queue: "riskAverse", fills: model });
    };
    expect(fillsOf(go("partial"))).toEqual([
      [20, 2],
      [20, 1],
    ]);
    expect(fillsOf(go("no-partial"))).toEqual([
      [20, 2],
      [20, 2],
    ]);
  });

  it("exactly half a lot behind is not filled (Python's round(−0.5) is 0)", () => {
    const q: QueueState = { front: new Float64Array([-0.5, -0.5000001, 0.4]), traded: new Float64Array(3), priority: new Float64Array(3) };
    const model = queue.riskAverse();
    expect(fills.noPartial().tradeAtPrice(model, q, 0, 7, 0)).toBe(0);
    expect(fills.noPartial().tradeAtPrice(model, q, 1, 7, 0)).toBe(7);
    expect(fills.noPartial().tradeAtPrice(model, q, 2, 7, 0)).toBe(0);
    // partial needs a whole lot reached and unclaimed trade size
    const p: QueueState = { front: new Float64Array([-2.5, -2.5]), traded: new Float64Array(2), priority: new Float64Array(2) };
    expect(fills.partial().tradeAtPrice(model, p, 0, 7, 10)).toBe(2);
    expect(fills.partial().tradeAtPrice(model, p, 1, 7, 1)).toBe(1);
    expect(fills.partial().tradeAtPrice(model, p, 1, 1, 10)).toBe(1);
  });
});

describe("what both models share, and taking on arrival", () => {
  it("a trade through the price and the touch moving through it fill the whole order in both", () => {
    // Buy 3 @100 behind 50, sell 2 @102 behind 50: a sell prints at 99 (through our bid) at 20, the
    // ask side's best moves to 102 when a bid of 102 appears at 30 (bids at or above our ask).
    for (const model of ["partial", "no-partial"] as const) {
      const { strategy } = scripted([
        [10, (ctx) => ctx.limit(1, 100, 3)],
        [10, (ctx) => ctx.limit(-1, 102, 2)],
      ]);
      const f = new Feed().levels(0, [[100, 50]], [[101, 5], [102, 50]]).trade(20, -1, 99, 1).level(30, 1, 102, 1).level(40, 1, 98, 1);
      const r = backtest(f.build(testSpec()), strategy, { queue: "riskAverse", fills: model });
      expect(fillsOf(r)).toEqual([
        [20, 3],
        [30, 2],
      ]);
      expect(Array.from(r.fills.price)).toEqual([1, 1.02]);
    }
  });

  it("a crossing limit walks the levels under partial and fills whole at the touch under no-partial", () => {
    // Asks 101 × 2, 102 × 10; buy 5 @102 (GTC): partial 2 @101 + 3 @102; no-partial 5 @101. Taker both.
    const go = (model: "partial" | "no-partial") => {
      const { strategy } = scripted([[10, (ctx) => ctx.limit(1, 102, 5)]]);
      return backtest(new Feed().levels(0, [[100, 5]], [[101, 2], [102, 10]]).level(40, 1, 99, 1).build(testSpec()), strategy, { fills: model });
    };
    const p = go("partial");
    expect(fillsOf(p)).toEqual([
      [10, 2],
      [10, 3],
    ]);
    expect(Array.from(p.fills.price)).toEqual([1.01, 1.02]);
    const n = go("no-partial");
    expect(fillsOf(n)).toEqual([[10, 5]]);
    expect(Array.from(n.fills.price)).toEqual([1.01]);
    expect(Array.from(n.fills.liquidity)).toEqual([1]);
  });

  it("a post-only order that would cross on arrival is rejected in both", () => {
    for (const model of ["partial", "no-partial"] as const) {
      const { strategy } = scripted([[10, (ctx) => ctx.limit(1, 101, 1, { tif: "PostOnly" })]]);
      const r = backtest(new Feed().levels(0, [[100, 5]], [[101, 2]]).level(40, 1, 99, 1).build(testSpec()), strategy, { fills: model });
      expect(r.fills.ts.length).toBe(0);
      expect(r.orders.status[0]).toBe(OrderStatus.Rejected);
      expect(r.orders.reason[0]).toBe(OrderReason.PostOnlyWouldCross);
    }
  });

  it("an unknown model name is a BAD_OPTION naming both", () => {
    const { strategy } = scripted([]);
    let error: unknown;
    try {
      backtest(new Feed().levels(0, [[100, 5]], [[101, 2]]).build(testSpec()), strategy, { fills: "some" as "partial" });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "BAD_OPTION", message: 'backtest option fills: unknown fill model "some"' });
    expect((error as { hint: string }).hint).toMatch(/partial, no-partial/);
  });
});
