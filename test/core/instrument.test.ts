import { describe, expect, it } from "vitest";
import { instrument, LabError } from "../../src/core/index.js";
import { checkOptionKeys } from "../../src/core/internal.js";

describe("instrument spec: exact price and size conversion", () => {
  const btc = instrument({ symbol: "BTCUSDT", venue: "BINANCE", tickSize: "0.10", lotSize: "0.001", makerFee: -0.0001, takerFee: 0.0004 });
  const goog = instrument({ symbol: "GOOG", venue: "NASDAQ", tickSize: "0.01" });

  it("converts 61800.20 and 585.3300 exactly, both ways", () => {
    expect(btc.toTicks("61800.20")).toBe(618002);
    expect(btc.toTicks(61800.2)).toBe(618002);
    expect(btc.priceString(618002)).toBe("61800.2");
    expect(goog.toTicks("585.3300")).toBe(58533);
    expect(goog.priceString(58533)).toBe("585.33");
    // The naive float path gets such conversions wrong: 0.29 / 0.01 = 28.999999999999996.
    expect(Math.floor(0.29 / 0.01)).toBe(28);
    expect(goog.toTicks("0.29")).toBe(29);
  });

  it("round-trips every price on a grid", () => {
    for (let t = 0; t < 200_000; t += 7) expect(goog.toTicks(goog.priceString(t))).toBe(t);
  });

  it("rejects off-grid prices and sizes with hints", () => {
    expect(() => goog.toTicks("585.335")).toThrow(LabError);
    expect(goog.tryToTicks("585.335")).toBeUndefined();
    expect(() => btc.toLots("0.0005")).toThrow(/lot size 0.001/);
    expect(btc.toLots("1.25")).toBe(1250);
    expect(btc.sizeString(1250)).toBe("1.25");
  });

  it("names the closest option on a typo", () => {
    try {
      checkOptionKeys({ latncyNs: 1 }, ["latencyNs", "queue"], "backtest");
      expect.fail("should throw");
    } catch (error) {
      expect((error as LabError).message).toBe('unknown option "latncyNs" for backtest');
      expect((error as LabError).hint).toBe('did you mean "latencyNs"? Known options: latencyNs, queue');
    }
  });
});
