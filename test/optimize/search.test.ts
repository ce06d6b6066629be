/**
 * Search plans and the in-process driver (workers: 0, no build needed). Expected points and
 * optima are written out by hand next to each case.
 */
import { describe, expect, it } from "vitest";
import { isLabError } from "../../src/core/index.js";
import { generateTicks } from "../../src/data/index.js";
import { expandGrid, geneticSearch, optimize, randomSearch, range, resolveSpace, type Params, type SearchPlan, type TrialEvaluator } from "../../src/optimize/index.js";
import type { ParamSchema } from "../../src/strategy/index.js";

const data = generateTicks({ events: 2_000, seed: 5, mode: "l2" });

function drain(plan: SearchPlan, fit: (p: Params) => number): Params[][] {
  const batches: Params[][] = [];
  for (let b = plan.next(); b !== null; b = plan.next()) {
    batches.push(b.map((c) => c.params));
    plan.report(b.map((c) => fit(c.params)));
  }
  return batches;
}

/** score = −(x−3)² − (y−0.5)² (y = 0.5 when not numeric), maximum 0 at (3, 0.5); trades = 10·x. */
const quadratic: TrialEvaluator = (params) => {
  const x = Number(params.x);
  const y = typeof params.y === "number" ? params.y : 0.5;
  return { metrics: { score: -((x - 3) ** 2) - (y - 0.5) ** 2, trades: 10 * x }, events: 1 };
};

describe("search space", () => {
  it("expands ranges and lists; the last dimension varies fastest; decimal steps do not drift", () => {
    const space = resolveSpace({ a: range(1, 3, 1), b: ["x", "y"], c: range(0.1, 0.3, 0.1), fixed: 7 });
    expect(space.names).toEqual(["a", "b", "c"]);
    expect(space.fixed).toEqual({ fixed: 7 });
    expect(space.dims[0]!.type).toBe("integer");
    expect(space.dims[2]!.type).toBe("number");
    const { points, total } = expandGrid(space);
    expect(total).toBe(3 * 2 * 3);
    expect(points.slice(0, 4)).toEqual([
      { a: 1, b: "x", c: 0.1 },
      { a: 1, b: "x", c: 0.2 },
      { a: 1, b: "x", c: 0.3 },
      { a: 1, b: "y", c: 0.1 },
    ]);
    expect(points[17]).toEqual({ a: 3, b: "y", c: 0.3 });
  });

  it("checks names, types and bounds against a strategy schema, with did-you-mean", () => {
    const schema: ParamSchema = [
      { name: "threshold", type: "number", default: 0.3, min: 0, max: 1, step: 0.05 },
      { name: "levels", type: "integer", default: 1, min: 1, max: 20, step: 1 },
      { name: "mode", type: "choice", default: "taker", choices: ["taker", "maker"] },
    ];
    const space = resolveSpace({ threshold: range(0.2, 0.4, 0.1) }, schema);
    expect(space.fixed).toEqual({ levels: 1, mode: "taker" });
    const err = (f: () => unknown): { code: string; message: string; hint?: string } => {
      try {
        f();
      } catch (e) {
        if (isLabError(e)) return { code: e.code, message: e.message, hint: e.hint };
        throw e;
      }
      throw new Error("expected a LabError");
    };
    const unknown = err(() => resolveSpace({ treshold: range(0.1, 0.2, 0.05) }, schema));
    expect(unknown.code).toBe("UNKNOWN_PARAM");
    expect(unknown.hint).toContain('did you mean "threshold"?');
    expect(err(() => resolveSpace({ threshold: range(0.5, 2, 0.5) }, schema)).message).toBe('range of "threshold" ends at 2, above the strategy\'s maximum 1');
    expect(err(() => resolveSpace({ levels: range(1, 4, 0.5) }, schema)).code).toBe("BAD_SPACE");
    expect(err(() => resolveSpace({ mode: ["taker", "hold"] }, schema)).code).toBe("BAD_PARAM");
    expect(err(() => resolveSpace({ levels: 3 })).code).toBe("BAD_SPACE");
  });
});

