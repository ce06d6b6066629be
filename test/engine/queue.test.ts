/**
 * Queue models against hand-computed queue positions.
 */
import { describe, expect, it } from "vitest";
import { backtest, queue } from "../../src/engine/index.js";
import { Feed, scripted, testSpec, toUs } from "./scenarios/helpers.js";

const fillsOf = (run: ReturnType<typeof backtest>): [number, number][] => Array.from(run.fills.ts, (t, j) => [toUs(t), run.fills.qty[j]!]);

describe("L2 queue models (same feed, three answers)", () => {
  // Our buy 2 @100 arrives at 10 behind 10 lots.
  //   20: sell 4 prints at 100, level 10 → 6      front 6 in every model (the 4 lots are explained by the trade)
  //   25: level 6 → 16 (10 lots join behind us)   front 6 (growth is behind)
  //   30: level 16 → 8 (8 lots cancelled)         Δ = 8, front = 6, back = 10
  //        riskAverse: min(6, 8) = 6
  //        prob n=3:   p = 10³/(10³ + 6³) = 0.822368…, front = 6 − (1 − p)·8 = 4.578947…
  //        log:        p = ln 11/(ln 11 + ln 7) = 0.552027…, front = 6 − (1 − p)·8 = 2.416216…
  //   40: sell 5 @100 (level → 3): riskAverse 1 (no fill) · prob −0.42 (no whole lot) · log −2.58 → 2 lots
  //   50: sell 1 (→ 2): riskAverse 0 · prob −1.42 → 1 lot
  //   60: sell 1 (→ 1): riskAverse −1 → 1 lot · prob −2.42 → its last lot
  //   70: sell 1 (→ 0): riskAverse −2 → its last lot
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
  const run = (model: Parameters<typeof backtest>[2]) => {
    const { strategy } = scripted([[10, (ctx) => ctx.limit(1, 100, 2)]]);
    return backtest(feed().build(testSpec()), strategy, model);
  };

  it("riskAverse: only trades advance the order", () => {
    expect(fillsOf(run({ queue: "riskAverse" }))).toEqual([
      [60, 1],
      [70, 1],
    ]);
  });

  it("prob (power, n = 3): cancels split by f(x) = x³", () => {
    expect(fillsOf(run({ queue: queue.prob({ n: 3 }) }))).toEqual([
      [50, 1],
      [60, 1],
    ]);
    // The "prob" shorthand is the same model.
    expect(fillsOf(run({ queue: "prob" }))).toEqual(fillsOf(run({ queue: queue.prob({ n: 3 }) })));
  });

  it("log: cancels split by f(x) = log(1 + x)", () => {
    expect(fillsOf(run({ queue: "log" }))).toEqual([[40, 2]]);
  });

  it("the probability functions follow hftbacktest's convention p = f(back)/(f(back) + f(front))", () => {
    expect(queue.powerProbability(3)(6, 10)).toBeCloseTo(1000 / (1000 + 216), 12);
    expect(queue.powerProbability(1)(6, 10)).toBeCloseTo(10 / 16, 12);
    expect(queue.logProbability(6, 10)).toBeCloseTo(Math.log(11) / (Math.log(11) + Math.log(7)), 12);
    // Nothing ahead: every cancel is behind.
    expect(queue.powerProbability(3)(0, 5)).toBe(1);
  });

  it("a trade through the price fills the whole order at its own price", () => {
    const { strategy } = scripted([
      [10, (ctx) => ctx.limit(1, 100, 3)],
      [10, (ctx) => ctx.limit(-1, 102, 2)],
    ]);
    const f = new Feed().levels(0, [[100, 50]], [[101, 5], [102, 50]]).trade(20, -1, 99, 1).trade(30, 1, 103, 1).level(40, 1, 98, 1);
    const r = backtest(f.build(testSpec()), strategy, { queue: "riskAverse" });
    expect(fillsOf(r)).toEqual([
      [20, 3],
      [30, 2],
    ]);
    expect(Array.from(r.fills.price)).toEqual([1, 1.02]);
    expect(Array.from(r.fills.liquidity)).toEqual([0, 0]);
  });
});

describe("L3 exact FIFO", () => {
  // Bids at 100: #1 ×3, #2 ×4 (then our order), later #3 ×5, #4 ×2.
  //   A: we arrive at 10 (before #3)   B: we arrive at 25 (after #3)
  //   30: #1 executes 3        A ahead 7→4     B ahead 12→9
  //   40: #3 reduced by 2      A (behind us)   B 9→7
  //   50: #2 reduced by 1      A 4→3           B 7→6
  //   60: #2 executes 3        A 3→0           B 6→3
  //   80: #3 executes 3        A: behind us → we were hit first: fill 2   B: ahead 3→0
  //   90: #4 executes 1        A: done         B: behind us → fill 1
  const feed = (): Feed =>
    new Feed()
      .add(0, 1, 1, 100, 3)
      .add(0, 2, 1, 100, 4)
      .add(0, 10, -1, 101, 5)
      .add(20, 3, 1, 100, 5)
      .trade(30, -1, 100, 3)
      .execute(30, 1, 1, 100, 3)
      .reduce(40, 3, 1, 100, 2)
      .reduce(50, 2, 1, 100, 1)
      .trade(60, -1, 100, 3)
      .execute(60, 2, 1, 100, 3)
      .add(70, 4, 1, 100, 2)
      .trade(80, -1, 100, 3)
      .execute(80, 3, 1, 100, 3)
      .trade(90, -1, 100, 1)
      .execute(90, 4, 1, 100, 1)
      .add(100, 5, 1, 99, 1);
  const run = (at: number) => {
    const { strategy } = scripted([[at, (ctx) => ctx.limit(1, 100, 2)]]);
    return backtest(feed().build(testSpec()), strategy);
  };

  it("uses the book's priority to tell orders ahead from orders behind", () => {
    const a = run(10);
    expect(a.settings.queue).toBe("l3Fifo");
    expect(a.settings.book).toBe("l3");
    expect(fillsOf(a)).toEqual([[80, 2]]);
    expect(fillsOf(run(25))).toEqual([[90, 1]]);
  });

  it("counts an execution reported apart from its book change (NoBookEffect) once", () => {
    // Ours is behind #1 ×3. At 30 an execution of 2 is reported with NoBookEffect, and the book
    // change follows at 31 as a reduce of 2: ahead 3 → 1 (not −1). #1's last lot executes at 40
    // (ahead 0); an execution behind us at 50 fills us.
    const f = new Feed()
      .add(0, 1, 1, 100, 3)
      .add(0, 10, -1, 101, 5)
      .execute(30, 1, 1, 100, 2, { flags: 512 | 2 })
      .reduce(31, 1, 1, 100, 2)
      .execute(40, 1, 1, 100, 1)
      .add(45, 5, 1, 100, 1)
      .execute(50, 5, 1, 100, 1)
      .add(60, 6, 1, 99, 1);
    const { strategy } = scripted([[10, (ctx) => ctx.limit(1, 100, 1)]]);
    expect(fillsOf(backtest(f.build(testSpec()), strategy))).toEqual([[50, 1]]);
  });

  it("refuses an L2 queue model on L3 data", () => {
    const { strategy } = scripted([]);
    expect(() => backtest(feed().build(testSpec()), strategy, { queue: "riskAverse" })).toThrow(/order-by-order/);
  });
});
