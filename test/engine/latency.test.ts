/**
 * Latency: an order sent at local t reaches the exchange at t + entry and trades against the book
 * as it was then; acks and fills reach the strategy a response latency later; the strategy sees
 * each row at its receive time.
 */
import { describe, expect, it } from "vitest";
import { OrderReason, backtest, latency, type LatencyModel } from "../../src/engine/index.js";
import { Feed, scripted, testSpec, toUs } from "./scenarios/helpers.js";

// Feed received 5 µs after the exchange stamps it. At exchange time 50 the ask moves 101 → 102.
const feed = (): Feed =>
  new Feed(5)
    .levels(0, [[100, 5]], [[101, 5]])
    .levels(50, [], [[101, 0], [102, 5]])
    .level(1000, 1, 99, 1);

function marketBuyAt25(model: LatencyModel | number) {
  const { strategy, rec } = scripted([[25, (ctx) => ctx.market(1, 1)]]);
  const run = backtest(feed().build(testSpec()), strategy, { latencyNs: model });
  return { run, rec };
}

describe("order latency", () => {
  it("entry 30 µs: arrives at 55, after the ask moved, and fills at 102; reports land 20 µs later", () => {
    const { run, rec } = marketBuyAt25(latency.constant({ entryNs: 30_000, responseNs: 20_000 }));
    expect(toUs(run.orders.sentTs[0]!)).toBe(25);
    expect(toUs(run.orders.arrivedTs[0]!)).toBe(55);
    expect(Array.from(run.fills.price)).toEqual([1.02]);
    expect(toUs(run.fills.ts[0]!)).toBe(55);
    expect(toUs(run.orders.ackTs[0]!)).toBe(75);
    expect(rec.fills.map((f) => [f.atUs, toUs(f.exchangeTs)])).toEqual([[75, 55]]);
  });

  it("entry 20 µs: arrives at 45, before the move, and fills at 101", () => {
    const { run } = marketBuyAt25(latency.constant({ entryNs: 20_000, responseNs: 0 }));
    expect(toUs(run.orders.arrivedTs[0]!)).toBe(45);
    expect(Array.from(run.fills.price)).toEqual([1.01]);
  });

  it("arriving at exactly the exchange time of a book change sees the change", () => {
    const { run } = marketBuyAt25(25_000);
    expect(toUs(run.orders.arrivedTs[0]!)).toBe(50);
    expect(Array.from(run.fills.price)).toEqual([1.02]);
    // A number is the same latency both ways: the fill report lands at 75.
    expect(toUs(run.orders.ackTs[0]!)).toBe(75);
  });

  it("a negative entry latency means the exchange dropped the request: rejected after |latency|", () => {
    const dropping: LatencyModel = { name: "dropping", entryNs: () => -15_000, responseNs: () => 0 };
    const { run, rec } = marketBuyAt25(dropping);
    expect(rec.updates).toMatchObject([{ event: "rejected", reason: "ExchangeRejected", atUs: 40 }]);
    expect(run.orders.reason[0]).toBe(OrderReason.ExchangeRejected);
    expect(run.fills.ts.length).toBe(0);
  });

  it("fromFeed: entry = multiplier × the latest feed latency seen + offset", () => {
    // Feed latency is 5 µs → entry = 4·5 + 10 = 30 µs → arrives at 55.
    const { run } = marketBuyAt25(latency.fromFeed({ entryMultiplier: 4, entryOffsetNs: 10_000, responseMultiplier: 1 }));
    expect(toUs(run.orders.arrivedTs[0]!)).toBe(55);
    expect(toUs(run.orders.ackTs[0]!)).toBe(60);
  });

  it("lognormal: seeded — the same seed draws the same latencies, another seed different ones", () => {
    const arrivals = (seed: number) => {
      const actions: [number, (ctx: import("../../src/engine/index.js").Context) => void][] = [];
      for (let j = 0; j < 10; j++) actions.push([10 + j, (ctx) => ctx.limit(1, 90, 1)]);
      const { strategy } = scripted(actions);
      const run = backtest(feed().build(testSpec()), strategy, { latencyNs: latency.lognormal({ entryMedianNs: 20_000, sigma: 0.8 }), seed });
      return Array.from(run.orders.arrivedTs, toUs);
    };
    const a = arrivals(1);
    expect(arrivals(1)).toEqual(a);
    expect(arrivals(2)).not.toEqual(a);
    // One session: requests never overtake each other.
    for (let j = 1; j < a.length; j++) expect(a[j]!).toBeGreaterThanOrEqual(a[j - 1]!);
  });
});

describe("feed latency", () => {
  it("from the data: the strategy sees each row at its localTs", () => {
    const { strategy, rec } = scripted([]);
    backtest(feed().build(testSpec()), strategy);
    expect(rec.books.map((b) => b.atUs)).toEqual([5, 55, 1005]);
    expect(rec.books[0]).toMatchObject({ bid: 100, ask: 101 });
  });

  it("a constant added to the exchange time replaces the data's receive times", () => {
    const { strategy, rec } = scripted([]);
    backtest(feed().build(testSpec()), strategy, { feedLatencyNs: 7_000 });
    expect(rec.books.map((b) => b.atUs)).toEqual([7, 57, 1007]);
  });

  it("a seeded distribution keeps receive times in feed order", () => {
    const times = (seed: number) => {
      const { strategy, rec } = scripted([]);
      backtest(feed().build(testSpec()), strategy, { feedLatencyNs: latency.feedLognormal({ medianNs: 10_000, sigma: 1 }), seed });
      return rec.books.map((b) => b.atUs);
    };
    const a = times(3);
    expect(times(3)).toEqual(a);
    for (let j = 1; j < a.length; j++) expect(a[j]!).toBeGreaterThanOrEqual(a[j - 1]!);
  });

  it("a receive time before the exchange time is raised to it and counted", () => {
    const f = new Feed().levels(0, [[100, 5]], [[101, 5]]).level(10, 1, 99, 1, { localUs: 8 }).level(20, 1, 98, 1);
    const { strategy, rec } = scripted([]);
    const run = backtest(f.build(testSpec()), strategy);
    expect(run.diagnostics.feedTimestampsRaised).toBe(1);
    expect(rec.books.map((b) => b.atUs)).toEqual([0, 10, 20]);
  });
});
