/**
 * Markout horizons are simulation durations, so they are ns like every other backtest duration:
 * `markoutHorizonsNs` is the option, the deprecated `markoutHorizonsMs` still works (converted),
 * and giving both is a BAD_OPTION. The same for the trade analytics' horizons and the summary's
 * adverse-selection horizon. Feed as in markouts.test.ts: a market buy at 10 µs fills at the ask
 * 101 with the mid at 100.5; the mid is 102.5 from 60 ms, 104.5 from 150 ms, 99.5 from 900 ms.
 */
import { describe, expect, it } from "vitest";
import { backtest, normalizeBacktestOptions } from "../../src/engine/index.js";
import { DEFAULT_MARKOUT_HORIZONS_NS, markouts, tradeAnalytics } from "../../src/stats/index.js";
import { optimize } from "../../src/optimize/index.js";
import { generateTicks } from "../../src/data/index.js";
import { Feed, scripted, testSpec } from "./scenarios/helpers.js";

const feed = (): Feed =>
  new Feed()
    .levels(0, [[100, 5]], [[101, 5]])
    .levels(60_000, [[100, 0], [102, 5]], [[101, 0], [103, 5]])
    .levels(150_000, [[102, 0], [104, 5]], [[103, 0], [105, 5]])
    .levels(900_000, [[104, 0], [99, 5]], [[105, 0], [100, 5]])
    .level(3_000_000, 1, 50, 1);

const bp = (from: number, to: number): number => ((to - from) * 1e4) / from;
const run = (options: Parameters<typeof backtest>[2]) => backtest(feed().build(testSpec()), scripted([[10, (ctx) => ctx.market(1, 1)]]).strategy, options);

describe("markout horizons in ns", () => {
  it("markoutHorizonsNs samples the same mids as the deprecated markoutHorizonsMs with the value in ms", () => {
    // 200 ms and 1.2 s: neither is on the equity grid (1 s) nor a default horizon.
    const viaNs = run({ markoutHorizonsNs: [200_000_000, 1_200_000_000] });
    const viaMs = run({ markoutHorizonsMs: [200, 1200] });
    expect(Array.from(viaNs.mid.ts)).toEqual(Array.from(viaMs.mid.ts));
    expect(Array.from(viaNs.mid.mid)).toEqual(Array.from(viaMs.mid.mid));
    const m = markouts(viaNs.fills, viaNs.mid, { horizonsNs: [200_000_000, 1_200_000_000] });
    // +200 ms: after the 150 ms move (104.5); +1.2 s: after the 900 ms move (99.5).
    expect(m.perFill[0]).toBeCloseTo(bp(1.005, 1.045), 10);
    expect(m.perFill[1]).toBeCloseTo(bp(1.005, 0.995), 10);
    expect(m.horizonsNs).toEqual([200_000_000, 1_200_000_000]);
    expect(m.horizonsMs).toEqual([200, 1200]);
    // The deprecated positional ms form gives the same numbers.
    const old = markouts(viaMs.fills, viaMs.mid, [200, 1200]);
    expect(Array.from(old.perFill)).toEqual(Array.from(m.perFill));
    expect(old.horizonsNs).toEqual([200_000_000, 1_200_000_000]);
  });

  it("defaults to 100 ms, 1 s and 10 s in ns, and converts ms the way the sampler always did", () => {
    expect(normalizeBacktestOptions({}).markoutHorizonsNs).toEqual([100_000_000, 1_000_000_000, 10_000_000_000]);
    expect(DEFAULT_MARKOUT_HORIZONS_NS).toEqual([100_000_000, 1_000_000_000, 10_000_000_000]);
    expect(normalizeBacktestOptions({ markoutHorizonsMs: [0.5, 250] }).markoutHorizonsNs).toEqual([500_000, 250_000_000]);
    expect(normalizeBacktestOptions({ markoutHorizonsNs: [1, 2] }).markoutHorizonsNs).toEqual([1, 2]);
  });

  it("refuses both spellings at once, and horizons that are not increasing whole ns (BAD_OPTION)", () => {
    expect(() => normalizeBacktestOptions({ markoutHorizonsNs: [100_000_000], markoutHorizonsMs: [100] })).toThrow(expect.objectContaining({ code: "BAD_OPTION", message: "backtest option markoutHorizonsMs: is the deprecated spelling of markoutHorizonsNs; both were given" }));
    expect(() => run({ markoutHorizonsNs: [1_000_000_000], markoutHorizonsMs: [1000] })).toThrow(expect.objectContaining({ code: "BAD_OPTION" }));
    expect(() => normalizeBacktestOptions({ markoutHorizonsNs: [1e9, 1e8] })).toThrow(expect.objectContaining({ code: "BAD_OPTION", message: "backtest option markoutHorizonsNs: must be increasing positive whole numbers of ns, got [1000000000,100000000]" }));
    expect(() => normalizeBacktestOptions({ markoutHorizonsNs: [1.5] })).toThrow(expect.objectContaining({ code: "BAD_OPTION" }));
    expect(() => normalizeBacktestOptions({ markoutHorizonsMs: [1000, 100] })).toThrow(/markoutHorizonsMs: must be increasing positive numbers of ms/);
  });

  it("the optimizer's backtest options take markoutHorizonsNs (no UNKNOWN_OPTION)", async () => {
    const data = generateTicks({ events: 20_000, seed: 2, mode: "l2" });
    const res = await optimize({ data, strategy: "imbalance", space: { threshold: [0.2, 0.4] }, backtest: { markoutHorizonsNs: [50_000_000] }, workers: 0 });
    // Markout horizons change what is sampled, not what is traded: the trials equal a sweep without them.
    const plain = await optimize({ data, strategy: "imbalance", space: { threshold: [0.2, 0.4] }, workers: 0 });
    expect(res.trials.map((t) => t.status)).not.toContain("failed");
    expect(res.trials.map((t) => [t.status, t.metrics.trades, t.objective])).toEqual(plain.trials.map((t) => [t.status, t.metrics.trades, t.objective]));
    expect(res.trials[0]!.metrics.trades).toBeGreaterThan(0);
    await expect(optimize({ data, strategy: "imbalance", space: { threshold: [0.2] }, backtest: { markoutHorizonsNs: [50_000_000], markoutHorizonsMs: [50] }, workers: 0 })).rejects.toMatchObject({ code: "BAD_OPTION" });
  });
});

