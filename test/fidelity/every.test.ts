/**
 * ctx.every (a fixed-step clock, hftbacktest's `while elapse(step)`), the order state a strategy
 * reads (pendingRequest, cancellable), compat "hftbacktest" and the one-sided rows of split data,
 * on hand-built feeds with hand-worked expectations.
 */
import { describe, expect, it } from "vitest";
import { EventFlag } from "../../src/data/index.js";
import { backtest, normalizeBacktestOptions, type Context, type OrderUpdate } from "../../src/engine/index.js";
import { Feed, testSpec, toUs, us } from "../engine/scenarios/helpers.js";

/** Rows every 10 µs from 0 to 100 µs, received 5 µs later. */
const feed = (): Feed => {
  const f = new Feed(5).levels(0, [[100, 10]], [[101, 10]]);
  for (let t = 10; t <= 100; t += 10) f.level(t, 1, 99, t);
  return f;
};

function fires(options: Parameters<typeof backtest>[2], origin?: "start" | "firstRow" | bigint, stepUs = 30): number[] {
  const seen: number[] = [];
  const strategy = {
    onStart(ctx: Context) {
      ctx.every(stepUs * 1000, (c) => seen.push(toUs(c.now())), origin === undefined ? undefined : { origin });
    },
  };
  backtest(feed().build(testSpec()), strategy, options);
  return seen;
}

describe("ctx.every", () => {
  it("fires at origin + k·step (k ≥ 1) up to the last row; the origin is the run's start by default", () => {
    // The first row is received at 5 µs, the last at 105 µs: 35, 65, 95 (125 is after the end).
    expect(fires({})).toEqual([35, 65, 95]);
    expect(fires({}, "firstRow")).toEqual([35, 65, 95]);
    // An absolute origin at 0 µs: 30, 60, 90 (the first point after the start at 5).
    expect(fires({}, us(0))).toEqual([30, 60, 90]);
  });

  it("with startAt the run starts later; \"firstRow\" keeps the grid of the data's first row", () => {
    // startAt 42 µs: the strategy starts at the first row received at or after it (45 µs).
    expect(fires({ startAt: us(42) }, "start")).toEqual([75, 105]);
    expect(fires({ startAt: us(42) }, "firstRow")).toEqual([65, 95]);
    // everyOrigin sets the default; compat "hftbacktest" sets it to "firstRow".
    expect(fires({ startAt: us(42), everyOrigin: "firstRow" })).toEqual([65, 95]);
    expect(fires({ startAt: us(42), compat: "hftbacktest" })).toEqual([65, 95]);
  });

  it("a step sees every event at or before its time (the feed row at 35 µs is applied first)", () => {
    const bids: number[] = [];
    const strategy = { onStart: (ctx: Context) => void ctx.every(30_000, (c) => bids.push(c.book().qtyAt(1, 99))) };
    backtest(feed().build(testSpec()), strategy, { everyOrigin: "start" });
    // At 35: the row of exchange time 30 (received 35) set 99 to 30 lots; at 65: 60; at 95: 90.
    expect(bids).toEqual([30, 60, 90]);
  });

  it("clearTimer stops it, and a step of 0 is refused", () => {
    const seen: number[] = [];
    const strategy = {
      onStart(ctx: Context) {
        const id = ctx.every(30_000, (c) => {
          seen.push(toUs(c.now()));
          if (seen.length === 2) c.clearTimer(id);
        });
      },
    };
    backtest(feed().build(testSpec()), strategy);
    expect(seen).toEqual([35, 65]);
    expect(() => backtest(feed().build(testSpec()), { onStart: (ctx: Context) => void ctx.every(0, () => {}) })).toThrow(/step > 0/);
  });
});

