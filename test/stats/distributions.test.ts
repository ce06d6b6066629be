import { describe, expect, it } from "vitest";
import { normalCdf, normalInv, erfc, erf, mean, std, variance, skewness, kurtosisRaw, kurtosisExcess, quantile, selectInPlace } from "../../src/stats/index.js";
import { rng } from "../../src/core/index.js";

describe("normal distribution", () => {
  // Reference values: scipy.stats.norm.cdf / .ppf and scipy.special.erfc, printed to 16 digits.
  it.each([
    [1.96, 0.9750021048517795],
    [0, 0.5],
    [-1, 0.15865525393145707],
    [1, 0.8413447460685429],
    [-3.5, 2.326290790355250e-4],
    [2.5, 0.9937903346742238],
  ])("Φ(%d) = %d", (x, expected) => {
    expect(Math.abs(normalCdf(x) - expected)).toBeLessThan(1e-12);
  });

  it("keeps relative precision deep in the lower tail", () => {
    // Φ(−8) = 6.220960574271785e-16: a 1 − erf implementation returns 0 or loses every digit.
    expect(Math.abs(normalCdf(-8) / 6.22096057427178e-16 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(erfc(5) / 1.5374597944280349e-12 - 1)).toBeLessThan(1e-12);
  });

  it("erf and erfc are consistent across the series / continued-fraction switch at 2.5", () => {
    expect(Math.abs(erfc(0.5) - 0.4795001221869535)).toBeLessThan(1e-15);
    expect(Math.abs(erfc(2.5) / 4.069520174449590e-4 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(erfc(2.4999999999) / erfc(2.5) - 1)).toBeLessThan(1e-9);
    expect(erf(-0.3)).toBeCloseTo(-erf(0.3), 15);
    expect(erfc(-1) + erfc(1)).toBeCloseTo(2, 15);
  });

  it.each([
    [0.975, 1.959963984540054],
    [0.5, 0],
    [0.02, -2.053748910631823],
    [0.99, 2.326347874040841],
    [1e-10, -6.361340902404056],
    [0.841344746068543, 1],
  ])("Φ⁻¹(%d) = %d", (p, expected) => {
    expect(Math.abs(normalInv(p) - expected)).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected)));
  });

  it("inverts Φ to machine precision over the whole range", () => {
    // Above x ≈ 5, Φ(x) rounds toward 1 in doubles, so the round trip is only checked below it.
    for (let x = -8; x <= 5; x += 0.37) expect(Math.abs(normalInv(normalCdf(x)) - x)).toBeLessThan(1e-9);
    for (let p = 0.001; p < 1; p += 0.0123) expect(Math.abs(normalCdf(normalInv(p)) - p)).toBeLessThan(1e-14);
  });

  it("handles the ends and invalid probabilities", () => {
    expect(normalInv(0)).toBe(-Infinity);
    expect(normalInv(1)).toBe(Infinity);
    expect(normalInv(1.2)).toBeNaN();
    expect(normalCdf(NaN)).toBeNaN();
  });
});

describe("moments", () => {
  // x = [1, 2, 3, 4, 10]
  // mean = 20/5 = 4; deviations d = [−3, −2, −1, 0, 6]
  // Σd² = 9+4+1+0+36 = 50    -> m2 = 10, sample variance = 50/4 = 12.5, std = √12.5
  // Σd³ = −27−8−1+0+216 = 180 -> m3 = 36, skew = 36 / 10^1.5 = 1.1384199576606167
  // Σd⁴ = 81+16+1+0+1296 = 1394 -> m4 = 278.8, raw kurtosis = 278.8/100 = 2.788, excess = −0.212
  const x = new Float64Array([1, 2, 3, 4, 10]);
  it("matches the hand calculation", () => {
    expect(mean(x)).toBe(4);
    expect(variance(x)).toBeCloseTo(12.5, 14);
    expect(std(x)).toBeCloseTo(Math.sqrt(12.5), 14);
    expect(skewness(x)).toBeCloseTo(36 / Math.pow(10, 1.5), 14);
    expect(kurtosisRaw(x)).toBeCloseTo(2.788, 14);
    expect(kurtosisExcess(x)).toBeCloseTo(-0.212, 14);
  });

  it("linear-interpolation quantiles (numpy default)", () => {
    // sorted [1,2,3,4,10]; q=0.95 -> h = 4·0.95 = 3.8 -> 4 + 0.8·(10−4) = 8.8
    expect(quantile(x, 0.95)).toBeCloseTo(8.8, 14);
    // q=0.05 -> h = 0.2 -> 1 + 0.2·1 = 1.2
    expect(quantile(x, 0.05)).toBeCloseTo(1.2, 14);
  });

  it("selection-based quantiles equal sorting and interpolating, also with many ties", () => {
    const random = rng(3);
    for (const n of [1, 2, 7, 100, 1001]) {
      // a third of the values are exactly 0 (idle periods), the rest spread out
      const x = Float64Array.from({ length: n }, () => (random.float() < 0.33 ? 0 : Math.round(random.normal(0, 5)) / 1000 + 0)); // + 0 turns −0 into 0
      const sorted = Float64Array.from(x).sort();
      for (const q of [0, 0.01, 0.05, 0.25, 0.5, 0.9, 0.95, 1]) {
        const h = (n - 1) * q;
        const lo = Math.floor(h);
        const expected = sorted[lo]! + (h - lo) * (sorted[Math.min(lo + 1, n - 1)]! - sorted[lo]!);
        expect(quantile(x, q)).toBeCloseTo(expected, 15);
      }
      const k = Math.floor(n / 3);
      const copy = Float64Array.from(x);
      expect(selectInPlace(copy, k)).toBe(sorted[k]);
      for (let i = 0; i < n; i++) expect(i < k ? copy[i]! <= copy[k]! : copy[i]! >= copy[k]!).toBe(true);
    }
    expect(quantile([1, NaN, 2], 0.5)).toBeNaN();
  });

  it("gives NaN for constant, too short or NaN input", () => {
    expect(skewness(new Float64Array([0.01, 0.01, 0.01]))).toBeNaN();
    expect(kurtosisRaw(new Float64Array([0.01, 0.01, 0.01]))).toBeNaN();
    expect(std(new Float64Array([1]))).toBeNaN();
    expect(mean(new Float64Array([1, NaN]))).toBeNaN();
    expect(skewness(new Float64Array([1, NaN, 3]))).toBeNaN();
  });
});
