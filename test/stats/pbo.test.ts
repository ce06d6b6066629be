import { describe, expect, it } from "vitest";
import { probabilityOfOverfitting, probabilityOfOverfittingColumns, combinations } from "../../src/stats/index.js";
import { rng, LabError } from "../../src/core/index.js";

// 4 periods (one per block, S = 4) × 3 trials A, B, C, returns in %:
//        A    B    C
//   r0  −3   −2   −3
//   r1   2   −3    1
//   r2  −1    1    3
//   r3  −2    4    4
// The Sharpe of two values (a, b) is ((a+b)/2) / (|a−b|/√2); only its order matters, so below
// k(a, b) = (a+b)/|a−b| (the same order). Rank 1 = worst of 3; ω = rank/4; λ = ln(ω/(1−ω)).
//
//  IS {0,1}: A k(−3,2)=−0.2  B k(−2,−3)=−5   C k(−3,1)=−0.5  -> best A
//  OOS{2,3}: A k(−1,−2)=−3   B k(1,4)=5/3    C k(3,4)=7      -> A rank 1, ω=1/4, λ=ln(1/3)
//  IS {0,2}: A k(−3,−1)=−2   B k(−2,1)=−1/3  C k(−3,3)=0     -> best C
//  OOS{1,3}: A k(2,−2)=0     B k(−3,4)=1/7   C k(1,4)=5/3    -> C rank 3, ω=3/4, λ=ln 3
//  IS {0,3}: A k(−3,−2)=−5   B k(−2,4)=1/3   C k(−3,4)=1/7   -> best B
//  OOS{1,2}: A k(2,−1)=1/3   B k(−3,1)=−0.5  C k(1,3)=2      -> B rank 1, λ=ln(1/3)
//  IS {1,2}: A k(2,−1)=1/3   B k(−3,1)=−0.5  C k(1,3)=2      -> best C
//  OOS{0,3}: A k(−3,−2)=−5   B k(−2,4)=1/3   C k(−3,4)=1/7   -> C rank 2, ω=1/2, λ=0
//  IS {1,3}: A k(2,−2)=0     B k(−3,4)=1/7   C k(1,4)=5/3    -> best C
//  OOS{0,2}: A k(−3,−1)=−2   B k(−2,1)=−1/3  C k(−3,3)=0     -> C rank 3, λ=ln 3
//  IS {2,3}: A k(−1,−2)=−3   B k(1,4)=5/3    C k(3,4)=7      -> best C
//  OOS{0,1}: A k(−3,2)=−0.2  B k(−2,−3)=−5   C k(−3,1)=−0.5  -> C rank 2, λ=0
//
// λ ≤ 0 in 4 of 6 combinations -> PBO = 2/3.
const rows = [
  [-3, -2, -3],
  [2, -3, 1],
  [-1, 1, 3],
  [-2, 4, 4],
].map((row) => row.map((v) => v / 100));
const expectedLogits = [Math.log(1 / 3), Math.log(3), Math.log(1 / 3), 0, Math.log(3), 0];

describe("PBO by CSCV", () => {
  it("enumerates C(4,2) = 6 combinations", () => {
    expect(combinations(4, 2)).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
    expect(combinations(16, 8).length).toBe(12870);
  });

  it("matches the hand enumeration of a 4-block × 3-trial matrix", () => {
    const res = probabilityOfOverfitting(rows, { partitions: 4 });
    expect(res.pbo).toBeCloseTo(2 / 3, 15);
    expect(Array.from(res.bestTrial)).toEqual([0, 2, 1, 2, 2, 2]);
    expect(res.logits.length).toBe(6);
    res.logits.forEach((l, i) => expect(l).toBeCloseTo(expectedLogits[i]!, 12));
    // OOS Sharpe of the chosen trial, from k: Sharpe = k/√2
    const oosK = [-3, 5 / 3, -0.5, 1 / 7, 0, -0.5];
    res.outOfSampleSharpe.forEach((s, i) => expect(s).toBeCloseTo(oosK[i]! / Math.SQRT2, 10));
    expect(res.inSampleSharpe[0]).toBeCloseTo(-0.2 / Math.SQRT2, 10);
  });

  it("uses contiguous blocks: repeating each period twice (8 rows, 2 per block) keeps every rank", () => {
    // (a, a, b, b) has mean (a+b)/2 and sd |a−b|/√3: Sharpe ∝ k(a, b) again, so the same choices.
    const doubled = rows.flatMap((row) => [row, row]);
    const res = probabilityOfOverfitting(doubled, { partitions: 4 });
    expect(res.pbo).toBeCloseTo(2 / 3, 15);
    res.logits.forEach((l, i) => expect(l).toBeCloseTo(expectedLogits[i]!, 12));
  });

  it("columns and rows give the same result", () => {
    const cols = [0, 1, 2].map((j) => rows.map((r) => r[j]!));
    expect(Array.from(probabilityOfOverfittingColumns(cols, { partitions: 4 }).logits)).toEqual(Array.from(probabilityOfOverfitting(rows, { partitions: 4 }).logits));
  });

  it("pure noise overfits about half the time; a real edge does not", () => {
    // For noise the IS winner's OOS rank is uniform, so PBO averages ≈ 0.5 (one matrix varies a lot).
    const random = rng(11);
    const T = 200;
    const N = 10;
    let sum = 0;
    let noise: number[][] = [];
    for (let k = 0; k < 12; k++) {
      noise = Array.from({ length: T }, () => Array.from({ length: N }, () => random.normal(0, 0.01)));
      sum += probabilityOfOverfitting(noise, { partitions: 8 }).pbo;
    }
    expect(sum / 12).toBeGreaterThan(0.35);
    expect(sum / 12).toBeLessThan(0.65);
    const edge = noise.map((row) => row.map((v, j) => (j === 5 ? v + 0.006 : v)));
    const e = probabilityOfOverfitting(edge, { partitions: 8 });
    expect(e.pbo).toBeLessThan(0.05);
    expect(Array.from(e.bestTrial).every((j) => j === 5)).toBe(true);
  });

  it("rejects malformed calls with a clear error", () => {
    expect(() => probabilityOfOverfitting(rows, { partitions: 3 })).toThrow(/even integer/);
    expect(() => probabilityOfOverfitting([[0.1, 0.2], [0.3]], { partitions: 2 })).toThrow(LabError);
  });

  it("gives NaN with a reason for data that cannot give a PBO", () => {
    const oneTrial = probabilityOfOverfitting([[1], [2]]);
    expect(oneTrial.pbo).toBeNaN();
    expect(oneTrial.reason).toMatch(/at least 2 trials/);
    const withNaN = probabilityOfOverfitting([[0.1, NaN], [0.3, 0.1]], { partitions: 2 });
    expect(withNaN.pbo).toBeNaN();
    expect(withNaN.logits.length).toBe(0);
    expect(withNaN.reason).toMatch(/row 0 \(period\), column 1 \(trial\) is NaN/);
    const short = probabilityOfOverfitting(rows, { partitions: 6 });
    expect(short.pbo).toBeNaN();
    expect(short.reason).toMatch(/6 partitions of 4 periods/);
    const fine = probabilityOfOverfitting(rows, { partitions: 2 });
    expect(fine.reason).toBeUndefined();
    expect(Number.isFinite(fine.pbo)).toBe(true);
  });
});
