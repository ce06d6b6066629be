/**
 * Accounting: fees and rebates by hand, average-cost realized PnL by hand, and the invariant
 * cash + position value = equity at every sample, recomputed independently from the fill table.
 */
import { describe, expect, it } from "vitest";
import { generateTicks } from "../../src/data/index.js";
import { backtest, fees, type BacktestResult } from "../../src/engine/index.js";
import { Liquidity } from "../../src/stats/index.js";
import { strategies } from "../../src/strategy/index.js";
import { Feed, scripted, testSpec } from "./scenarios/helpers.js";

/** Rebuilds cash and position from fills alone and checks equity = cash + position·mid·multiplier at every sample. */
function checkInvariant(run: BacktestResult, initialCash = 0): number {
  const multiplier = run.instruments[0]!.multiplier;
  let fillIndex = 0;
  let cash = initialCash;
  let position = 0;
  let checked = 0;
  for (let j = 0; j < run.equity.ts.length; j++) {
    const ts = run.equity.ts[j]!;
    const target = run.equitySampleFill[j]!;
    // A sample taken at a fill includes fills up to that one; a grid sample every fill stamped ≤ its time.
    while (fillIndex < run.fills.ts.length && (target >= 0 ? fillIndex <= target : run.fills.ts[fillIndex]! <= ts)) {
      const side = run.fills.side[fillIndex]!;
      cash -= side * run.fills.price[fillIndex]! * run.fills.qty[fillIndex]! * multiplier + run.fills.fee[fillIndex]!;
      position += side * run.fills.qty[fillIndex]!;
      fillIndex++;
    }
    const mid = run.equityMarks[0]![j]!;
    const expected = cash + (position === 0 ? 0 : position * mid * multiplier);
    expect(Math.abs(run.equity.equity[j]! - expected)).toBeLessThan(1e-9 * Math.max(1, Math.abs(expected)));
    expect(run.equity.position![j]).toBeCloseTo(position / run.instruments[0]!.lot, 9);
    checked++;
  }
  return checked;
}

describe("fees and rebates", () => {
  it("taker pays, maker receives (negative fee), from the instrument spec or an override", () => {
    // Buy 2 at market (ask 101) → taker; rest a sell 1 @102 that a buy through 103 fills → maker.
    const feed = new Feed().levels(0, [[100, 5]], [[101, 5], [102, 5]]).trade(20, 1, 103, 1).level(30, 1, 99, 1);
    const { strategy } = scripted([
      [10, (ctx) => ctx.market(1, 2)],
      [10, (ctx) => ctx.limit(-1, 102, 1)],
    ]);
    const spec = testSpec({ makerFee: -0.00025, takerFee: 0.00075, multiplier: 10 });
    const run = backtest(feed.build(spec), strategy);
    expect(Array.from(run.fills.liquidity)).toEqual([Liquidity.Taker, Liquidity.Maker]);
    // notional = price · size · multiplier
    expect(run.fills.fee[0]).toBeCloseTo(0.00075 * 1.01 * 2 * 10, 14);
    expect(run.fills.fee[1]).toBeCloseTo(-0.00025 * 1.02 * 1 * 10, 14);
    expect(run.summary.fees).toBeCloseTo(0.00075 * 20.2 - 0.00025 * 10.2, 14);
    // Override: a flat maker/taker schedule for every instrument.
    const { strategy: again } = scripted([
      [10, (ctx) => ctx.market(1, 2)],
      [10, (ctx) => ctx.limit(-1, 102, 1)],
    ]);
    const over = backtest(feed.build(spec), again, { fees: { maker: -0.0001, taker: 0.0002 } });
    expect(Array.from(over.fills.fee)).toEqual([0.0002 * 1.01 * 2 * 10, -0.0001 * 1.02 * 10]);
    const { strategy: third } = scripted([[10, (ctx) => ctx.market(1, 2)]]);
    const perUnit = backtest(feed.build(spec), third, { fees: fees.perUnit({ maker: 0, taker: 0.5 }) });
    expect(Array.from(perUnit.fills.fee)).toEqual([1]);
  });
});

describe("PnL", () => {
  it("average-cost realized PnL, unrealized at the mid, equity = initial + realized + unrealized − fees", () => {
    // Buy 2 @101, buy 2 @103 (avg 102), sell 3 @105 → realized 3·(1.05 − 1.02) = 0.09;
    // 1 lot left at avg 1.02, marked at mid 104.5 → unrealized 0.025.
    const feed = new Feed()
      .levels(0, [[100, 5]], [[101, 5]])
      .levels(20, [[100, 0], [102, 5]], [[101, 0], [103, 5]])
      .levels(40, [[102, 0], [105, 5]], [[103, 0], [106, 5]])
      .levels(60, [[105, 0], [104, 5]], [[106, 0], [105, 5]]);
    const { strategy } = scripted([
      [10, (ctx) => ctx.market(1, 2)],
      [30, (ctx) => ctx.market(1, 2)],
      [50, (ctx) => ctx.market(-1, 3)],
    ]);
    const run = backtest(feed.build(testSpec({ takerFee: 0.001 })), strategy, { initialCash: 1000 });
    const s = run.summary;
    expect(s.realizedPnl).toBeCloseTo(0.09, 12);
    expect(s.unrealizedPnl).toBeCloseTo(1.045 - 1.02, 12);
    const feesPaid = 0.001 * (2 * 1.01 + 2 * 1.03 + 3 * 1.05);
    expect(s.fees).toBeCloseTo(feesPaid, 12);
    expect(s.pnl).toBeCloseTo(s.realizedPnl + s.unrealizedPnl - feesPaid, 12);
    expect(run.equity.equity.at(-1)).toBeCloseTo(1000 + s.pnl, 10);
    expect(s.finalPosition).toEqual([1]);
    checkInvariant(run, 1000);
  });
});

describe.each(["l2", "l3"] as const)("cash + position value = equity at every sample (%s)", (mode) => {
  it.each([
    ["marketMaker", strategies.marketMaker({ requoteMs: 1, maxPosition: 4 })],
    ["imbalance", strategies.imbalance({ threshold: 0.3, cooldownMs: 5 })],
  ])("%s", (_name, strategy) => {
    const ticks = generateTicks({ events: 40_000, seed: 41, mode, instrument: testSpec({ makerFee: -0.0002, takerFee: 0.0005, lotSize: "0.001", multiplier: 2 }) });
    const run = backtest(ticks, strategy, { latencyNs: 20_000, equityIntervalNs: 50_000_000, initialCash: 500 });
    expect(run.fills.ts.length).toBeGreaterThan(20);
    expect(checkInvariant(run, 500)).toBeGreaterThan(run.fills.ts.length);
  });
});
