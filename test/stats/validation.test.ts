import { describe, expect, it } from "vitest";
import {
  probabilisticSharpeFromMoments, probabilisticSharpe, expectedMaxSharpe, deflatedSharpe, minTrackRecordLengthFromMoments,
  minTrackRecordLength, sharpeStandardError, sharpeInference, sharpeMoments, skewness, kurtosisRaw, kurtosisExcess, EULER_MASCHERONI,
  normalCdf, trialSharpeVariance,
} from "../../src/stats/index.js";
import { rng } from "../../src/core/index.js";

// Worked example: per-period SR = 0.1 over n = 253 returns, skewness −0.5, RAW kurtosis 4.
//   variance factor = 1 − γ3·SR + (γ4 − 1)/4·SR² = 1 + 0.05 + 0.75·0.01 = 1.0575
//   z = (0.1 − 0)·√252 / √1.0575 = 0.1·15.874507866 / 1.028348191 = 1.5436899699759195
//   PSR = Φ(1.54369) = 0.9386682713496021 (scipy.stats.norm.cdf)
const example = { sharpe: 0.1, n: 253, skewness: -0.5, kurtosisRaw: 4 };

describe("Probabilistic Sharpe Ratio", () => {
  it("matches the worked example", () => {
    expect(probabilisticSharpeFromMoments(example)).toBeCloseTo(0.9386682713496021, 12);
    expect(probabilisticSharpeFromMoments(example, 0)).toBeCloseTo(normalCdf((0.1 * Math.sqrt(252)) / Math.sqrt(1.0575)), 14);
  });

  it("computes moments of a series itself (5-return series worked by hand)", () => {
    // r = [0.10, −0.05, 0.02, −0.10, 0.04]: mean 0.002, d = [0.098, −0.052, 0.018, −0.102, 0.038]
    // Σd² = 0.02448, Σd³ = −0.00019992,
    // Σd⁴ = 0.098⁴ + 0.052⁴ + 0.018⁴ + 0.102⁴ + 0.038⁴
    //     = 0.0000922368 + 0.000007311616 + 0.000000104976 + 0.000108243216 + 0.000002085136 = 0.00020998176
    const r = [0.1, -0.05, 0.02, -0.1, 0.04];
    const sd = Math.sqrt(0.02448 / 4);
    const sr = 0.002 / sd;
    const m2 = 0.02448 / 5;
    const sumD4 = 0.098 ** 4 + 0.052 ** 4 + 0.018 ** 4 + 0.102 ** 4 + 0.038 ** 4;
    expect(sumD4).toBeCloseTo(0.00020998176, 15);
    const g3 = -0.00019992 / 5 / m2 ** 1.5;
    const g4 = sumD4 / 5 / (m2 * m2);
    const expected = normalCdf((sr * Math.sqrt(4)) / Math.sqrt(1 - g3 * sr + ((g4 - 1) / 4) * sr * sr));
    expect(probabilisticSharpe(r)).toBeCloseTo(expected, 13);
    const m = sharpeMoments(r);
    expect(m.kurtosisRaw).toBeCloseTo(g4, 12);
  });

  it("is 0.5 at the benchmark and rises with the track record", () => {
    expect(probabilisticSharpeFromMoments(example, 0.1)).toBeCloseTo(0.5, 15);
    expect(probabilisticSharpeFromMoments({ ...example, n: 1000 })).toBeGreaterThan(probabilisticSharpeFromMoments(example));
  });

  it("raw vs excess kurtosis changes PSR on a fat-tailed (Student-t) series", () => {
    // Student-t with 4 degrees of freedom: t = Z / √(χ²₄/4); shifted so the per-period SR is ~0.3
    const random = rng(42);
    const n = 200;
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let chi = 0;
      for (let k = 0; k < 4; k++) chi += random.normal() ** 2;
      r[i] = 0.004 + 0.01 * (random.normal() / Math.sqrt(chi / 4));
    }
    const m = sharpeMoments(r);
    expect(kurtosisRaw(r)).toBeGreaterThan(3.3); // fatter tails than a normal (3)
    const correct = probabilisticSharpe(r, { benchmark: 0.2 });
    expect(correct).toBeCloseTo(probabilisticSharpeFromMoments({ ...m, kurtosisRaw: kurtosisRaw(r) }, 0.2), 14);
    // The classic bug: feeding excess kurtosis into the raw-kurtosis slot shrinks the variance
    // factor by 3/4·SR² and overstates the confidence.
    const buggy = probabilisticSharpeFromMoments({ ...m, kurtosisRaw: kurtosisExcess(r) }, 0.2);
    expect(buggy).toBeGreaterThan(correct + 0.005);
    const zCorrect = ((m.sharpe - 0.2) * Math.sqrt(n - 1)) / Math.sqrt(1 - m.skewness * m.sharpe + ((kurtosisRaw(r) - 1) / 4) * m.sharpe ** 2);
    expect(correct).toBeCloseTo(normalCdf(zCorrect), 14);
  });

  it("raw vs excess kurtosis changes PSR on a skewed series", () => {
    // exponential shocks minus their mean: skewness ≈ 2, raw kurtosis ≈ 9
    const random = rng(7);
    const r = new Float64Array(200);
    for (let i = 0; i < r.length; i++) r[i] = 0.003 + 0.01 * (random.exponential() - 1);
    const m = sharpeMoments(r);
    expect(skewness(r)).toBeGreaterThan(1);
    const correct = probabilisticSharpeFromMoments(m, 0.25);
    const buggy = probabilisticSharpeFromMoments({ ...m, kurtosisRaw: m.kurtosisRaw - 3 }, 0.25);
    expect(buggy - correct).toBeGreaterThan(0.01);
    expect(probabilisticSharpe(r, { benchmark: 0.25 })).toBe(correct);
  });
});

