import { describe, expect, it } from "vitest";
import { bootstrap, stationaryResample, sharpeRatio, maxDrawdown } from "../../src/stats/index.js";
import { rng } from "../../src/core/index.js";

function normalReturns(seed: number, n: number, mu: number, sigma: number): Float64Array {
  const random = rng(seed);
  return Float64Array.from({ length: n }, () => random.normal(mu, sigma));
}

describe("stationary block bootstrap", () => {
  it("draws blocks with replacement whose mean length is L", () => {
    const n = 1000;
    const index = Float64Array.from({ length: n }, (_, i) => i);
    const out = new Float64Array(200_000);
    stationaryResample(index, out, 8, rng(1));
    let blocks = 1;
    for (let i = 1; i < out.length; i++) if (out[i] !== (out[i - 1]! + 1) % n) blocks++;
    // a new start lands on the continuation index with probability 1/n: expected blocks ≈ m·(1/L)(1 − 1/n)
    expect(out.length / blocks).toBeGreaterThan(8 * 0.96);
    expect(out.length / blocks).toBeLessThan(8 * 1.04);
    // with replacement: some indices repeat within one resample of length n
    const one = stationaryResample(index, new Float64Array(n), 8, rng(2));
    expect(new Set(one).size).toBeLessThan(n);
    // an infinite block is a circular shift of the series
    const shift = stationaryResample(index, new Float64Array(n), Infinity, rng(3));
    for (let i = 1; i < n; i++) expect(shift[i]).toBe((shift[0]! + i) % n);
  });

  it("is reproducible with a fixed seed", () => {
    const r = normalReturns(5, 300, 0.0005, 0.01);
    const a = bootstrap(r, { seed: 99, resamples: 200 });
    const b = bootstrap(r, { seed: 99, resamples: 200 });
    const c = bootstrap(r, { seed: 100, resamples: 200 });
    expect(Array.from(a.sharpe.samples)).toEqual(Array.from(b.sharpe.samples));
    expect([a.sharpe.lower, a.sharpe.upper, a.maxDrawdown.lower, a.maxDrawdown.upper]).toEqual([b.sharpe.lower, b.sharpe.upper, b.maxDrawdown.lower, b.maxDrawdown.upper]);
    expect(Array.from(a.sharpe.samples)).not.toEqual(Array.from(c.sharpe.samples));
    expect(a.blockLength).toBeCloseTo(Math.cbrt(300), 15);
    expect(a.sharpe.estimate).toBeCloseTo(sharpeRatio(r), 14);
    expect(a.maxDrawdown.estimate).toBe(maxDrawdown(r));
    expect(a.sharpe.lower).toBeLessThan(a.sharpe.upper);
    expect(a.maxDrawdown.lower).toBeGreaterThanOrEqual(0);
  });

  it("90% intervals cover the true Sharpe of iid normal returns in 85–95% of 200 replications", () => {
    const mu = 0.05;
    const sigma = 1;
    const ppy = 252;
    const trueSharpe = (mu / sigma) * Math.sqrt(ppy);
    let covered = 0;
    const reps = 200;
    for (let k = 0; k < reps; k++) {
      const r = normalReturns(1000 + k, 250, mu, sigma);
      const b = bootstrap(r, { seed: k, resamples: 400, confidence: 0.9, periodsPerYear: ppy });
      if (b.sharpe.lower <= trueSharpe && trueSharpe <= b.sharpe.upper) covered++;
    }
    const coverage = covered / reps;
    expect(coverage).toBeGreaterThanOrEqual(0.85);
    expect(coverage).toBeLessThanOrEqual(0.95);
  });

  it("gives NaN with a reason for data it cannot resample, instead of throwing", () => {
    const short = bootstrap([0.01]);
    expect(short.sharpe.estimate).toBeNaN();
    expect(short.sharpe.lower).toBeNaN();
    expect(short.maxDrawdown.upper).toBeNaN();
    expect(short.reason).toMatch(/at least 2 returns, got 1/);
    const withNaN = bootstrap([0.01, NaN, -0.02, 0.03]);
    expect(withNaN.sharpe.lower).toBeNaN();
    expect(withNaN.reason).toMatch(/return 1 is NaN/);
    expect(withNaN.sharpe.reason).toBe(withNaN.reason);
    const constant = bootstrap(new Array(50).fill(0.001), { seed: 3 });
    expect(constant.sharpe.estimate).toBeNaN();
    expect(constant.sharpe.lower).toBeNaN();
    expect(constant.sharpe.reason).toMatch(/constant/);
    // The drawdown of a constant positive series is defined: no drawdown at all.
    expect(constant.maxDrawdown.estimate).toBe(0);
    expect(constant.maxDrawdown.upper).toBe(0);
    expect(constant.maxDrawdown.reason).toBeUndefined();
    expect(constant.reason).toBeUndefined();
  });

  it("rejects unusable options", () => {
    expect(() => bootstrap([0.01, 0.02], { confidence: 1.5 })).toThrow(/confidence/);
    expect(() => bootstrap([0.01, 0.02], { blockLength: 0.5 })).toThrow(/blockLength/);
  });
});
