/**
 * The equity grid is sized by the data's time span: one timestamp moved by years (a flipped byte
 * in a file) must end in a coded error, not in a grid of hundreds of millions of samples.
 */
import { describe, expect, it } from "vitest";
import { backtest, strategies } from "../../src/index.js";
import { generateTicks, sliceBatch } from "../../src/data/index.js";

describe("equity grid over the data's time span", () => {
  it("a row ten years after the rest is TIME_SPAN_TOO_LONG, before the grid grows", () => {
    const data = generateTicks({ events: 5_000, seed: 5, mode: "l2" });
    const last = data.length - 1;
    const tenYears = 10n * 365n * 86_400n * 1_000_000_000n;
    (data.exchTs as BigInt64Array)[last] = data.exchTs[last]! + tenYears;
    (data.localTs as BigInt64Array)[last] = data.localTs[last]! + tenYears;
    const before = process.memoryUsage().arrayBuffers;
    expect(() => backtest(data, strategies.imbalance({ threshold: 0.3 }), { latencyNs: 50_000 })).toThrow(expect.objectContaining({ code: "TIME_SPAN_TOO_LONG", hint: expect.stringContaining("lab.data.validate") }));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(512 * 2 ** 20);
  });

  it("the same rows without the far-off one run, and a larger equityIntervalNs admits a long span", () => {
    const data = generateTicks({ events: 5_000, seed: 5, mode: "l2" });
    expect(backtest(sliceBatch(data, 0, data.length - 1), strategies.imbalance({ threshold: 0.3 }), { latencyNs: 50_000 }).summary.orders).toBeGreaterThan(0);
    const last = data.length - 1;
    const twoYears = 2n * 365n * 86_400n * 1_000_000_000n;
    (data.exchTs as BigInt64Array)[last] = data.exchTs[last]! + twoYears;
    (data.localTs as BigInt64Array)[last] = data.localTs[last]! + twoYears;
    const run = backtest(data, strategies.imbalance({ threshold: 0.3 }), { latencyNs: 50_000, equityIntervalNs: 3_600_000_000_000 });
    expect(run.equity.ts.length).toBeGreaterThan(2 * 365 * 24 - 10);
  });
});
