/**
 * Order-by-order feeds without trade rows (LOBSTER): executions are the trades, hidden-liquidity
 * executions print but leave the visible book alone, and fill a resting order only through it.
 */
import { describe, expect, it } from "vitest";
import { EventFlag } from "../../src/data/index.js";
import { backtest } from "../../src/engine/index.js";
import { Feed, scripted, testSpec, toUs } from "./scenarios/helpers.js";

const HIDDEN = EventFlag.Hidden | EventFlag.Last;

describe("L3 feed without trade rows", () => {
  it("reports visible and hidden executions as trades; hidden ones do not change the book", () => {
    const feed = new Feed()
      .add(0, 1, 1, 100, 5)
      .add(0, 2, -1, 101, 5)
      .execute(10, 1, 1, 100, 2)
      .execute(20, NaN, 1, 100.5, 4, { flags: HIDDEN })
      .add(30, 3, 1, 99, 1);
    const { strategy, rec } = scripted([]);
    backtest(feed.build(testSpec()), strategy);
    // The executed order rested on the bid: the aggressor sold (side −1).
    expect(rec.trades).toEqual([
      { atUs: 10, instrument: 0, price: 100, qty: 2, side: -1 },
      { atUs: 20, instrument: 0, price: 100.5, qty: 4, side: -1 },
    ]);
    const after = rec.books.filter((b) => b.atUs === 20);
    expect(after.at(-1)).toMatchObject({ bid: 100, ask: 101 });
  });

  it("a hidden execution below our bid fills it entirely; one above it does not", () => {
    const feed = new Feed()
      .add(0, 1, 1, 100, 5)
      .add(0, 2, -1, 102, 5)
      .execute(20, NaN, 1, 101.5, 3, { flags: HIDDEN })
      .execute(30, NaN, 1, 100.5, 3, { flags: HIDDEN })
      .add(40, 3, 1, 98, 1);
    const { strategy } = scripted([[10, (ctx) => ctx.limit(1, 101, 2)]]);
    const run = backtest(feed.build(testSpec()), strategy);
    expect(Array.from(run.fills.ts, toUs)).toEqual([30]);
    expect(Array.from(run.fills.qty)).toEqual([2]);
    expect(Array.from(run.fills.price)).toEqual([1.01]);
  });
});