describe("Deflated Sharpe Ratio", () => {
  it("matches the worked example", () => {
    // N = 10 trials, V = 0.0025 (trial Sharpe sd 0.05 per period):
    //   Φ⁻¹(1 − 1/10) = 1.2815515655446004, Φ⁻¹(1 − 1/(10e)) = 1.7892417645816283 (scipy)
    //   SR0 = 0.05·((1 − 0.5772156649)·1.28155157 + 0.5772156649·1.78924176) = 0.0787299150672875
    //   z = (0.1 − 0.07872992)·√252/√1.0575 = 0.32834416771164215 -> DSR = 0.6286742737220559
    const sr0 = 0.05 * ((1 - EULER_MASCHERONI) * 1.2815515655446004 + EULER_MASCHERONI * 1.7892417645816283);
    expect(sr0).toBeCloseTo(0.0787299150672875, 15);
    expect(expectedMaxSharpe(10, 0.0025)).toBeCloseTo(sr0, 13);
    expect(probabilisticSharpeFromMoments(example, expectedMaxSharpe(10, 0.0025))).toBeCloseTo(0.6286742737220559, 11);
  });

  it("one trial means no deflation; more trials deflate more", () => {
    expect(expectedMaxSharpe(1, 0.01)).toBe(0);
    expect(expectedMaxSharpe(1000, 0.01)).toBeGreaterThan(expectedMaxSharpe(100, 0.01));
    const r = Array.from({ length: 300 }, (_, i) => 0.001 + 0.01 * Math.sin(i * 1.7));
    expect(deflatedSharpe(r, { count: 1, sharpeVariance: 0.01 })).toBe(probabilisticSharpe(r));
    expect(deflatedSharpe(r, { count: 500, sharpeVariance: 0.01 })).toBeLessThan(deflatedSharpe(r, { count: 5, sharpeVariance: 0.01 }));
  });

  it("trial variance converts annualized Sharpe ratios to per period", () => {
    // annualized sharpes [1, 2, 3]: variance 1 -> per period 1/252
    expect(trialSharpeVariance([1, 2, 3], { annualized: true, periodsPerYear: 252 })).toBeCloseTo(1 / 252, 15);
    expect(() => expectedMaxSharpe(0, 0.01)).toThrow(/trials must be ≥ 1/);
  });
});

describe("minimum track record length and standard error", () => {
  it("matches the worked example", () => {
    // n* = 1 + 1.0575·(Φ⁻¹(0.95)/0.1)² = 1 + 1.0575·(16.448536269514722)² = 287.1162...
    const expected = 1 + 1.0575 * (1.6448536269514722 / 0.1) ** 2;
    expect(minTrackRecordLengthFromMoments(example, 0, 0.95)).toBeCloseTo(expected, 9);
    // at n = n*, PSR equals the confidence
    expect(probabilisticSharpeFromMoments({ ...example, n: expected })).toBeCloseTo(0.95, 12);
    expect(minTrackRecordLengthFromMoments(example, 0.2)).toBe(Infinity);
  });

  it("Lo (2002) iid standard error", () => {
    // √((1 + 0.1²/2)/252) = √(1.005/252)
    expect(sharpeStandardError(0.1, 252)).toBeCloseTo(Math.sqrt(1.005 / 252), 15);
  });

  it("sharpeInference collects values and reasons", () => {
    const r = Array.from({ length: 100 }, (_, i) => 0.001 + 0.01 * Math.cos(i * 2.3));
    const inf = sharpeInference(r, { periodsPerYear: 252 });
    expect(inf.values.probabilisticSharpe).toBe(probabilisticSharpe(r));
    expect(inf.values.minTrackRecordLength).toBe(minTrackRecordLength(r));
    expect(inf.values.deflatedSharpe).toBeNaN();
    expect(inf.reasons.deflatedSharpe).toBe("number of trials not given");
    expect(inf.values.sharpeStandardErrorAnnualized).toBeCloseTo(inf.values.sharpeStandardError * Math.sqrt(252), 15);
    const flat = sharpeInference([0.01, 0.01, 0.01], { trials: { count: 10, sharpeVariance: 0.01 } });
    expect(flat.values.probabilisticSharpe).toBeNaN();
    expect(flat.reasons.probabilisticSharpe).toBe("returns are constant (zero variance)");
    expect(flat.reasons.deflatedSharpe).toBe("returns are constant (zero variance)");
    expect(sharpeInference([0.01]).reasons.minTrackRecordLength).toBe("needs at least 2 returns, got 1");
  });
});