describe("grid search", () => {
  it("filters before subsampling; the subsample is seeded, distinct and in grid order", () => {
    const space = resolveSpace({ a: range(0, 9, 1), b: range(0, 9, 1) });
    // a + b even: 50 of the 100 points.
    const filter = (p: Params): boolean => (Number(p.a) + Number(p.b)) % 2 === 0;
    expect(expandGrid(space, { filter }).points).toHaveLength(50);
    const s1 = expandGrid(space, { filter, maxTrials: 12, seed: 4 });
    const s2 = expandGrid(space, { filter, maxTrials: 12, seed: 4 });
    const s3 = expandGrid(space, { filter, maxTrials: 12, seed: 5 });
    expect(s1.points).toHaveLength(12);
    expect(s1.points).toEqual(s2.points);
    expect(s1.points).not.toEqual(s3.points);
    const idx = s1.points.map((p) => Number(p.a) * 10 + Number(p.b));
    expect(new Set(idx).size).toBe(12);
    expect([...idx].sort((x, y) => x - y)).toEqual(idx);
    for (const p of s1.points) expect(filter(p)).toBe(true);
    expect(s1.warnings).toContain("grid subsampled: 12 of 50 points (seeded)");
    expect(expandGrid(space, { warnAbove: 40 }).warnings[0]).toMatch(/will run 100 trials \(more than 40\)/);
  });
});

describe("random search", () => {
  it("draws distinct points and caps at the size of a discrete space", () => {
    const space = resolveSpace({ a: range(0, 4, 1), b: ["p", "q", "r", "s"] });
    const all = drain(randomSearch(space, { trials: 20, seed: 1 }), () => 0)[0]!;
    expect(all).toHaveLength(20);
    expect(new Set(all.map((p) => `${p.a}${p.b}`)).size).toBe(20);
    const capped = randomSearch(space, { trials: 50, seed: 1 });
    expect(capped.maxTrials).toBe(20);
    expect(capped.warnings[0]).toMatch(/only 20 distinct points/);
    const a = drain(randomSearch(resolveSpace({ x: range(0, 1) }), { trials: 5, seed: 9 }), () => 0)[0]!;
    const b = drain(randomSearch(resolveSpace({ x: range(0, 1) }), { trials: 5, seed: 9 }), () => 0)[0]!;
    expect(a).toEqual(b);
    for (const p of a) expect(Number(p.x)).toBeGreaterThanOrEqual(0);
  });
});

describe("genetic search", () => {
  const space = resolveSpace({ x: range(0, 10, 0.5), y: range(0, 2, 0.1) });
  const fit = (p: Params): number => -((Number(p.x) - 3) ** 2) - (Number(p.y) - 0.5) ** 2;

  it("is deterministic given the seed and proposes every point once", () => {
    const a = drain(geneticSearch(space, { seed: 11, population: 12, generations: 10 }), fit);
    const b = drain(geneticSearch(space, { seed: 11, population: 12, generations: 10 }), fit);
    const c = drain(geneticSearch(space, { seed: 12, population: 12, generations: 10 }), fit);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const keys = a.flat().map((p) => `${p.x}/${p.y}`);
    expect(new Set(keys).size).toBe(keys.length);
    // Every proposal is inside the ranges and on the step grid.
    for (const p of a.flat()) {
      expect(Number.isInteger(Number(p.x) * 2)).toBe(true);
      expect(Math.abs(Number(p.y) * 10 - Math.round(Number(p.y) * 10))).toBeLessThan(1e-9);
      expect(Number(p.x)).toBeGreaterThanOrEqual(0);
      expect(Number(p.y)).toBeLessThanOrEqual(2);
    }
  });

  it.each(["uniform", "blend"] as const)("%s crossover finds the maximum at x = 3, y = 0.5 of a 21 x 21 grid", (crossover) => {
    const batches = drain(geneticSearch(space, { seed: 2, population: 16, generations: 40, patience: 10, crossover }), fit);
    const best = batches.flat().reduce((b, p) => (fit(p) > fit(b) ? p : b));
    expect(best).toEqual({ x: 3, y: 0.5 });
    // ...with far fewer trials than the 441-point grid.
    expect(batches.flat().length).toBeLessThan(441);
  });

  it("stops after `patience` generations without improvement", () => {
    const plan = geneticSearch(space, { seed: 1, population: 8, generations: 50, patience: 3 });
    drain(plan, () => 1);
    // Generation 0 sets the best; generations 1, 2, 3 do not improve it.
    expect(plan.generationsRun).toBe(4);
    expect(plan.stoppedBecause).toBe("no improvement for 3 generations");
  });

  it("validates its options", () => {
    expect(() => geneticSearch(space, { population: 4, elite: 4 })).toThrow(/elite/);
    expect(() => geneticSearch(space, { crossover: "single" as never })).toThrow(/crossover/);
    try {
      geneticSearch(space, { mutationRat: 0.1 } as never);
      expect.unreachable();
    } catch (e) {
      expect(isLabError(e) && e.message).toBe('unknown option "mutationRat" for genetic search');
      expect(isLabError(e) && e.hint).toMatch(/did you mean "mutationRate"/);
    }
  });
});

