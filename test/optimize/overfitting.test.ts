/**
 * Overfitting statistics fed by a sweep: PBO on hand-built return matrices whose answer is known,
 * and the DSR computed with the number of trials the search really ran.
 *
 * PBO by hand (4 periods, 2 blocks {0,1} {2,3}, two combinations):
 *   A = [1, 2, −2, −1], B = [−1, −2, 2, 1]: the in-sample winner of each half is the loser of the
 *   other half in both combinations → PBO = 1.
 *   C = [1, 2, 1, 2], D = [0, 1, 0, 1]: C wins both halves (per-block Sharpe 2.12 vs 0.71) → PBO = 0.
 */
import { describe, expect, it } from "vitest";
import { generateTicks } from "../../src/data/index.js";
import { optimize, overfitting, range, type TrialEvaluator } from "../../src/optimize/index.js";
import { deflatedSharpe, expectedMaxSharpe } from "../../src/stats/index.js";

const data = generateTicks({ events: 1_000, seed: 2, mode: "l2" });
const PATTERNS: Record<string, number[]> = { A: [1, 2, -2, -1], B: [-1, -2, 2, 1], C: [1, 2, 1, 2], D: [0, 1, 0, 1] };
const patterned: TrialEvaluator = (p) => {
  const r = Float64Array.from(PATTERNS[String(p.kind)]!);
  return { metrics: { total: r.reduce((a, b) => a + b, 0) }, periodReturns: r, events: 0 };
};

describe("overfitting statistics of a sweep", () => {
  it("PBO is 1 when the in-sample winner always loses out of sample, 0 when it always wins", async () => {
    const flip = await optimize({ data, evaluator: patterned, space: { kind: ["A", "B"] }, objective: "total", workers: 0 });
    const steady = await optimize({ data, evaluator: patterned, space: { kind: ["C", "D"] }, objective: "total", workers: 0 });
    expect(overfitting(flip, { partitions: 2 }).pbo).toBe(1);
    expect(overfitting(steady, { partitions: 2 }).pbo).toBe(0);
  });

  it("the DSR uses every trial the search ran, and the variance of their per-period Sharpe ratios", async () => {
    // 8 periods: r_k = score/8 + 0.5·sin(k·(1 + y)) + 0.1·x, so the Sharpe ratio differs from trial to trial.
    const evaluator: TrialEvaluator = (p) => {
      const x = Number(p.x);
      const y = Number(p.y);
      const score = -((x - 3) ** 2) - (y - 0.5) ** 2;
      const r = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7], (k) => score / 8 + Math.sin(k * (1 + y)) * 0.5 + 0.1 * x);
      return { metrics: { score }, periodReturns: r, events: 0 };
    };
    const res = await optimize({ data, evaluator, space: { x: range(0, 6, 1), y: range(0, 1, 0.25) }, objective: "score", workers: 0 });
    expect(res.trialCount).toBe(35);
    const report = overfitting(res);
    expect(report.trialCount).toBe(35);
    expect(report.matrixTrials).toBe(35);
    expect(report.periods).toBe(8);
    // Independent: per-period Sharpe (mean / sample sd) of every trial, their sample variance.
    const sharpe = (r: Float64Array): number => {
      const m = r.reduce((a, b) => a + b, 0) / r.length;
      return m / Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / (r.length - 1));
    };
    const s = res.trials.map((t) => sharpe(t.periodReturns!));
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    const v = s.reduce((a, b) => a + (b - mean) ** 2, 0) / (s.length - 1);
    expect(report.sharpeVariance).toBeCloseTo(v, 12);
    expect(report.expectedMaxSharpe).toBeCloseTo(expectedMaxSharpe(35, v), 12);
    expect(report.dsr).toBeCloseTo(deflatedSharpe(res.best!.periodReturns!, { count: 35, sharpeVariance: v }), 12);
    // More trials deflate more: with N = 1 the same best trial would look better.
    expect(deflatedSharpe(res.best!.periodReturns!, { count: 1, sharpeVariance: v })).toBeGreaterThan(report.dsr);
  });
});
