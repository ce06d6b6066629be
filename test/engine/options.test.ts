import { describe, expect, it } from "vitest";
import { isLabError } from "../../src/core/index.js";
import { BACKTEST_DEFAULTS, normalizeBacktestOptions } from "../../src/engine/index.js";

const info = { id: 0, instrument: 0, side: 1, priceTicks: 100, qtyLots: 1, type: 1, request: 1 };

function errorOf(fn: () => unknown): { code: string; message: string; hint: string } {
  try {
    fn();
  } catch (error) {
    if (isLabError(error)) return { code: error.code, message: error.message, hint: error.hint };
    throw error;
  }
  throw new Error("expected a LabError");
}

describe("backtest options", () => {
  it("has the expected defaults", () => {
    const o = normalizeBacktestOptions();
    expect(o.latency.entryNs(0, info)).toBe(0);
    expect(o.latency.responseNs(0, info)).toBe(0);
    expect(o.feed).toBe("data");
    expect(o.clockOffsetNs).toBe(0);
    expect(o.queue).toBeUndefined();
    expect(o.fees.name).toBe("instrument");
    expect(o.seed).toBe(0);
    expect(o.equityIntervalNs).toBe(1_000_000_000);
    expect(o.initialCash).toBe(0);
    expect(o.risk).toEqual({});
    expect(o.book).toBe("auto");
    expect(o.venueRules).toBe("fifo");
    expect(o.markoutHorizonsNs).toEqual([100_000_000, 1_000_000_000, 10_000_000_000]);
    expect(o.startAt).toBeUndefined();
    expect(o.check).toBe("warn");
    expect(o.session).toBeUndefined();
    expect(Object.keys(BACKTEST_DEFAULTS).sort()).toEqual(["book", "check", "clockOffsetNs", "compat", "equityIntervalNs", "everyOrigin", "feedLatencyNs", "fees", "fills", "initialCash", "latencyNs", "markoutHorizonsMs", "markoutHorizonsNs", "progress", "queue", "risk", "seed", "session", "startAt", "venueRules"]);
  });

  it("startAt takes ns or a time text, and says what is wrong with anything else", () => {
    expect(normalizeBacktestOptions({ startAt: 1_704_205_800_000_000_123n }).startAt).toBe(1_704_205_800_000_000_123n);
    expect(normalizeBacktestOptions({ startAt: "2024-01-02T14:30:00.000000123Z" }).startAt).toBe(1_704_205_800_000_000_123n);
    expect(() => normalizeBacktestOptions({ startAt: "half past two" })).toThrow(/startAt: must be ns \(bigint\) or a time text/);
  });

  it("expands shorthands: a number is constant latency both ways, a name is a queue model, {maker, taker} a fee schedule", () => {
    const o = normalizeBacktestOptions({ latencyNs: 50_000, queue: "prob", fees: { maker: -0.0001, taker: 0.0004 }, feedLatencyNs: 7_000 });
    expect(o.latency.entryNs(123, info)).toBe(50_000);
    expect(o.latency.responseNs(123, info)).toBe(50_000);
    expect(o.queue?.name).toBe("prob(n=3)");
    expect(o.fees.name).toBe("makerTaker(-0.0001, 0.0004)");
    expect(o.feed === "data" ? NaN : o.feed.feedNs(0)).toBe(7_000);
  });

  it.each([
    [{ latncyNs: 5 }, "UNKNOWN_OPTION", 'unknown option "latncyNs" for backtest', 'did you mean "latencyNs"?'],
    [{ risk: { maxPositon: 3 } }, "UNKNOWN_OPTION", 'unknown option "maxPositon" for backtest risk limits', 'did you mean "maxPosition"?'],
    [{ latencyNs: -1 }, "BAD_OPTION", "backtest option latencyNs: must be ≥ 0 ns, got -1", "e.g. latencyNs: 50_000"],
    [{ queue: "fifo" }, "BAD_OPTION", 'backtest option queue: unknown queue model "fifo"', "use one of riskAverse, prob, log, squareProb, l3Fifo"],
    [{ equityIntervalNs: 0.5 }, "BAD_OPTION", "backtest option equityIntervalNs: must be a positive integer number of ns, got 0.5", "e.g. 1_000_000_000"],
    [{ book: "l4" }, "BAD_OPTION", 'backtest option book: must be "auto", "l2" or "l3", got l4', 'e.g. book: "l2"'],
  ])("rejects %j", (options, code, message, hint) => {
    const e = errorOf(() => normalizeBacktestOptions(options as never));
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
    expect(e.hint).toContain(hint);
  });
});

describe("time base", () => {
  it("writes base + offset into a BigInt64Array exactly, without BigInt arithmetic", async () => {
    const { TimeBase } = await import("../../src/engine/clock.js");
    const base = 1_704_205_800_123_456_789n;
    const tb = new TimeBase(base);
    const offsets = [0, 1, -1, 4294967295, 4294967296, -4294967297, 86_400_000_000_000, -3_600_000_000_123, 9_007_199_254_740_991, 123_456_789_012_345];
    const out = tb.toBigInt64Array(offsets);
    offsets.forEach((o, j) => expect(out[j]).toBe(base + BigInt(o)));
    expect(tb.toBigInt64Array([NaN])[0]).toBe(0n);
  });
});