describe("optimize in this thread", () => {
  it("picks the feasible best; constraint-violating trials are recorded but never best", async () => {
    // score peaks at x = 3; trades = 10·x, so trades ≥ 40 leaves x ∈ {4, 5, 6}; best feasible x = 4.
    const r = await optimize({ data, evaluator: quadratic, space: { x: range(0, 6, 1) }, objective: "score", constraints: { trades: { min: 40 } }, workers: 0 });
    expect(r.trialCount).toBe(7);
    expect(r.statusCounts()).toEqual({ ok: 3, infeasible: 4, failed: 0 });
    expect(r.bestParams).toEqual({ x: 4 });
    const t3 = r.trials.find((t) => t.params.x === 3)!;
    expect(t3.status).toBe("infeasible");
    expect(t3.error).toBe("trades 30 < min 40");
    expect(t3.objective + 0).toBe(0); // −(3−3)² is −0
  });

  it("minimizes when asked and accepts a custom objective function", async () => {
    const min = await optimize({ data, evaluator: quadratic, space: { x: range(0, 6, 1) }, objective: { metric: "score", direction: "minimize" }, workers: 0 });
    expect(min.bestParams).toEqual({ x: 0 }); // −9 at x = 0 vs −9 at x = 6: ties go to the lower trial index.
    const custom = await optimize({ data, evaluator: quadratic, space: { x: range(0, 6, 1) }, objective: (m) => -Math.abs((m.trades ?? 0) - 52), workers: 0 });
    expect(custom.bestParams).toEqual({ x: 5 }); // |50 − 52| = 2 is the smallest distance.
    expect(custom.objective.name).toBe("custom");
  });

  it("records a throwing trial as failed with its message and continues", async () => {
    const evaluator: TrialEvaluator = (p, d, rg, ctx) => {
      if (p.x === 2) throw new Error("boom at x=2");
      return quadratic(p, d, rg, ctx);
    };
    const r = await optimize({ data, evaluator, space: { x: range(0, 4, 1) }, objective: "score", workers: 0 });
    expect(r.trials.map((t) => t.status)).toEqual(["ok", "ok", "failed", "ok", "ok"]);
    expect(r.trials[2]!.error).toBe("boom at x=2");
    expect(Number.isNaN(r.trials[2]!.objective)).toBe(true);
    expect(r.bestParams).toEqual({ x: 3 });
  });

  it("warns once when the objective names a metric the evaluator does not return", async () => {
    const notes: string[] = [];
    const r = await optimize({ data, evaluator: quadratic, space: { x: range(0, 2, 1) }, objective: "sharpe", workers: 0, onWarning: (m) => notes.push(m) });
    expect(notes).toEqual(['the evaluator returns no metric "sharpe" (it returns: score, trades); every trial is infeasible']);
    expect(r.best).toBeUndefined();
    expect(r.trials.every((t) => t.status === "infeasible" && t.error === "objective sharpe is NaN")).toBe(true);
  });

  it("builds a typed results table with a column per parameter and metric", async () => {
    const r = await optimize({ data, evaluator: quadratic, space: { x: range(0, 2, 1), y: ["a", "b"] }, objective: "score", workers: 0 });
    const t = r.table();
    expect(t.length).toBe(6);
    expect(t.paramColumns).toEqual(["x", "y"]);
    expect(t.metricColumns).toEqual(["score", "trades"]);
    expect(t.columns.x).toBeInstanceOf(Float64Array);
    expect(Array.from(t.columns.x as Float64Array)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(t.columns.y).toEqual(["a", "b", "a", "b", "a", "b"]);
    expect(Array.from(t.columns.trades as Float64Array)).toEqual([0, 0, 10, 10, 20, 20]);
  });
});

describe("positional form", () => {
  it("optimize(data, strategy, space, options) equals the options form", async () => {
    const space = { threshold: range(0.2, 0.4, 0.1) };
    const a = await optimize({ data, strategy: "imbalance", space, objective: "pnl", workers: 0 });
    const b = await optimize(data, "imbalance", space, { objective: "pnl", workers: 0 });
    expect(a.trialCount).toBe(3);
    expect(b.trials.map((t) => [t.params, t.metrics])).toEqual(a.trials.map((t) => [t.params, t.metrics]));
  });
});