describe("trade analytics horizons in ns", () => {
  it("horizonsNs and adverseSelectionHorizonNs equal the deprecated ms options; the summary says the horizon in ns", () => {
    const r = run({ markoutHorizonsNs: [200_000_000, 1_200_000_000] });
    const viaNs = tradeAnalytics(r.fills, r.mid, { horizonsNs: [200_000_000, 1_200_000_000], adverseSelectionHorizonNs: 200_000_000 });
    const viaMs = tradeAnalytics(r.fills, r.mid, { horizonsMs: [200, 1200], adverseSelectionHorizonMs: 200 });
    expect(Array.from(viaNs.markouts!.perFill)).toEqual(Array.from(viaMs.markouts!.perFill));
    expect(viaNs.summary.adverseSelectionHorizonNs).toBe(200_000_000);
    expect(viaNs.summary.adverseSelectionHorizonMs).toBe(200);
    expect(viaMs.summary.adverseSelectionHorizonNs).toBe(200_000_000);
    // A taker fill only: no maker fill at the horizon.
    expect(viaNs.reasons.adverseSelectionBp).toBe("no maker fill with a mid price at the horizon");
    const defaults = tradeAnalytics(r.fills, r.mid);
    expect(defaults.summary.adverseSelectionHorizonNs).toBe(1_000_000_000);
    expect(defaults.markouts!.horizonsNs).toEqual([100_000_000, 1_000_000_000, 10_000_000_000]);
    // One round trip is not closed; the holding time of none is NaN in both units.
    expect(defaults.summary.roundTrips.averageHoldingNs).toBeNaN();
    expect(() => tradeAnalytics(r.fills, r.mid, { horizonsNs: [1e9], horizonsMs: [1000] })).toThrow(expect.objectContaining({ code: "BAD_OPTION", message: "tradeAnalytics option horizonsMs: is the deprecated spelling of horizonsNs; both were given" }));
    expect(() => tradeAnalytics(r.fills, r.mid, { adverseSelectionHorizonNs: 1e9, adverseSelectionHorizonMs: 1000 })).toThrow(expect.objectContaining({ code: "BAD_OPTION" }));
  });
});

describe("a run's report reads its own markout horizons", () => {
  it("the tear sheet's markouts are at the run's markoutHorizonsNs, with adverse selection at the one nearest 1 s", async () => {
    const { reportRun } = await import("../../src/report/index.js");
    const horizons = [200_000_000, 1_200_000_000];
    const r = run({ markoutHorizonsNs: horizons });
    expect(r.markoutHorizonsNs).toEqual(horizons);
    const sheet = reportRun(r);
    const m = sheet.trades!.markouts!;
    expect(m.horizonsNs).toEqual(horizons);
    // The same figures as the markouts computed directly on the run's exact mid samples.
    expect(Array.from(m.perFill)).toEqual(Array.from(markouts(r.fills, r.mid, { horizonsNs: horizons }).perFill));
    expect(m.perFill[0]).toBeCloseTo(bp(1.005, 1.045), 10);
    expect(sheet.trades!.summary.adverseSelectionHorizonNs).toBe(1_200_000_000);
    // A run with the default horizons reports at 100 ms, 1 s and 10 s.
    expect(reportRun(run({})).trades!.markouts!.horizonsNs).toEqual([...DEFAULT_MARKOUT_HORIZONS_NS]);
  });
});
