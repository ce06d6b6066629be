/**
 * Optimization views. Trials come from a small in-process sweep of score = −(x−3)² − (y−1)² − z,
 * so every heatmap cell value is known: best over z is z = 0, i.e. −(x−3)² − (y−1)².
 */
import { afterEach, describe, expect, it } from "vitest";
import { generateTicks } from "../../src/data/index.js";
import { optimize, range, type TrialEvaluator } from "../../src/optimize/index.js";
import { bestTrialHtml, optimizeHeatmapHtml, optimizeParallelSpec, optimizeScatterHtml, setFallbackWriter, showOptimization, walkForwardHtml } from "../../src/report/index.js";

const data = generateTicks({ events: 3_000, seed: 1, mode: "l2" });
const evaluator: TrialEvaluator = (p) => {
  const score = -((Number(p.x) - 3) ** 2) - (Number(p.y) - 1) ** 2 - Number(p.z);
  return { metrics: { score, trades: Number(p.x) * 10 }, periodReturns: Float64Array.from([score, 1]), events: 1 };
};

let restore: (() => void) | undefined;
afterEach(() => restore?.());

describe("optimization views", () => {
  it("heatmap shows the best value over the other parameters in each cell; infeasible cells stay empty", async () => {
    const r = await optimize({ data, evaluator, space: { x: range(1, 4, 1), y: range(0, 2, 1), z: [0, 1] }, objective: "score", constraints: { trades: { min: 20 } }, workers: 0 });
    const html = optimizeHeatmapHtml(r);
    // x = 1 is infeasible (trades 10): 3 × 3 = 9 of 12 cells.
    expect(html).toContain("objective by x × y (best over z) · 9 of 12 cells");
    const titles = [...html.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]!);
    expect(titles).toHaveLength(9);
    // x = 3, y = 1 → 0 (z = 0); x = 2, y = 0 → −2; x = 4, y = 2 → −2.
    expect(titles).toContain("x=3 y=1\nobjective 0 (trial 14)");
    expect(titles).toContain("x=2 y=0\nobjective -2 (trial 6)");
    expect(titles).toContain("x=4 y=2\nobjective -2 (trial 22)");
    expect(html).toContain("<svg");
    expect(optimizeHeatmapHtml(r, "x", "nope")).toContain("&quot;nope&quot; is not a searched parameter (searched: x, y, z)");
    expect(optimizeHeatmapHtml(r, "x", "y", { metric: "nope" })).toContain("no feasible trial has a finite nope");
  });

  it("parallel coordinates carry every parameter and the metric; choices become tick labels", async () => {
    const r = await optimize({ data, evaluator: (p, d, rg, c) => evaluator({ ...p, z: p.z === "high" ? 1 : 0 }, d, rg, c), space: { x: range(2, 4, 1), y: range(0, 1, 1), z: ["low", "high"] }, objective: "score", workers: 0 });
    const spec = optimizeParallelSpec(r);
    if (typeof spec === "string") throw new Error(spec);
    const dims = (spec.data[0] as { dimensions: { label: string; values: number[]; ticktext?: string[] }[] }).dimensions;
    expect(dims.map((d) => d.label)).toEqual(["x", "y", "z", "objective"]);
    expect(dims[2]!.ticktext).toEqual(["low", "high"]);
    expect(dims[0]!.values).toHaveLength(12);
    expect(Math.max(...dims[3]!.values) + 0).toBe(0);
  });

  it("scatter, best trial and walk-forward tables", async () => {
    const r = await optimize({ data, evaluator, space: { x: range(1, 5, 1), y: [1], z: [0] }, objective: "score", walkForward: { windows: 2, ratio: 1 }, workers: 0 });
    expect(optimizeScatterHtml(r)).toContain("<svg");
    const best = bestTrialHtml(r);
    expect(best).toContain("Best of 5 trials (window 1, in-sample)");
    expect(best).toMatch(/<th class="txt">x<\/th><td>3<\/td>/);
    const wf = walkForwardHtml(r);
    expect(wf).toContain("Walk-forward: in-sample choice, out-of-sample result");
    expect(wf).toContain("x=3");
    expect(wf).toContain("Stitched out-of-sample equity");
    const shown: string[] = [];
    restore = setFallbackWriter((html) => shown.push(html));
    showOptimization(r);
    expect(shown.join("")).toContain("grid search");
  });
});
