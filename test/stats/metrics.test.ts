import { describe, expect, it } from "vitest";
import {
  metricsReport, METRICS, returnsFromEquity, cumulativeReturn, annualReturn, annualVolatility, sharpeRatio, sortinoRatio,
  maxDrawdown, drawdownInfo, calmarRatio, omegaRatio, tailRatio, valueAtRisk, conditionalValueAtRisk, hitRate, profitFactor,
  averageWin, averageLoss, drawdownSeries,
} from "../../src/stats/index.js";
import { LabError } from "../../src/core/index.js";

// r = [0.10, −0.05, 0.02, −0.10, 0.04], worked by hand:
//   Σr = 0.01, mean = 0.002
//   deviations d = [0.098, −0.052, 0.018, −0.102, 0.038]
//   Σd² = 0.009604 + 0.002704 + 0.000324 + 0.010404 + 0.001444 = 0.02448
//   sample variance = 0.02448/4 = 0.00612, std = √0.00612
//   wealth W = 1, 1.1, 1.045, 1.0659, 0.95931, 0.9976824 -> cumulative = −0.0023176
//   drawdown: peak W1 = 1.1, trough W4 = 0.95931 -> 0.95931/1.1 − 1 = −0.1279; never recovered;
//             under water from W2 to W5 = 4 periods
//   downside: min(r,0)² = [0, 0.0025, 0, 0.01, 0] -> mean 0.0025 -> deviation 0.05
//   omega: gains 0.10+0.02+0.04 = 0.16, losses 0.05+0.10 = 0.15 -> 16/15
//   sorted = [−0.10, −0.05, 0.02, 0.04, 0.10]
//     q05: h = 4·0.05 = 0.2 -> −0.10 + 0.2·0.05 = −0.09;  q95: h = 3.8 -> 0.04 + 0.8·0.06 = 0.088
//   CVaR: returns ≤ −0.09 are {−0.10} -> −0.10
//   hit rate 3/5, profit factor 0.16/0.15, average win 0.16/3, average loss −0.15/2
const r = new Float64Array([0.1, -0.05, 0.02, -0.1, 0.04]);
const ppy = 252;

describe("metrics against a hand-worked 5-return series", () => {
  it("returns and risk", () => {
    expect(cumulativeReturn(r)).toBeCloseTo(-0.0023176, 14);
    expect(annualReturn(r, ppy)).toBeCloseTo(Math.pow(0.9976824, 252 / 5) - 1, 13);
    expect(annualVolatility(r, ppy)).toBeCloseTo(Math.sqrt(0.00612) * Math.sqrt(252), 13);
    expect(sharpeRatio(r, { periodsPerYear: ppy })).toBeCloseTo((0.002 / Math.sqrt(0.00612)) * Math.sqrt(252), 12);
    // risk-free 0.001 per period: excess mean 0.001, same std
    expect(sharpeRatio(r, { periodsPerYear: ppy, riskFree: 0.001 })).toBeCloseTo((0.001 / Math.sqrt(0.00612)) * Math.sqrt(252), 12);
    expect(sortinoRatio(r, { periodsPerYear: ppy })).toBeCloseTo((0.002 / 0.05) * Math.sqrt(252), 12);
  });

  it("drawdown with peak, trough, recovery and duration", () => {
    const info = drawdownInfo(r);
    // a depth ≥ 0 (empyrical reports −12.79 %)
    expect(info.maxDrawdown).toBeCloseTo(1 - 0.95931 / 1.1, 14);
    expect(info.peakIndex).toBe(1);
    expect(info.troughIndex).toBe(4);
    expect(info.recoveryIndex).toBe(-1);
    expect(info.longestDuration).toBe(4);
    expect(maxDrawdown(r)).toBe(info.maxDrawdown);
    expect(calmarRatio(r, ppy)).toBeCloseTo((Math.pow(0.9976824, 252 / 5) - 1) / (1 - 0.95931 / 1.1), 12);
    const dd = drawdownSeries(r);
    expect(Array.from(dd).map((v) => +v.toFixed(10))).toEqual([0, 0, +(1 - 1.045 / 1.1).toFixed(10), +(1 - 1.0659 / 1.1).toFixed(10), +(1 - 0.95931 / 1.1).toFixed(10), +(1 - 0.9976824 / 1.1).toFixed(10)]);
  });

  it("a recovered drawdown and the starting wealth as a peak", () => {
    // W = 1, 0.9, 0.99, 1.089: peak W0, trough W1 (−10 %), back above 1 at W3; under water W1..W2 = 2 periods
    const info = drawdownInfo(new Float64Array([-0.1, 0.1, 0.1]));
    expect(info.maxDrawdown).toBeCloseTo(0.1, 14);
    expect([info.peakIndex, info.troughIndex, info.recoveryIndex, info.longestDuration]).toEqual([0, 1, 3, 2]);
    // W = 1, 1.1, 0.88, 1.144: peak W1, trough W2 (0.88/1.1 − 1 = −20 %), recovered at W3 (1.144 ≥ 1.1)
    const later = drawdownInfo(new Float64Array([0.1, -0.2, 0.3]));
    expect(later.maxDrawdown).toBeCloseTo(0.2, 14);
    expect([later.peakIndex, later.troughIndex, later.recoveryIndex, later.longestDuration, later.longestStartIndex]).toEqual([1, 2, 3, 1, 1]);
  });

  it("distribution and trade metrics", () => {
    expect(omegaRatio(r)).toBeCloseTo(16 / 15, 14);
    expect(tailRatio(r)).toBeCloseTo(0.088 / 0.09, 13);
    expect(valueAtRisk(r)).toBeCloseTo(-0.09, 14);
    expect(conditionalValueAtRisk(r)).toBeCloseTo(-0.1, 14);
    expect(hitRate(r)).toBeCloseTo(0.6, 15);
    expect(profitFactor(r)).toBeCloseTo(0.16 / 0.15, 14);
    expect(averageWin(r)).toBeCloseTo(0.16 / 3, 15);
    expect(averageLoss(r)).toBeCloseTo(-0.075, 15);
  });

  it("metricsReport lists every registry metric", () => {
    const rep = metricsReport(r, { periodsPerYear: ppy });
    expect(Object.keys(rep.values)).toEqual(METRICS.map((m) => m.key));
    expect(rep.values.sharpe).toBeCloseTo((0.002 / Math.sqrt(0.00612)) * Math.sqrt(252), 12);
    expect(rep.values.omega).toBeCloseTo(16 / 15, 14);
    expect(rep.reasons).toEqual({});
    // m2 = 0.02448/5, Σd³ = 0.000941192 − 0.000140608 + 0.000005832 − 0.001061208 + 0.000054872 = −0.00019992
    expect(rep.values.skewness).toBeCloseTo(-0.00019992 / 5 / Math.pow(0.02448 / 5, 1.5), 12);
    for (const m of METRICS) expect(typeof m.format(rep.values[m.key]!)).toBe("string");
    expect(METRICS.find((m) => m.key === "maxDrawdown")!.format(rep.values.maxDrawdown!)).toBe("12.79%");
  });
});

