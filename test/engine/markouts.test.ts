/**
 * Markouts read the exchange-side mid at exactly fill time + horizon, not the last equity sample
 * before it: with equity sampled each second, a +100 ms markout would otherwise read the fill's
 * own mid and report 0.
 */
import { describe, expect, it } from "vitest";
import { backtest } from "../../src/engine/index.js";
import { markouts, tradeAnalytics } from "../../src/stats/index.js";
import { Feed, scripted, testSpec, toUs } from "./scenarios/helpers.js";

// Prices in ticks of 0.01. A market buy at 10 µs fills at the ask 101 with the mid at 100.5.
// The mid then moves: 102.5 at 60 ms, 104.5 at 150 ms, 99.5 at 900 ms, 110.5 at 5 s.
function feed(lastUs: number): Feed {
  return new Feed()
    .levels(0, [[100, 5]], [[101, 5]])
    .levels(60_000, [[100, 0], [102, 5]], [[101, 0], [103, 5]])
    .levels(150_000, [[102, 0], [104, 5]], [[103, 0], [105, 5]])
    .levels(900_000, [[104, 0], [99, 5]], [[105, 0], [100, 5]])
    .levels(5_000_000, [[99, 0], [110, 5]], [[100, 0], [111, 5]])
    .level(lastUs, 1, 50, 1);
}

const bp = (from: number, to: number): number => ((to - from) * 1e4) / from;

describe("markouts from a backtest", () => {
  it("sample the mid at fill time + 100 ms, 1 s and 10 s, each reflecting every event up to then", () => {
    const { strategy } = scripted([[10, (ctx) => ctx.market(1, 1)]]);
    const run = backtest(feed(12_000_000).build(testSpec()), strategy, { latencyNs: 0 });
    expect(Array.from(run.fills.price)).toEqual([1.01]);
    expect(toUs(run.fills.ts[0]!)).toBe(10);
    const m = markouts(run.fills, run.mid, [100, 1000, 10_000]);
    // +100 ms (at 100.01 ms): after the 60 ms move, before the 150 ms one.
    expect(m.perFill[0]).toBeCloseTo(bp(1.005, 1.025), 10);
    // +1 s: after the 900 ms move.
    expect(m.perFill[1]).toBeCloseTo(bp(1.005, 0.995), 10);
    // +10 s: after the 5 s move.
    expect(m.perFill[2]).toBeCloseTo(bp(1.005, 1.105), 10);
    expect(Array.from(m.buy)).toEqual(Array.from(m.perFill));
    // The equity curve itself is unchanged: a grid sample each second plus the fill sample.
    expect(run.equity.ts.length).toBeLessThan(run.mid.ts.length);
    const report = tradeAnalytics(run.fills, run.mid);
    expect(report.markouts?.all[0]).toBeCloseTo(bp(1.005, 1.025), 10);
  });

  it("a horizon past the end of the data stays undefined instead of reusing the last mid", () => {
    const { strategy } = scripted([[10, (ctx) => ctx.market(1, 1)]]);
    const run = backtest(feed(3_000_000).build(testSpec()), strategy, { latencyNs: 0 });
    const m = markouts(run.fills, run.mid, [100, 1000, 10_000]);
    expect(m.perFill[0]).toBeCloseTo(bp(1.005, 1.025), 10);
    expect(m.perFill[1]).toBeCloseTo(bp(1.005, 0.995), 10);
    expect(m.perFill[2]).toBeNaN();
  });

  it("custom horizons are sampled exactly; others fall back to the latest sample before them", () => {
    const { strategy } = scripted([[10, (ctx) => ctx.market(1, 1)]]);
    const run = backtest(feed(12_000_000).build(testSpec()), strategy, { latencyNs: 0, markoutHorizonsMs: [200] });
    const m = markouts(run.fills, run.mid, [200]);
    expect(m.perFill[0]).toBeCloseTo(bp(1.005, 1.045), 10);
    expect(() => backtest(feed(12_000_000).build(testSpec()), strategy, { markoutHorizonsMs: [1000, 100] })).toThrow(/increasing positive/);
  });
});