describe("order state: pendingRequest and cancellable", () => {
  it("an order is cancellable once acknowledged, not while its cancel is in flight", () => {
    // Latency 10 µs each way. Buy sent at 5 (start), acked at 25; cancel sent at 35, answered at 55.
    const states: [number, boolean, boolean, boolean, string][] = [];
    let id = -1;
    const note = (ctx: Context): void => {
      const o = ctx.order(id) as OrderUpdate;
      states.push([toUs(ctx.now()), o.pendingRequest, o.pendingCancel, o.cancellable, o.status]);
    };
    const strategy = {
      onStart(ctx: Context) {
        id = ctx.limit(1, 99, 1);
        note(ctx);
        ctx.every(10_000, (c) => {
          note(c);
          if (toUs(c.now()) === 35) c.cancel(id);
        });
      },
    };
    backtest(feed().build(testSpec()), strategy, { latencyNs: 10_000 });
    expect(states.slice(0, 7)).toEqual([
      [5, false, false, false, "New"],
      [15, false, false, false, "New"],
      [25, false, false, true, "Acked"],
      [35, false, false, true, "Acked"],
      [45, true, true, false, "Acked"],
      [55, false, false, false, "Cancelled"],
      [65, false, false, false, "Cancelled"],
    ]);
  });
});

describe("order state: a modify in flight", () => {
  it("is a pending request but not a pending cancel, and the order is not cancellable until answered", () => {
    // Buy sent at 5, acked at 25; modify to 98 sent at 35, answered (Modified) at 55.
    const states: [number, boolean, boolean, boolean, number][] = [];
    let id = -1;
    const strategy = {
      onStart(ctx: Context) {
        id = ctx.limit(1, 99, 1);
        ctx.every(10_000, (c) => {
          const o = c.order(id) as OrderUpdate;
          states.push([toUs(c.now()), o.pendingRequest, o.pendingCancel, o.cancellable, o.priceTicks]);
          if (toUs(c.now()) === 35) c.modify(id, { priceTicks: 98 });
        });
      },
    };
    backtest(feed().build(testSpec()), strategy, { latencyNs: 10_000 });
    expect(states.slice(2, 6)).toEqual([
      [35, false, false, true, 99],
      [45, true, false, false, 99],
      [55, false, false, true, 98],
      [65, false, false, true, 98],
    ]);
  });
});

describe("compat \"hftbacktest\" and split rows", () => {
  it("sets fills no-partial and grids from the first row; each option still overrides", () => {
    const o = normalizeBacktestOptions({ compat: "hftbacktest" });
    expect([o.fills.name, o.everyOrigin]).toEqual(["no-partial", "firstRow"]);
    const p = normalizeBacktestOptions({ compat: "hftbacktest", fills: "partial", everyOrigin: "start" });
    expect([p.fills.name, p.everyOrigin]).toEqual(["partial", "start"]);
    expect(normalizeBacktestOptions({}).fills.name).toBe("partial");
    expect(() => normalizeBacktestOptions({ compat: "nautilus" as "hftbacktest" })).toThrow(/unknown engine/);
  });

  it("an exchange-only row changes only the exchange's book, a local-only row only the strategy's", () => {
    // Bid 100 × 10. At 20 the exchange sees the level become 4 (exchange-only row); the strategy
    // sees it at 30 (its local-only twin, exchange time a filler). Our buy 2 @100 rests from 10
    // behind 10 (riskAverse); a sell of 5 @100 prints at 40: front 4 − 5 = −1 → 1 lot fills only
    // because the exchange applied the exchange-only row (else front 10 − 5 = 5, no fill).
    const f = new Feed()
      .levels(0, [[100, 10]], [[101, 10]])
      .level(20, 1, 100, 4, { flags: EventFlag.ExchangeOnly, localUs: 0 })
      .level(30, 1, 100, 4, { flags: EventFlag.Last | EventFlag.LocalOnly, localUs: 30 })
      .trade(40, -1, 100, 5)
      .level(60, 1, 99, 1);
    const books: [number, number][] = [];
    const strategy = {
      onStart(ctx: Context) {
        ctx.setTimer(10_000);
      },
      onTimer(ctx: Context) {
        ctx.limit(1, 100, 2);
      },
      onBook(ctx: Context) {
        books.push([toUs(ctx.now()), ctx.book().qtyAt(1, 100)]);
      },
    };
    const run = backtest(f.build(testSpec()), strategy, { queue: "riskAverse" });
    expect(Array.from(run.fills.ts, (t) => toUs(t))).toEqual([40]);
    expect(Array.from(run.fills.qty)).toEqual([1]);
    // The strategy's book: 10 lots until its own row at 30 (the exchange-only row at 20 is never received).
    expect(books.filter(([t]) => t <= 30)).toEqual([
      [0, 10],
      [30, 4],
    ]);
  });
});