describe("edge cases give NaN with a reason", () => {
  it("constant series", () => {
    const rep = metricsReport(new Float64Array([0.001, 0.001, 0.001, 0.001]));
    expect(rep.values.sharpe).toBeNaN();
    expect(rep.reasons.sharpe).toMatch(/constant/);
    expect(rep.values.skewness).toBeNaN();
    expect(rep.reasons.kurtosis).toMatch(/zero variance/);
    expect(rep.values.sortino).toBeNaN();
    expect(rep.reasons.sortino).toMatch(/downside deviation is 0/);
    expect(rep.values.calmar).toBeNaN();
    expect(rep.reasons.calmar).toBe("no drawdown");
    // well-defined ones stay defined
    expect(rep.values.totalReturn).toBeCloseTo(Math.pow(1.001, 4) - 1, 15);
    expect(rep.values.maxDrawdown).toBe(0);
  });

  it("fewer than 2 returns", () => {
    const rep = metricsReport(new Float64Array([0.01]));
    expect(rep.values.annualVolatility).toBeNaN();
    expect(rep.reasons.annualVolatility).toBe("needs at least 2 returns, got 1");
    expect(metricsReport([]).reasons.totalReturn).toBe("no returns");
  });

  it("a run too short to annualize says so instead of printing infinity", () => {
    // +1% per minute for 60 minutes, compounded over 525,600 minutes a year: (1.01)^525600 = inf.
    const rep = metricsReport(new Float64Array(60).fill(0.01).map((v, i) => (i % 7 === 0 ? -0.002 : v)), { periodsPerYear: 525_600 });
    expect(rep.values.totalReturn).toBeGreaterThan(0.5);
    expect(rep.values.annualReturn).toBeNaN();
    expect(rep.reasons.annualReturn).toMatch(/60 periods to a year \(525600 per year\) overflows/);
    expect(rep.values.calmar).toBeNaN();
    expect(rep.reasons.calmar).toMatch(/too short to annualize/);
    // A finite annualization keeps its value.
    expect(Number.isFinite(metricsReport(new Float64Array([0.01, -0.005, 0.002])).values.annualReturn)).toBe(true);
  });

  it("NaN input poisons every metric and names the position", () => {
    const rep = metricsReport(new Float64Array([0.01, NaN, 0.02]));
    for (const m of METRICS) {
      expect(rep.values[m.key]).toBeNaN();
      expect(rep.reasons[m.key]).toBe("return 1 is NaN (inputs must be finite numbers)");
    }
  });
});

describe("returnsFromEquity", () => {
  it("simple returns between samples", () => {
    const r2 = returnsFromEquity(new Float64Array([100, 110, 99]));
    expect(r2[0]).toBeCloseTo(0.1, 15);
    expect(r2[1]).toBeCloseTo(-0.1, 15);
    expect(returnsFromEquity({ ts: new BigInt64Array([1n, 2n]), equity: new Float64Array([50, 55]) })[0]).toBeCloseTo(0.1, 15);
  });

  it("rejects non-positive equity with its sample", () => {
    try {
      returnsFromEquity([100, 0, 5]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(LabError);
      expect((e as LabError).code).toBe("EQUITY_NOT_POSITIVE");
      expect((e as LabError).message).toBe("equity is 0 at sample 1: simple returns need a positive account value");
    }
  });
});
