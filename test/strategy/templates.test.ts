/**
 * Template behaviour on hand-built books (order-by-order rows, so the book is exact).
 */
import { describe, expect, it } from "vitest";
import { OrderStatus, TimeInForce, backtest } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";
import { Feed, testSpec, toUs } from "../engine/scenarios/helpers.js";

describe("OrderBookImbalance", () => {
  it("buys at market when (B − A)/(B + A) ≥ threshold and stops at maxPosition", () => {
    // Bid 8 vs ask 2: I = 0.6 ≥ 0.5 → buy 1 at each update (cooldown 0) until the position is 2.
    const feed = new Feed().add(0, 1, 1, 100, 8).add(0, 2, -1, 101, 2).add(10, 3, -1, 105, 1).add(20, 4, -1, 106, 1).add(30, 5, -1, 107, 1);
    const run = backtest(feed.build(testSpec()), strategies.imbalance({ threshold: 0.5, maxPosition: 2, cooldownMs: 0, size: 1 }));
    expect(Array.from(run.orders.side)).toEqual([1, 1]);
    expect(Array.from(run.fills.price)).toEqual([1.01, 1.01]);
    expect(run.summary.finalPosition).toEqual([2]);
  });

  it("sells when the ask side dominates; stays flat in between", () => {
    // I = (2 − 8)/10 = −0.6 → sell; I = 0 → nothing.
    const feed = new Feed().add(0, 1, 1, 100, 2).add(0, 2, -1, 101, 8).add(10, 3, 1, 99, 6).add(20, 4, -1, 102, 1);
    const run = backtest(feed.build(testSpec()), strategies.imbalance({ threshold: 0.5, maxPosition: 1, cooldownMs: 0, size: 1 }));
    expect(Array.from(run.orders.side)).toEqual([-1]);
  });

  it("maker mode joins the touch post-only", () => {
    const feed = new Feed().add(0, 1, 1, 100, 8).add(0, 2, -1, 101, 2).add(10, 3, -1, 105, 1);
    const run = backtest(feed.build(testSpec()), strategies.imbalance({ threshold: 0.5, mode: "maker", cooldownMs: 100, size: 1 }));
    expect(run.orders.tif[0]).toBe(TimeInForce.PostOnly);
    expect(run.orders.priceTicks[0]).toBe(100);
  });
});

describe("MarketMaker", () => {
  it("quotes around the mid with the Avellaneda–Stoikov half spread", () => {
    // mid 100.5, σ² = 0 (no mid change yet): δ = max(1, ½·(2/γ)·ln(1 + γ/κ)) = max(1, 0.645…) = 1
    // → bid ⌊99.5⌋ = 99, ask ⌈101.5⌉ = 102.
    const feed = new Feed().add(0, 1, 1, 100, 5).add(0, 2, -1, 101, 5).add(10, 3, 1, 98, 1);
    const run = backtest(feed.build(testSpec()), strategies.marketMaker({ gamma: 0.1, kappa: 1.5, minHalfSpreadTicks: 1, size: 1 }));
    const quotes = Array.from(run.orders.side, (side, j) => [side, run.orders.priceTicks[j]]);
    expect(quotes).toEqual([
      [1, 99],
      [-1, 102],
    ]);
    // A wider floor moves both quotes out: δ = 3 → 97 / 104.
    const wide = backtest(feed.build(testSpec()), strategies.marketMaker({ minHalfSpreadTicks: 3, size: 1 }));
    expect(Array.from(wide.orders.priceTicks)).toEqual([97, 104]);
  });

  it("skews quotes against inventory once volatility is measured", () => {
    // γ = 0.5, κ = 1, τ = 2 s, half-life 10 s: (2/γ)·ln(1 + γ/κ) = 4·ln 1.5 = 1.621860.
    //  0 s: mid 100.5, σ² = 0 → δ = 0.810930 → bid ⌊99.69⌋ = 99, ask ⌈101.31⌉ = 102
    //  1 s: mid 101.5 (Δ = 1 over 1 s) → σ² = 1 → δ = ½(γσ²τ + 1.621860) = 1.310930
    //       → bid ⌊100.19⌋ = 100, ask ⌈102.81⌉ = 103 (both re-priced)
    //  2 s: a sell prints through our bid (long 1). w = 2^(−1/10) = 0.933033:
    //       σ² = (1·w + 0)/(1·w + 1) = 0.482679; r = 101.5 − 1·0.5·0.482679·2 = 101.017321,
    //       δ = ½(0.482679 + 1.621860) = 1.052270 → new bid ⌊99.965⌋ = 99 (flat it would be 100)
    const feed = new Feed()
      .add(0, 1, 1, 100, 5, { flags: 0 })
      .add(0, 2, -1, 101, 5)
      .add(1e6, 4, -1, 102, 5, { flags: 0 })
      .del(1e6, 2, -1, 101, 5, { flags: 0 })
      .add(1e6, 3, 1, 101, 5)
      .trade(2e6, -1, 99, 1)
      .add(2e6, 5, 1, 98, 1);
    const run = backtest(feed.build(testSpec()), strategies.marketMaker({ gamma: 0.5, kappa: 1, horizonSec: 2, minHalfSpreadTicks: 0, requoteMs: 0, volHalfLifeSec: 10, size: 1 }));
    expect(Array.from(run.orders.side)).toEqual([1, -1, 1]);
    expect(Array.from(run.orders.priceTicks)).toEqual([100, 103, 99]);
    expect(run.orders.status[0]).toBe(OrderStatus.Filled);
    expect(run.summary.finalPosition).toEqual([1]);
  });
});

describe("BidAskBounce", () => {
  it("joins the bid after a sell print at the bid, then offers at entry + target once filled", () => {
    const feed = new Feed()
      .add(0, 1, 1, 100, 1)
      .add(0, 2, -1, 102, 5)
      .trade(10, -1, 100, 1)
      .execute(10, 1, 1, 100, 1)
      .add(10, 3, 1, 100, 3)
      // A sell prints through 100 at 99: our bid fills.
      .add(20, 4, 1, 99, 5)
      .trade(30, -1, 99, 1)
      .execute(30, 4, 1, 99, 1)
      .add(40, 5, 1, 98, 1);
    const run = backtest(feed.build(testSpec()), strategies.bidAskBounce({ targetTicks: 1, size: 1 }));
    expect(run.orders.side[0]).toBe(1);
    expect(run.orders.priceTicks[0]).toBe(100);
    expect(run.orders.status[0]).toBe(OrderStatus.Filled);
    expect(run.orders.side[1]).toBe(-1);
    expect(run.orders.priceTicks[1]).toBe(101);
    expect(toUs(run.orders.sentTs[1]!)).toBe(30);
  });
});
