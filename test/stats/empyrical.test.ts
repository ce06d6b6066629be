/**
 * The expectations of empyrical's own test suite (quantopian/empyrical, empyrical/tests/test_stats.py)
 * for the same inputs. empyrical drops NaN inside these statistics; here NaN poisons a series, so
 * `mixed_returns` is used without its leading NaN where empyrical's result does not depend on it
 * (mean/std/downside based figures and drawdowns). Periods per year: daily 252, weekly 52, monthly 12.
 */
import { describe, expect, it } from "vitest";
import { METRICS, annualReturn, annualVolatility, calmarRatio, maxDrawdown, omegaRatio, sharpeRatio, sortinoRatio, tailRatio } from "../../src/stats/index.js";

const pct = (xs: number[]): Float64Array => Float64Array.from(xs, (x) => x / 100);
const mixed = pct([1, 10, -4, 2, 3, 2, 1, -10]); // mixed_returns without the NaN
const positive = pct([1, 2, 1, 1, 1, 1, 1, 1, 1]);
const negative = pct([0, -6, -7, -1, -9, -2, -6, -8, -5]);
const weekly = pct([0, 1, 10, -4, 2, 3, 2, 1, -10]); // weekly_returns and monthly_returns share these values
const simpleBenchmark = pct([0, 1, 0, 1, 0, 1, 0, 1, 0]);

describe("empyrical's test expectations", () => {
  it("sharpe_ratio", () => {
    expect(sharpeRatio(mixed, { periodsPerYear: 252 })).toBeCloseTo(1.7238613961706866, 8);
    expect(sharpeRatio(positive, { periodsPerYear: 252 })).toBeCloseTo(52.915026221291804, 8);
    expect(sharpeRatio(negative, { periodsPerYear: 252 })).toBeCloseTo(-24.406808633910085, 8);
  });

  it("annual_volatility", () => {
    expect(annualVolatility(mixed, 252)).toBeCloseTo(0.9136465399704637, 8);
    expect(annualVolatility(weekly, 52)).toBeCloseTo(0.38851569394870583, 8);
    expect(annualVolatility(weekly, 12)).toBeCloseTo(0.18663690238892558, 8);
  });

  it("sortino_ratio (downside deviation over all periods)", () => {
    expect(sortinoRatio(mixed, { periodsPerYear: 252 })).toBeCloseTo(2.605531251673693, 8);
    expect(sortinoRatio(negative, { periodsPerYear: 252 })).toBeCloseTo(-13.532743075043401, 8);
    // empyrical's weekly/monthly expectations (0.50690062680370862, 0.11697706772393276) annualize the
    // mean with the series' period but the downside deviation with the DAILY default (its
    // sortino_ratio calls downside_risk without `period`): mean·q/(DD·√252). Here both use q, so
    // ours = empyrical's · √252/√q.
    expect(sortinoRatio(weekly, { periodsPerYear: 52 })).toBeCloseTo((0.50690062680370862 * Math.sqrt(252)) / Math.sqrt(52), 8);
    expect(sortinoRatio(weekly, { periodsPerYear: 12 })).toBeCloseTo((0.11697706772393276 * Math.sqrt(252)) / Math.sqrt(12), 8);
  });

  it("max_drawdown", () => {
    // empyrical's max_drawdown negated: a drawdown here is a depth ≥ 0
    expect(maxDrawdown(mixed)).toBeCloseTo(0.1, 10);
    expect(maxDrawdown(negative)).toBeCloseTo(0.36590730349873601, 10);
    expect(maxDrawdown(pct([10, -10, 10]))).toBeCloseTo(0.1, 10);
    expect(maxDrawdown(positive)).toBe(0);
    expect(maxDrawdown(simpleBenchmark)).toBe(0);
  });

  it("annual_return and calmar_ratio (weekly and monthly series)", () => {
    expect(annualReturn(weekly, 52)).toBeCloseTo(0.24690830513998208, 8);
    expect(annualReturn(weekly, 12)).toBeCloseTo(0.052242061386048144, 8);
    expect(calmarRatio(weekly, 52)).toBeCloseTo(2.4690830513998208, 8);
    expect(calmarRatio(weekly, 12)).toBeCloseTo(0.52242061386048144, 8);
  });

  it("cagr of a flat 1 % line: 1.01^252 − 1 = 11.274002099240256", () => {
    expect(annualReturn(new Float64Array(1000).fill(0.01), 252)).toBeCloseTo(11.274002099240256, 6);
    expect(annualReturn(pct([3, 3, 3]), 1)).toBeCloseTo(0.03, 12);
  });

  it("omega_ratio with a constant risk-free rate as the threshold", () => {
    // empyrical subtracts risk_free from each return; here it is the per-period threshold.
    expect(omegaRatio(positive, 0.011)).toBeCloseTo(1.125, 10);
    expect(omegaRatio(positive, 0.02)).toBe(0);
    expect(omegaRatio(negative, 0.01)).toBe(0);
    expect(omegaRatio(positive, 0.01)).toBeNaN(); // no return below the threshold
  });

  it("tail_ratio (empyrical asserts one decimal)", () => {
    expect(tailRatio(mixed)).toBeCloseTo(0.9473684210526313, 1);
  });
});

describe("metric registry", () => {
  it("names the source of every definition", () => {
    for (const m of METRICS) expect(m.source.length, m.key).toBeGreaterThan(5);
    expect(METRICS.find((m) => m.key === "sharpe")!.source).toMatch(/empyrical sharpe_ratio/);
  });
});
